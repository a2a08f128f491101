"""Human handoff in Redis: queued -> active (one staff member, leased) -> released | closed.

Every change of state is one Lua script (bot/lua/handoff/), so two staff pressing claim at once
cannot both win and the handoff, the queue, the session, the transcript stream and the audit log
change together. Messages both ways and system events go into one Redis Stream per handoff (its
transcript); `bot/handoff/delivery.py` delivers them. Nothing lives in the gateway's memory, so any
number of gateway processes share the work. Times come from an injectable clock, so tests can move
it. Longer than our 400 lines on purpose: this one class owns every transition of a handoff.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Sequence

from redis.asyncio import Redis

from bot.errors import ApiError, BadInput, Conflict, Forbidden, NotFound, ServiceUnavailable
from bot.handoff.counters import DailyCounters
from bot.handoff.events import HandoffChanged, HandoffEvents, Transition
from bot.handoff.hours import OpeningHours
from bot.handoff.states import Enqueued, Handoff, HandoffState, Side
from bot.store import Keys, ReplicaWait, lua_script

logger = logging.getLogger(__name__)

AUDIT_MAXLEN = 100_000

# Every change of state is one script of bot/lua/handoff/ (its KEYS and ARGV at its top).
_ENQUEUE = lua_script("handoff/enqueue", "lib/drop_handoff", "lib/queue_by_risk")
_CLAIM = lua_script("handoff/claim", "lib/append_audit", "lib/open_chats")
# The scripts that end a chat count it in the day's statistics (bot/handoff/counters.py).
_END = lua_script("handoff/end", "lib/append_audit", "lib/count_ending")
_CLOSE = lua_script("handoff/close", "lib/append_audit", "lib/count_ending")
_LEAVE = lua_script("handoff/leave", "lib/append_audit", "lib/count_ending")
_SUPERVISOR_POST = lua_script("handoff/supervisor_post", "lib/append_audit")
_POST = lua_script("handoff/post", "lib/queue_by_risk")
_REQUEUE = lua_script("handoff/requeue", "lib/append_audit", "lib/count_ending")
_WAIT = lua_script("handoff/wait")
_RENEW = lua_script("handoff/renew")
_SIGN_OFF = lua_script("handoff/sign_off")
_BOT_HISTORY = lua_script("handoff/bot_history")
_TRANSFER = lua_script("handoff/transfer", "lib/append_audit", "lib/open_chats")


class QueueFull(ServiceUnavailable):
    """HRV_MAX_QUEUED_HANDOFFS wait already; nothing was written."""

    code = "queue_full"


class AtCapacity(Conflict):
    """The staff member (or the colleague) holds HRV_STAFF_MAX_OPEN_CHATS chats already."""

    code = "at_capacity"


class ColleagueOffDuty(Conflict):
    """A transfer to a colleague whose console sent no heartbeat lately."""

    code = "colleague_off_duty"


class ColleagueUnknown(NotFound):
    """A transfer to a name that is no staff account."""

    code = "colleague_not_found"


class TransferToSelf(BadInput):
    """A transfer to the staff member who holds the chat."""

    code = "transfer_to_self"


# Why a transfer to a colleague was refused (the script's status): nothing was written.
_TRANSFER_REFUSALS: dict[str, tuple[type[ApiError], str]] = {
    "self": (TransferToSelf, "This chat is yours already: choose a colleague or the queue."),
    "unknown": (ColleagueUnknown, "There is no staff account with that name."),
    "off_duty": (ColleagueOffDuty, "That colleague is not on duty now."),
    "full": (AtCapacity, "That colleague holds as many chats as they may."),
}


class Handoffs:
    """First in, first out; the queue in Redis is the single source of truth."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        ttl_seconds: int,
        *,
        hours: OpeningHours | None = None,
        wait_seconds: int = 180,
        lease_seconds: int = 45,
        on_duty_seconds: int = 30,
        audit_ttl_seconds: int = 30 * 24 * 3600,
        clock: Callable[[], float] = time.time,
        max_queued: int = 0,
        stream_maxlen: int = 1000,
        events: HandoffEvents | None = None,
        stats_retention_days: int = 400,
        max_open_chats: int = 0,
        replica_wait: ReplicaWait | None = None,
    ) -> None:
        self._redis = redis
        # Person's and staff messages are acknowledged once a replica has them (if configured).
        self._replica_wait = replica_wait or ReplicaWait()
        # Published after every change of state; the gateway subscribes its side effects.
        self.events = events or HandoffEvents()
        self._keys = keys
        self._ttl = ttl_seconds
        self._hours = hours
        self._wait_ms = wait_seconds * 1000
        self._lease_ms = lease_seconds * 1000
        self._on_duty_ms = on_duty_seconds * 1000
        self._audit_ttl = audit_ttl_seconds
        self._clock = clock
        self._max_queued = max_queued
        self._stream_maxlen = stream_maxlen
        self.max_open_chats = max_open_chats  # per staff member; 0 = no limit
        self._enqueue = redis.register_script(_ENQUEUE)
        self._claim = redis.register_script(_CLAIM)
        self._end = redis.register_script(_END)
        self._leave = redis.register_script(_LEAVE)
        self._post = redis.register_script(_POST)
        self._requeue = redis.register_script(_REQUEUE)
        self._wait = redis.register_script(_WAIT)
        self._renew = redis.register_script(_RENEW)
        self._sign_off = redis.register_script(_SIGN_OFF)
        self._transfer = redis.register_script(_TRANSFER)
        self._bot_history = redis.register_script(_BOT_HISTORY)
        self._close = redis.register_script(_CLOSE)
        self._supervisor_post = redis.register_script(_SUPERVISOR_POST)
        # Where each ending is counted: one hash per UTC day, without ids (counters.py).
        self.counters = DailyCounters(keys, stats_retention_days)

    def now_ms(self) -> int:
        """The clock in ms (tests move it)."""
        return int(self._clock() * 1000)

    # ---------- availability ----------

    async def staff_on_duty(self) -> int:
        """How many staff consoles sent a heartbeat recently."""
        since = self.now_ms() - self._on_duty_ms
        return int(await self._redis.zcount(self._keys.staff_on_duty(), since, "+inf"))

    async def on_duty_names(self) -> list[str]:
        """The staff accounts whose console sent a heartbeat recently, by name."""
        since = self.now_ms() - self._on_duty_ms
        return sorted(await self._redis.zrangebyscore(self._keys.staff_on_duty(), since, "+inf"))

    def open_now(self) -> bool:
        """Whether it is within the configured opening hours."""
        return self._hours is None or self._hours.is_open(self._clock())

    async def available(self) -> bool:
        """Open now and someone is signed in to the console."""
        return self.open_now() and await self.staff_on_duty() > 0

    # ---------- the person's side ----------

    async def enqueue(self, session_id: str, reason: str, lang: str, channel: str) -> Enqueued:
        """Queue the session for a human, once; 404 when the session no longer exists.

        When no one can answer (outside hours, nobody signed in) the person's stream gets a
        `no_staff` event at once: they are told honestly and may keep the place or leave.
        QueueFull (503) when `max_queued` handoffs wait already: nothing is written, and the
        person is told nobody can answer now (112, the national lines). A Telegram handoff goes
        into the set every gateway's delivery loop reads, in the same step.
        """
        handoff_id = secrets.token_urlsafe(12)
        available = await self.available()
        status, existing_id = await self._enqueue(
            keys=[
                self._keys.session(session_id),
                self._keys.handoff_queue(),
                self._keys.handoff(handoff_id),
                self._keys.handoff_stream(handoff_id),
                self._keys.handoff_leases(),
                self._keys.telegram_handoffs(),
            ],
            args=[
                session_id,
                handoff_id,
                reason,
                lang,
                channel,
                self.now_ms(),
                self._ttl,
                "1" if available else "0",
                *self._keys.handoff_key_parts(),
                self._max_queued,
            ],
        )
        if status == "missing":
            raise NotFound("This conversation does not exist or has ended.")
        if status == "full":
            logger.warning("handoff_queue_full reason=%s", reason)
            raise QueueFull("The queue is full: nobody can answer now.")
        if status == "queued":
            logger.info("handoff_queued reason=%s available=%s", reason, available)
            await self.events.publish(HandoffChanged(Transition.ENQUEUED, existing_id, session_id))
        return Enqueued(handoff_id=existing_id, already_queued=status == "existing")

    async def add_bot_history(
        self, handoff_id: str, session_id: str, turns: Sequence[tuple[Side, str]]
    ) -> int:
        """Copy the conversation with the bot (oldest first) into the transcript for staff only;
        how many entries were added (0 when the handoff has ended or was erased meanwhile)."""
        if any(side not in (Side.PERSON, Side.BOT) for side, _ in turns):
            raise ValueError("bot history comes from the person or the bot")
        pairs = [part for side, text in turns for part in (str(side), text)]
        if not pairs:
            return 0
        return int(
            await self._bot_history(
                keys=[self._keys.handoff(handoff_id), self._keys.handoff_stream(handoff_id)],
                args=[session_id, self.now_ms(), self._ttl, self._stream_maxlen, *pairs],
            )
        )

    async def post_from_person(
        self, handoff_id: str, session_id: str, text: str, msg_id: str | None, flags: list[str]
    ) -> HandoffState | None:
        """Add the person's message to the transcript; the state, or None when it has ended.

        `flags` are the safety layer's marks ([danger|unsure, kind]) or none: a flagged message
        marks a still-queued, unmarked handoff with the kind and moves it ahead of the unmarked
        chats, in the same script (bot/lua/handoff/post.lua).
        """
        status, _, state = await self._post_message(
            handoff_id, session_id, Side.PERSON, "", text, msg_id, flags
        )
        return HandoffState(state) if status in ("ok", "duplicate") else None

    async def leave(self, handoff_id: str, session_id: str) -> bool:
        """The person leaves the queue or the chat; False when it had already ended."""
        now = self.now_ms()
        stats, stats_expire_at = self.counters.target(now)
        status, _ = await self._leave(
            keys=[
                self._keys.handoff(handoff_id),
                self._keys.session(session_id),
                self._keys.handoff_queue(),
                self._keys.handoff_leases(),
                self._keys.handoff_stream(handoff_id),
                self._keys.audit(),
                stats,
            ],
            args=[
                handoff_id,
                session_id,
                now,
                self._ttl,
                self._audit_ttl,
                AUDIT_MAXLEN,
                stats_expire_at,
            ],
        )
        if status == "ok":
            logger.info("handoff_left")
            await self.events.publish(HandoffChanged(Transition.LEFT, handoff_id, session_id))
        return status == "ok"

    # ---------- the staff side ----------

    async def get(self, handoff_id: str) -> Handoff:
        """The handoff, or 404."""
        data = await self._redis.hgetall(self._keys.handoff(handoff_id))
        if not data:
            raise NotFound("This conversation does not exist or has ended.")
        return Handoff.from_hash(handoff_id, data)

    async def held_by(self, handoff_id: str, staff: str) -> Handoff:
        """The handoff if `staff` holds it now: 404 unknown, 403 someone else's, 409 ended."""
        handoff = await self.get(handoff_id)
        if handoff.claimed_by != staff:
            raise Forbidden("This conversation is not yours.")
        if handoff.state != HandoffState.ACTIVE:
            raise Conflict("This conversation has ended.")
        return handoff

    async def queued(self) -> list[Handoff]:
        """Queued handoffs, first in line first (entries whose handoff expired are dropped)."""
        ids = await self._redis.lrange(self._keys.handoff_queue(), 0, -1)
        found = await self._many(ids)
        return [h for h in found if h.state == HandoffState.QUEUED]

    async def active_for(self, staff: str) -> list[Handoff]:
        """The conversations `staff` holds now, oldest claim first."""
        ids = await self._redis.smembers(self._keys.staff_claims(staff))
        found = await self._many(sorted(ids))
        mine = [h for h in found if h.state == HandoffState.ACTIVE and h.claimed_by == staff]
        return sorted(mine, key=lambda h: h.claimed_at or 0)

    async def claim(self, handoff_id: str, staff: str) -> Handoff:
        """Take a queued conversation; exactly one of many concurrent claims wins (409 else), and
        none while `staff` holds `max_open_chats` already (409 at_capacity)."""
        handoff = await self.get(handoff_id)
        status, state = await self._claim(
            keys=[
                self._keys.handoff(handoff_id),
                self._keys.session(handoff.session_id),
                self._keys.handoff_queue(),
                self._keys.handoff_leases(),
                self._keys.handoff_stream(handoff_id),
                self._keys.staff_claims(staff),
                self._keys.audit(),
            ],
            args=[
                handoff_id,
                handoff.session_id,
                staff,
                self.now_ms(),
                self._lease_ms,
                self._ttl,
                self._audit_ttl,
                AUDIT_MAXLEN,
                self.max_open_chats,
                *self._keys.handoff_key_parts()[0:2],
            ],
        )
        if status == "missing":
            raise NotFound("This conversation does not exist or has ended.")
        if status == "conflict":
            raise Conflict(f"This conversation is {state} already.")
        if status == "full":
            raise AtCapacity("You hold as many chats as you may: end or hand one on first.")
        logger.info("handoff_claimed")
        await self.events.publish(
            HandoffChanged(Transition.CLAIMED, handoff_id, handoff.session_id, staff)
        )
        return await self.get(handoff_id)

    async def release(self, handoff_id: str, staff: str) -> Handoff:
        """Hand the chat back to the bot; only the staff member who holds it may. (Closing asks
        for a wrap-up: `close`.)"""
        new_state = HandoffState.RELEASED
        handoff = await self.get(handoff_id)
        now = self.now_ms()
        stats, stats_expire_at = self.counters.target(now)
        status, state = await self._end(
            keys=[
                self._keys.handoff(handoff_id),
                self._keys.session(handoff.session_id),
                self._keys.handoff_leases(),
                self._keys.handoff_stream(handoff_id),
                self._keys.staff_claims(staff),
                self._keys.audit(),
                stats,
            ],
            args=[
                handoff_id,
                handoff.session_id,
                staff,
                now,
                new_state,
                self._ttl,
                self._audit_ttl,
                AUDIT_MAXLEN,
                stats_expire_at,
            ],
        )
        self._raise_for(status, state)
        logger.info("handoff_released")
        await self.events.publish(
            HandoffChanged(Transition.RELEASED, handoff_id, handoff.session_id, staff)
        )
        return await self.get(handoff_id)

    async def close(
        self,
        handoff_id: str,
        staff: str,
        categories: list[str],
        outcome: str,
        *,
        as_supervisor: bool = False,
    ) -> Handoff:
        """Close with a wrap-up (ids checked by the caller against bot/data/wrapup.yml), counted
        in the day's statistics in the same step. The holder may close an active chat; with
        `as_supervisor`, any open one, queued or held by someone else."""
        handoff = await self.get(handoff_id)
        now = self.now_ms()
        stats, stats_expire_at = self.counters.target(now)
        status, state = await self._close(
            keys=[
                self._keys.handoff(handoff_id),
                self._keys.session(handoff.session_id),
                self._keys.handoff_queue(),
                self._keys.handoff_leases(),
                self._keys.handoff_stream(handoff_id),
                self._keys.audit(),
                stats,
            ],
            args=[
                handoff_id,
                handoff.session_id,
                staff,
                now,
                self._ttl,
                self._audit_ttl,
                AUDIT_MAXLEN,
                "1" if as_supervisor else "0",
                *self._keys.handoff_key_parts()[10:12],  # the claims key around a staff name
                stats_expire_at,
                ",".join(categories),
                outcome,
            ],
        )
        self._raise_for(status, state)
        logger.info("handoff_closed by_supervisor=%s", as_supervisor)
        await self.events.publish(
            HandoffChanged(Transition.CLOSED, handoff_id, handoff.session_id, staff)
        )
        return await self.get(handoff_id)

    async def transfer(self, handoff_id: str, staff: str, to: str | None, note: str) -> Handoff:
        """Hand a held chat to the colleague `to` (an account on duty now, under its limit), or
        with None back to the front of the queue; `note` goes to staff only. Only the holder
        may (403), only while active (409); a refused colleague changes nothing (4xx)."""
        handoff = await self.get(handoff_id)
        colleague = to or ""
        status, state = await self._transfer(
            keys=[
                self._keys.handoff(handoff_id),
                self._keys.session(handoff.session_id),
                self._keys.handoff_queue(),
                self._keys.handoff_leases(),
                self._keys.handoff_stream(handoff_id),
                self._keys.staff_claims(staff),
                self._keys.staff_claims(colleague or staff),
                self._keys.staff_account(colleague or staff),
                self._keys.staff_on_duty(),
                self._keys.audit(),
            ],
            args=[
                handoff_id,
                handoff.session_id,
                staff,
                colleague,
                self.now_ms(),
                self._lease_ms,
                self._ttl,
                self._audit_ttl,
                AUDIT_MAXLEN,
                self.now_ms() - self._on_duty_ms,
                self.max_open_chats,
                note,
                self._stream_maxlen,
                *self._keys.handoff_key_parts()[0:2],
            ],
        )
        if status in _TRANSFER_REFUSALS:
            refusal, message = _TRANSFER_REFUSALS[status]
            raise refusal(message)
        self._raise_for(status, state)
        logger.info("handoff_transferred to=%s", "colleague" if colleague else "queue")
        await self.events.publish(
            HandoffChanged(Transition.TRANSFERRED, handoff_id, handoff.session_id, staff, colleague)
        )
        return await self.get(handoff_id)

    async def post_from_staff(
        self, handoff_id: str, staff: str, text: str, msg_id: str | None
    ) -> str:
        """Add the staff member's message; returns its stream id (the same id on a retry)."""
        handoff = await self.get(handoff_id)
        status, stream_id, state = await self._post_message(
            handoff_id, handoff.session_id, Side.STAFF, staff, text, msg_id, []
        )
        self._raise_for(status, state)
        return stream_id

    async def heartbeat(self, staff: str) -> int:
        """Mark the staff member on duty and renew the leases they hold; how many were renewed."""
        now = self.now_ms()
        on_duty = self._keys.staff_on_duty()
        claims = self._keys.staff_claims(staff)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(on_duty, {staff: now})
            pipe.zremrangebyscore(on_duty, "-inf", now - self._ttl * 1000)
            pipe.expire(on_duty, self._ttl)
            pipe.smembers(claims)
            *_, held = await pipe.execute()
        renewed = 0
        for handoff_id in held:
            renewed += await self._renew(
                keys=[self._keys.handoff(handoff_id), self._keys.handoff_leases(), claims],
                args=[handoff_id, staff, now, self._lease_ms, self._ttl],
            )
        if held:
            await self._redis.expire(claims, self._ttl)
        return renewed

    async def sign_off(self, staff: str) -> None:
        """The account left (its last console signed out, or it was removed): off duty, its
        chats requeued. Not called when another console of the account is still signed in: claims
        belong to the account, and that console's heartbeat keeps them."""
        claims = self._keys.staff_claims(staff)
        held = await self._redis.smembers(claims)
        await self._redis.zrem(self._keys.staff_on_duty(), staff)
        for handoff_id in held:
            # Expire the lease now; the sweep puts the chat back at the front of the queue.
            await self._sign_off(
                keys=[self._keys.handoff(handoff_id), self._keys.handoff_leases(), claims],
                args=[handoff_id, staff, self._ttl],
            )
        await self.sweep()

    # ---------- supervision (read-only views, joining, see also `close`) ----------

    async def open_handoffs(self) -> list[Handoff]:
        """Every open chat: the queue in its order, then the active ones, oldest claim first
        (every active chat holds a lease, so the leases list them all)."""
        queued = await self.queued()
        leased = await self._redis.zrange(self._keys.handoff_leases(), 0, -1)
        active = [h for h in await self._many(leased) if h.state == HandoffState.ACTIVE]
        return queued + sorted(active, key=lambda h: h.claimed_at or 0)

    async def post_as_supervisor(
        self, handoff_id: str, supervisor: str, text: str, msg_id: str | None
    ) -> str:
        """A supervisor writes into an active chat beside its holder (audited without the text);
        returns the stream id (the same on a retry). 409 unless the chat is active."""
        handoff = await self.get(handoff_id)
        status, result = await self._supervisor_post(
            keys=[
                self._keys.handoff(handoff_id),
                self._keys.handoff_stream(handoff_id),
                self._keys.handoff_sent(handoff_id),
                self._keys.session(handoff.session_id),
                self._keys.audit(),
            ],
            args=[
                handoff_id,
                handoff.session_id,
                supervisor,
                text,
                msg_id or "",
                self.now_ms(),
                self._ttl,
                self._stream_maxlen,
                self._audit_ttl,
                AUDIT_MAXLEN,
            ],
        )
        self._raise_for(status, result)
        return str(result)

    # ---------- timers (run by every gateway; each step is atomic, so that is safe) ----------

    async def sweep(self) -> None:
        """Requeue chats whose lease lapsed; tell people who waited too long, once.

        A chat whose person's page went quiet (bot/handoff/waiting.py) is left in the queue on
        purpose: they keep their place if they come back, and its id goes with the rest once
        the handoff expires.
        One bad item must not stop the rest: each is tried on its own and a failure is logged by
        its type only (an error's message could quote data).
        """
        now = self.now_ms()
        lapsed = await self._redis.zrangebyscore(self._keys.handoff_leases(), "-inf", now)
        for handoff_id in lapsed:
            try:
                await self._sweep_lease(handoff_id, now)
            except Exception as error:
                logger.warning("handoff_sweep_item_failed kind=%s", type(error).__name__)
        for handoff_id in await self._redis.lrange(self._keys.handoff_queue(), 0, -1):
            try:
                await self._sweep_waiting(handoff_id, now)
            except Exception as error:
                logger.warning("handoff_sweep_item_failed kind=%s", type(error).__name__)

    async def _sweep_lease(self, handoff_id: str, now: int) -> None:
        session_id = await self._redis.hget(self._keys.handoff(handoff_id), "session_id")
        if not session_id:  # erased by the person: forget the lease
            await self._redis.zrem(self._keys.handoff_leases(), handoff_id)
            return
        stats, stats_expire_at = self.counters.target(now)
        if await self._requeue(
            keys=[
                self._keys.handoff(handoff_id),
                self._keys.session(session_id),
                self._keys.handoff_queue(),
                self._keys.handoff_leases(),
                self._keys.handoff_stream(handoff_id),
                self._keys.audit(),
                stats,
            ],
            args=[
                handoff_id,
                now,
                self._ttl,
                self._audit_ttl,
                AUDIT_MAXLEN,
                *self._keys.handoff_key_parts()[10:12],  # the claims key around a staff name
                stats_expire_at,
            ],
        ):
            logger.info("handoff_requeued cause=lease_lapsed")
            await self.events.publish(HandoffChanged(Transition.REQUEUED, handoff_id, session_id))

    async def _sweep_waiting(self, handoff_id: str, now: int) -> None:
        if not await self._redis.exists(self._keys.handoff(handoff_id)):
            await self._redis.lrem(self._keys.handoff_queue(), 0, handoff_id)
            return
        if await self._wait(
            keys=[self._keys.handoff(handoff_id), self._keys.handoff_stream(handoff_id)],
            args=[now, self._wait_ms, self._ttl],
        ):
            logger.info("handoff_wait_long")

    # ---------- helpers ----------

    async def _post_message(
        self,
        handoff_id: str,
        session_id: str,
        sender: str,
        staff: str,
        text: str,
        msg_id: str | None,
        flags: list[str],
    ) -> tuple[str, str, str]:
        # The kind of a flagged message of the person's (flags: verdict, kind), never its text.
        mark = flags[1] if sender == Side.PERSON and len(flags) == 2 and flags[1] else ""
        stream = self._keys.handoff_stream(handoff_id)
        result = await self._replica_wait.run(
            self._redis,
            self._post,
            keys=[
                self._keys.handoff(handoff_id),
                stream,
                self._keys.handoff_sent(handoff_id),
                self._keys.session(session_id),
                self._keys.handoff_queue(),
            ],
            args=[
                handoff_id,
                session_id,
                sender,
                staff,
                text,
                msg_id or "",
                self.now_ms(),
                self._ttl,
                ",".join(flags),
                self._stream_maxlen,
                mark,
                *self._keys.handoff_key_parts()[0:2],  # the handoff key around an id
            ],
            touch=(stream, self._ttl),
        )
        status = result[0]
        if status == "ok" and result[3]:
            logger.info("handoff_marked kind=%s", mark)
        if status in ("ok", "duplicate"):
            return status, result[1], result[2]
        return status, "", result[1] if len(result) > 1 else ""

    async def _many(self, ids: list[str]) -> list[Handoff]:
        if not ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for handoff_id in ids:
                pipe.hgetall(self._keys.handoff(handoff_id))
            rows = await pipe.execute()
        return [Handoff.from_hash(i, row) for i, row in zip(ids, rows, strict=True) if row]

    @staticmethod
    def _raise_for(status: str, state: str) -> None:
        if status == "missing":
            raise NotFound("This conversation does not exist or has ended.")
        if status == "forbidden":
            raise Forbidden("This conversation is not yours.")
        if status == "conflict":
            raise Conflict(f"This conversation is {state}: it takes no more messages.")
