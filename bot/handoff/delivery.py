"""Delivering a handoff's stream to one side (the person or the staff member), at least once.

Each side reads the handoff's stream through its own consumer group. A live reader (SSE):
1. first sends everything after the client's cursor (`Last-Event-ID`) with XRANGE, so a message
   the gateway wrote to a connection that then died is sent again;
2. then reads its group's pending entries (read by an earlier reader, e.g. a gateway that was
   killed, but never acknowledged) and new ones with XREADGROUP, and XACKs each entry only after
   it was handed to the connection.
Entries the client already has (id <= cursor) are acknowledged and skipped; the client drops
doubles by id as well. One live reader per side at a time: a newer connection takes the side over
and the older one stops without acknowledging what it read, so nothing is lost in between.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.handoff.states import HANDOFF_ENDS, OPEN_STATES, EventKind, Side
from bot.store import Keys

logger = logging.getLogger(__name__)

READER_TTL_SECONDS = 30
# One live connection ends after this long; the client reconnects with its cursor and loses
# nothing, so a forgotten tab does not hold a connection (and a Redis reader) for hours.
MAX_LIFE_SECONDS = 600.0
BATCH = 100


def _id_key(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    try:
        return int(ms), int(seq or 0)
    except ValueError:
        return 0, 0


# A full stream id, ASCII digits only and at most 19 of them per part (below 2**64), so Redis
# never sees a cursor it would refuse: `str.isdigit()` let '١٢٣' and 30-digit numbers through.
_CURSOR = re.compile(r"[0-9]{1,19}-[0-9]{1,19}")


def valid_cursor(value: str | None) -> str | None:
    """A stream id like '1700000000000-0', or None."""
    return value if value and _CURSOR.fullmatch(value) else None


@dataclass(frozen=True)
class Event:
    """One entry of a handoff's stream as a side sees it."""

    id: str
    kind: str
    sender: str
    text: str
    flags: tuple[str, ...]
    at: int

    def as_dict(self) -> dict[str, object]:
        """The JSON shape both the widget and the console receive."""
        return {
            "id": self.id,
            "kind": self.kind,
            "from": self.sender,
            "text": self.text,
            "flags": list(self.flags),
            "at": self.at,
        }

    def ends(self, side: Side) -> bool:
        """Whether this event ends the handoff for `side`."""
        return self.kind in HANDOFF_ENDS[side]


def _event(
    stream_id: str,
    fields: dict[str, str] | None,
    side: Side,
    include_own: bool = False,
    with_history: bool = False,
) -> Event | None:
    """The entry as `side` sees it, or None when it is not meant for that side (its own
    messages count only with `include_own`: the staff's transcript shows both sides; the copy
    of the conversation with the bot only `with_history`: it comes with the transcript, apart
    from the chat, never as a live event)."""
    if not fields:
        return None
    if fields.get("kind") == EventKind.BOT_HISTORY and not with_history:
        return None
    own = include_own and fields.get("from") == side
    if fields.get("to") not in (side, "all") and not own:
        return None
    flags = tuple(f for f in fields.get("flags", "").split(",") if f)
    return Event(
        id=stream_id,
        kind=fields.get("kind", ""),
        sender=fields.get("from", ""),
        text=fields.get("text", ""),
        flags=flags,
        at=int(fields.get("at") or 0),
    )


def gone_event(at: int) -> Event:
    """The handoff no longer exists (the person erased the conversation, or it expired)."""
    return Event(id="", kind=EventKind.GONE, sender=Side.SYSTEM, text="", flags=(), at=at)


class EventReader:
    """Reads a handoff's stream for one side; see the module docstring for the guarantees."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        block_ms: int = 2000,
        max_life_seconds: float = MAX_LIFE_SECONDS,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._block_ms = block_ms
        self._max_life = max_life_seconds

    async def backlog(
        self,
        handoff_id: str,
        side: Side,
        after: str | None,
        include_own: bool = False,
        with_history: bool = False,
    ) -> list[Event]:
        """Everything for `side` after the cursor (all when there is none): polling and catch-up."""
        pages = self._pages(handoff_id, side, after, include_own, with_history)
        return [event async for event in pages]

    async def _pages(
        self,
        handoff_id: str,
        side: Side,
        after: str | None,
        include_own: bool = False,
        with_history: bool = False,
    ) -> AsyncIterator[Event]:
        """The events after the cursor, read `BATCH` at a time (XRANGE with COUNT), in order:
        no single Redis reply grows with the transcript (which MAXLEN bounds as well)."""
        stream = self._keys.handoff_stream(handoff_id)
        start = f"({after}" if after else "-"
        while True:
            entries = await self._redis.xrange(stream, start, "+", count=BATCH)
            for stream_id, fields in entries:
                event = _event(stream_id, fields, side, include_own, with_history)
                if event:
                    yield event
            if len(entries) < BATCH:
                return
            start = f"({entries[-1][0]}"

    async def live(
        self, handoff_id: str, side: Side, after: str | None
    ) -> AsyncIterator[Event | None]:
        """Events for `side` as they come; None now and then so the caller can keep alive.

        Ends after an event that ends the handoff for this side, when the handoff is gone or no
        longer queued or active (a client resuming after the end), when a newer connection took
        this side over, or after `max_life_seconds`.
        """
        deadline = time.monotonic() + self._max_life
        stream = self._keys.handoff_stream(handoff_id)
        reader_key = self._keys.handoff_reader(handoff_id, side)
        me = secrets.token_urlsafe(8)
        await self._redis.set(reader_key, me, ex=READER_TTL_SECONDS)
        cursor = _id_key(after) if after else (0, 0)

        async for event in self._pages(handoff_id, side, after):
            yield event
            cursor = _id_key(event.id)
            if event.ends(side):
                return

        while time.monotonic() < deadline:
            if await self._redis.get(reader_key) != me:
                return  # a newer connection reads this side now; leave what we read unacked
            if not await self._redis.exists(self._keys.handoff(handoff_id)):
                yield gone_event(0)
                return
            await self._redis.expire(reader_key, READER_TTL_SECONDS)
            try:
                entries = await self._read(stream, side, "0", block=False)
                if not entries:
                    entries = await self._read(stream, side, ">", block=True)
            except ResponseError:  # the stream or its group is gone: erased or expired
                yield gone_event(0)
                return
            if not entries:
                # Nothing new: if the handoff has ended, its last event was delivered already.
                state = await self._redis.hget(self._keys.handoff(handoff_id), "state")
                if state not in OPEN_STATES:
                    return
                yield None
                continue
            if await self._redis.get(reader_key) != me:
                return  # taken over while we waited: the new reader gets these as pending
            for stream_id, fields in entries:
                entry = _event(stream_id, fields, side)
                newer = entry is not None and _id_key(stream_id) > cursor
                if entry is not None and newer:
                    yield entry
                    cursor = _id_key(stream_id)
                await self._redis.xack(stream, side, stream_id)
                # Only an event this client had not seen ends the stream: an old `requeued`
                # left unread by an earlier holder must not end the new holder's stream.
                if entry is not None and newer and entry.ends(side):
                    return

    async def _read(
        self, stream: str, side: Side, start: str, block: bool
    ) -> list[tuple[str, dict[str, str] | None]]:
        reply = await self._redis.xreadgroup(
            side,
            side,
            {stream: start},
            count=BATCH,
            block=self._block_ms if block else None,
        )
        if not reply:
            return []
        # redis-py answers [[stream, [(id, fields), ...]]] (RESP2)
        return list(reply[0][1])
