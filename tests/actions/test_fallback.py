"""`action_not_understood`: honest answer each time, a human offered after repeated misses."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionNotUnderstood, consecutive_misses
from actions.settings import ActionSettings

pytestmark = pytest.mark.unit


def _user(intent: str) -> dict:
    return {"event": "user", "text": "…", "parse_data": {"intent": {"name": intent}}}


def _settings(misses: int = 2) -> ActionSettings:
    return ActionSettings(
        data_dir=None,  # type: ignore[arg-type]
        offer_human_after_misses=misses,
    )


@pytest.mark.parametrize(
    ("intents", "misses"),
    [
        (["nlu_fallback"], 1),
        (["greet", "nlu_fallback", "nlu_fallback"], 2),
        (["nlu_fallback", "greet", "nlu_fallback"], 1),
        (["nlu_fallback", "nlu_fallback", "greet"], 0),
    ],
)
def test_consecutive_misses_counts_only_the_latest_run(intents, misses):
    events = []
    for intent in intents:
        events += [_user(intent), {"event": "action", "name": "action_listen"}]
    assert consecutive_misses(events) == misses


def test_a_new_session_starts_the_count_again():
    events = [_user("nlu_fallback"), {"event": "session_started"}, _user("nlu_fallback")]
    assert consecutive_misses(events) == 1


@pytest.mark.parametrize(
    ("intents", "responses"),
    [
        (["nlu_fallback"], ["utter_not_understood"]),
        (["nlu_fallback", "nlu_fallback"], ["utter_not_understood", "utter_offer_human"]),
        (["nlu_fallback", "greet", "nlu_fallback"], ["utter_not_understood"]),
    ],
)
async def test_second_miss_in_a_row_offers_a_human(make_tracker, intents, responses):
    tracker = make_tracker("qwxz", intent="nlu_fallback")
    tracker.events = [_user(intent) for intent in intents]
    dispatcher = CollectingDispatcher()
    events = await ActionNotUnderstood(_settings()).run(dispatcher, tracker, {})
    assert events == []
    assert [m["response"] for m in dispatcher.messages] == responses
