"""In-memory rate limits keyed by a keyed hash of the client, never by its address.

The address (or the first untrusted X-Forwarded-For hop behind `trusted_proxy_hops` proxies) is
hashed with HMAC under a random key made at start-up and never stored, so a key cannot be turned
back into an address, not even by whoever reads this process's memory after a restart. Windows
are minutes long and forgotten after that; nothing reaches Redis or a log. Each gateway process
limits on its own (a client spread over N processes gets at most N times the limit): good enough
against floods, and no client key ever leaves the process.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import time
from collections import deque
from collections.abc import Callable

from starlette.requests import HTTPConnection


class ClientKeys:
    """Turn a request into a short-lived pseudonymous key for rate limiting."""

    def __init__(self, trusted_proxy_hops: int = 0, secret: bytes | None = None) -> None:
        self._hops = trusted_proxy_hops
        self._secret = secret or secrets.token_bytes(32)

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
        return hmac.new(self._secret, address, hashlib.sha256).hexdigest()[:32]


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
    """Sliding-window counters in memory: `hit` counts an event and says when to retry."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self._clock = clock
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, limit: int, window_seconds: float) -> int | None:
        """Count one event for `key`; None when allowed, else seconds until one more is allowed.

        A refused event is not counted, so a client that waits is let in again on time.
        """
        now = self._clock()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self._max_keys:
                self.forget_old(window_seconds)
            while len(self._hits) >= self._max_keys:  # still full: drop the oldest keys
                del self._hits[next(iter(self._hits))]
            hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - window_seconds:
            hits.popleft()
        if len(hits) >= limit:
            return max(1, math.ceil(hits[0] + window_seconds - now))
        hits.append(now)
        return None

    def forget_old(self, window_seconds: float) -> None:
        """Drop keys with no event inside the window (memory stays bounded)."""
        cutoff = self._clock() - window_seconds
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= cutoff]:
            del self._hits[key]

    def __len__(self) -> int:
        return len(self._hits)
