"""Readiness for an orchestrator: can this gateway answer people properly right now?

`/healthz` only says the process runs. `/readyz` asks each part the gateway needs, at once and
each within a short timeout: Redis (PING), Rasa (`/status`, with its token), the action server
(`/health`), and whether Rasa really stores conversations in Redis (Rasa 3.6 can fall back to
memory silently; see rasa_plugins/stores.py): a probe conversation gets one event through Rasa's
API, its tracker key must then be fresh in Redis, and the probe is deleted again.
With several Rasa replicas, Rasa is ready when at least one answers (the conversations of the
others go to it, bot/conversation/rasa_client.py); the store probe goes through one that answered.
Replicas that did not answer are logged by count, so an operator sees a degraded set.
The answer names the parts and says ok or failed; never an address, error text or secret.
/readyz needs no token and is exempt from rate limits, so one result serves every call for
`cache_seconds` and concurrent calls share one check: hammering it costs Rasa at most one probe
per second per gateway process.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.conversation.rasa_client import TrackerCheck
from bot.store import Keys

logger = logging.getLogger(__name__)

PARTS = ("redis", "rasa", "actions", "rasa_store")
PROBE_PREFIX = "readyz"  # sender ids of the probe conversations (deleted after each check)


@dataclass
class Readiness:
    """Checks the parts; `check()` returns each part's name and whether it is ready."""

    redis: Redis
    http: httpx.AsyncClient
    keys: Keys
    rasa_urls: str | Sequence[str]  # one Rasa, or its replicas
    rasa_token: str
    actions_url: str
    session_ttl_seconds: int
    timeout: float
    cache_seconds: float = 1.0
    _last: tuple[float, dict[str, bool]] | None = field(default=None, init=False, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    async def check(self) -> dict[str, bool]:
        """Each part's readiness, at most `cache_seconds` old."""
        async with self._lock:
            if self._last is None or time.monotonic() - self._last[0] >= self.cache_seconds:
                self._last = (time.monotonic(), await self._check_all())
            return dict(self._last[1])

    async def _check_all(self) -> dict[str, bool]:
        """Every part at once; a part that does not answer within the timeout is not ready."""
        urls = [self.rasa_urls] if isinstance(self.rasa_urls, str) else list(self.rasa_urls)
        redis_ok, actions_ok, *replicas_ok = await asyncio.gather(
            self._bounded(self._redis()),
            self._bounded(self._actions()),
            *(self._bounded(self._rasa(url)) for url in urls),
        )
        answering = [url for url, ok in zip(urls, replicas_ok, strict=True) if ok]
        if answering and len(answering) < len(urls):
            logger.warning(
                "rasa_replicas_down count=%d of=%d", len(urls) - len(answering), len(urls)
            )
        rasa_ok = bool(answering)
        store_ok = redis_ok and rasa_ok and await self._bounded(self._rasa_store(answering[0]))
        result = {"redis": redis_ok, "rasa": rasa_ok, "actions": actions_ok, "rasa_store": store_ok}
        failed = [name for name, ok in result.items() if not ok]
        if failed:
            logger.warning("not_ready parts=%s", ",".join(failed))
        return result

    async def _bounded(self, probe: Awaitable[bool]) -> bool:
        try:
            return bool(await asyncio.wait_for(probe, self.timeout))
        except (TimeoutError, RedisError, httpx.HTTPError, ValueError):
            return False

    async def _redis(self) -> bool:
        return bool(await self.redis.ping())

    async def _get_ok(self, url: str, params: dict[str, str] | None = None) -> bool:
        response = await self.http.get(url, params=params, timeout=self.timeout)
        return response.status_code == 200

    async def _rasa(self, url: str) -> bool:
        return await self._get_ok(f"{url.rstrip('/')}/status", {"token": self.rasa_token})

    async def _actions(self) -> bool:
        return await self._get_ok(f"{self.actions_url.rstrip('/')}/health")

    async def _rasa_store(self, rasa_url: str) -> bool:
        """One event through Rasa for a throwaway conversation; Rasa must save it to Redis."""
        sender = f"{PROBE_PREFIX}{secrets.token_hex(8)}"
        started = time.monotonic()
        try:
            response = await self.http.post(
                f"{rasa_url.rstrip('/')}/conversations/{sender}/tracker/events",
                params={"token": self.rasa_token, "include_events": "NONE"},
                json={"event": "pause"},
                timeout=self.timeout,
            )
            if response.status_code != 200:
                return False
            check = TrackerCheck(self.redis, self.keys, self.session_ttl_seconds)
            return await check.stored_since(sender, started)
        finally:
            await self.redis.delete(self.keys.rasa_tracker(sender))
