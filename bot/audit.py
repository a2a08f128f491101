"""The audit log: who did what to which handoff, and when; never message content.

A capped Redis Stream with a TTL. The handoff scripts in bot/handoff.py append to the same
stream inside their atomic steps; this module writes the events that happen outside them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis.asyncio import Redis

from bot.handoff import AUDIT_MAXLEN
from bot.store import Keys


class AuditLog:
    """Append and read audit entries (`at` in ms, `who`, `action`, `handoff`)."""

    def __init__(
        self, redis: Redis, keys: Keys, ttl_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self._key = keys.audit()
        self._ttl = ttl_seconds
        self._clock = clock

    async def record(self, who: str, action: str, handoff_id: str = "") -> None:
        """Append one entry; the log keeps its TTL fresh."""
        entry = {"at": int(self._clock() * 1000), "who": who, "action": action}
        entry["handoff"] = handoff_id
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self._key, entry, maxlen=AUDIT_MAXLEN, approximate=True)
            pipe.expire(self._key, self._ttl)
            await pipe.execute()

    async def recent(self, count: int = 100) -> list[dict[str, str]]:
        """The newest entries, oldest first."""
        entries = await self._redis.xrevrange(self._key, "+", "-", count=count)
        return [dict(fields) for _, fields in reversed(entries)]
