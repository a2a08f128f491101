"""`action_request_human`: ask the gateway, in the reply, to hand the conversation to a person.

The action pauses the conversation (`ConversationPaused`) and says why in a custom payload
(`{"handoff": {"reason": ...}}`), as helpdesk-assistant signals its handoff: the gateway reads the
payload in Rasa's reply, queues the conversation and tells the person whether that worked. No
callback into the gateway: the action server holds no token and reaches no other service.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher


class ActionRequestHuman(Action):
    """Pause the bot and signal the handoff with its reason (an intent name)."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The signal; the gateway answers the person once it has queued the conversation."""
        dispatcher.utter_message(json_message={HANDOFF: {"reason": _reason(tracker)}})
        # A paused conversation predicts nothing more, so the turn's closing `action_listen` is
        # recorded here: without it the next message after the handoff would follow
        # action_request_human instead of a listen, and match none of the rules.
        return [ConversationPaused(), ActionExecuted("action_listen")]


HANDOFF = "handoff"


# Intents whose name staff see under a plainer one; every other intent is shown as it is.
_REASONS = {"immediate_danger": "danger", "nlu_fallback": "not_understood"}
OFFER = "utter_offer_human"


def _reason(tracker: Tracker) -> str:
    """Why the bot escalates: an intent name, never a guess about the person.

    When the person accepted the bot's offer of a human, the reason is what made the bot offer
    it (danger, repeated not-understood messages, threats); else what the person asked.
    """
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent not in (None, "talk_to_human"):
        return _REASONS.get(str(intent), str(intent))
    offered_after = _intent_before_offer(tracker.events)
    return _REASONS.get(offered_after, offered_after) if offered_after else "asked_for_human"


def _intent_before_offer(events: list[dict[str, Any]]) -> str | None:
    """The intent of the message the bot answered with an offer of a human, if the latest
    message answered that offer."""
    user_turns = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if len(user_turns) < 2:
        return None
    previous, latest = user_turns[-2], user_turns[-1]
    offered = any(
        e.get("event") == "bot" and (e.get("metadata") or {}).get("utter_action") == OFFER
        for e in events[previous:latest]
    )
    if not offered:
        return None
    return ((events[previous].get("parse_data") or {}).get("intent") or {}).get("name")
