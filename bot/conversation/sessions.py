"""Anonymous widget sessions in Redis: a random id and a token whose hash alone is stored."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bot.errors import SessionExpired, Unauthorized
from bot.handoff.counters import DailyCounters
from bot.handoff.states import HandoffState
from bot.store import Keys, WindowLimit, lua_script

_AUTHENTICATE = lua_script("sessions/authenticate", "lib/moving_window")
_KEEP = lua_script("sessions/keep")
_SET_PAUSED_IF_EXISTS = lua_script("sessions/set_paused_if_exists")
_CREATE = lua_script("sessions/create")


class SessionsFull(Exception):
    """HRV_MAX_OPEN_SESSIONS sessions are open; the route answers with the safe reply."""


_ERASE = lua_script("sessions/erase", "lib/drop_handoff", "lib/count_ending")


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Session:
    """What the gateway keeps about a conversation: nothing about the person or the client."""

    id: str
    lang: str
    # False while `lang` is only the default: nobody picked it and no message confirmed it.
    lang_settled: bool
    handoff: HandoffState
    handoff_id: str
    rasa_paused: bool = False
    # The kind of the first danger the safety layer found (no text): a handoff asked for later
    # goes to the front of the queue with this mark.
    risk: str = ""
    # The kind the layer was unsure of when it asked "Are you in danger right now?".
    asked_kind: str = ""
    # Where the person writes from: "widget", or "telegram" for a Telegram chat's session.
    channel: str = "widget"


def _session(session_id: str, data: dict[str, str]) -> Session:
    return Session(
        id=session_id,
        lang=data.get("lang", ""),
        lang_settled=bool(data.get("lang_settled")),
        handoff=HandoffState(data.get("handoff") or HandoffState.NONE),
        handoff_id=data.get("handoff_id", ""),
        rasa_paused=data.get("rasa_paused") == "1",
        risk=data.get("risk", ""),
        asked_kind=data.get("asked_kind", ""),
        channel=data.get("channel") or "widget",
    )


@dataclass(frozen=True)
class Admitted:
    """An authenticated session, and whether a rate limit refused the request: then which one
    (its position among those asked) and the seconds to wait."""

    session: Session
    refused_by: int | None = None
    retry_after: int = 0


@dataclass(frozen=True)
class Kept:
    """The result of a turn's last write: whether the session is still there, and how many
    milliseconds Rasa's tracker of it has left (negative when there is none)."""

    exists: bool
    tracker_ttl_ms: int


class SessionStore:
    """Create, authenticate, update and erase sessions; every write refreshes the TTL."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        ttl_seconds: int,
        max_open: int = 0,
        clock: Callable[[], float] = time.time,
        stats_retention_days: int = 400,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_seconds
        # A quick exit from an open handoff counts as the person leaving it (no id is kept).
        self._counters = DailyCounters(keys, stats_retention_days)
        self._max_open = max_open
        self._clock = clock
        self._create = redis.register_script(_CREATE)
        self._set_if_exists = redis.register_script(_SET_PAUSED_IF_EXISTS)
        self._authenticate = redis.register_script(_AUTHENTICATE)
        self._keep = redis.register_script(_KEEP)
        self._erase = redis.register_script(_ERASE)

    def _expires_ms(self) -> tuple[int, int]:
        now = int(self._clock() * 1000)
        return now, now + self._ttl * 1000

    def _count_open(self, pipe: Pipeline, session_id: str) -> None:
        """Add the session to the open set, or move its expiry there, in `pipe`."""
        _, expires = self._expires_ms()
        opened = self._keys.open_sessions()
        pipe.zadd(opened, {session_id: expires})
        pipe.expire(opened, self._ttl)

    async def create(self, lang: str, settled: bool = False) -> tuple[str, str]:
        """A new session; returns (session_id, token). Only the token's hash is stored.

        `settled` says the person chose `lang`; otherwise it is the default until confirmed.
        SessionsFull when `max_open` sessions are open already (nothing is written then).
        """
        session_id = secrets.token_urlsafe(16)
        token = secrets.token_urlsafe(32)
        fields = {
            "token_hash": _hash_token(token),
            "lang": lang,
            "lang_settled": "1" if settled else "",
            "handoff": HandoffState.NONE,
            "handoff_id": "",
        }
        now, expires = self._expires_ms()
        created = await self._create(
            keys=[self._keys.session(session_id), self._keys.open_sessions()],
            args=[
                now,
                expires,
                self._ttl,
                self._max_open,
                session_id,
                *(part for item in fields.items() for part in item),
            ],
        )
        if not created:
            raise SessionsFull
        return session_id, token

    async def authenticate(self, session_id: str, token: str | None) -> Session:
        """The session if `token` is its token; 404 when unknown or expired, 401 when wrong."""
        return (await self.admit(session_id, token)).session

    async def admit(
        self, session_id: str, token: str | None, limits: Sequence[WindowLimit] = ()
    ) -> Admitted:
        """The session if `token` is its token (404 when unknown or expired, 401 when wrong),
        with the request counted against `limits` in order until one refuses it: one round trip."""
        now = self._clock()
        answer = await self._authenticate(
            keys=[self._keys.session(session_id), *(limit.key for limit in limits)],
            args=[
                _hash_token(token) if token else "",  # the script never matches "" (channels)
                now,
                *(part for limit in limits for part in (limit.limit, limit.window_seconds)),
            ],
        )
        status = int(answer[0])
        if status == 0:
            raise SessionExpired("This conversation does not exist or has ended. Start a new one.")
        if status < 0:
            raise Unauthorized("The token does not match this conversation.")
        retry, refused_by, flat = int(answer[1]), int(answer[2]), answer[3]
        session = _session(session_id, dict(zip(flat[::2], flat[1::2], strict=True)))
        if not retry:
            return Admitted(session)
        return Admitted(session, refused_by - 1, retry)

    async def open_channel(
        self, session_id: str, lang: str, channel: str, fields: dict[str, str]
    ) -> Session:
        """A channel's session under an id the channel derived (no bearer token: the widget API
        refuses it); created with `lang` when new, `fields` set only when missing."""
        key = self._keys.session(session_id)
        new = {"token_hash": "", "lang": lang, "lang_settled": ""}
        async with self._redis.pipeline(transaction=True) as pipe:
            extra = {"handoff": HandoffState.NONE, "handoff_id": "", "channel": channel, **fields}
            for name, value in {**new, **extra}.items():
                pipe.hsetnx(key, name, value)
            pipe.expire(key, self._ttl)
            # Counted, never refused (docs/OPERATIONS.md, abuse limits).
            self._count_open(pipe, session_id)
            pipe.hgetall(key)
            data = (await pipe.execute())[-1]
        return _session(session_id, data)

    async def get(self, session_id: str) -> Session | None:
        """The session as stored, without a token check (for channels and delivery)."""
        data = await self._redis.hgetall(self._keys.session(session_id))
        return _session(session_id, data) if data else None

    async def field(self, session_id: str, name: str) -> str | None:
        """One stored field of the session (e.g. its channel)."""
        return await self._redis.hget(self._keys.session(session_id), name)

    async def keep(self, session_id: str, **fields: str) -> Kept:
        """Change fields of a session that still exists and keep it alive for another TTL, and
        read how long Rasa's tracker has left, in one round trip (a turn's last write).
        An erased session is not brought back: nothing is written then."""
        _, expires = self._expires_ms()
        pairs = [item for name_value in fields.items() for item in name_value]
        exists, tracker_ttl_ms = await self._keep(
            keys=[
                self._keys.session(session_id),
                self._keys.open_sessions(),
                self._keys.rasa_tracker(session_id),
            ],
            args=[self._ttl, expires, session_id, *pairs],
        )
        return Kept(bool(exists), int(tracker_ttl_ms))

    async def handoff_state(self, session_id: str) -> HandoffState:
        """The session's handoff state as stored now (a staff member may have changed it)."""
        state = await self._redis.hget(self._keys.session(session_id), "handoff")
        return HandoffState(state or HandoffState.NONE)

    async def set_rasa_paused(self, session_id: str, paused: bool) -> None:
        """Remember whether Rasa's tracker holds a `pause`; never recreates an erased session."""
        await self._set_if_exists(
            keys=[self._keys.session(session_id)], args=["1" if paused else "", self._ttl]
        )

    async def erase(self, session_id: str) -> None:
        """Delete everything about the session now: its hash, its handoff (with the transcript)
        and Rasa's tracker. Earlier handoffs of the session were deleted when it asked again."""
        now = int(self._clock() * 1000)
        stats, stats_expire_at = self._counters.target(now)
        await self._erase(
            keys=[
                self._keys.session(session_id),
                self._keys.rasa_tracker(session_id),
                self._keys.handoff_queue(),
                self._keys.handoff_leases(),
                self._keys.open_sessions(),
                stats,
            ],
            args=[*self._keys.handoff_key_parts(), session_id, now, stats_expire_at],
        )
