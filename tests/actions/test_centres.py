"""`action_find_centre` with rasa-sdk's dispatcher and tracker."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.centres import ActionFindCentre

pytestmark = pytest.mark.unit


async def test_alingsas_gets_the_alvsborg_centre_in_boras(registry, make_tracker, today):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "jag bor i Alingsås", entities=[{"entity": "municipality", "value": "Alingsås"}]
    )
    events = await ActionFindCentre(registry, today).run(dispatcher, tracker, {})
    assert events == [SlotSet("municipality", "Alingsås")]
    [message] = dispatcher.messages
    assert message["response"] == "utter_centre_found"
    assert message["municipality"] == "Alingsås"
    assert message["centre_name"].endswith("Älvsborg")
    assert "Borås" in message["centre_details"]
    assert "Webb: https://www.boras.se/" in message["centre_details"]


async def test_english_details_and_municipality_from_text_without_entity(
    registry, make_tracker, today
):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("I live in Gothenburg", language="en")
    await ActionFindCentre(registry, today).run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["municipality"] == "Göteborg"
    assert message["centre_details"].startswith("The centre is in central Göteborg")
    assert "Web: https://goteborg.se/" in message["centre_details"]


async def test_municipality_without_centre_gets_the_social_services_fallback(
    registry, make_tracker, today
):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("Kiruna", entities=[{"entity": "municipality", "value": "Kiruna"}])
    events = await ActionFindCentre(registry, today).run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_centre_fallback"
    assert dispatcher.messages[0]["municipality"] == "Kiruna"
    assert events == [SlotSet("municipality", "Kiruna")]


async def test_unknown_place_is_answered_honestly(registry, make_tracker, today):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("jag bor i Narnia")
    events = await ActionFindCentre(registry, today).run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_centre_unknown"]
    assert events == [SlotSet("municipality", None)]
