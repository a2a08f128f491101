"""Opening hours of the staffed chat, e.g. "mon-fri 09:00-16:00; sat 10:00-14:00", local time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RULE = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{2}:\d{2})-(?P<end>\d{2}:\d{2})$"
)


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours == 24 and minutes == 0:
        return time.max
    return time(hours, minutes)  # raises ValueError when out of range


@dataclass(frozen=True)
class OpeningHours:
    """When staff are meant to answer. No rules means no fixed hours (always open)."""

    zone: ZoneInfo
    rules: tuple[tuple[frozenset[int], time, time], ...]

    @classmethod
    def parse(cls, spec: str, timezone: str) -> OpeningHours:
        """Parse `spec`; a ValueError names the part that is wrong."""
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {timezone!r}") from error
        rules = []
        for part in filter(None, (p.strip().lower() for p in spec.split(";"))):
            match = _RULE.match(part)
            if not match or match["first"] not in DAYS or (match["last"] or "mon") not in DAYS:
                raise ValueError(
                    f"opening hours: cannot read {part!r} (like 'mon-fri 09:00-16:00')"
                )
            first = DAYS.index(match["first"])
            last = DAYS.index(match["last"] or match["first"])
            days = frozenset(range(first, last + 1)) if first <= last else None
            try:
                start, end = _clock(match["start"]), _clock(match["end"])
            except ValueError as error:
                raise ValueError(f"opening hours: bad time in {part!r}") from error
            if days is None or start >= end:
                raise ValueError(f"opening hours: {part!r} must run forwards")
            rules.append((days, start, end))
        return cls(zone=zone, rules=tuple(rules))

    def is_open(self, timestamp: float) -> bool:
        """Whether `timestamp` (Unix seconds) falls inside the hours, in the configured zone."""
        if not self.rules:
            return True
        local = datetime.fromtimestamp(timestamp, self.zone)
        now = local.time()
        return any(
            local.weekday() in days and start <= now < end for days, start, end in self.rules
        )
