"""A handoff's transcript stays bounded under a flood (XADD MAXLEN ~), and every read is paged
(XRANGE with COUNT) without losing or reordering a message."""

from __future__ import annotations

import pytest

from bot.conversation.sessions import SessionStore
from bot.handoff.delivery import BATCH, EventReader
from bot.handoff.service import Handoffs
from bot.handoff.states import Side
from bot.store import Keys

pytestmark = pytest.mark.unit

KEYS = Keys("hrv", "hrvguide")


class CountingRedis:
    """Wraps the async client and records the COUNT of every XRANGE."""

    def __init__(self, redis) -> None:
        self._redis = redis
        self.xrange_counts: list[int | None] = []

    async def xrange(self, *args, count=None, **kwargs):
        self.xrange_counts.append(count)
        return await self._redis.xrange(*args, count=count, **kwargs)

    def __getattr__(self, name):
        return getattr(self._redis, name)


@pytest.fixture
async def handoff(app):
    """(Handoffs with a small MAXLEN, handoff id, session id) of a queued widget session."""
    redis = app.state.redis
    sessions = SessionStore(redis, KEYS, 600)
    session_id, _ = await sessions.create("sv")
    handoffs = Handoffs(redis, KEYS, 600, stream_maxlen=100)
    queued = await handoffs.enqueue(session_id, "asked_for_human", "sv", "widget")
    return handoffs, queued.handoff_id, session_id


async def _post(handoffs, handoff_id, session_id, count, start=0):
    for n in range(start, start + count):
        state = await handoffs.post_from_person(handoff_id, session_id, f"m{n}", f"msg{n:08d}", [])
        assert state == "queued"


async def test_backlog_pages_through_the_stream_and_keeps_every_message_in_order(app):
    redis = app.state.redis
    sessions = SessionStore(redis, KEYS, 600)
    session_id, _ = await sessions.create("sv")
    handoffs = Handoffs(redis, KEYS, 600, stream_maxlen=10_000)
    handoff_id = (await handoffs.enqueue(session_id, "asked_for_human", "sv", "widget")).handoff_id
    total = 2 * BATCH + 37
    await _post(handoffs, handoff_id, session_id, total)
    counting = CountingRedis(redis)
    reader = EventReader(counting, KEYS)

    events = await reader.backlog(handoff_id, Side.STAFF, None)
    assert [e.text for e in events] == [f"m{n}" for n in range(total)]
    assert counting.xrange_counts and all(c == BATCH for c in counting.xrange_counts)
    assert len(counting.xrange_counts) == 3

    # From a cursor in the middle of a page: the rest, in order, none twice.
    cursor = events[BATCH + 5].id
    rest = await reader.backlog(handoff_id, Side.STAFF, cursor)
    assert [e.text for e in rest] == [f"m{n}" for n in range(BATCH + 6, total)]

    # A page boundary exactly at the end: no empty extra page is missed or doubled.
    cursor = events[total - BATCH - 1].id
    assert [e.text for e in await reader.backlog(handoff_id, Side.STAFF, cursor)] == [
        f"m{n}" for n in range(total - BATCH, total)
    ]


async def test_live_reader_catches_up_in_pages_in_order(app):
    redis = app.state.redis
    sessions = SessionStore(redis, KEYS, 600)
    session_id, _ = await sessions.create("sv")
    handoffs = Handoffs(redis, KEYS, 600, stream_maxlen=10_000)
    handoff_id = (await handoffs.enqueue(session_id, "asked_for_human", "sv", "widget")).handoff_id
    await _post(handoffs, handoff_id, session_id, BATCH + 20)
    counting = CountingRedis(redis)
    reader = EventReader(counting, KEYS, block_ms=10, max_life_seconds=0.5)
    texts = [event.text async for event in reader.live(handoff_id, Side.STAFF, None) if event]
    assert texts == [f"m{n}" for n in range(BATCH + 20)]
    assert all(c == BATCH for c in counting.xrange_counts)


async def test_a_flood_is_trimmed_to_about_maxlen_and_keeps_the_newest(app, handoff):
    handoffs, handoff_id, session_id = handoff
    redis = app.state.redis
    await _post(handoffs, handoff_id, session_id, 600)
    stream = KEYS.handoff_stream(handoff_id)
    length = await redis.xlen(stream)
    assert 100 <= length < 300  # MAXLEN ~ 100 trims whole nodes: about 100, never 600
    events = await EventReader(redis, KEYS).backlog(handoff_id, Side.STAFF, None)
    assert events[-1].text == "m599"
    texts = [e.text for e in events]
    assert texts == sorted(texts, key=lambda t: int(t[1:]))  # in order, no gap at the end
    assert texts[-100:] == [f"m{n}" for n in range(500, 600)]
    # The ids kept for deduplication are bounded as well.
    assert await redis.hlen(KEYS.handoff_sent(handoff_id)) <= 100
    assert await redis.ttl(stream) > 0


async def test_a_retried_message_is_still_stored_once(app, handoff):
    handoffs, handoff_id, session_id = handoff
    for _ in range(3):
        await handoffs.post_from_person(handoff_id, session_id, "hej", "same-id-0001", [])
    events = await EventReader(app.state.redis, KEYS).backlog(handoff_id, Side.PERSON, None, True)
    assert [e.text for e in events if e.kind == "text"] == ["hej"]
