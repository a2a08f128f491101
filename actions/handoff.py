"""`action_request_human`: put the conversation in the gateway's handoff queue."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.settings import ActionSettings

logger = logging.getLogger(__name__)


class ActionRequestHuman(Action):
    """Ask the gateway (over HTTP, with the service token) to queue this conversation."""

    def __init__(self, settings: ActionSettings | None = None) -> None:
        self._settings = settings

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Queue the conversation; say honestly whether that worked."""
        settings = self._settings or ActionSettings.from_env()
        payload = {
            "session_id": tracker.sender_id,
            "reason": _reason(tracker),
            "lang": tracker.get_slot("language") or "sv",
        }
        queued = await _enqueue(settings, payload)
        dispatcher.utter_message(
            response="utter_handoff_requested" if queued else "utter_handoff_unavailable"
        )
        return []


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


async def _enqueue(settings: ActionSettings, payload: dict[str, str]) -> bool:
    url = f"{settings.gateway_url}/api/v1/internal/handoffs"
    headers = {"Authorization": f"Bearer {settings.service_token}"}
    timeout = aiohttp.ClientTimeout(total=settings.request_timeout_seconds)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as client,
            client.post(url, json=payload, headers=headers) as response,
        ):
            if response.status in (200, 201):
                return True
            logger.warning("handoff_enqueue_refused status=%s", response.status)
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        logger.warning("handoff_enqueue_failed error=%s", type(error).__name__)
    return False
