"""Limits on staff sign-in attempts that a stranger cannot turn into a lockout of one staff member.

A per-name lockout that counts every failure lets anyone who knows a staff name lock that person
out. So the gates here know nothing of names: each client (a keyed hash of its address,
bot/limits/rates.py) gets a number of attempts per window and all clients together get a number
per minute, counted in Redis across every gateway; and at most a few slow password checks
(scrypt, ~16 MiB and tens of ms each) run at once in each process, so the sign-in cannot be used
to burn a gateway's CPU or memory. When Redis cannot be reached the counts let attempts through
(the sign-in itself then fails on Redis); the cap on concurrent checks still holds. The per-name
limit lives in bot/staff/auth.py and counts only failed second factors after a right account
token, which only a holder of the token can cause.

A trade-off, chosen on purpose: the global gate lets a guesser spread over many addresses hold up
new sign-ins for everyone (consoles already signed in keep working, for up to 12 hours). Without
it, the same guesser could keep the password checks busy all the time, and the CPU they use is
the CPU that answers people, 112 included.
"""

from __future__ import annotations

import asyncio
import logging
import math

from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from bot.config import Settings
from bot.errors import TooManyRequests
from bot.limits.rates import ClientKeys, RateLimiter

logger = logging.getLogger(__name__)

GLOBAL_WINDOW_SECONDS = 60


def wait_text(seconds: int) -> str:
    """'Wait N minutes' (or seconds), for the 429 message."""
    if seconds < 90:
        return f"Too many sign-in attempts. Wait {seconds} seconds and try again."
    return f"Too many sign-in attempts. Wait {math.ceil(seconds / 60)} minutes and try again."


class SignInThrottle:
    """Admit a sign-in attempt or refuse it with 429 and Retry-After; cap concurrent checks."""

    def __init__(
        self,
        client_keys: ClientKeys,
        limiter: RateLimiter,
        *,
        per_client: int,
        client_window_seconds: int,
        global_per_minute: int,
        concurrent_checks: int,
    ) -> None:
        self._client_keys = client_keys
        self._limiter = limiter
        self._per_client = per_client
        self._client_window = client_window_seconds
        self._global_per_minute = global_per_minute
        self._concurrent = concurrent_checks
        self._checks: asyncio.Semaphore | None = None

    @classmethod
    def from_settings(cls, redis: Redis, settings: Settings) -> SignInThrottle:
        """The gates on the gateway's Redis, keyed like the widget's limits."""
        return cls(
            ClientKeys(
                settings.rate_limit_secret.get_secret_value().encode(),
                settings.trusted_proxy_hops,
            ),
            RateLimiter(redis, settings.key_prefix),
            per_client=settings.staff_login_client_attempts,
            client_window_seconds=settings.staff_login_client_window_seconds,
            global_per_minute=settings.staff_login_global_per_minute,
            concurrent_checks=settings.staff_login_concurrent_checks,
        )

    def client_of(self, connection: HTTPConnection) -> str:
        """The client's pseudonymous key (never its address)."""
        return self._client_keys.of(connection)

    async def admit(self, client_key: str) -> None:
        """Count one attempt; 429 when this client or everyone together has tried too often.

        The client is checked first, so one client cannot use up everyone's budget.
        """
        retry = await self._limiter.hit(
            "staff_sign_in", client_key, self._per_client, self._client_window
        )
        scope = "client"
        if retry is None:
            retry = await self._limiter.hit(
                "staff_sign_in_all", "all", self._global_per_minute, GLOBAL_WINDOW_SECONDS
            )
            scope = "global"
        if retry is not None:
            logger.info("staff_sign_in_throttled scope=%s", scope)
            raise TooManyRequests(wait_text(retry), retry_after_seconds=retry)

    @property
    def checks(self) -> asyncio.Semaphore:
        """Held while a password check runs (made on first use, inside the running loop)."""
        if self._checks is None:
            self._checks = asyncio.Semaphore(self._concurrent)
        return self._checks
