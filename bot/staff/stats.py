"""The figures a centre reports (`GET /api/v1/staff/stats`): per day and in total, from the
day counters of bot/handoff/counters.py, never from transcripts.

Every list of known values (languages, channels, danger kinds, wrap-up ids, how a chat ended,
buckets) is shown even at zero, so a report's shape and its CSV columns stay the same from one
period to the next; a value found in the counters but no longer in the data (a category removed
later) is shown too, after the known ones.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.errors import BadInput
from bot.handoff.counters import BUCKET_NAMES, BUCKETS, HOW, MEASURES

CHANNELS = ("widget", "telegram")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Groups of counters (`<prefix>:<value>`) and their names in the report.
_GROUPS = (
    ("how", "how"),
    ("lang", "languages"),
    ("channel", "channels"),
    ("risk", "risk"),
    ("category", "categories"),
    ("outcome", "outcomes"),
)


@dataclass(frozen=True)
class StatsReport:
    """Turns day counters into the report; knows the values each group always lists."""

    languages: tuple[str, ...]
    risk_kinds: tuple[str, ...]
    categories: tuple[str, ...]
    outcomes: tuple[str, ...]

    def days_asked(self, first: str, last: str, today: date, oldest: date) -> tuple[date, date]:
        """The period asked for; BadInput (422) for a day that is not YYYY-MM-DD, an end before
        the start, a day after today, or a start before the oldest day still kept."""
        if not (_DAY.fullmatch(first) and _DAY.fullmatch(last)):
            raise BadInput("`from` and `to` are days written YYYY-MM-DD.")
        try:
            start, end = date.fromisoformat(first), date.fromisoformat(last)
        except ValueError:
            raise BadInput("`from` and `to` are days written YYYY-MM-DD.") from None
        if end < start:
            raise BadInput("`to` comes before `from`.")
        if end > today:
            raise BadInput("`to` is after today (UTC).")
        if start < oldest:
            raise BadInput(f"Figures are kept back to {oldest.isoformat()} only.")
        return start, end

    def build(self, counted: dict[date, dict[str, int]], retention_days: int) -> dict[str, Any]:
        """The report: each day's figures and the totals over the period."""
        totals: dict[str, int] = {}
        for counters in counted.values():
            for name, value in counters.items():
                totals[name] = totals.get(name, 0) + value
        days = sorted(counted)
        return {
            "from": days[0].isoformat(),
            "to": days[-1].isoformat(),
            "retention_days": retention_days,
            "days": [{"day": day.isoformat(), **self.figures(counted[day])} for day in days],
            "totals": self.figures(totals),
        }

    def figures(self, counters: dict[str, int]) -> dict[str, Any]:
        """One day's (or the period's) figures from its counters."""
        known = {
            "how": HOW,
            "lang": self.languages,
            "channel": CHANNELS,
            "risk": self.risk_kinds,
            "category": self.categories,
            "outcome": self.outcomes,
        }
        result: dict[str, Any] = {
            "ended": counters.get("ended", 0),
            "requeued": counters.get("requeued", 0),
        }
        for prefix, name in _GROUPS:
            found = {
                field.split(":", 1)[1]: value
                for field, value in counters.items()
                if field.startswith(f"{prefix}:")
            }
            group = {value: found.pop(value, 0) for value in known[prefix]}
            result[name] = group | dict(sorted(found.items()))
        result["danger_flagged"] = sum(result["risk"].values())
        for measure in MEASURES:
            result[measure] = _measure(counters, measure)
        return result

    def csv(self, report: dict[str, Any]) -> str:
        """One row per day and a last row `total`; one column per figure (groups and measures
        flattened: `languages_sv`, `waited_le_60`, ...)."""
        rows = [(day["day"], _flat(day)) for day in report["days"]]
        rows.append(("total", _flat(report["totals"])))
        columns = list(dict.fromkeys(column for _, flat in rows for column in flat))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["day", *columns])
        for day, flat in rows:
            writer.writerow([day, *(flat.get(column, 0) for column in columns)])
        return out.getvalue()


def _measure(counters: dict[str, int], measure: str) -> dict[str, Any]:
    count = counters.get(f"{measure}:count", 0)
    seconds = counters.get(f"{measure}:seconds", 0)
    buckets = {name: counters.get(f"{measure}:{name}", 0) for name in BUCKET_NAMES}
    return {
        "count": count,
        "seconds": seconds,
        "mean_seconds": round(seconds / count) if count else None,
        "median_at_most_seconds": _median_edge(buckets, count),
        "buckets": buckets,
    }


def _median_edge(buckets: dict[str, int], count: int) -> int | None:
    """The upper edge of the bucket that holds the median (None: no chats, or beyond the last
    edge): from coarse buckets a median is known only this closely."""
    if not count:
        return None
    seen = 0
    for edge, name in zip(BUCKETS, BUCKET_NAMES, strict=False):
        seen += buckets[name]
        if seen * 2 >= count:
            return edge
    return None


# Derived from the counts, and empty without chats: left out of the CSV (a sheet derives them).
_DERIVED = frozenset({"mean_seconds", "median_at_most_seconds"})


def _flat(figures: dict[str, Any]) -> dict[str, int]:
    flat: dict[str, int] = {}
    for name, value in figures.items():
        if name in _DERIVED:
            continue
        if isinstance(value, int):
            flat[name] = value
        elif isinstance(value, dict):
            for part, inner in _flat(value).items():
                flat[f"{name}_{part}"] = inner
    return flat
