"""Opening hours: parsed strictly, checked in Europe/Stockholm (summer and winter time)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.handoff.hours import OpeningHours

pytestmark = pytest.mark.unit

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _at(*args: int) -> float:
    return datetime(*args, tzinfo=STOCKHOLM).timestamp()


def test_no_hours_means_always_open():
    hours = OpeningHours.parse("", "Europe/Stockholm")
    assert hours.is_open(_at(2026, 12, 25, 3, 0))


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        ((2026, 11, 23, 9, 0), True),  # Monday at opening, winter time
        ((2026, 11, 23, 8, 59), False),
        ((2026, 11, 23, 15, 59), True),
        ((2026, 11, 23, 16, 0), False),  # closing time is not open
        ((2026, 7, 3, 10, 0), True),  # Friday, summer time
        ((2026, 7, 4, 10, 0), True),  # Saturday
        ((2026, 7, 4, 14, 0), False),
        ((2026, 7, 5, 10, 0), False),  # Sunday
    ],
)
def test_hours_are_local_to_stockholm(moment, is_open):
    hours = OpeningHours.parse("mon-fri 09:00-16:00; sat 10:00-14:00", "Europe/Stockholm")
    assert hours.is_open(_at(*moment)) is is_open


@pytest.mark.parametrize(
    "spec",
    [
        "weekdays 9-5",
        "mon-fri 9:00-16:00",
        "fri-mon 09:00-16:00",
        "mon 16:00-09:00",
        "mon 25:00-26:00",
    ],
)
def test_unreadable_hours_are_refused_at_start_up(spec):
    with pytest.raises(ValueError):
        Settings(handoff_hours=spec)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValueError):
        Settings(handoff_timezone="Mars/Olympus")
