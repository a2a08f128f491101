"""`action_not_understood`: say so honestly, and offer a human after repeated misses."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.settings import ActionSettings

FALLBACK_INTENT = "nlu_fallback"


def consecutive_misses(events: list[dict[str, Any]]) -> int:
    """How many of the person's latest messages in a row the NLU did not understand."""
    count = 0
    for event in reversed(events):
        if event.get("event") in ("session_started", "restart"):
            break
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        count += 1
    return count


class ActionNotUnderstood(Action):
    """Utter `utter_not_understood` (with 112 and the helplines); after N misses in a row also
    `utter_offer_human`, so nobody is left going round in circles with the bot."""

    def __init__(self, settings: ActionSettings | None = None) -> None:
        self._settings = settings

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_not_understood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Answer the message the NLU could not place."""
        settings = self._settings or ActionSettings.from_env()
        dispatcher.utter_message(response="utter_not_understood")
        if consecutive_misses(tracker.events) >= settings.offer_human_after_misses:
            dispatcher.utter_message(response="utter_offer_human")
        return []
