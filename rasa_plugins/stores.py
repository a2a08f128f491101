"""Rasa's Redis stores, changed so a Redis fault never splits a conversation silently.

Rasa 3.6 wraps every tracker store in `FailSafeTrackerStore` (rasa/core/agent.py:528). On any
exception it answers `retrieve` with None, so the turn runs on a new, empty tracker (a bot with
amnesia), and `save` writes to an `InMemoryTrackerStore` that is never read again
(rasa/core/tracker_store.py:1437-1459): the text stays in Rasa's memory without expiry. The
fallback is per call, not sticky: the next call tries Redis first again.

`StrictRedisTrackerStore` never lets an error reach that wrapper:
- a failed read gives a *paused* stand-in tracker, so no action runs and Rasa answers with no
  message at all; the gateway then gives its safe reply (112 and the national lines);
- a turn read from the stand-in is not saved (saving it would pause the real conversation);
- a failed save is logged and dropped: nothing is kept in memory. The gateway sees that the
  tracker key was not refreshed (bot/conversation/rasa_client.py) and answers with the safe reply.
Its client has short socket timeouts: Rasa calls Redis synchronously from its event loop, so a
hung Redis without a timeout would stop every conversation (Rasa sets none for the tracker).

`ExpiringRedisLockStore` gives every lock key an expiry (Rasa sets none: lock_store.py:277).

Both reach the primary through Redis Sentinel when endpoints.yml gives `sentinels`
(`host:port,...`, from HRV_RASA_REDIS_SENTINELS; empty: `url`/`port` directly): each new
connection asks the sentinels where the primary is, and a command that met a dead one is tried
again, so after a failover the next turn is stored on the new primary without a restart.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ConversationPaused, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from rasa_plugins import logs

logger = logging.getLogger(__name__)
logs.install()

# Rasa blocks its event loop while it waits for Redis: keep the waits short.
SOCKET_TIMEOUT_SECONDS = 2.0
# A pooled connection broken by a Redis restart fails once; one quick retry reconnects. Through
# sentinels, three within about 0.5 s: a retry asks them for the primary again.
_RETRY = {
    "retry": Retry(ExponentialBackoff(cap=0.2, base=0.05), 1),
    "retry_on_error": [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError],
}
_SENTINEL_RETRY = {**_RETRY, "retry": Retry(ExponentialBackoff(cap=0.2, base=0.05), 3)}


def parse_sentinels(value: object) -> list[tuple[str, int]]:
    """`host:port,host:port` as (host, port) pairs; [] when empty or unset."""
    pairs = []
    for item in str(value or "").split(","):
        if item.strip():
            host, _, port = item.strip().rpartition(":")
            pairs.append((host, int(port)))
    return pairs


def _client(
    host: str,
    port: int,
    db: int,
    username: str | None,
    password: str | None,
    timeout: float,
    sentinels: object = None,
    service: object = None,
) -> redis.Redis:
    options: dict[str, Any] = {
        "db": int(db),
        "username": username or None,
        "password": password or None,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "decode_responses": True,
    }
    addresses = parse_sentinels(sentinels)
    if addresses:
        asking = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        sentinel = Sentinel(addresses, sentinel_kwargs=asking)
        return sentinel.master_for(str(service or "hrvguide"), **options, **_SENTINEL_RETRY)
    return redis.Redis(host=host, port=int(port), **options, **_RETRY)


class StrictRedisTrackerStore(RedisTrackerStore):
    """A Redis tracker store that fails visibly (no reply) instead of falling back to memory."""

    def __init__(
        self,
        domain: Domain,
        host: str = "localhost",
        port: int = 6379,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        socket_timeout: float = SOCKET_TIMEOUT_SECONDS,
        sentinels: str | None = None,
        sentinel_service: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Rasa passes `host`, `domain`, `event_broker` and the endpoints.yml keys."""
        super().__init__(
            domain, host=host, port=port, db=db, username=username, password=password, **kwargs
        )
        if kwargs.get("use_ssl"):
            raise ValueError("StrictRedisTrackerStore: TLS is not wired up; use a local Redis")
        self.red = _client(
            host,
            port,
            db,
            username,
            password,
            float(socket_timeout),
            sentinels,
            sentinel_service,
        )
        # Conversations whose last read failed: their stand-in tracker must not be saved.
        self._unread: set[str] = set()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session's tracker, or a paused stand-in when Redis cannot be read."""
        return await self._read(sender_id, full=False)

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """All sessions' tracker, or a paused stand-in when Redis cannot be read."""
        return await self._read(sender_id, full=True)

    async def _read(self, sender_id: str, full: bool) -> DialogueStateTracker | None:
        try:
            if full:
                tracker = await super().retrieve_full_tracker(sender_id)
            else:
                tracker = await super().retrieve(sender_id)
        except redis.exceptions.RedisError as error:
            logger.error("tracker_store_unavailable op=read kind=%s", type(error).__name__)
            self._unread.add(sender_id)
            return self._stand_in(sender_id)
        self._unread.discard(sender_id)
        return tracker

    def _stand_in(self, sender_id: str) -> DialogueStateTracker:
        """A tracker whose session has started and which is paused: no action runs on it."""
        tracker = self.init_tracker(sender_id)
        for event in (
            ActionExecuted(ACTION_SESSION_START_NAME),
            SessionStarted(),
            ActionExecuted(ACTION_LISTEN_NAME),
            ConversationPaused(),
        ):
            tracker.update(event)
        return tracker

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """Save to Redis; on failure log and drop (never into memory)."""
        if tracker.sender_id in self._unread:
            self._unread.discard(tracker.sender_id)
            logger.error("tracker_not_saved reason=unreadable")
            return
        try:
            await super().save(tracker, timeout)
        except redis.exceptions.RedisError as error:
            logger.error("tracker_store_unavailable op=save kind=%s", type(error).__name__)


class ExpiringRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store, with an expiry on every lock key (its last ticket's lifetime)."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        """Rasa passes the whole endpoints.yml entry for a lock store given by module path."""
        options = dict(endpoint_config.kwargs)
        super().__init__(
            host=endpoint_config.url or "localhost",
            port=int(options.get("port", 6379)),
            db=int(options.get("db", 1)),
            username=options.get("username"),
            password=options.get("password") or None,
            key_prefix=options.get("key_prefix"),
            socket_timeout=float(options.get("socket_timeout", SOCKET_TIMEOUT_SECONDS)),
        )
        self.red = _client(
            endpoint_config.url or "localhost",
            int(options.get("port", 6379)),
            int(options.get("db", 1)),
            options.get("username"),
            options.get("password"),
            float(options.get("socket_timeout", SOCKET_TIMEOUT_SECONDS)),
            options.get("sentinels"),
            options.get("sentinel_service"),
        )

    def save_lock(self, lock: TicketLock) -> None:
        """Store the lock until its last ticket expires (at least one second)."""
        expires = max((ticket.expires for ticket in lock.tickets), default=time.time())
        ttl = max(1, math.ceil(expires - time.time()))
        self.red.set(self.key_prefix + lock.conversation_id, lock.dumps(), ex=ttl)
