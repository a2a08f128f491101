"""The handoff queue in Redis: one atomic step puts a conversation in line for a human."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.errors import NotFound
from bot.store import Keys

# Atomic: a session is queued at most once; the handoff, the queue and the session change together.
_ENQUEUE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing', ''} end
local state = redis.call('HGET', KEYS[1], 'handoff')
if state == 'queued' or state == 'active' then
  return {'existing', redis.call('HGET', KEYS[1], 'handoff_id')}
end
redis.call('HSET', KEYS[3], 'session_id', ARGV[1], 'state', 'queued', 'reason', ARGV[3],
           'lang', ARGV[4], 'channel', ARGV[5], 'queued_at', ARGV[6])
redis.call('EXPIRE', KEYS[3], ARGV[7])
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[7])
redis.call('HSET', KEYS[1], 'handoff', 'queued', 'handoff_id', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[7])
return {'queued', ARGV[2]}
"""


@dataclass(frozen=True)
class Enqueued:
    """The result of asking for a human: the handoff id and whether it was already queued."""

    handoff_id: str
    already_queued: bool


class HandoffQueue:
    """First in, first out; the queue in Redis is the single source of truth."""

    def __init__(self, redis: Redis, keys: Keys, ttl_seconds: int) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_seconds
        self._enqueue = redis.register_script(_ENQUEUE)

    async def enqueue(self, session_id: str, reason: str, lang: str, channel: str) -> Enqueued:
        """Queue the session for a human, once; 404 when the session no longer exists."""
        handoff_id = secrets.token_urlsafe(12)
        status, existing_id = await self._enqueue(
            keys=[
                self._keys.session(session_id),
                self._keys.handoff_queue(),
                self._keys.handoff(handoff_id),
            ],
            args=[session_id, handoff_id, reason, lang, channel, f"{time.time():.3f}", self._ttl],
        )
        if status == "missing":
            raise NotFound("This conversation does not exist or has ended.")
        return Enqueued(handoff_id=existing_id, already_queued=status == "existing")
