"""The queue as the people in it see it: their place, a rough wait, and who is still there.

- **Place**: the queue list's order (risk first, then by waiting time: bot/lua/handoff/
  enqueue.lua and post.lua), counting only the people still there; 1 = next.
- **Rough wait**: from the last hour's claims, kept as times and durations only (a sorted set
  scored by when the claim happened, members "<seconds waited>:<nonce>"; no ids, no text; it
  expires an hour after the last claim). See `per_place_seconds`. No claim in the last hour, or
  nobody on duty now: no number, and the widget says so honestly instead of guessing.
- **Who is still there**: a widget person's event stream and polls record "last seen" (a sorted
  set of queued handoff ids scored by ms, written at most every `seen_every_seconds` per handoff
  and process). Quiet for `away_seconds`: shown to staff as away; for `gone_seconds`: out of the
  list staff see and of everyone's places, but still in the queue list, so someone who comes
  back before their handoff expires has their place again. Telegram never counts as away (its
  person gets the messages in the app, with no page to keep open).

The view of the whole queue is computed at most once per `cache_seconds` per process for the
people's streams and polls (one LRANGE, one pipeline of HMGETs, one ZRANGE), so hundreds of
open streams cost no more than one; the staff's list asks for a fresh one.
"""

from __future__ import annotations

import logging
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from itertools import pairwise

from redis.asyncio import Redis

from bot.errors import Conflict
from bot.handoff.events import HandoffChanged, Transition
from bot.handoff.states import Handoff, HandoffState
from bot.store import Keys

logger = logging.getLogger(__name__)

CLAIMS_WINDOW_MS = 3600 * 1000
# Never seen by a person's page: Telegram delivers to the app.
ALWAYS_PRESENT_CHANNELS = frozenset({"telegram"})


def per_place_seconds(claims: list[tuple[int, int]]) -> float | None:
    """How long one place in the queue took lately, from (claimed at ms, waited ms) pairs.

    While people queued behind each other (the one claimed next was already waiting when the
    one before was claimed), the time between those claims is how fast staff took the next one:
    its median is the time per place. When nobody had to wait behind anyone in that window, the
    median of the waits themselves is the best guess for the place at the front. None without
    claims.
    """
    if not claims:
        return None
    ordered = sorted(claims)
    busy_gaps = [
        (later - earlier) / 1000
        for (earlier, _), (later, waited) in pairwise(ordered)
        if later - waited <= earlier
    ]
    if busy_gaps:
        return float(statistics.median(busy_gaps))
    return float(statistics.median(waited for _, waited in ordered)) / 1000


@dataclass(frozen=True)
class Place:
    """One queued handoff: its place (None once gone) and whether its person seems away."""

    handoff: Handoff
    position: int | None
    away: bool
    gone: bool


@dataclass(frozen=True)
class QueueView:
    """The queue at one moment, in line order, with what the estimate needs."""

    places: list[Place]
    per_place_seconds: float | None
    staffed: bool
    at_ms: int
    _by_id: dict[str, Place] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({place.handoff.id: place for place in self.places})

    def present(self) -> list[Place]:
        """The places staff are offered: everyone but the gone, first in line first."""
        return [place for place in self.places if not place.gone]

    def place_of(self, handoff_id: str) -> Place | None:
        """The handoff's place, or None when it is not queued (gone ones have position None)."""
        return self._by_id.get(handoff_id)

    def estimate_seconds(self, position: int) -> int | None:
        """A rough wait for `position`: None without recent claims or with nobody on duty."""
        if self.per_place_seconds is None or not self.staffed:
            return None
        return round(position * self.per_place_seconds)


@dataclass(frozen=True)
class QueueStatus:
    """What the waiting person is told: their place and a rough wait (None: no honest guess)."""

    position: int
    estimated_wait_seconds: int | None
    staffed: bool
    at_ms: int


class WaitingLine:
    """Places, estimates and presence for the queue of bot/handoff/service.py."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        ttl_seconds: int,
        *,
        staffed: Callable[[], Awaitable[bool]],
        away_seconds: int = 120,
        gone_seconds: int = 600,
        seen_every_seconds: float = 10.0,
        cache_seconds: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_seconds
        # Whether someone can answer now (open hours and someone on duty).
        self._staffed = staffed
        self._away_ms = away_seconds * 1000
        self._gone_ms = gone_seconds * 1000
        self._seen_every_ms = seen_every_seconds * 1000
        self._cache_ms = cache_seconds * 1000
        self._clock = clock
        self._last_written: dict[str, int] = {}
        self._cached: QueueView | None = None

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    # ---------- presence ----------

    async def seen(self, handoff_id: str) -> None:
        """The person's page asked for events: they are there. Written at most every
        `seen_every_seconds` per handoff by this process (a stream ticks every 2 s)."""
        now = self._now_ms()
        if now - self._last_written.get(handoff_id, -self._seen_every_ms) < self._seen_every_ms:
            return
        if len(self._last_written) > 10_000:  # forget what no longer throttles anything
            self._last_written = {
                k: v for k, v in self._last_written.items() if now - v < self._seen_every_ms
            }
        self._last_written[handoff_id] = now
        key = self._keys.handoff_seen()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {handoff_id: now})
            pipe.zremrangebyscore(key, "-inf", now - self._ttl * 1000)
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def refuse_gone(self, handoff_id: str) -> None:
        """409 when the person of a queued widget chat has gone quiet for `gone_seconds`:
        nobody claims a ghost, even from a list shown before it went."""
        place = (await self._build(self._now_ms())).place_of(handoff_id)
        if place is not None and place.gone:
            raise Conflict("The person has left the queue: their page has been closed.")

    # ---------- the view ----------

    async def view(self, fresh: bool = False) -> QueueView:
        """The queue now; from this process's cache of the last `cache_seconds` unless `fresh`."""
        now = self._now_ms()
        cached = self._cached
        if not fresh and cached is not None and now - cached.at_ms < self._cache_ms:
            return cached
        built = await self._build(now)
        self._cached = built
        return built

    async def person_here(self, handoff_id: str, known_queued: bool = False) -> QueueStatus | None:
        """The person's page asked for events: if their handoff is queued, they are there (a
        gone one is back); their place and rough wait, or None when they are not in line.
        From the shared view; a fresh one when the caller knows the handoff is queued and it is
        not in the view yet (just queued). A live stream does not know, and waits for the next
        shared view instead: no Redis reads per stream and tick."""
        view = await self.view()
        place = view.place_of(handoff_id)
        if place is None and known_queued:
            view = await self.view(fresh=True)
            place = view.place_of(handoff_id)
        if place is None:
            return None
        await self.seen(handoff_id)
        if place.gone:  # back: counted again from the next view on
            view = await self.view(fresh=True)
            place = view.place_of(handoff_id)
        if place is None or place.position is None:
            return None
        return QueueStatus(
            position=place.position,
            estimated_wait_seconds=view.estimate_seconds(place.position),
            staffed=view.staffed,
            at_ms=view.at_ms,
        )

    async def _build(self, now: int) -> QueueView:
        ids: list[str] = await self._redis.lrange(self._keys.handoff_queue(), 0, -1)
        async with self._redis.pipeline(transaction=False) as pipe:
            for handoff_id in ids:
                pipe.hgetall(self._keys.handoff(handoff_id))
            pipe.zrange(self._keys.handoff_seen(), 0, -1, withscores=True)
            pipe.zrangebyscore(
                self._keys.handoff_claim_waits(), now - CLAIMS_WINDOW_MS, "+inf", withscores=True
            )
            *rows, seen_rows, claim_rows = await pipe.execute()
        seen = {member: int(score) for member, score in seen_rows}
        places: list[Place] = []
        position = 0
        listed: set[str] = set()
        for handoff_id, row in zip(ids, rows, strict=True):
            if not row or handoff_id in listed:
                continue
            handoff = Handoff.from_hash(handoff_id, row)
            if handoff.state != HandoffState.QUEUED:
                continue
            listed.add(handoff_id)
            quiet = self._quiet_ms(handoff, row, seen.get(handoff_id), now)
            gone = quiet >= self._gone_ms
            if not gone:
                position += 1
            places.append(Place(handoff, None if gone else position, quiet >= self._away_ms, gone))
        stale = [member for member in seen if member not in listed]
        if stale:  # claimed, left or erased: nothing of theirs stays behind
            await self._redis.zrem(self._keys.handoff_seen(), *stale)
        claims = [(int(score), _waited_ms(member)) for member, score in claim_rows]
        return QueueView(
            places=places,
            per_place_seconds=per_place_seconds(claims),
            staffed=await self._staffed(),
            at_ms=now,
        )

    def _quiet_ms(self, handoff: Handoff, row: dict[str, str], seen: int | None, now: int) -> int:
        """How long the person's page has been silent; 0 for channels without a page."""
        if handoff.channel in ALWAYS_PRESENT_CHANNELS:
            return 0
        # Asking for a person (or being requeued) happened while the page was open.
        requeued = int(float(row.get("requeued_at") or 0))
        last = max(handoff.queued_at, requeued, seen or 0)
        return max(0, now - last)

    # ---------- the last hour's claims ----------

    async def on_changed(self, change: HandoffChanged) -> None:
        """A listener of every change: this process's view of the queue is out of date (other
        processes' views are at most `cache_seconds` old); after a claim, keep the wait."""
        self._cached = None
        if change.transition == Transition.CLAIMED:
            await self._on_claimed(change)

    async def _on_claimed(self, change: HandoffChanged) -> None:
        """Keep how long the person waited (and when), for the estimate. Only a first claim
        counts: a chat put back in the queue waited while staff talked with it, which says
        nothing about the queue. Its presence entry goes: it is no longer queued."""
        fields = await self._redis.hmget(
            self._keys.handoff(change.handoff_id), ["queued_at", "claimed_at", "requeued_at"]
        )
        queued_at, claimed_at, requeued_at = fields
        await self._redis.zrem(self._keys.handoff_seen(), change.handoff_id)
        if not queued_at or not claimed_at or requeued_at:
            return
        await self.record_claim(int(claimed_at), int(claimed_at) - int(float(queued_at)))

    async def record_claim(self, claimed_at_ms: int, waited_ms: int) -> None:
        """Keep one claim's time and wait for an hour; older ones are dropped."""
        key = self._keys.handoff_claim_waits()
        # The nonce only keeps two equal waits apart; it names nothing.
        member = f"{max(0, waited_ms) // 1000}:{secrets.token_urlsafe(4)}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {member: claimed_at_ms})
            pipe.zremrangebyscore(key, "-inf", self._now_ms() - CLAIMS_WINDOW_MS)
            pipe.expire(key, CLAIMS_WINDOW_MS // 1000)
            await pipe.execute()


def _waited_ms(member: str) -> int:
    seconds, _, _ = member.partition(":")
    return int(seconds) * 1000 if seconds.isdigit() else 0
