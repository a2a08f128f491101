"""GET /api/v1/municipalities/{name_or_code}/help: sourced facts for any day; 4xx on bad input."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.unit

URL = "/api/v1/municipalities/{}/help"


async def test_alingsas_before_and_after_the_switch(client):
    before = (await client.get(URL.format("Alingsås"), params={"date": "2024-01-15"})).json()
    after = (await client.get(URL.format("Alingsås"), params={"date": "2024-02-01"})).json()
    assert before["municipality"] == {
        "code": "1489",
        "name": "Alingsås",
        "county": "Västra Götalands län",
    }
    assert [c["id"] for c in before["centres"]] == ["goteborg"]
    assert before["centres"][0]["coverage"]["valid_to"] == "2024-01-31"
    assert [c["id"] for c in after["centres"]] == ["alvsborg"]
    assert after["centres"][0]["coverage"]["valid_from"] == "2024-02-01"
    assert after["centres"][0]["coverage"]["sources"] == ["shared/seeds/001_3a3626b02fa9109c.txt"]


async def test_today_is_the_default_and_every_fact_has_its_source(client):
    response = await client.get(URL.format("Kinna"))
    assert response.status_code == 200
    body = response.json()
    assert body["municipality"]["name"] == "Mark"
    assert body["matched"] == {"written": "Kinna", "kind": "locality", "how": "exact"}
    [centre] = body["centres"]
    assert centre["id"] == "alvsborg"
    assert centre["phone"] is None  # no sourced number: never invented
    for key in ("name", "organisation", "serves", "about", "web"):
        assert centre[key]["sources"] and centre[key]["checked"] == "2026-11-23"
    assert response.headers["cache-control"] == "no-store"


async def test_code_and_fallback_with_the_national_lines(client):
    body = (await client.get(URL.format("2584"))).json()  # Kiruna
    assert body["municipality"]["name"] == "Kiruna"
    assert body["centres"] == []
    phones = {line["id"]: line["phone"] for line in body["fallback"]["lines"]}
    assert phones["emergency"] == "112"
    assert phones["kvinnofridslinjen"] == "020-50 50 50"
    assert all(line["sources"] for line in body["fallback"]["lines"])
    assert body["fallback"]["sources"] == ["https://www.hedersfortryck.se/om-oss/stodtelefonen/"]
    day, night = body["social_services"]["day"], body["social_services"]["night"]
    assert day["phone"] == "0980-703 61" and day["sources"][0].startswith("https://kiruna.se/")
    assert night["via_112"] is True and night["phone"] is None


async def test_a_route_held_for_a_re_check_is_left_out(client):
    body = (await client.get(URL.format("Värmdö"))).json()
    assert body["social_services"] == {"day": None, "night": None}


async def test_a_centre_with_a_sourced_phone_and_hours_shows_them_with_sources(client):
    body = (await client.get(URL.format("Malmö"), params={"date": "2024-03-01"})).json()
    [centre] = body["centres"]
    assert centre["id"] == "skane"
    assert centre["serves"]["value"] == ["professionals"]
    assert (await client.get(URL.format("Malmö"))).json()["centres"] == []


async def test_a_name_that_fits_two_municipalities_is_409_with_the_choices(client):
    response = await client.get(URL.format("habo"))
    assert response.status_code == 409
    body = response.json()
    assert body["error"]["code"] == "ambiguous"
    assert [c["code"] for c in body["choices"]] == ["0643", "0305"]
    chosen = (await client.get(URL.format("0305"))).json()
    assert chosen["municipality"]["name"] == "Håbo"


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("Narnia", {}, 404, "not_found"),
        ("9999", {}, 404, "not_found"),
        ("Borås", {"date": "2024-02-30"}, 422, "invalid_input"),
        ("Borås", {"date": "15/01/2024"}, 422, "invalid_input"),
        ("Borås", {"date": "yesterday"}, 422, "invalid_input"),
        ("Borås", {"date": "2024-01-15T00:00"}, 422, "invalid_input"),
        ("x" * 101, {}, 422, "invalid_input"),
        ("%00%ff", {}, 404, "not_found"),
    ],
)
async def test_bad_input_is_4xx_with_the_one_error_shape(client, path, params, status, code):
    response = await client.get(URL.format(path), params=params)
    assert response.status_code == status
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["code"] == code
