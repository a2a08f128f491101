"""Security headers (bot/web/security_headers.py) on every kind of response, the frame-ancestors
allow-list for the widget page, and the check of HRV_FRAME_ANCESTORS."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from bot.config import Settings, parse_frame_ancestors
from tests.bot.test_limits import make_client  # noqa: F401  (fixture)

pytestmark = pytest.mark.unit

ALWAYS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def _assert_strict(headers, framed: str = "'none'") -> None:
    for name, value in ALWAYS.items():
        assert headers[name] == value, name
    csp = headers["content-security-policy"]
    for part in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        f"frame-ancestors {framed}",
    ):
        assert part in csp, part
    assert "unsafe-inline" not in csp
    policy = headers["permissions-policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"):
        assert f"{feature}=()" in policy
    assert "interest-cohort" not in policy


async def _responses(client, session):
    """One response of each kind: pages, API, errors, a static file, an event stream."""
    url = f"/api/v1/sessions/{session['session_id']}"
    auth = {"Authorization": f"Bearer {session['token']}"}
    return {
        "widget page": await client.get("/"),
        "staff console": await client.get("/staff"),
        "api": await client.get("/api/v1/widget/config"),
        "404": await client.get("/no-such-page"),
        "422": await client.post(f"{url}/messages", json={"text": ""}, headers=auth),
        "413": await client.post(f"{url}/messages", content=b"x" * 40_000, headers=auth),
        "static": await client.get("/static/widget/main.js"),
        "event stream": await client.get(
            f"{url}/events", headers={**auth, "Accept": "text/event-stream"}
        ),
    }


async def test_every_kind_of_response_carries_the_headers(make_client):  # noqa: F811
    client = await make_client()
    session = (await client.post("/api/v1/sessions")).json()
    responses = await _responses(client, session)
    assert {kind: r.status_code for kind, r in responses.items()} == {
        "widget page": 200,
        "staff console": 200,
        "api": 200,
        "404": 404,
        "422": 422,
        "413": 413,
        "static": 200,
        "event stream": 200,
    }
    for kind, response in responses.items():
        _assert_strict(response.headers)
        assert response.headers["x-frame-options"] == "DENY", kind
        assert "strict-transport-security" not in response.headers, kind  # not in development


async def test_allowed_origins_may_frame_the_widget_page_only(make_client):  # noqa: F811
    origins = "https://www.example-kommun.se, https://*.partner.example.org"
    client = await make_client(frame_ancestors=origins)
    session = (await client.post("/api/v1/sessions")).json()
    responses = await _responses(client, session)
    page = responses.pop("widget page")
    _assert_strict(page.headers, "https://www.example-kommun.se https://*.partner.example.org")
    assert "x-frame-options" not in page.headers  # it cannot name origins
    for kind, response in responses.items():  # the console, the API, errors: never framed
        _assert_strict(response.headers)
        assert response.headers["x-frame-options"] == "DENY", kind


async def test_hsts_in_production_only(make_client):  # noqa: F811
    client = await make_client(
        environment="production",
        rasa_token=SecretStr("a-real-rasa-token-0123456789"),
        hsts_max_age_seconds=31_536_000,
    )
    for path in ("/", "/staff", "/api/v1/widget/config", "/no-such-page"):
        response = await client.get(path)
        assert response.headers["strict-transport-security"] == "max-age=31536000", path


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("'none'", ()),
        ("", ()),
        ("https://www.example.se", ("https://www.example.se",)),
        (
            "https://a.example.se https://b.example.se:8443",
            ("https://a.example.se", "https://b.example.se:8443"),
        ),
        ("https://a.example.se,https://A.Example.se", ("https://a.example.se",)),
        ("https://*.kommun.example.se", ("https://*.kommun.example.se",)),
        ("'self' https://a.example.se", ("'self'", "https://a.example.se")),
    ],
)
def test_frame_ancestors_accepts_https_origins(value, expected):
    assert parse_frame_ancestors(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "https://*",
        "https://*.se",
        "https:",
        "http://www.example.se",
        "https://www.example.se/path",
        "https://www.example.se/",
        "https://user@www.example.se",
        "'none' https://www.example.se",
        "https://localhost",
        "javascript:alert(1)",
        "https://www.example.se; script-src *",
        "data:",
        "'unsafe-inline'",
    ],
)
def test_frame_ancestors_refuses_wildcards_http_and_injection(value):
    with pytest.raises(ValueError):
        parse_frame_ancestors(value)
    with pytest.raises(ValidationError):
        Settings(frame_ancestors=value)
