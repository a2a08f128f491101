"""The first registry: names resolve however they are written; coverage follows the dates."""

from __future__ import annotations

from datetime import date

import pytest

pytestmark = pytest.mark.unit


def test_all_290_municipalities_are_loaded_and_resolve_by_exact_name(registry):
    assert len(registry.municipalities) == 290
    for name in registry.municipalities:
        assert registry.resolve(name).name == name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Alingsås", "Alingsås"),
        ("alingsas", "Alingsås"),
        ("ALINGSÅS", "Alingsås"),
        ("jag bor i Borås", "Borås"),
        ("i boras", "Borås"),
        ("från Alingsås", "Alingsås"),
        ("Alingsås kommun", "Alingsås"),
        ("Marks kommun", "Mark"),
        ("I live in Gothenburg", "Göteborg"),
        ("göteborgs stad", "Göteborg"),
        ("Kinna", "Mark"),
        ("jag bor i upplands väsby", "Upplands Väsby"),
        ("Upplands-Bro", "Upplands-Bro"),
        ("malung salen", "Malung-Sälen"),
    ],
)
def test_resolve_spellings_inflections_and_localities(registry, text, expected):
    assert registry.resolve(text).name == expected


def test_a_folded_name_that_fits_two_municipalities_is_not_guessed(registry):
    assert registry.resolve("Håbo").name == "Håbo"
    assert registry.resolve("Habo").name == "Habo"
    assert registry.resolve("HÅBO kommun").name == "Håbo"


@pytest.mark.parametrize("text", ["Narnia", "jag vet inte", "", "12345"])
def test_unknown_names_resolve_to_none(registry, text):
    assert registry.resolve(text) is None


@pytest.mark.parametrize(
    ("day", "centre"),
    [
        (date(2024, 1, 15), "goteborg"),
        (date(2024, 1, 31), "goteborg"),
        (date(2024, 2, 1), "alvsborg"),
        (date(2026, 11, 23), "alvsborg"),
    ],
)
def test_alingsas_switches_centre_on_2024_02_01(registry, day, centre):
    assert [c.id for c in registry.centres_for("Alingsås", day)] == [centre]


def test_sjuharad_is_served_by_alvsborg_and_others_fall_back(registry):
    for name in [
        "Borås",
        "Ulricehamn",
        "Herrljunga",
        "Vårgårda",
        "Tranemo",
        "Mark",
        "Svenljunga",
        "Bollebygd",
    ]:
        assert [c.id for c in registry.centres_for(name, date(2026, 1, 1))] == ["alvsborg"]
    assert registry.centres_for("Borås", date(2023, 10, 31)) == []
    assert registry.centres_for("Kiruna", date(2026, 1, 1)) == []


def test_every_centre_fact_has_a_source(registry):
    for centre in registry.centres.values():
        assert centre.about["sv"] and centre.about["en"]
        assert centre.web and centre.web.startswith("https://")
