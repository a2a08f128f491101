"""A chat requeued from one staff member (their lease lapsed) and claimed by another belongs to
the new holder only: the first one signing out or being removed must not take it away."""

from __future__ import annotations

import pytest

from bot.handoff.delivery import EventReader
from bot.handoff.states import Side

pytestmark = pytest.mark.unit


async def _requeued_then_claimed_by_bob(app, client, session, queue_session, sign_in, clock):
    """alice claims, her console goes silent, the sweep requeues, bob claims: (id, alice, bob)."""
    handoff_id = await queue_session(session)
    alice, bob = await sign_in("alice"), await sign_in("bob")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    clock.advance(app.state.settings.handoff_lease_seconds + 1)
    await app.state.handoffs.sweep()
    claimed = await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=bob.headers)
    assert claimed.status_code == 200, claimed.text
    return handoff_id, alice, bob


async def _bob_still_holds_it(client, handoff_id, bob, redis_client) -> None:
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "state") == "active"
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "claimed_by") == "bob"
    sent = await client.post(
        f"/api/v1/handoffs/{handoff_id}/messages", json={"text": "Jag är här"}, headers=bob.headers
    )
    assert sent.status_code == 201, sent.text
    lapsed = [
        e["who"] for _, e in redis_client.xrange("hrv:audit") if e["action"] == "lease_lapsed"
    ]
    assert lapsed == ["alice"]  # never bob's


async def test_requeue_forgets_the_claim_of_the_staff_member_whose_lease_lapsed(
    app, client, session, queue_session, sign_in, clock, redis_client
):
    handoff_id = await queue_session(session)
    alice = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    clock.advance(app.state.settings.handoff_lease_seconds + 1)
    await app.state.handoffs.sweep()
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "state") == "queued"
    assert not redis_client.sismember("hrv:staff:claims:alice", handoff_id)


async def test_signing_out_keeps_a_chat_someone_else_claimed_after_a_requeue(
    app, client, session, queue_session, sign_in, clock, redis_client
):
    handoff_id, alice, bob = await _requeued_then_claimed_by_bob(
        app, client, session, queue_session, sign_in, clock
    )
    assert (await client.post("/api/v1/staff/logout", headers=alice.headers)).status_code == 204
    await _bob_still_holds_it(client, handoff_id, bob, redis_client)


async def test_removing_an_account_keeps_a_chat_someone_else_claimed_after_a_requeue(
    app, client, session, queue_session, sign_in, clock, redis_client
):
    handoff_id, _, bob = await _requeued_then_claimed_by_bob(
        app, client, session, queue_session, sign_in, clock
    )
    assert await app.state.staff_auth.remove("alice")
    await app.state.handoffs.sign_off("alice")  # what `hrv-guide staff remove alice` does
    await _bob_still_holds_it(client, handoff_id, bob, redis_client)


async def test_sign_off_ignores_a_stale_claim_even_if_it_is_still_listed(
    app, client, session, queue_session, sign_in, clock, redis_client
):
    """A claims set written before requeue cleaned it up (an older gateway, a race)."""
    handoff_id, _, bob = await _requeued_then_claimed_by_bob(
        app, client, session, queue_session, sign_in, clock
    )
    redis_client.sadd("hrv:staff:claims:alice", handoff_id)
    await app.state.handoffs.sign_off("alice")
    await _bob_still_holds_it(client, handoff_id, bob, redis_client)
    assert not redis_client.sismember("hrv:staff:claims:alice", handoff_id)


async def test_sign_off_still_requeues_the_chats_the_account_holds(
    app, client, session, queue_session, sign_in, redis_client
):
    handoff_id = await queue_session(session)
    alice = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    await app.state.handoffs.sign_off("alice")
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "state") == "queued"
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == [handoff_id]
    assert not redis_client.sismember("hrv:staff:claims:alice", handoff_id)


async def test_the_new_holders_live_stream_is_not_ended_by_the_earlier_requeue(
    app, client, session, queue_session, sign_in, clock
):
    """The `requeued` entry nobody on the staff side read (alice was not streaming) is older than
    bob's cursor: it must not end bob's stream; the person's next message must reach him."""
    handoff_id, _, bob = await _requeued_then_claimed_by_bob(
        app, client, session, queue_session, sign_in, clock
    )
    transcript = await client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=bob.headers)
    kinds = [m["kind"] for m in transcript.json()["messages"]]
    assert "requeued" in kinds
    cursor = transcript.json()["messages"][-1]["id"]
    reader = EventReader(app.state.redis, app.state.handoffs._keys, block_ms=200)
    stream = reader.live(handoff_id, Side.STAFF, cursor)
    first = await anext(stream)  # nothing new yet: a keepalive tick, not the end
    assert first is None
    said = await client.post(
        f"/api/v1/sessions/{session.id}/messages", json={"text": "hej"}, headers=session.headers
    )
    assert said.status_code == 200
    event = None
    while event is None:
        event = await anext(stream)
    assert (event.kind, event.text) == ("text", "hej")
    await stream.aclose()
