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


def _reason(tracker: Tracker) -> str:
    """Why the bot escalates: the intent that led here, never a guess about the person."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return "asked_for_human" if intent in (None, "talk_to_human") else str(intent)


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
