"""Which centre applies is computed from dated coverage, for today and for any past day."""

from __future__ import annotations

from datetime import date

import pytest

pytestmark = pytest.mark.unit

SJUHARAD = [
    "Borås",
    "Ulricehamn",
    "Herrljunga",
    "Vårgårda",
    "Tranemo",
    "Mark",
    "Svenljunga",
    "Bollebygd",
]


@pytest.mark.parametrize(
    ("day", "centre"),
    [
        (date(2021, 1, 1), "goteborg"),
        (date(2024, 1, 15), "goteborg"),
        (date(2024, 1, 31), "goteborg"),
        (date(2024, 2, 1), "alvsborg"),
        (date.today(), "alvsborg"),
    ],
)
def test_alingsas_switches_from_goteborg_to_alvsborg_on_2024_02_01(registry, day, centre):
    assert [c.id for c in registry.centres_for("Alingsås", day)] == [centre]


def test_alingsas_had_no_centre_before_2021(registry):
    assert registry.centres_for("Alingsås", date(2020, 12, 31)) == []


def test_the_eight_sjuharad_municipalities_are_served_by_alvsborg_from_its_opening(registry):
    for name in SJUHARAD:
        assert registry.centres_for(name, date(2023, 10, 31)) == [], name
        assert [c.id for c in registry.centres_for(name, date(2023, 11, 1))] == ["alvsborg"], name


def test_goteborg_region_stockholm_and_the_fallback_today(registry):
    today = date(2026, 11, 23)
    assert [c.id for c in registry.centres_for("Mölndal", today)] == ["goteborg"]
    assert [c.id for c in registry.centres_for("Ale", today)] == ["goteborg"]
    assert [c.id for c in registry.centres_for("Stockholm", today)] == ["origo"]
    assert registry.centres_for("Kiruna", today) == []
    assert registry.centres_for("Tjörn", today) == []  # left Göteborg's centre, end not sourced
    assert (
        registry.centres_for("Malmö", today) == []
    )  # Skåne's consultations: sourced to 2024-09-30


def test_skane_had_a_professionals_centre_during_the_sourced_period(registry):
    [centre] = registry.centres_for("Malmö", date(2024, 3, 1))
    assert centre.id == "skane"
    assert centre.serves.value == ["professionals"]


def test_every_centre_fact_carries_a_public_source_and_a_checked_date(registry):
    for centre in registry.centres.values():
        for name, fact in centre.facts().items():
            assert fact.sources, (centre.id, name)
            assert all(s.startswith(("http://", "https://", "shared/seeds/")) for s in fact.sources)
            assert fact.checked <= date.today(), (centre.id, name)
        assert centre.about.value["sv"] and centre.about.value["en"]
