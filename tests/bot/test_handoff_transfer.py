"""Handing a held chat to a colleague or back to the queue, with a note for staff only, and the
per-account limit of open chats in claim and transfer; against a real Redis."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.bot.conftest import WRAP_UP

pytestmark = pytest.mark.unit

NOTE = "Hon vill inte bli uppringd, skriv bara här. Pratar om sin bror."


def _parse_sse(body: str) -> list[dict]:
    events = []
    for block in body.split("\n\n"):
        data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
        if data:
            events.append(json.loads("".join(data)))
    return events


async def _on_duty(client, *consoles) -> None:
    for console in consoles:
        beat = await client.post("/api/v1/staff/heartbeat", headers=console.headers)
        assert beat.status_code == 200, beat.text


async def _claim(client, console, handoff_id):
    return await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=console.headers)


async def _transfer(client, console, handoff_id, to, note=""):
    return await client.post(
        f"/api/v1/handoffs/{handoff_id}/transfer",
        json={"to": to, "note": note},
        headers=console.headers,
    )


async def _held_by_alice(client, session, queue_session, sign_in):
    """alice holds the chat and the person said something; bob is on duty too."""
    handoff_id = await queue_session(session)
    alice, bob = await sign_in("alice"), await sign_in("bob")
    await _on_duty(client, alice, bob)
    assert (await _claim(client, alice, handoff_id)).status_code == 200
    said = await client.post(
        f"/api/v1/sessions/{session.id}/messages",
        json={"text": "Min bror hotar mig"},
        headers=session.headers,
    )
    assert said.status_code == 200, said.text
    sent = await client.post(
        f"/api/v1/handoffs/{handoff_id}/messages",
        json={"text": "Jag är här"},
        headers=alice.headers,
    )
    assert sent.status_code == 201, sent.text
    return handoff_id, alice, bob


def _snapshot(redis_client, handoff_id, session_id, *names) -> dict:
    """Everything a transfer could change, to compare before and after a refusal."""
    return {
        "handoff": redis_client.hgetall(f"hrv:handoff:{handoff_id}"),
        "session": redis_client.hget(f"hrv:session:{session_id}", "handoff"),
        "queue": redis_client.lrange("hrv:handoff:queue", 0, -1),
        "leases": redis_client.zrange("hrv:handoff:leases", 0, -1),
        "stream": redis_client.xrange(f"hrv:handoff:{handoff_id}:stream"),
        "claims": {n: redis_client.smembers(f"hrv:staff:claims:{n}") for n in names},
        "audit": len(redis_client.xrange("hrv:audit")),
    }


async def test_a_transfer_to_a_colleague_makes_the_chat_theirs_at_once_with_the_note(
    client, session, queue_session, sign_in, redis_client
):
    handoff_id, alice, bob = await _held_by_alice(client, session, queue_session, sign_in)
    moved = await _transfer(client, alice, handoff_id, "bob", NOTE)
    assert moved.status_code == 200, moved.text
    assert moved.json() == {"handoff_id": handoff_id, "state": "active", "to": "bob"}
    handoff = redis_client.hgetall(f"hrv:handoff:{handoff_id}")
    assert (handoff["state"], handoff["claimed_by"]) == ("active", "bob")
    assert redis_client.hget(f"hrv:session:{session.id}", "handoff") == "active"
    assert redis_client.smembers("hrv:staff:claims:bob") == {handoff_id}
    assert redis_client.smembers("hrv:staff:claims:alice") == set()
    assert redis_client.zscore("hrv:handoff:leases", handoff_id) == float(handoff["lease_until"])
    # bob has it in "mine" and reads the whole transcript with the note; alice no longer can.
    mine = (await client.get("/api/v1/handoffs?state=active", headers=bob.headers)).json()
    assert [h["handoff_id"] for h in mine] == [handoff_id]
    transcript = await client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=bob.headers)
    messages = transcript.json()["messages"]
    assert [(m["kind"], m["text"]) for m in messages] == [
        ("joined", ""),
        ("text", "Min bror hotar mig"),
        ("text", "Jag är här"),
        ("note", NOTE),
        ("transferred", ""),
    ]
    gone = await client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=alice.headers)
    assert gone.status_code == 403
    # bob writes; the person reads it.
    sent = await client.post(
        f"/api/v1/handoffs/{handoff_id}/messages",
        json={"text": "Hej, Bob här"},
        headers=bob.headers,
    )
    assert sent.status_code == 201
    # The audit names who and to whom, never the note.
    entry = [e for _, e in redis_client.xrange("hrv:audit") if e["action"] == "transferred"]
    assert entry == [
        {
            "at": entry[0]["at"],
            "who": "alice",
            "action": "transferred",
            "handoff": handoff_id,
            "to": "bob",
        }
    ]
    assert NOTE not in json.dumps(redis_client.xrange("hrv:audit"))


async def test_the_note_never_reaches_the_person_by_polling_or_stream(
    client, session, queue_session, sign_in
):
    handoff_id, alice, bob = await _held_by_alice(client, session, queue_session, sign_in)
    assert (await _transfer(client, alice, handoff_id, "bob", NOTE)).status_code == 200
    polled = await client.get(f"/api/v1/sessions/{session.id}/events", headers=session.headers)
    kinds = [e["kind"] for e in polled.json()["events"]]
    assert kinds == ["no_staff", "joined", "text", "transferred"]  # nobody was on duty at first
    assert NOTE not in polled.text and "note" not in kinds
    assert polled.json()["handoff"] == "active"
    # The live stream runs until the chat ends for the person: end it, then read it whole.
    assert (
        await client.post(f"/api/v1/handoffs/{handoff_id}/close", json=WRAP_UP, headers=bob.headers)
    ).status_code == 200
    stream = await client.get(
        f"/api/v1/sessions/{session.id}/events",
        headers={**session.headers, "Accept": "text/event-stream"},
    )
    assert [e["kind"] for e in _parse_sse(stream.text)] == [
        "no_staff",
        "joined",
        "text",
        "transferred",
        "closed",
    ]
    assert NOTE not in stream.text


async def test_back_to_the_queue_keeps_the_front_place_the_risk_mark_and_the_transcript(
    client, session, new_session, queue_session, sign_in, redis_client
):
    handoff_id, alice, bob = await _held_by_alice(client, session, queue_session, sign_in)
    other = await new_session()
    waiting = await queue_session(other)
    redis_client.hset(f"hrv:handoff:{handoff_id}", "risk", "violence")
    moved = await _transfer(client, alice, handoff_id, None, NOTE)
    assert moved.status_code == 200, moved.text
    assert moved.json() == {"handoff_id": handoff_id, "state": "queued", "to": None}
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == [handoff_id, waiting]
    handoff = redis_client.hgetall(f"hrv:handoff:{handoff_id}")
    assert (handoff["state"], handoff["claimed_by"], handoff["risk"]) == ("queued", "", "violence")
    assert redis_client.hget(f"hrv:session:{session.id}", "handoff") == "queued"
    assert redis_client.zscore("hrv:handoff:leases", handoff_id) is None
    assert redis_client.smembers("hrv:staff:claims:alice") == set()
    polled = await client.get(f"/api/v1/sessions/{session.id}/events", headers=session.headers)
    assert [e["kind"] for e in polled.json()["events"]][-1] == "transferred_to_queue"
    assert NOTE not in polled.text
    # bob claims it from the queue and reads everything, the note included.
    assert (await _claim(client, bob, handoff_id)).status_code == 200
    transcript = await client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=bob.headers)
    kinds = [m["kind"] for m in transcript.json()["messages"]]
    assert kinds == ["joined", "text", "text", "note", "transferred_to_queue", "joined"]
    actions = [e["action"] for _, e in redis_client.xrange("hrv:audit")]
    assert "returned_to_queue" in actions


@pytest.mark.parametrize(
    ("to", "status", "code"),
    [
        ("alice", 422, "transfer_to_self"),
        ("nobody", 404, "colleague_not_found"),
        ("carol", 409, "colleague_off_duty"),
        ("bob", 409, "at_capacity"),
        ("Bob Smith", 422, "invalid_input"),
    ],
)
async def test_a_refused_transfer_changes_nothing(
    app, client, session, queue_session, sign_in, redis_client, to, status, code
):
    handoff_id, alice, _ = await _held_by_alice(client, session, queue_session, sign_in)
    await sign_in("carol")  # an account, but its console sent no heartbeat
    app.state.handoffs.max_open_chats = 1
    redis_client.sadd("hrv:staff:claims:bob", "someone-else")
    redis_client.hset("hrv:handoff:someone-else", mapping={"state": "active", "claimed_by": "bob"})
    before = _snapshot(redis_client, handoff_id, session.id, "alice", "bob", "carol")
    refused = await _transfer(client, alice, handoff_id, to, NOTE)
    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["code"] == code
    assert _snapshot(redis_client, handoff_id, session.id, "alice", "bob", "carol") == before


async def test_only_the_holder_may_transfer_and_only_while_it_is_held(
    client, session, queue_session, sign_in, redis_client
):
    handoff_id, alice, bob = await _held_by_alice(client, session, queue_session, sign_in)
    before = _snapshot(redis_client, handoff_id, session.id, "alice", "bob")
    assert (await _transfer(client, bob, handoff_id, "bob")).status_code == 403
    assert (await _transfer(client, bob, handoff_id, None)).status_code == 403
    after = _snapshot(redis_client, handoff_id, session.id, "alice", "bob")
    assert {**after, "audit": 0} == {**before, "audit": 0}
    refusals = [e["action"] for _, e in redis_client.xrange("hrv:audit")][before["audit"] :]
    assert refusals == ["refused_forbidden"]  # audited as every refused call is, once
    await client.post(f"/api/v1/handoffs/{handoff_id}/close", json=WRAP_UP, headers=alice.headers)
    assert (await _transfer(client, alice, handoff_id, "bob")).status_code == 409
    missing = await _transfer(client, alice, "no-such-handoff", "bob")
    assert missing.status_code == 404


async def test_a_note_is_limited_like_a_message(client, session, queue_session, sign_in):
    handoff_id, alice, _ = await _held_by_alice(client, session, queue_session, sign_in)
    too_long = await _transfer(client, alice, handoff_id, "bob", "x" * 2001)
    assert too_long.status_code == 422
    no_to = await client.post(
        f"/api/v1/handoffs/{handoff_id}/transfer", json={"note": "hej"}, headers=alice.headers
    )
    assert no_to.status_code == 422  # "to" must be said, even as null
    assert (await _transfer(client, alice, handoff_id, "bob", "x" * 2000)).status_code == 200


async def test_two_transfers_at_once_move_the_chat_once(
    client, session, queue_session, sign_in, redis_client
):
    handoff_id, alice, _ = await _held_by_alice(client, session, queue_session, sign_in)
    carol = await sign_in("carol")
    await _on_duty(client, carol)
    results = await asyncio.gather(
        _transfer(client, alice, handoff_id, "bob"),
        _transfer(client, alice, handoff_id, "carol"),
        _transfer(client, alice, handoff_id, None),
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 403, 403]  # after the first, alice no longer holds it
    winner = next(r.json() for r in results if r.status_code == 200)
    holder = redis_client.hget(f"hrv:handoff:{handoff_id}", "claimed_by")
    assert holder == (winner["to"] or "")
    held = [
        n
        for n in ("alice", "bob", "carol")
        if redis_client.sismember(f"hrv:staff:claims:{n}", handoff_id)
    ]
    assert held == ([winner["to"]] if winner["to"] else [])
    kinds = [f["kind"] for _, f in redis_client.xrange(f"hrv:handoff:{handoff_id}:stream")]
    assert kinds.count("transferred") + kinds.count("transferred_to_queue") == 1
    assert held or redis_client.lrange("hrv:handoff:queue", 0, -1) == [handoff_id]


async def test_a_claim_beyond_the_limit_is_refused_and_changes_nothing(
    app, client, new_session, queue_session, sign_in, redis_client
):
    app.state.handoffs.max_open_chats = 2
    alice = await sign_in("alice")
    ids = [await queue_session(await new_session()) for _ in range(3)]
    for handoff_id in ids[:2]:
        assert (await _claim(client, alice, handoff_id)).status_code == 200
    queue_before = redis_client.lrange("hrv:handoff:queue", 0, -1)
    refused = await _claim(client, alice, ids[2])
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "at_capacity"
    assert redis_client.hget(f"hrv:handoff:{ids[2]}", "state") == "queued"
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == queue_before == [ids[2]]
    assert redis_client.smembers("hrv:staff:claims:alice") == set(ids[:2])
    # Ending one frees a place; a stale id left in the claims set does not count.
    await client.post(f"/api/v1/handoffs/{ids[0]}/close", json=WRAP_UP, headers=alice.headers)
    redis_client.sadd("hrv:staff:claims:alice", ids[0])
    assert (await _claim(client, alice, ids[2])).status_code == 200


async def test_no_limit_when_the_setting_is_zero(app, client, new_session, queue_session, sign_in):
    app.state.handoffs.max_open_chats = 0
    alice = await sign_in("alice")
    for _ in range(5):
        handoff_id = await queue_session(await new_session())
        assert (await _claim(client, alice, handoff_id)).status_code == 200


async def test_a_transfer_to_a_colleague_at_the_limit_is_refused_until_they_have_room(
    app, client, session, new_session, queue_session, sign_in, redis_client
):
    handoff_id, alice, bob = await _held_by_alice(client, session, queue_session, sign_in)
    app.state.handoffs.max_open_chats = 1
    bobs = await queue_session(await new_session())
    assert (await _claim(client, bob, bobs)).status_code == 200
    refused = await _transfer(client, alice, handoff_id, "bob", NOTE)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "at_capacity")
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "claimed_by") == "alice"
    colleagues = await client.get("/api/v1/staff/colleagues", headers=alice.headers)
    assert colleagues.json() == {
        "max_open_chats": 1,
        "colleagues": [{"name": "bob", "open_chats": 1, "at_capacity": True}],
    }
    await client.post(f"/api/v1/handoffs/{bobs}/release", headers=bob.headers)
    assert (await _transfer(client, alice, handoff_id, "bob", NOTE)).status_code == 200


async def test_the_transfer_is_published_once_with_both_names(
    app, client, session, queue_session, sign_in
):
    from bot.handoff.events import Transition

    seen = []

    async def listener(change) -> None:
        seen.append(change)

    app.state.handoffs.events.subscribe(listener, frozenset({Transition.TRANSFERRED}))
    handoff_id, alice, _ = await _held_by_alice(client, session, queue_session, sign_in)
    await _transfer(client, alice, handoff_id, "bob")
    assert [(c.handoff_id, c.staff, c.colleague) for c in seen] == [(handoff_id, "alice", "bob")]
