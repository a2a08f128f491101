"""The waiting line against real Redis: risk first (also after a flagged message during the
wait), places and rough waits, and people whose page went quiet (away, gone, back)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.conversation.safety import Assessment, Verdict
from bot.handoff.open_lines import OpenLines
from bot.handoff.waiting import per_place_seconds

pytestmark = pytest.mark.unit


@pytest.fixture
def verdict(app):
    """The safety layer's verdict for the next messages (the layer itself is tested elsewhere)."""

    def choose(kind: str | None, sure: bool = True) -> None:
        result = (
            Assessment(Verdict.NONE)
            if kind is None
            else Assessment(Verdict.DANGER if sure else Verdict.UNSURE, kind, 0.9, False, ())
        )
        app.state.safety.assess = lambda text: result

    return choose


async def _say(client, session, text: str) -> dict:
    response = await client.post(
        f"/api/v1/sessions/{session.id}/messages",
        json={"text": text, "lang": "en"},
        headers=session.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _queue(client, staff) -> list[dict]:
    response = await client.get("/api/v1/handoffs?state=queued", headers=staff.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _events(client, session) -> dict:
    response = await client.get(f"/api/v1/sessions/{session.id}/events", headers=session.headers)
    assert response.status_code == 200, response.text
    return response.json()


# ---------- risk first ----------


async def test_the_queue_lists_marks_as_kinds_or_null_and_positions_in_order(
    client, new_session, queue_session, verdict, sign_in
):
    plain = await queue_session(await new_session())
    endangered = await new_session()
    verdict("threat")
    await _say(client, endangered, "anything")
    verdict(None)
    marked = await queue_session(endangered)
    listed = await _queue(client, await sign_in("sara"))
    assert [(i["handoff_id"], i["risk"], i["position"]) for i in listed] == [
        (marked, "threat", 1),
        (plain, None, 2),
    ]
    assert all(item["away"] is False for item in listed)


async def test_a_flagged_message_during_the_wait_marks_the_chat_and_moves_it_ahead(
    client, new_session, queue_session, verdict, sign_in, redis_client
):
    verdict(None)
    first, second, third = await new_session(), await new_session(), await new_session()
    first_id = await queue_session(first)
    endangered = await new_session()
    verdict("violence")
    await _say(client, endangered, "anything")
    verdict(None)
    marked_id = await queue_session(endangered)
    second_id = await queue_session(second)
    third_id = await queue_session(third)
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == [
        marked_id,
        first_id,
        second_id,
        third_id,
    ]

    verdict("suicide", sure=False)  # unsure counts: the layer flagged it, and 112 went out
    body = await _say(client, third, "anything")
    assert "112" in body["replies"][0]["text"]
    # Behind the chat marked earlier, ahead of every unmarked one; the mark is the kind.
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == [
        marked_id,
        third_id,
        first_id,
        second_id,
    ]
    assert redis_client.hget(f"hrv:handoff:{third_id}", "risk") == "suicide"
    listed = await _queue(client, await sign_in("sara"))
    assert [(i["handoff_id"], i["risk"]) for i in listed][:2] == [
        (marked_id, "violence"),
        (third_id, "suicide"),
    ]

    verdict("threat")  # a second flag keeps the first mark and the place
    await _say(client, third, "anything")
    assert redis_client.hget(f"hrv:handoff:{third_id}", "risk") == "suicide"
    assert redis_client.lrange("hrv:handoff:queue", 0, -1)[1] == third_id


async def test_an_unflagged_message_or_a_claimed_chat_is_not_marked(
    client, new_session, queue_session, verdict, sign_in, redis_client
):
    verdict(None)
    first, second = await new_session(), await new_session()
    first_id = await queue_session(first)
    second_id = await queue_session(second)
    await _say(client, second, "just a question")
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == [first_id, second_id]
    assert redis_client.hget(f"hrv:handoff:{second_id}", "risk") == ""

    staff = await sign_in("sara")
    await client.post(f"/api/v1/handoffs/{first_id}/claim", headers=staff.headers)
    verdict("violence")
    await _say(client, first, "anything")  # talking with staff: flagged, not re-marked
    assert redis_client.hget(f"hrv:handoff:{first_id}", "risk") == ""
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == [second_id]


async def test_flagged_messages_count_in_the_held_list_without_text(
    client, new_session, queue_session, verdict, sign_in
):
    verdict(None)
    person = await new_session()
    handoff_id = await queue_session(person)
    staff = await sign_in("sara")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)

    async def held() -> dict:
        listed = await client.get("/api/v1/handoffs?state=active", headers=staff.headers)
        return next(item for item in listed.json() if item["handoff_id"] == handoff_id)

    await _say(client, person, "just a question")
    assert (await held())["flagged"] == 0
    verdict("threat")
    await _say(client, person, "he says he will kill me")
    await _say(client, person, "he is here")
    item = await held()
    assert item["flagged"] == 2  # the console alerts when it grows in a chat it is not showing
    assert "kill" not in str(item)


# ---------- place and rough wait ----------


def test_per_place_is_the_median_gap_while_people_queued_behind_each_other():
    # Claimed at 100 s, 160 s, 240 s; the second and third were already waiting at the claim
    # before theirs, so staff took the next one every 60 and 80 s.
    claims = [(100_000, 30_000), (160_000, 90_000), (240_000, 130_000)]
    assert per_place_seconds(claims) == 70.0


def test_per_place_is_the_median_wait_when_nobody_waited_behind_anyone():
    claims = [(100_000, 30_000), (1_000_000, 50_000), (2_000_000, 200_000)]
    assert per_place_seconds(claims) == 50.0
    assert per_place_seconds([]) is None


async def test_the_waiting_person_gets_place_and_wait_from_the_last_hours_claims(
    app, client, new_session, queue_session, sign_in, clock, redis_client
):
    staff = await sign_in("sara")
    await client.post("/api/v1/staff/heartbeat", headers=staff.headers)  # on duty
    first, second, third = await new_session(), await new_session(), await new_session()
    first_id = await queue_session(first)
    await queue_session(second)
    await queue_session(third)
    # No claim in the last hour: the place, but no number.
    assert (await _events(client, third))["queue"] == {
        "position": 3,
        "estimated_wait_seconds": None,
        "staffed": True,
        "lines_open": app.state.open_lines.open_at(clock()),
    }

    clock.advance(240)
    await client.post(f"/api/v1/handoffs/{first_id}/claim", headers=staff.headers)
    # What is kept: times and durations only.
    [(member, score)] = redis_client.zrange("hrv:handoff:claim_waits", 0, -1, withscores=True)
    assert member.startswith("240:") and first_id not in member and first.id not in member
    assert 0 < redis_client.ttl("hrv:handoff:claim_waits") <= 3600
    clock.advance(3)  # past the shared view's few seconds
    await client.post("/api/v1/staff/heartbeat", headers=staff.headers)
    assert (await _events(client, third))["queue"]["position"] == 2
    assert (await _events(client, third))["queue"]["estimated_wait_seconds"] == 480
    assert (await _events(client, second))["queue"]["estimated_wait_seconds"] == 240

    # That claim an hour ago: no guess again.
    redis_client.zadd("hrv:handoff:claim_waits", {member: score - 3_600_001})
    clock.advance(3)
    assert (await _events(client, second))["queue"]["estimated_wait_seconds"] is None


async def test_no_number_when_nobody_is_on_duty_and_no_queue_once_claimed(
    app, client, session, queue_session, sign_in, clock
):
    handoff_id = await queue_session(session)
    await app.state.waiting_line.record_claim(int(clock() * 1000), 60_000)
    queue = (await _events(client, session))["queue"]
    assert queue["position"] == 1 and queue["staffed"] is False
    assert queue["estimated_wait_seconds"] is None  # a number would be a guess
    staff = await sign_in("sara")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    body = await _events(client, session)
    assert body["handoff"] == "active" and body["queue"] is None


def test_open_lines_follow_the_registrys_hours(app):
    lines: OpenLines = app.state.open_lines
    stockholm = ZoneInfo("Europe/Stockholm")
    tuesday_noon = datetime(2026, 12, 8, 12, 0, tzinfo=stockholm).timestamp()
    sunday_night = datetime(2026, 12, 6, 23, 0, tzinfo=stockholm).timestamp()
    assert {"bris", "kvinnofridslinjen", "somaya"} <= set(lines.open_at(tuesday_noon))
    assert "nationella-stodtelefonen" not in lines.open_at(tuesday_noon)
    assert set(lines.open_at(sunday_night)) == {"bris", "kvinnofridslinjen"}


# ---------- away, gone, back ----------


async def test_a_quiet_page_is_away_then_gone_then_back_in_its_place(
    app, client, new_session, queue_session, sign_in, clock, settings, redis_client
):
    first, second, third = await new_session(), await new_session(), await new_session()
    first_id = await queue_session(first)
    second_id = await queue_session(second)
    third_id = await queue_session(third)
    staff = await sign_in("sara")

    clock.advance(settings.handoff_away_seconds - 20)
    await _events(client, second)  # polls: still there
    await _events(client, third)
    clock.advance(30)
    listed = await _queue(client, staff)
    assert [(i["handoff_id"], i["away"], i["position"]) for i in listed] == [
        (first_id, True, 1),
        (second_id, False, 2),
        (third_id, False, 3),
    ]

    clock.advance(settings.handoff_gone_seconds)
    await _events(client, second)
    await _events(client, third)
    listed = await _queue(client, staff)
    assert [(i["handoff_id"], i["position"]) for i in listed] == [(second_id, 1), (third_id, 2)]
    assert (await _events(client, third))["queue"]["position"] == 2
    refused = await client.post(f"/api/v1/handoffs/{first_id}/claim", headers=staff.headers)
    assert refused.status_code == 409  # nobody claims a ghost
    # Still in the queue list, so a return finds the place kept.
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == [first_id, second_id, third_id]
    await app.state.handoffs.sweep()
    assert redis_client.lrange("hrv:handoff:queue", 0, -1)[0] == first_id

    back = await _events(client, first)
    assert back["handoff"] == "queued" and back["queue"]["position"] == 1
    listed = await _queue(client, staff)
    assert (listed[0]["handoff_id"], listed[0]["away"]) == (first_id, False)
    assert [i["position"] for i in listed] == [1, 2, 3]
    assert 0 < redis_client.ttl("hrv:handoff:seen") <= settings.session_ttl_seconds


async def test_telegram_never_counts_as_away(
    app, client, session, queue_session, sign_in, clock, settings, redis_client
):
    handoff_id = await queue_session(session)
    redis_client.hset(f"hrv:handoff:{handoff_id}", "channel", "telegram")
    clock.advance(settings.handoff_gone_seconds + 60)
    [item] = await _queue(client, await sign_in("sara"))
    assert item["handoff_id"] == handoff_id and item["away"] is False and item["position"] == 1


async def test_presence_is_written_at_most_every_few_seconds_and_dropped_once_claimed(
    app, client, session, queue_session, sign_in, clock, redis_client
):
    handoff_id = await queue_session(session)
    await _events(client, session)
    first = redis_client.zscore("hrv:handoff:seen", handoff_id)
    clock.advance(2)
    await _events(client, session)
    assert redis_client.zscore("hrv:handoff:seen", handoff_id) == first
    clock.advance(10)
    await _events(client, session)
    assert redis_client.zscore("hrv:handoff:seen", handoff_id) > first
    staff = await sign_in("sara")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    assert redis_client.zscore("hrv:handoff:seen", handoff_id) is None
