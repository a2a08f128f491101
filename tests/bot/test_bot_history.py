"""Context on takeover: the conversation with the bot, copied from Rasa's tracker into the
handoff's transcript for staff only (bot/conversation/bot_history.py)."""

from __future__ import annotations

import logging

import pytest

from bot.conversation.bot_history import MAX_TEXT_CHARS, recent_turns
from bot.handoff.states import Side

pytestmark = pytest.mark.unit

LINES_BUTTON = {"title": "I am a woman, 18 or older", "payload": '/which_line{"audience":"women"}'}
TRACKER = [
    {"event": "action", "name": "action_session_start"},
    {"event": "session_started"},
    {"event": "user", "text": "hej, min bror hotar mig"},
    {"event": "bot", "text": "Det låter svårt. Vill du skriva med en person?"},
    {"event": "user", "text": "var finns hjälp i [adress]"},
    {
        "event": "bot",
        "text": "Vill du veta vilken stödlinje som passar dig?",
        "data": {"buttons": [LINES_BUTTON]},
    },
    # A button press: Rasa stores the payload, with the language the gateway adds.
    {"event": "user", "text": '/which_line{"audience":"women","language":"sv"}'},
    {"event": "bot", "text": "Kvinnofridslinjen, 020-50 50 50"},
    # The gateway's own payloads (its danger buttons, the danger signal) have no bot button.
    {"event": "user", "text": "/immediate_danger"},
    {"event": "slot", "name": "language", "value": "sv"},
    {"event": "bot", "text": None, "data": {"custom": {"handoff": {"reason": "danger"}}}},
]


def test_recent_turns_show_a_button_press_as_its_label_and_skip_bare_payloads():
    assert recent_turns(TRACKER, 20) == [
        (Side.PERSON, "hej, min bror hotar mig"),
        (Side.BOT, "Det låter svårt. Vill du skriva med en person?"),
        (Side.PERSON, "var finns hjälp i [adress]"),
        (Side.BOT, "Vill du veta vilken stödlinje som passar dig?"),
        (Side.PERSON, "I am a woman, 18 or older"),
        (Side.BOT, "Kvinnofridslinjen, 020-50 50 50"),
    ]


def test_a_payload_the_bots_last_answer_did_not_offer_is_left_out():
    later = [
        {"event": "bot", "text": "Vill du veta?", "data": {"buttons": [LINES_BUTTON]}},
        {"event": "user", "text": "nej"},
        {"event": "bot", "text": "Okej."},
        {"event": "user", "text": '/which_line{"audience":"women","language":"sv"}'},
    ]
    assert (Side.PERSON, LINES_BUTTON["title"]) not in recent_turns(later, 20)


def test_recent_turns_keep_the_last_messages_and_cut_long_texts():
    events = [{"event": "user", "text": f"meddelande {n}"} for n in range(30)]
    events.append({"event": "bot", "text": "x" * 5000})
    turns = recent_turns(events, 5)
    assert [text for _, text in turns[:4]] == [f"meddelande {n}" for n in range(26, 30)]
    assert len(turns) == 5 and len(turns[-1][1]) == MAX_TEXT_CHARS
    assert turns[-1][1].endswith("…")
    assert recent_turns(events, 0) == []


async def _claim_and_read(client, sign_in, handoff_id):
    staff = await sign_in("sara")
    claimed = await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    assert claimed.status_code == 200, claimed.text
    transcript = await client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=staff.headers)
    assert transcript.status_code == 200, transcript.text
    body = transcript.json()
    # Apart from the chat: the messages hold only what happened since the handoff.
    assert not [m for m in body["messages"] if m["kind"] == "bot_history"]
    return staff, body["bot_history"]


async def test_the_staff_member_sees_the_bot_conversation_and_the_person_never_gets_it_back(
    client, session, queue_session, fake_rasa, sign_in
):
    fake_rasa.tracker = TRACKER
    handoff_id = await queue_session(session)
    staff, messages = await _claim_and_read(client, sign_in, handoff_id)
    history = [m for m in messages if m["kind"] == "bot_history"]
    assert [(m["from"], m["text"]) for m in history] == [
        (str(side), text) for side, text in recent_turns(TRACKER, 20)
    ]
    # The person's own feed (polling, from the start): system events only, none of the copy.
    person = await client.get(f"/api/v1/sessions/{session.id}/events", headers=session.headers)
    assert [e["kind"] for e in person.json()["events"]] == ["no_staff", "joined"]
    # The staff member's events (polling from the start) never carry the copy either.
    polled = await client.get(f"/api/v1/handoffs/{handoff_id}/events", headers=staff.headers)
    assert polled.status_code == 200
    assert [e["kind"] for e in polled.json()] == ["joined"]


async def test_only_the_configured_number_of_messages_is_copied(
    app, client, session, queue_session, fake_rasa, sign_in, monkeypatch
):
    fake_rasa.tracker = [{"event": "user", "text": f"nummer {n}"} for n in range(40)]
    handoff_id = await queue_session(session)
    _, messages = await _claim_and_read(client, sign_in, handoff_id)
    copied = [m["text"] for m in messages if m["kind"] == "bot_history"]
    limit = app.state.settings.handoff_bot_history_messages
    assert copied == [f"nummer {n}" for n in range(40 - limit, 40)]


async def test_a_tracker_that_cannot_be_read_costs_the_context_never_the_handoff(
    client, session, queue_session, fake_rasa, sign_in, caplog
):
    fake_rasa.tracker = None  # Rasa answers the tracker read with a 500
    with caplog.at_level(logging.INFO):
        handoff_id = await queue_session(session, reason="danger")
    assert "bot_history_not_copied kind=RasaUnavailable" in caplog.text
    _, messages = await _claim_and_read(client, sign_in, handoff_id)
    assert not [m for m in messages if m["kind"] == "bot_history"]


async def test_the_quick_exit_erases_the_copy_with_the_transcript(
    client, session, queue_session, fake_rasa, redis_client, app
):
    fake_rasa.tracker = TRACKER
    handoff_id = await queue_session(session)
    stream = app.state.handoffs._keys.handoff_stream(handoff_id)
    copied = [f for _, f in redis_client.xrange(stream) if f["kind"] == "bot_history"]
    assert len(copied) == len(recent_turns(TRACKER, 20))
    assert {f["to"] for f in copied} == {"staff"}
    erased = await client.delete(f"/api/v1/sessions/{session.id}", headers=session.headers)
    assert erased.status_code == 204
    assert not redis_client.exists(stream)
    # A copy that arrives after the erase writes nothing back.
    turns = [(Side.PERSON, "sent late")]
    assert await app.state.handoffs.add_bot_history(handoff_id, session.id, turns) == 0
    assert not redis_client.exists(stream)


async def test_the_copy_takes_only_the_person_and_the_bot_as_senders(app, session, queue_session):
    handoff_id = await queue_session(session)
    with pytest.raises(ValueError):
        await app.state.handoffs.add_bot_history(handoff_id, session.id, [(Side.STAFF, "x")])
