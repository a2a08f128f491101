"""Rate limits counted in Redis, shared by every gateway, keyed by keyed hashes, never addresses.

Counting: a moving window in Lua (bot/lua/lib/moving_window.lua) on the gateway's own client
(so it follows the gateway's Redis, Sentinel included). One key per limit and subject under
`<prefix>:limits:`, a list of the last hits' times, trimmed to the limit and expiring with the
window; one round trip per check, which also says when to retry after a refusal. A widget
message's limits are counted in the same script that reads its session (SessionStore.admit),
so the message costs one round trip before its turn: why this is a script of our own and not the
`limits` library, which counts one limit per call. Gateways stamp hits with their own clocks, so
their clocks must agree (NTP).

When Redis cannot be reached a check on its own lets the event through (fails open) and logs it:
a person in danger must still get an answer, and the route that follows reports the outage itself
(503 with the safe reply, 112 first) when it needs Redis; a message's session cannot be read then
either, so its route answers with that reply at once.

Client keys: the address (or the first untrusted X-Forwarded-For hop behind `trusted_proxy_hops`
proxies) is hashed with HMAC under a key derived per UTC day from HRV_RATE_LIMIT_SECRET. Every
gateway with the same setting gets the same key for a client; the key rotates daily; the secret
is never written to Redis, so the hashes in Redis (or in a copy of it) cannot be matched against
the small space of addresses. No address is ever stored or logged. Session ids are hashed the
same way, so a count left for its last minute after a chat is erased names no session.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.requests import HTTPConnection

from bot.store import WindowLimit, lua_script

logger = logging.getLogger(__name__)

DAY = 24 * 3600


class ClientKeys:
    """Turn a request into a pseudonymous key for rate limiting, the same on every gateway."""

    def __init__(
        self,
        secret: bytes,
        trusted_proxy_hops: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._hops = trusted_proxy_hops
        self._secret = secret
        self._clock = clock
        self._day = -1
        self._day_key = b""

    def address_of(self, connection: HTTPConnection) -> str:
        """The client's address: the socket peer, or the hop the trusted proxies saw.

        Behind N trusted proxies the N-th address from the right of X-Forwarded-For is the one the
        outermost trusted proxy saw; anything left of it was written by the client and is ignored.
        """
        peer = connection.client.host if connection.client else ""
        if self._hops <= 0:
            return peer
        forwarded = [
            part.strip()
            for value in connection.headers.getlist("x-forwarded-for")
            for part in value.split(",")
            if part.strip()
        ]
        return forwarded[-self._hops] if len(forwarded) >= self._hops else peer

    def of(self, connection: HTTPConnection) -> str:
        """The keyed hash of the client's address (hex, 32 characters).

        An IPv6 client counts by its /64: one subscriber usually has a whole /64, and keying by
        the full address would give them unlimited fresh "clients"."""
        address = _client_network(self.address_of(connection)).encode()
        return hmac.new(self._key(), address, hashlib.sha256).hexdigest()[:32]

    def of_session(self, session_id: str) -> str:
        """A session's key for its limits (hex, 32 characters): not its id, so a counter left
        for a minute after the chat is erased names nothing that still exists."""
        label = b"session/" + session_id.encode()
        return hmac.new(self._key(), label, hashlib.sha256).hexdigest()[:32]

    def _key(self) -> bytes:
        """Today's key (UTC day): derived, so gateways agree on it without talking."""
        day = int(self._clock() // DAY)
        if day != self._day:
            label = f"rate-limit-client-key/{day}".encode()
            self._day_key = hmac.new(self._secret, label, hashlib.sha256).digest()
            self._day = day
        return self._day_key


def _client_network(address: str) -> str:
    """The address itself for IPv4 (or anything unparsable), its /64 for IPv6."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 client a.b.c.d
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class RateLimiter:
    """Moving-window limits in Redis: `hit` counts an event and says when to retry."""

    def __init__(self, redis: Redis, prefix: str, clock: Callable[[], float] = time.time) -> None:
        self._prefix = f"{prefix}:limits"
        self._hit = redis.register_script(lua_script("limits/hit", "lib/moving_window"))
        self._clock = clock

    def window(self, kind: str, subject: str, limit: int, window_seconds: int) -> WindowLimit:
        """At most `limit` events of `kind` per `window_seconds` for `subject` (a keyed hash from
        ClientKeys, never an id or address), for a script that counts it with other work."""
        return WindowLimit(f"{self._prefix}:{kind}:{subject}", limit, window_seconds)

    async def hit(self, kind: str, subject: str, limit: int, window_seconds: int) -> int | None:
        """Count one event of `kind` for `subject`; None when allowed (or when Redis cannot be
        reached), else the seconds until one more is allowed. A refused event is not counted."""
        counted = self.window(kind, subject, limit, window_seconds)
        try:
            retry = await self._hit(
                keys=[counted.key], args=[counted.limit, counted.window_seconds, self._clock()]
            )
        except (RedisError, OSError) as error:
            logger.warning("rate_limit_unavailable kind=%s error=%s", kind, type(error).__name__)
            return None
        return int(retry) or None
