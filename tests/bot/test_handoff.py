"""The handoff state machine through the API: queue, claim, chat, release, close, timers."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest

from bot.errors import NotFound
from bot.main import create_app
from tests.bot.conftest import TALK_TO_HUMAN, WRAP_UP, WidgetSession

pytestmark = pytest.mark.unit


async def _new_session(client) -> str:
    return (await client.post("/api/v1/sessions")).json()["session_id"]


async def _ask_for_a_person(client, session, **extra):
    response = await client.post(
        f"/api/v1/sessions/{session.id}/messages",
        json={"text": TALK_TO_HUMAN, **extra},
        headers=session.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_bots_handoff_signal_queues_the_session_and_the_person_is_told(
    client, session, redis_client, fake_rasa
):
    fake_rasa.handoff_reason = "danger"
    body = await _ask_for_a_person(client, session, lang="en")
    assert body["handoff"] == "queued"
    assert body["replies"][-1]["text"].startswith("I have asked for a person")
    [handoff_id] = redis_client.lrange("hrv:handoff:queue", 0, -1)
    stored = redis_client.hgetall(f"hrv:handoff:{handoff_id}")
    assert stored["session_id"] == session.id and stored["channel"] == "widget"
    assert stored["state"] == "queued" and stored["reason"] == "danger" and stored["lang"] == "en"
    # Rasa's action paused the bot itself: no second call to Rasa to pause it.
    assert not [event for _, event in fake_rasa.events if event.get("event") == "pause"]
    assert redis_client.hget(f"hrv:session:{session.id}", "rasa_paused") == "1"
    reply = await client.post(
        f"/api/v1/sessions/{session.id}/messages", json={"text": "hello?"}, headers=session.headers
    )
    assert reply.json()["handoff"] == "queued"


async def test_a_reason_that_is_not_an_intent_name_is_stored_as_a_plain_request(
    client, session, redis_client, fake_rasa
):
    fake_rasa.handoff_reason = "Free text about the person"
    await _ask_for_a_person(client, session)
    [handoff_id] = redis_client.lrange("hrv:handoff:queue", 0, -1)
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "reason") == "asked_for_human"


async def test_enqueue_is_idempotent_even_when_concurrent(app, session, redis_client):
    handoffs = app.state.handoffs
    results = await asyncio.gather(
        *(handoffs.enqueue(session.id, "asked_for_human", "sv", "widget") for _ in range(20))
    )
    assert len({r.handoff_id for r in results}) == 1
    assert sum(not r.already_queued for r in results) == 1
    assert redis_client.llen("hrv:handoff:queue") == 1


async def test_queue_is_first_in_first_out(client, new_session, queue_session, redis_client):
    order = [await queue_session(await new_session()) for _ in range(3)]
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == order


async def test_every_handoff_key_expires(client, session, queue_session, redis_client):
    await queue_session(session)
    keys = redis_client.keys("*")
    assert all(redis_client.ttl(key) > 0 for key in keys)
    keys = [key for key in keys if not key.startswith("hrv:limits:")]  # rate counts: own windows
    assert len(keys) == 5  # session, open sessions, handoff, queue, transcript stream
    assert all(0 < redis_client.ttl(key) <= 600 for key in keys)


async def test_enqueue_of_a_session_that_is_gone_is_404(app):
    with pytest.raises(NotFound):
        await app.state.handoffs.enqueue(
            "AAAAAAAAAAAAAAAAAAAAAA", "asked_for_human", "sv", "widget"
        )


# ---------- the person's side while a handoff is open ----------


async def _say(client, session, text, **extra):
    response = await client.post(
        f"/api/v1/sessions/{session.id}/messages",
        json={"text": text, **extra},
        headers=session.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _poll(client, session, after=None):
    params = {"after": after} if after else {}
    response = await client.get(
        f"/api/v1/sessions/{session.id}/events", params=params, headers=session.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _transcript(client, staff, handoff_id):
    response = await client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=staff.headers)
    assert response.status_code == 200, response.text
    return response.json()["messages"]


async def test_while_queued_the_bot_is_silent_and_rasa_gets_nothing(
    client, session, queue_session, fake_rasa
):
    await queue_session(session)
    body = await _say(client, session, "Hallå, är det någon där?")
    assert body == {"replies": [], "lang": "sv", "handoff": "queued"}
    # Rasa paused itself (its action's `pause`): not a message, not an event goes to it now.
    assert fake_rasa.received == [] and fake_rasa.events == []


async def test_danger_in_a_handoff_still_gets_112_first_and_is_flagged_for_staff(
    client, session, queue_session, sign_in, fake_rasa
):
    handoff_id = await queue_session(session)
    body = await _say(client, session, "Jag vågar inte gå hem ikväll")
    assert "112" in body["replies"][0]["text"]
    assert fake_rasa.received == []
    staff = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    [message] = [m for m in await _transcript(client, staff, handoff_id) if m["kind"] == "text"]
    # The safety layer's verdict and kind, never anything about the text.
    assert message["from"] == "person" and message["flags"] == ["danger", "violence"]


async def test_a_whole_handoff_messages_both_ways_then_release_resumes_the_bot(
    client, session, queue_session, sign_in, fake_rasa
):
    staff = await sign_in("alice")
    await client.post("/api/v1/staff/heartbeat", headers=staff.headers)  # on duty
    handoff_id = await queue_session(session)
    await _say(client, session, "Jag behöver prata med någon")

    claimed = await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    assert claimed.status_code == 200 and claimed.json()["state"] == "active"
    assert (await _say(client, session, "<script>alert(1)</script>"))["handoff"] == "active"
    sent = await client.post(
        f"/api/v1/handoffs/{handoff_id}/messages",
        json={"text": "Hej, jag heter Sara och jobbar här."},
        headers=staff.headers,
    )
    assert sent.status_code == 201

    texts = [(m["from"], m["text"]) for m in await _transcript(client, staff, handoff_id)]
    assert [t for t in texts if t[0] != "system"] == [
        ("person", "Jag behöver prata med någon"),
        ("person", "<script>alert(1)</script>"),
        ("staff", "Hej, jag heter Sara och jobbar här."),
    ]
    person_view = await _poll(client, session)
    assert [e["kind"] for e in person_view["events"]] == ["joined", "text"]
    assert person_view["events"][1]["text"] == "Hej, jag heter Sara och jobbar här."
    assert person_view["handoff"] == "active"
    assert fake_rasa.received == []

    released = await client.post(f"/api/v1/handoffs/{handoff_id}/release", headers=staff.headers)
    assert released.status_code == 200 and released.json()["state"] == "released"
    after = await _poll(client, session, after=person_view["events"][-1]["id"])
    assert [e["kind"] for e in after["events"]] == ["released"]
    assert after["handoff"] == "none"
    # The pause was Rasa's own (its action's); the gateway wakes the bot when staff let go.
    assert [e for _, e in fake_rasa.events if e["event"] in ("pause", "resume")] == [
        {"event": "resume"},
    ]
    body = await _say(client, session, "Tack, vad är heder?")
    assert body["replies"] == [{"text": "Hej från boten"}] and body["handoff"] == "none"
    assert [m["message"] for m in fake_rasa.received] == ["Tack, vad är heder?"]


async def test_claim_race_exactly_one_of_fifty_wins(client, session, queue_session, sign_in):
    handoff_id = await queue_session(session)
    consoles = [await sign_in(f"staff{i}") for i in range(5)]
    responses = await asyncio.gather(
        *(
            client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=consoles[i % 5].headers)
            for i in range(50)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 49
    assert all(r.json()["error"]["code"] == "conflict" for r in responses if r.status_code == 409)


async def test_staff_cannot_read_or_write_another_staff_members_conversation(
    client, session, queue_session, sign_in, new_session
):
    handoff_id = await queue_session(session)
    alice, bob = await sign_in("alice"), await sign_in("bob")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    base = f"/api/v1/handoffs/{handoff_id}"
    attempts = [
        client.get(f"{base}/messages", headers=bob.headers),
        client.post(f"{base}/messages", json={"text": "hej"}, headers=bob.headers),
        client.get(f"{base}/events", headers=bob.headers),
        client.post(f"{base}/release", headers=bob.headers),
        client.post(f"{base}/close", json=WRAP_UP, headers=bob.headers),
    ]
    for response in await asyncio.gather(*attempts):
        assert response.status_code == 403, response.request.url
    assert (await client.get("/api/v1/handoffs?state=active", headers=bob.headers)).json() == []
    mine = (await client.get("/api/v1/handoffs?state=active", headers=alice.headers)).json()
    assert [h["handoff_id"] for h in mine] == [handoff_id]

    # Nor can anyone read a queued conversation before claiming it.
    waiting = await new_session()
    waiting_id = await queue_session(waiting)
    peek = await client.get(f"/api/v1/handoffs/{waiting_id}/messages", headers=alice.headers)
    assert peek.status_code == 403


async def test_staff_api_refuses_missing_or_wrong_tokens(client, session, queue_session, sign_in):
    handoff_id = await queue_session(session)
    await sign_in("alice")
    base = f"/api/v1/handoffs/{handoff_id}"
    calls = [
        ("GET", "/api/v1/handoffs", None),
        ("POST", f"{base}/claim", None),
        ("GET", f"{base}/messages", None),
        ("POST", f"{base}/messages", {"text": "hej"}),
        ("GET", f"{base}/events", None),
        ("POST", f"{base}/release", None),
        ("POST", f"{base}/close", WRAP_UP),
        ("POST", "/api/v1/staff/heartbeat", None),
        ("POST", "/api/v1/staff/logout", None),
    ]
    for headers in ({}, {"Authorization": "Bearer nope"}, session.headers):
        for method, url, body in calls:
            response = await client.request(method, url, json=body, headers=headers)
            assert response.status_code == 401, (method, url, headers)


async def test_an_ended_handoff_rejects_messages_and_the_bot_answers_the_person(
    client, session, queue_session, sign_in, fake_rasa
):
    handoff_id = await queue_session(session)
    staff = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    closed = await client.post(
        f"/api/v1/handoffs/{handoff_id}/close", json=WRAP_UP, headers=staff.headers
    )
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    late = await client.post(
        f"/api/v1/handoffs/{handoff_id}/messages", json={"text": "hej?"}, headers=staff.headers
    )
    assert late.status_code == 409
    assert (
        await client.post(
            f"/api/v1/handoffs/{handoff_id}/close", json=WRAP_UP, headers=staff.headers
        )
    ).status_code == 409
    assert (await _say(client, session, "hej igen"))["replies"] == [{"text": "Hej från boten"}]


async def test_person_can_leave_the_queue_and_the_bot_takes_over(
    client, session, queue_session, sign_in, redis_client, fake_rasa
):
    handoff_id = await queue_session(session)
    await _say(client, session, "hallå?")
    left = await client.post(
        f"/api/v1/sessions/{session.id}/handoff/leave", headers=session.headers
    )
    assert left.status_code == 200 and left.json() == {"handoff": "none"}
    assert redis_client.llen("hrv:handoff:queue") == 0
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "state") == "closed"
    assert [e for _, e in fake_rasa.events if e["event"] in ("pause", "resume")][-1] == {
        "event": "resume"
    }
    again = await client.post(
        f"/api/v1/sessions/{session.id}/handoff/leave", headers=session.headers
    )
    assert again.status_code == 200 and again.json() == {"handoff": "none"}
    staff = await sign_in("alice")
    assert (await client.get("/api/v1/handoffs", headers=staff.headers)).json() == []
    claim = await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    assert claim.status_code == 409


async def test_a_retried_message_is_stored_once(client, session, queue_session, sign_in):
    handoff_id = await queue_session(session)
    for _ in range(2):
        await _say(client, session, "bara en gång", msg_id="person-msg-0001")
    staff = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    ids = set()
    for _ in range(2):
        sent = await client.post(
            f"/api/v1/handoffs/{handoff_id}/messages",
            json={"text": "svar", "msg_id": "staff-msg-0001"},
            headers=staff.headers,
        )
        ids.add(sent.json()["id"])
    assert len(ids) == 1
    texts = [m["text"] for m in await _transcript(client, staff, handoff_id) if m["kind"] == "text"]
    assert texts == ["bara en gång", "svar"]


async def test_queue_lists_first_in_first_and_each_item_has_the_contract_fields(
    client, queue_session, new_session, sign_in
):
    first, second = await new_session(), await new_session()
    first_id = await queue_session(first, reason="danger")
    second_id = await queue_session(second)
    staff = await sign_in("alice")
    listed = (await client.get("/api/v1/handoffs?state=queued", headers=staff.headers)).json()
    assert [h["handoff_id"] for h in listed] == [first_id, second_id]
    assert {"handoff_id", "state", "lang", "reason", "queued_at"} <= set(listed[0])
    assert listed[0]["reason"] == "danger" and listed[0]["state"] == "queued"
    assert listed[0]["lang"] == "sv"
    assert first.id not in str(listed) and second.id not in str(listed)  # staff never see it
    bad = await client.get("/api/v1/handoffs?state=closed", headers=staff.headers)
    assert bad.status_code == 422


# ---------- leases, waiting limits, opening hours (fake clock) ----------


async def test_a_lapsed_lease_puts_the_chat_back_at_the_front_of_the_queue(
    app, client, queue_session, new_session, sign_in, clock, settings, redis_client
):
    first, second = await new_session(), await new_session()
    first_id = await queue_session(first)
    second_id = await queue_session(second)
    alice = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{first_id}/claim", headers=alice.headers)

    clock.advance(settings.handoff_lease_seconds + 1)  # the console went silent
    await app.state.handoffs.sweep()
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == [first_id, second_id]
    assert redis_client.hget(f"hrv:session:{first.id}", "handoff") == "queued"
    late = await client.post(
        f"/api/v1/handoffs/{first_id}/messages", json={"text": "hej"}, headers=alice.headers
    )
    assert late.status_code == 403
    kinds = [e["kind"] for e in (await _poll(client, first))["events"]]
    assert kinds[-1] == "requeued"
    actions = [e["action"] for _, e in redis_client.xrange("hrv:audit")]
    assert "lease_lapsed" in actions


async def test_the_heartbeat_keeps_the_lease(
    app, client, session, queue_session, sign_in, clock, settings
):
    handoff_id = await queue_session(session)
    alice = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    for _ in range(4):
        clock.advance(settings.handoff_lease_seconds * 0.6)
        beat = await client.post("/api/v1/staff/heartbeat", headers=alice.headers)
        assert beat.json()["leases_renewed"] == 1
        await app.state.handoffs.sweep()
    handoff = await client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=alice.headers)
    assert handoff.json()["handoff"]["state"] == "active"


async def test_a_renewed_lease_never_leaves_the_leases_set_without_a_ttl(
    client, session, queue_session, sign_in, redis_client
):
    handoff_id = await queue_session(session)
    alice = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    redis_client.delete("hrv:handoff:leases")  # as if it had expired while the chat went on
    beat = await client.post("/api/v1/staff/heartbeat", headers=alice.headers)
    assert beat.json()["leases_renewed"] == 1
    assert redis_client.zscore("hrv:handoff:leases", handoff_id) is not None
    assert redis_client.ttl("hrv:handoff:leases") > 0


async def test_waiting_too_long_tells_the_person_once(
    app, client, session, queue_session, sign_in, clock, settings
):
    alice = await sign_in("alice")
    await client.post("/api/v1/staff/heartbeat", headers=alice.headers)  # someone is on duty
    await queue_session(session)
    assert (await _poll(client, session))["events"] == []
    clock.advance(settings.handoff_wait_seconds - 5)
    await app.state.handoffs.sweep()
    assert (await _poll(client, session))["events"] == []
    clock.advance(10)
    await app.state.handoffs.sweep()
    await app.state.handoffs.sweep()
    events = (await _poll(client, session))["events"]
    assert [e["kind"] for e in events] == ["wait_long"]
    assert (await _poll(client, session))["handoff"] == "queued"  # the place is kept


async def test_nobody_on_duty_tells_the_person_at_once(client, session, queue_session):
    await queue_session(session)
    events = (await _poll(client, session))["events"]
    assert [e["kind"] for e in events] == ["no_staff"]


async def test_outside_opening_hours_tells_the_person_even_with_staff_signed_in(
    settings, fake_rasa, redis_client, clock
):
    from zoneinfo import ZoneInfo

    # Saturday 2026-11-21 12:00 in Stockholm; the chat is staffed on weekdays only.
    clock.now = datetime(2026, 11, 21, 12, 0, tzinfo=ZoneInfo("Europe/Stockholm")).timestamp()
    weekdays = settings.model_copy(update={"handoff_hours": "mon-fri 09:00-16:00"})
    app = create_app(weekdays, rasa_transport=httpx.MockTransport(fake_rasa.handler), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw.test") as client:
            account = await app.state.staff_auth.add("alice")
            login = {"token": account.token, "code": account.code(clock())}
            console = (await client.post("/api/v1/staff/login", json=login)).json()
            beat = await client.post(
                "/api/v1/staff/heartbeat", headers={"Authorization": f"Bearer {console['token']}"}
            )
            assert beat.json()["open_now"] is False and beat.json()["staff_on_duty"] == 1
            created = (await client.post("/api/v1/sessions")).json()
            person = WidgetSession(id=created["session_id"], token=created["token"])
            queued = await client.post(
                f"/api/v1/sessions/{person.id}/messages",
                json={"text": TALK_TO_HUMAN},
                headers=person.headers,
            )
            assert queued.json()["handoff"] == "queued"
            events = (await _poll(client, person))["events"]
            assert [e["kind"] for e in events] == ["no_staff"]


# ---------- nothing left behind ----------


async def test_every_key_of_a_whole_handoff_expires(
    client, session, queue_session, sign_in, redis_client
):
    handoff_id = await queue_session(session)
    await _say(client, session, "hej", msg_id="person-msg-0001")
    alice = await sign_in("alice")
    await client.post("/api/v1/staff/heartbeat", headers=alice.headers)
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    await client.post(
        f"/api/v1/handoffs/{handoff_id}/messages",
        json={"text": "hej", "msg_id": "staff-msg-0001"},
        headers=alice.headers,
    )
    await client.post("/api/v1/staff/login", json={"token": "alice.wrong", "code": "000000"})
    await client.post(f"/api/v1/handoffs/{handoff_id}/release", headers=alice.headers)
    keys = redis_client.keys("*")
    assert {"hrv:audit", f"hrv:handoff:{handoff_id}:stream", "hrv:staff:account:alice"} <= set(keys)
    assert [key for key in keys if redis_client.ttl(key) <= 0] == []


async def test_quick_exit_erases_the_handoff_and_its_transcript(
    client, session, queue_session, sign_in, redis_client
):
    handoff_id = await queue_session(session)
    await _say(client, session, "något privat", msg_id="person-msg-0001")
    alice = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    erased = await client.delete(f"/api/v1/sessions/{session.id}", headers=session.headers)
    assert erased.status_code == 204
    left = [k for k in redis_client.keys("*") if handoff_id in k or session.id in k]
    assert left == []
    assert all(
        "något privat" not in str(redis_client.xrange(k)) for k in redis_client.keys("hrv:audit")
    )
    gone = await client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=alice.headers)
    assert gone.status_code == 404


async def test_quick_exit_erases_every_earlier_handoff_of_the_session_too(
    client, session, queue_session, sign_in, redis_client
):
    alice = await sign_in("alice")
    first = await queue_session(session)
    await client.post(f"/api/v1/handoffs/{first}/claim", headers=alice.headers)
    await _say(client, session, "något privat", msg_id="person-msg-0001")
    await _poll(client, session)
    released = await client.post(f"/api/v1/handoffs/{first}/release", headers=alice.headers)
    assert released.status_code == 200
    second = await queue_session(session)
    assert second != first
    assert [k for k in redis_client.scan_iter("*") if first in k] == []  # gone when replaced
    await _say(client, session, "igen", msg_id="person-msg-0002")
    erased = await client.delete(f"/api/v1/sessions/{session.id}", headers=session.headers)
    assert erased.status_code == 204
    left = [
        key
        for key in redis_client.scan_iter("*")
        if first in key or second in key or session.id in key
    ]
    assert left == []
    assert first not in redis_client.lrange("hrv:handoff:queue", 0, -1)
    assert second not in redis_client.lrange("hrv:handoff:queue", 0, -1)
    assert redis_client.zscore("hrv:handoff:leases", first) is None


async def test_the_sweeper_survives_any_error_and_logs_only_its_kind(caplog):
    from bot.main import _sweep_forever

    class Flaky:
        calls = 0

        async def sweep(self) -> None:
            self.calls += 1
            if self.calls == 1:
                raise ValueError("secret message text")
            stop.set()

    stop = asyncio.Event()
    flaky = Flaky()
    await asyncio.wait_for(_sweep_forever(flaky, 0.01, stop), timeout=5)  # type: ignore[arg-type]
    assert flaky.calls == 2
    assert "ValueError" in caplog.text and "secret message text" not in caplog.text


# ---------- the audit log's age limit ----------


def _seed_audit(redis_client, ttl_seconds: int) -> tuple[str, str]:
    """Two entries by Redis's clock (stream ids are its time): one older than the TTL, one not."""
    seconds, micros = redis_client.time()
    now_ms = seconds * 1000 + micros // 1000
    too_old = f"{now_ms - ttl_seconds * 1000 - 60_000}-0"
    recent = f"{now_ms - ttl_seconds * 1000 + 3_600_000}-0"
    redis_client.delete("hrv:audit")
    for stream_id in (too_old, recent):
        redis_client.xadd("hrv:audit", {"at": 0, "who": "x", "action": "seeded"}, id=stream_id)
    return too_old, recent


@pytest.mark.parametrize("writer", ["record", "script"])
async def test_audit_entries_older_than_the_ttl_are_dropped_when_the_log_is_written(
    app, client, session, queue_session, sign_in, settings, redis_client, writer
):
    handoff_id = await queue_session(session)
    alice = await sign_in("alice")
    too_old, recent = _seed_audit(redis_client, settings.audit_ttl_seconds)
    if writer == "record":
        await app.state.audit.record("alice", "viewed_queue")
    else:  # the handoff scripts append to the log themselves
        await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    ids = [stream_id for stream_id, _ in redis_client.xrange("hrv:audit")]
    assert too_old not in ids and recent in ids and len(ids) == 2
    assert 0 < redis_client.ttl("hrv:audit") <= settings.audit_ttl_seconds  # still a backstop


async def test_staff_remove_keeps_the_configured_audit_ttl(
    app, client, session, queue_session, sign_in, redis_url, redis_client, monkeypatch
):
    from bot import cli
    from bot.config import get_settings

    handoff_id = await queue_session(session)
    alice = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    monkeypatch.setenv("HRV_REDIS_URL", redis_url)
    monkeypatch.setenv("HRV_AUDIT_TTL_SECONDS", "7200")
    get_settings.cache_clear()
    try:
        assert await cli._staff("remove", "alice") == 0  # requeues alice's chat, audited
    finally:
        get_settings.cache_clear()
    actions = [e["action"] for _, e in redis_client.xrange("hrv:audit")]
    assert actions[-1] == "lease_lapsed"
    assert 0 < redis_client.ttl("hrv:audit") <= 7200
