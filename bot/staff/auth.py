"""Staff accounts and console sessions in Redis: an account token plus a TOTP code signs in.

`hrv-guide staff add NAME` makes an account token `NAME.<256 random bits>` and a TOTP key. Only
the token's scrypt hash (per-account salt) is stored, and the TOTP key only encrypted under a key
derived from the token: a copy of Redis alone gives neither factor, and cannot be used to sign in
(see docs/ARCHITECTURE.md "Staff sign-in"). Signing in exchanges token + code for a new console
session token (256 random bits, stored as SHA-256 only) with an idle and an absolute timeout. A
code is accepted once: the last accepted step is kept per account and checked atomically.

Throttling (bot/staff/throttle.py) is per client and global, never per name alone; the per-name
limit here counts only wrong codes after a right token, which a stranger cannot cause.
Every account has a role (bot/staff/roles.py), read with the session on every call.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.config import Settings
from bot.errors import BadInput, Conflict, TooManyRequests, Unauthorized
from bot.staff import totp
from bot.staff.audit import AuditLog
from bot.staff.roles import Role, role_of
from bot.staff.sealed_totp import seal, unseal
from bot.staff.throttle import SignInThrottle, wait_text
from bot.store import Keys, lua_script

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,31}$")
# scrypt, 16 MiB and ~50 ms per check: only at sign-in, never per request.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}
_DUMMY_SALT = bytes(16)
# One message for every refused sign-in: it never says which factor was wrong.
WRONG_SIGN_IN = "The token or the code is not valid."

_ACCEPT_CODE = lua_script("staff/accept_code")


def _scrypt(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT).hex()


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewAccount:
    """What `add` hands out once: the account token and the TOTP key for an authenticator app."""

    name: str
    token: str
    totp_secret: str  # base32
    totp_uri: str
    role: Role = Role.STAFF

    def code(self, unix_time: float) -> str:
        """The TOTP code at a moment (tests and scripts sign in with it)."""
        return totp.code_at(totp.from_base32(self.totp_secret), unix_time)


@dataclass(frozen=True)
class StaffMember:
    """A signed-in staff member: the account name, which console session, when it idles out,
    and the account's role."""

    name: str
    session_hash: str
    idle_until: float = 0.0
    role: Role = Role.STAFF

    @property
    def is_supervisor(self) -> bool:
        """Whether the account may supervise (every open chat, statistics)."""
        return self.role == Role.SUPERVISOR


@dataclass(frozen=True)
class SignedIn:
    """A new console session; the token is shown once and kept in the console's memory."""

    name: str
    token: str
    role: Role = Role.STAFF


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
        throttle: SignInThrottle | None = None,
        audit_repeat_seconds: float = 300,
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
        self._throttle = throttle
        self._audit_repeat = audit_repeat_seconds
        self._clock = clock
        self._accept_code = redis.register_script(_ACCEPT_CODE)

    @classmethod
    def from_settings(
        cls,
        redis: Redis,
        keys: Keys,
        audit: AuditLog,
        settings: Settings,
        clock: Callable[[], float] = time.time,
    ) -> StaffAuth:
        """The one way the gateway and the `hrv-guide staff` command build it."""
        throttle = SignInThrottle.from_settings(redis, settings)
        return cls(
            redis,
            keys,
            audit,
            account_ttl_seconds=settings.staff_account_ttl_seconds,
            idle_seconds=settings.staff_session_idle_seconds,
            absolute_seconds=settings.staff_session_absolute_seconds,
            max_failures=settings.staff_login_max_failures,
            failure_window_seconds=settings.staff_login_window_seconds,
            throttle=throttle,
            audit_repeat_seconds=settings.audit_repeat_seconds,
            clock=clock,
        )

    @property
    def idle_seconds(self) -> int:
        """How long a console session lives without an action by the staff member."""
        return self._idle

    @property
    def throttle(self) -> SignInThrottle | None:
        """The sign-in gates (the route asks it for the client's key)."""
        return self._throttle

    async def add(self, name: str, role: Role = Role.STAFF) -> NewAccount:
        """Create an account with a role; returns its token and TOTP key (shown once, neither
        is stored)."""
        if not NAME.match(name):
            raise BadInput("A name is 2-32 characters: a-z, 0-9, '-' and '_'.")
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        totp_key = totp.new_secret()
        digest = await asyncio.to_thread(_scrypt, secret, salt)
        created = await self._redis.hsetnx(self._keys.staff_account(name), "hash", digest)
        if not created:
            raise Conflict(f"The account {name!r} exists already.")
        key = self._keys.staff_account(name)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                key,
                mapping={
                    "salt": salt.hex(),
                    "totp": seal(totp_key, secret, salt),
                    "created_at": int(self._clock()),
                    "role": Role(role),
                },
            )
            pipe.expire(key, self._account_ttl)
            await pipe.execute()
        await self._audit.record(name, "account_added")
        return NewAccount(
            name=name,
            token=f"{name}.{secret}",
            totp_secret=totp.to_base32(totp_key),
            totp_uri=totp.provisioning_uri(totp_key, name),
            role=Role(role),
        )

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

    async def sign_in(self, token: str, code: str, client: str = "") -> SignedIn:
        """Check the account token and the TOTP code; 401 (one message) if either is wrong, 429
        when this client or everyone tried too often, or after too many wrong codes for a right
        token. `client` is the keyed hash of the caller's address (bot/limits/rates.py)."""
        if self._throttle is not None:
            await self._throttle.admit(client)
        name, _, secret = token.strip().rpartition(".")
        if not NAME.match(name):
            name, secret = "", ""
        account = await self._redis.hgetall(self._keys.staff_account(name)) if name else {}
        salt = bytes.fromhex(account["salt"]) if account.get("salt") else _DUMMY_SALT
        digest = await self._scrypt_check(secret, salt)  # same cost when unknown
        if not account or not hmac.compare_digest(digest, account.get("hash", "")):
            # A wrong token costs a guesser nothing: recorded at most once per repeat interval,
            # so a flood cannot push real entries out of the capped log.
            await self._audit.record(
                name if account else "?", "sign_in_failed", at_most_every=self._audit_repeat
            )
            raise Unauthorized(WRONG_SIGN_IN)
        step = -1
        if account.get("totp"):
            totp_key = unseal(account["totp"], secret, salt)
            matched = totp.matching_step(totp_key, code, self._clock())
            step = -1 if matched is None else matched
        failures_key = self._keys.staff_login_failures(name)
        status, wait = await self._accept_code(
            keys=[self._keys.staff_account(name), failures_key],
            args=[step, self._max_failures, self._window],
        )
        if status == "throttled":
            await self._audit.record(name, "sign_in_throttled")
            wait = max(1, int(wait))
            raise TooManyRequests(wait_text(wait), retry_after_seconds=wait)
        if status != "ok":
            await self._audit.record(name, "sign_in_failed")
            raise Unauthorized(WRONG_SIGN_IN)
        signed_in = await self._new_session(name, account["salt"], role_of(account.get("role")))
        await self._audit.record(name, "signed_in")
        return signed_in

    async def authenticate(self, token: str | None, *, renew: bool = True) -> StaffMember:
        """The staff member behind a console session token; 401 when missing or ended.

        `renew` moves the idle timeout: only calls a person makes at the console do that, never
        the console's own timers (heartbeat, list refresh, event polling), so an unattended
        console signs out after the idle time.
        """
        if not token:
            await self._refused("?")
            raise Unauthorized("Sign in first.")
        session_hash = _sha256(token)
        key = self._keys.staff_session(session_hash)
        data = await self._redis.hgetall(key)
        now = self._clock()
        # The account must still be the one signed in to: a sign-in racing `remove()` can write
        # its session after the account and its session list were deleted, and the name may have
        # been added again since (the salt is new for every account).
        account_salt, role = (
            await self._redis.hmget(self._keys.staff_account(data.get("name", "")), "salt", "role")
            if data
            else (None, None)
        )
        account_exists = bool(account_salt) and hmac.compare_digest(
            account_salt or "", data.get("account", "")
        )
        if (
            not account_exists
            or float(data.get("absolute_until", 0)) <= now
            or float(data.get("idle_until", 0)) <= now
        ):
            if data:
                await self._redis.delete(key)
                await self._redis.srem(
                    self._keys.staff_account_sessions(data.get("name", "")), session_hash
                )
            await self._refused(data["name"] if account_exists else "?")
            raise Unauthorized("Your session has ended. Sign in again.")
        idle_until = float(data["idle_until"])
        if renew:
            absolute_until = float(data["absolute_until"])
            idle_until = min(float(_whole_seconds(now + self._idle)), absolute_until)
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, "idle_until", _whole_seconds(idle_until))
                pipe.expire(key, max(1, int(idle_until - now) + 1))
                await pipe.execute()
        return StaffMember(
            name=data["name"], session_hash=session_hash, idle_until=idle_until, role=role_of(role)
        )

    async def still_signed_in(self, token: str) -> bool:
        """Whether the session is still valid, without renewing it (for long-lived streams)."""
        try:
            await self.authenticate(token, renew=False)
        except Unauthorized:
            return False
        return True

    async def sign_out(self, member: StaffMember) -> int:
        """End this console session; returns how many other sessions the account still has."""
        await self._redis.delete(self._keys.staff_session(member.session_hash))
        await self._redis.srem(self._keys.staff_account_sessions(member.name), member.session_hash)
        await self._audit.record(member.name, "signed_out")
        return await self.live_sessions(member.name)

    async def live_sessions(self, name: str) -> int:
        """How many console sessions of the account have not ended (ended ones are dropped)."""
        sessions_key = self._keys.staff_account_sessions(name)
        hashes = sorted(await self._redis.smembers(sessions_key))
        if not hashes:
            return 0
        async with self._redis.pipeline(transaction=False) as pipe:
            for session_hash in hashes:
                pipe.hmget(self._keys.staff_session(session_hash), "idle_until", "absolute_until")
            rows = await pipe.execute()
        now = self._clock()
        ended = [h for h, row in zip(hashes, rows, strict=True) if not _alive(row, now)]
        if ended:
            await self._redis.srem(sessions_key, *ended)
        return len(hashes) - len(ended)

    async def _scrypt_check(self, secret: str, salt: bytes) -> str:
        if self._throttle is None:
            return await asyncio.to_thread(_scrypt, secret, salt)
        async with self._throttle.checks:
            return await asyncio.to_thread(_scrypt, secret, salt)

    async def _new_session(self, name: str, account_salt: str, role: Role) -> SignedIn:
        """A console session bound to this account by its random salt, so a session written
        while the account was being removed never works for a new account of the same name."""
        session_token = secrets.token_urlsafe(32)
        session_hash = _sha256(session_token)
        now = self._clock()
        session_key = self._keys.staff_session(session_hash)
        sessions_key = self._keys.staff_account_sessions(name)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                session_key,
                mapping={
                    "name": name,
                    "account": account_salt,
                    "created_at": int(now),
                    "idle_until": _whole_seconds(now + self._idle),
                    "absolute_until": _whole_seconds(now + self._absolute),
                },
            )
            pipe.expire(session_key, self._idle + 1)
            pipe.sadd(sessions_key, session_hash)
            pipe.expire(sessions_key, self._absolute)
            pipe.expire(self._keys.staff_account(name), self._account_ttl)
            await pipe.execute()
        return SignedIn(name=name, token=session_token, role=role)

    async def _refused(self, who: str) -> None:
        """Audit a refused call: `session_ended` for a known account's ended session, `?` for a
        caller without any valid session; each at most once per account (or once for all `?`)
        per period per process, so a flood of old or bad tokens cannot crowd real entries out
        of the capped log."""
        if who != "?":
            await self._audit.record(who, "refused_session_ended", at_most_every=self._audit_repeat)
        else:
            await self._audit.record(
                "?", "refused_unauthenticated", at_most_every=self._audit_repeat
            )


def _alive(row: list[str | None], now: float) -> bool:
    idle_until, absolute_until = row
    if not idle_until or not absolute_until:
        return False
    return min(float(idle_until), float(absolute_until)) > now


def _whole_seconds(moment: float) -> int:
    """A time as stored: whole seconds, rounded up (a session never ends early). Why: a float's
    digits ("1796623034.0208154") can read as a phone number, and the privacy audit rightly
    flags what looks like one."""
    return math.ceil(moment)
