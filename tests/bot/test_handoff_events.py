"""Delivery of a handoff's stream: at least once, never doubled for a client with a cursor,
nothing lost when a reader dies before it acknowledges, and live streams over SSE."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.handoff.delivery import EventReader
from bot.handoff.states import Side

pytestmark = pytest.mark.unit


@pytest.fixture
async def active_handoff(app, client, session, sign_in, queue_session):
    """A claimed handoff: (handoff_id, staff console)."""
    staff = await sign_in("alice")
    await client.post("/api/v1/staff/heartbeat", headers=staff.headers)  # on duty
    handoff_id = await queue_session(session)
    claimed = await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    assert claimed.status_code == 200
    return handoff_id, staff


async def _staff_says(client, staff, handoff_id, text):
    response = await client.post(
        f"/api/v1/handoffs/{handoff_id}/messages", json={"text": text}, headers=staff.headers
    )
    assert response.status_code == 201
    return response.json()["id"]


async def _next_event(stream):
    while True:
        event = await anext(stream)
        if event is not None:
            return event


def _reader(app) -> EventReader:
    return EventReader(app.state.redis, app.state.handoffs._keys, block_ms=200)


async def test_a_reader_killed_before_it_acks_loses_nothing_and_doubles_nothing(
    app, client, active_handoff, redis_client
):
    handoff_id, staff = active_handoff
    stream_key = f"hrv:handoff:{handoff_id}:stream"
    first = _reader(app).live(handoff_id, Side.PERSON, None)
    assert (await _next_event(first)).kind == "joined"  # the backlog
    message_id = await _staff_says(client, staff, handoff_id, "ett")
    delivered = await _next_event(first)
    assert delivered.id == message_id
    # The gateway dies here: the event went out, but the ack never happened.
    await first.aclose()
    assert redis_client.xpending(stream_key, Side.PERSON)["pending"] == 1

    # The client got it and reconnects with it as Last-Event-ID: no double.
    second = _reader(app).live(handoff_id, Side.PERSON, message_id)
    follow_up = await _staff_says(client, staff, handoff_id, "två")
    assert (await _next_event(second)).id == follow_up
    await second.aclose()

    # A client that never got it reconnects with the earlier cursor: it comes again.
    third = _reader(app).live(handoff_id, Side.PERSON, None)
    ids = [(await _next_event(third)).id for _ in range(3)]
    assert ids[1:] == [message_id, follow_up]
    await third.aclose()


async def test_pending_entries_of_a_dead_reader_go_to_the_next_one(
    app, client, active_handoff, redis_client
):
    handoff_id, staff = active_handoff
    stream_key = f"hrv:handoff:{handoff_id}:stream"
    first = _reader(app).live(handoff_id, Side.PERSON, None)
    await _next_event(first)  # joined
    message_id = await _staff_says(client, staff, handoff_id, "ett")
    await _next_event(first)
    await first.aclose()  # read through the group, never acknowledged
    second = _reader(app).live(handoff_id, Side.PERSON, message_id)
    later = await _staff_says(client, staff, handoff_id, "två")
    assert (await _next_event(second)).id == later  # from the backlog
    last = await _staff_says(client, staff, handoff_id, "tre")
    assert (await _next_event(second)).id == last  # through the group, after the pending one
    # The dead reader's pending entry was skipped (the client has it) and acknowledged; only
    # the entry on its way right now is still pending.
    pending = redis_client.xpending_range(stream_key, Side.PERSON, "-", "+", 10)
    assert [p["message_id"] for p in pending] == [last]
    await second.aclose()


async def test_each_side_sees_only_what_is_meant_for_it(app, client, session, active_handoff):
    handoff_id, staff = active_handoff
    await client.post(
        f"/api/v1/sessions/{session.id}/messages",
        json={"text": "från personen"},
        headers=session.headers,
    )
    await _staff_says(client, staff, handoff_id, "från personalen")
    reader = _reader(app)
    person = [
        (e.kind, e.sender, e.text) for e in await reader.backlog(handoff_id, Side.PERSON, None)
    ]
    staff_side = [
        (e.kind, e.sender, e.text) for e in await reader.backlog(handoff_id, Side.STAFF, None)
    ]
    assert person == [("joined", "system", ""), ("text", "staff", "från personalen")]
    assert staff_side == [("joined", "system", ""), ("text", "person", "från personen")]


async def test_a_newer_connection_takes_the_side_over(app, client, active_handoff):
    handoff_id, staff = active_handoff
    old = _reader(app).live(handoff_id, Side.PERSON, None)
    joined = await _next_event(old)
    new = _reader(app).live(handoff_id, Side.PERSON, joined.id)
    message_id = await _staff_says(client, staff, handoff_id, "till den nya")
    assert (await _next_event(new)).id == message_id
    with pytest.raises(StopAsyncIteration):
        await _next_event(old)
    await new.aclose()


def _parse_sse(body: str) -> list[dict]:
    events = []
    for block in body.split("\n\n"):
        data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
        if data:
            events.append(json.loads("".join(data)))
    return events


async def test_sse_streams_until_the_handoff_ends_for_each_side(client, session, active_handoff):
    handoff_id, staff = active_handoff
    await _staff_says(client, staff, handoff_id, "<b>hej</b>")
    await client.post(f"/api/v1/handoffs/{handoff_id}/release", headers=staff.headers)
    stream = await client.get(
        f"/api/v1/sessions/{session.id}/events",
        headers={**session.headers, "Accept": "text/event-stream"},
    )
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["cache-control"] == "no-store"
    events = _parse_sse(stream.text)
    assert [e["kind"] for e in events] == ["joined", "text", "released"]
    assert events[1]["text"] == "<b>hej</b>"
    resumed = await client.get(
        f"/api/v1/sessions/{session.id}/events",
        headers={
            **session.headers,
            "Accept": "text/event-stream",
            "Last-Event-ID": events[1]["id"],
        },
    )
    assert [e["kind"] for e in _parse_sse(resumed.text)] == ["released"]


async def test_the_events_need_the_session_token_in_the_header(client, session, active_handoff):
    url = f"/api/v1/sessions/{session.id}/events"
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, params={"token": session.token})).status_code == 401
    assert (await client.get(url, headers={"Authorization": "Bearer wrong"})).status_code == 401
    bad_cursor = await client.get(url, params={"after": "x" * 50}, headers=session.headers)
    assert bad_cursor.status_code == 422


@pytest.mark.parametrize(
    "cursor", ["١٢٣-٠", "1" * 30 + "-0", "1-" + "9" * 25, "²-1", "abc", "1-", "-1", "1-2-3"]
)
async def test_a_malformed_cursor_is_a_422_for_both_sides(client, session, active_handoff, cursor):
    handoff_id, staff = active_handoff
    for url, headers in (
        (f"/api/v1/sessions/{session.id}/events", session.headers),
        (f"/api/v1/handoffs/{handoff_id}/events", staff.headers),
    ):
        polled = await client.get(url, params={"after": cursor}, headers=headers)
        assert polled.status_code == 422, (url, cursor, polled.text)
        streamed = await client.get(
            url,
            headers={**headers, "Accept": "text/event-stream", "Last-Event-ID": cursor.encode()},
        )
        assert streamed.status_code == 422, (url, cursor, streamed.text)


async def test_a_well_formed_cursor_still_works(client, session, active_handoff):
    handoff_id, staff = active_handoff
    message_id = await _staff_says(client, staff, handoff_id, "hej")
    polled = await client.get(
        f"/api/v1/sessions/{session.id}/events",
        params={"after": "0-0"},
        headers=session.headers,
    )
    assert [e["id"] for e in polled.json()["events"]][-1] == message_id
    after = await client.get(
        f"/api/v1/sessions/{session.id}/events",
        params={"after": message_id},
        headers=session.headers,
    )
    assert after.json()["events"] == []


async def _drain(stream) -> list:
    return [event async for event in stream]


async def test_a_stream_resumed_after_the_end_stops_instead_of_keeping_alive(
    app, client, active_handoff
):
    handoff_id, staff = active_handoff
    first = _reader(app).live(handoff_id, Side.PERSON, None)
    assert (await _next_event(first)).kind == "joined"  # the backlog
    await client.post(f"/api/v1/handoffs/{handoff_id}/release", headers=staff.headers)
    released = await _next_event(first)  # read and acknowledged through the person's group
    assert released.kind == "released"
    with pytest.raises(StopAsyncIteration):
        await anext(first)  # the connection took it: acknowledged, the stream ends
    resumed = _reader(app).live(handoff_id, Side.PERSON, released.id)
    events = await asyncio.wait_for(_drain(resumed), timeout=5)
    assert [e for e in events if e is not None] == []


async def test_one_live_stream_has_a_limited_life_and_the_client_reconnects(app, active_handoff):
    handoff_id, _ = active_handoff
    reader = EventReader(
        app.state.redis, app.state.handoffs._keys, block_ms=100, max_life_seconds=0.5
    )
    events = await asyncio.wait_for(_drain(reader.live(handoff_id, Side.PERSON, None)), timeout=5)
    assert [e.kind for e in events if e is not None] == ["joined"]
