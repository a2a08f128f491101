"""The audit log: who did what to which handoff, and when; never message content.

A capped Redis Stream, appended to and never edited: each write also drops the entries older
than HRV_AUDIT_TTL_SECONDS (bot/lua/lib/append_audit.lua), and the key's TTL is a
backstop for a log nobody writes to any more. The handoff scripts in
bot/handoff/service.py append to the same stream inside their atomic steps; this module writes the
events that happen outside them: sign-ins, views (the queue, a transcript) and refused
authorisations. `who` is a staff account name, `person` or `?` (unknown caller); never a session id,
token, address or anything a person wrote.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis.asyncio import Redis

from bot.handoff.service import AUDIT_MAXLEN
from bot.store import Keys, lua_script

_MAX_REMEMBERED = 10_000  # repeat suppression is memory only, and bounded

# KEYS: audit. ARGV: ttl, maxlen, then the entry's fields and values.
_APPEND = lua_script("staff/audit_append", "lib/append_audit")


class AuditLog:
    """Append and read audit entries (`at` in ms, `who`, `action`, `handoff`)."""

    def __init__(
        self, redis: Redis, keys: Keys, ttl_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self._key = keys.audit()
        self._ttl = ttl_seconds
        self._clock = clock
        self._last: dict[tuple[str, str, str], float] = {}
        self._append = redis.register_script(_APPEND)

    async def record(
        self,
        who: str,
        action: str,
        handoff_id: str = "",
        *,
        at_most_every: float = 0,
        any_handoff: bool = False,
    ) -> bool:
        """Append one entry and drop those older than the TTL. With `at_most_every`, an entry
        equal to one this process wrote less than that many seconds ago is skipped (for polled
        views and floods of refused calls); with `any_handoff` too, equal means the same `who`
        and `action` whatever the handoff id (a flood can make up ids). Returns whether it was
        written."""
        now = self._clock()
        repeat_id = "*" if any_handoff else handoff_id
        if at_most_every > 0 and not self._first_in(who, action, repeat_id, now, at_most_every):
            return False
        entry = ["at", int(now * 1000), "who", who, "action", action, "handoff", handoff_id]
        await self._append(keys=[self._key], args=[self._ttl, AUDIT_MAXLEN, *entry])
        return True

    async def recent(self, count: int = 100) -> list[dict[str, str]]:
        """The newest entries, oldest first."""
        entries = await self._redis.xrevrange(self._key, "+", "-", count=count)
        return [dict(fields) for _, fields in reversed(entries)]

    def _first_in(self, who: str, action: str, handoff_id: str, now: float, every: float) -> bool:
        key = (who, action, handoff_id)
        last = self._last.get(key)
        if last is not None and now - last < every:
            return False
        if len(self._last) >= _MAX_REMEMBERED:
            self._last = {k: t for k, t in self._last.items() if now - t < every}
            if len(self._last) >= _MAX_REMEMBERED:
                self._last.clear()
        self._last[key] = now
        return True
