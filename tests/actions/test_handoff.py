"""`action_request_human` pauses the bot and signals the handoff, with its reason, in the reply."""

from __future__ import annotations

import pytest
from rasa_sdk.events import ActionExecuted, ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import OFFER, ActionRequestHuman

pytestmark = pytest.mark.unit


async def _signal(tracker) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    events = await ActionRequestHuman().run(dispatcher, tracker, {})
    return dispatcher.messages, events


async def test_asking_for_a_person_pauses_the_bot_and_signals_the_handoff(make_tracker):
    tracker = make_tracker("kan jag prata med en människa", intent="talk_to_human", language="en")
    messages, events = await _signal(tracker)
    assert [m["custom"] for m in messages] == [{"handoff": {"reason": "asked_for_human"}}]
    assert not any(m.get("text") or m.get("response") for m in messages)
    assert events == [ConversationPaused(), ActionExecuted("action_listen")]


async def test_escalation_after_danger_carries_the_intent_as_reason(make_tracker):
    messages, _ = await _signal(make_tracker("/immediate_danger", intent="immediate_danger"))
    assert messages[0]["custom"]["handoff"]["reason"] == "danger"


def _user(intent: str) -> dict:
    return {"event": "user", "text": "…", "parse_data": {"intent": {"name": intent}}}


def _bot(response: str) -> dict:
    return {"event": "bot", "text": "…", "metadata": {"utter_action": response}}


@pytest.mark.parametrize(
    ("before", "reason"),
    [
        ([_user("immediate_danger"), _bot("utter_immediate_danger"), _bot(OFFER)], "danger"),
        ([_user("nlu_fallback"), _bot("utter_not_understood"), _bot(OFFER)], "not_understood"),
        ([_user("threats_violence"), _bot(OFFER)], "threats_violence"),
        ([_user("greet"), _bot("utter_greet")], "asked_for_human"),  # no offer: they asked
        ([], "asked_for_human"),
    ],
)
async def test_accepting_the_bots_offer_carries_what_made_the_bot_offer(
    make_tracker, before, reason
):
    tracker = make_tracker("/talk_to_human", intent="talk_to_human")
    tracker.events = [*before, _user("talk_to_human")]
    messages, _ = await _signal(tracker)
    assert messages[0]["custom"]["handoff"]["reason"] == reason
