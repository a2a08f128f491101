"""The national lines a waiting person can call right now, from the registry (data/contacts.yml).

Only lines with machine-readable hours (`open`, written from their sourced `hours`) and a
description in the people's languages (`about`, which says the hours in words) are offered;
a line whose hours are unknown is never called open. The hours are Swedish time.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.handoff.hours import OpeningHours
from registry import Registry

LINES_TIMEZONE = "Europe/Stockholm"


@dataclass(frozen=True)
class OpenLine:
    """A line with its hours and its description per language."""

    id: str
    hours: OpeningHours
    about: dict[str, str]


class OpenLines:
    """Which of the registry's lines are open at a moment."""

    def __init__(self, lines: list[OpenLine]) -> None:
        self.lines = lines

    @classmethod
    def from_registry(cls, registry: Registry) -> OpenLines:
        """The lines that have both `open` and `about`, in the data's order; a malformed `open`
        stops the start (the registry check refuses it too)."""
        return cls(
            [
                OpenLine(line.id, OpeningHours.parse(line.open_hours, LINES_TIMEZONE), line.about)
                for line in registry.lines
                if line.open_hours and line.about
            ]
        )

    def open_at(self, timestamp: float) -> list[str]:
        """The ids of the lines open at `timestamp` (Unix seconds)."""
        return [line.id for line in self.lines if line.hours.is_open(timestamp)]

    def about(self, lang: str, default_lang: str) -> dict[str, str]:
        """Each line's description in `lang`, else in the default language."""
        return {
            line.id: line.about.get(lang) or line.about.get(default_lang, "") for line in self.lines
        }
