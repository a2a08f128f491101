"""The cap on live event streams: one conversation cannot hold open more than its share of
sockets and Redis connections, and a stream gives its place back however it ends."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.responses import StreamingResponse

from bot.errors import TooManyRequests
from bot.handoff.live_streams import LiveStreams

pytestmark = pytest.mark.unit

SSE = {"Accept": "text/event-stream"}


def test_each_conversation_and_all_together_have_a_cap():
    streams = LiveStreams(per_holder=2, total=3)
    streams.acquire("a")
    streams.acquire("a")
    with pytest.raises(TooManyRequests) as refused:
        streams.acquire("a")
    assert refused.value.retry_after_seconds
    streams.acquire("b")
    with pytest.raises(TooManyRequests):
        streams.acquire("c")  # the total is reached, though "c" has none
    streams.release("a")
    streams.acquire("c")
    assert (streams.open_for("a"), streams.open_for("b"), streams.open_for("c")) == (1, 1, 1)


def test_a_refused_stream_counts_nothing():
    streams = LiveStreams(per_holder=1, total=10)
    streams.acquire("a")
    with pytest.raises(TooManyRequests):
        streams.acquire("a")
    streams.release("a")
    assert streams.open_in_all == 0


async def test_a_stream_gives_its_place_back_when_the_client_disconnects():
    """A client that leaves mid-stream (the body never ends by itself) releases its place."""
    streams = LiveStreams(per_holder=1, total=1)
    started = asyncio.Event()

    async def endless():
        started.set()
        while True:
            yield ": keepalive\n\n"
            await asyncio.sleep(0.01)

    streams.acquire("a")
    response = streams.counted(StreamingResponse(endless(), media_type="text/event-stream"), "a")
    sent: list[dict] = []

    async def receive():
        await started.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}}
    await asyncio.wait_for(response(scope, receive, send), 5)
    assert sent[0]["type"] == "http.response.start"
    assert streams.open_in_all == 0


async def test_a_stream_that_fails_gives_its_place_back():
    streams = LiveStreams(per_holder=1, total=1)

    async def broken():
        yield "retry: 2000\n\n"
        raise RuntimeError("the stream broke")

    async def receive():
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(_message):
        return None

    streams.acquire("a")
    response = streams.counted(StreamingResponse(broken()), "a")
    with pytest.raises(RuntimeError):
        await response({"type": "http"}, receive, send)
    assert streams.open_in_all == 0


async def test_a_session_over_its_stream_cap_gets_429_and_may_still_poll(
    app, client, session, queue_session, new_session
):
    await queue_session(session)
    url = f"/api/v1/sessions/{session.id}/events"
    streams: LiveStreams = app.state.live_streams
    holder = f"session:{session.id}"
    for _ in range(app.state.settings.max_live_streams_per_conversation):
        streams.acquire(holder)  # streams this session holds open elsewhere
    refused = await client.get(url, headers={**session.headers, **SSE})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert int(refused.headers["retry-after"]) > 0
    polled = await client.get(url, headers=session.headers)  # the widget's fallback
    assert polled.status_code == 200
    assert polled.json()["handoff"] == "queued"
    assert streams.open_for(holder) == app.state.settings.max_live_streams_per_conversation
    other = await new_session()  # another person is not held back by this session's cap
    assert (
        await client.get(f"/api/v1/sessions/{other.id}/events", headers={**other.headers, **SSE})
    ).status_code == 200


async def test_a_stream_that_ends_frees_its_place(app, client, session):
    """A session without a handoff gets a stream that ends at once; its place is free again."""
    streams: LiveStreams = app.state.live_streams
    response = await client.get(
        f"/api/v1/sessions/{session.id}/events", headers={**session.headers, **SSE}
    )
    assert response.status_code == 200
    assert streams.open_in_all == 0


async def test_a_staff_stream_over_the_cap_gets_429(app, client, session, queue_session, sign_in):
    handoff_id = await queue_session(session)
    staff = await sign_in("alice")
    await client.post("/api/v1/staff/heartbeat", headers=staff.headers)
    claimed = await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    assert claimed.status_code == 200
    streams: LiveStreams = app.state.live_streams
    for _ in range(app.state.settings.max_live_streams_per_conversation):
        streams.acquire(f"handoff:{handoff_id}")
    url = f"/api/v1/handoffs/{handoff_id}/events"
    assert (await client.get(url, headers={**staff.headers, **SSE})).status_code == 429
    assert (await client.get(url, headers=staff.headers)).status_code == 200  # polling
