"""The statistics the handoff transitions count: one Redis hash per UTC day, without content.

The scripts that end a chat (close, release, the person leaving) and the lease sweep's requeue
count it inside their own atomic step (bot/lua/lib/count_ending.lua), so the figures cannot
drift from what happened, whichever gateway process made the change, and a crash cannot count a
chat twice or not at all. A chat counts on the UTC day it ended. The hash holds counter names
and integers only (`FIELD` below): how chats ended, per language, channel, danger kind, wrap-up
category and outcome, and seconds waited and handled as a sum, a count and coarse buckets. Each
day's hash expires `retention_days` after the day ended (EXPIREAT, set at every write).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from redis.asyncio import Redis

from bot.store import Keys

DAY_SECONDS = 24 * 3600
# The buckets' upper edges in seconds; the same list stands in bot/lua/lib/count_ending.lua.
BUCKETS = (60, 120, 300, 600, 1200, 1800, 2700, 3600, 5400)
BUCKET_NAMES = (*(f"le_{edge}" for edge in BUCKETS), f"over_{BUCKETS[-1]}")
# Ended chats are measured in seconds: until a staff member took them and then until they
# ended; or, never taken, until they ended while waiting.
MEASURES = ("waited", "handled", "waited_unanswered")
HOW = ("closed", "released", "left")
# A counter's name: a fixed word, or a group and a short lower-case word (a language, a channel,
# a danger kind, a wrap-up id, a measure's part). Nothing else is ever written.
FIELD = re.compile(
    r"(ended|requeued)"
    r"|(how|lang|channel|risk|category|outcome):[a-z][a-z0-9_]{0,31}"
    rf"|({'|'.join(MEASURES)}):(count|seconds|{'|'.join(BUCKET_NAMES)})"
)
_INTEGER = re.compile(r"-?[0-9]{1,15}")


def day_of(ms: int) -> date:
    """The UTC day of a moment in ms."""
    return datetime.fromtimestamp(ms / 1000, UTC).date()


def expires_at(day: date, retention_days: int) -> int:
    """When a day's counters go (Unix seconds): `retention_days` after the day ended."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return int((start + timedelta(days=retention_days + 1)).timestamp())


def valid_entry(field: str, value: str) -> bool:
    """Whether one stored field is a counter (privacy audit, tests): a known name, an integer."""
    return bool(FIELD.fullmatch(field)) and bool(_INTEGER.fullmatch(value))


@dataclass(frozen=True)
class DailyCounters:
    """Where a transition at a moment counts, and reading days back."""

    keys: Keys
    retention_days: int

    def target(self, now_ms: int) -> tuple[str, int]:
        """The day's hash and its EXPIREAT, for a script that counts at `now_ms`."""
        day = day_of(now_ms)
        return self.keys.stats_day(day.isoformat()), expires_at(day, self.retention_days)

    def oldest_kept(self, now_ms: int) -> date:
        """The oldest day whose counters still exist."""
        return day_of(now_ms) - timedelta(days=self.retention_days)

    async def read(self, redis: Redis, first: date, last: date) -> dict[date, dict[str, int]]:
        """Each day's counters from `first` to `last` (both included; a day without any is {})."""
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        async with redis.pipeline(transaction=False) as pipe:
            for day in days:
                pipe.hgetall(self.keys.stats_day(day.isoformat()))
            rows = await pipe.execute()
        return {
            day: {k: int(v) for k, v in row.items() if valid_entry(k, v)}
            for day, row in zip(days, rows, strict=True)
        }
