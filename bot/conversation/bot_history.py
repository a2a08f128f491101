"""The conversation with the bot so far, shown to the staff member who takes the chat over.

Why a copy from Rasa's tracker: the tracker already holds what the person wrote (redacted by the
gateway before Rasa saw it) and what the bot answered, so nothing new keeps message text; the
copy goes into the handoff's own transcript, the one place that may hold it, addressed to staff
only, and goes with it (quick exit, TTL). A listener of `enqueued`: a tracker that cannot be read
costs the staff member the context, never the person the handoff.

A button press is stored by Rasa as its payload (`/which_line{"audience":"women"}`): it is shown
as the button's label the bot offered just before, or left out when there is none (the
gateway's own buttons, and the danger signal the gateway sends in place of a danger message).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from redis.exceptions import RedisError

from bot.conversation.rasa_client import LANGUAGE_ENTITY, RasaClient, RasaUnavailable
from bot.handoff.events import HandoffChanged
from bot.handoff.service import Handoffs
from bot.handoff.states import Side

logger = logging.getLogger(__name__)

# Longer bot replies (a centre's details) fit; a pasted wall of text does not fill the console.
MAX_TEXT_CHARS = 1000
_PAYLOAD = re.compile(r"^(/[a-z_]{1,64})(\{.*\})?$")


def _payload_key(payload: str) -> tuple[str, str] | None:
    """A payload as intent and entities, without the language the gateway adds to every one."""
    match = _PAYLOAD.match(payload.strip())
    if match is None:
        return None
    try:
        entities = json.loads(match.group(2)) if match.group(2) else {}
    except ValueError:
        return None
    if not isinstance(entities, dict):
        return None
    entities.pop(LANGUAGE_ENTITY, None)
    return match.group(1), json.dumps(entities, sort_keys=True)


def _shortened(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1].rstrip() + "…"


def recent_turns(events: list[dict[str, Any]], limit: int) -> list[tuple[Side, str]]:
    """The last `limit` messages of the person and the bot in a tracker's events, oldest first."""
    turns: list[tuple[Side, str]] = []
    offered: dict[tuple[str, str], str] = {}  # the buttons of the bot's last answer
    answered = True
    for event in events:
        kind = event.get("event")
        text = event.get("text")
        if kind == "bot":
            if answered:
                offered, answered = {}, False
            data = event.get("data")
            for button in (data.get("buttons") if isinstance(data, dict) else None) or []:
                if not isinstance(button, dict):
                    continue
                key = _payload_key(str(button.get("payload") or ""))
                if key and isinstance(button.get("title"), str):
                    offered[key] = button["title"]
            if isinstance(text, str) and text.strip():
                turns.append((Side.BOT, _shortened(text)))
        elif kind == "user" and isinstance(text, str) and text.strip():
            answered = True
            if text.startswith("/"):
                label = offered.get(_payload_key(text) or ("", ""))
                if label:
                    turns.append((Side.PERSON, _shortened(label)))
                continue
            turns.append((Side.PERSON, _shortened(text)))
    return turns[-limit:] if limit > 0 else []


class BotHistory:
    """Copies the recent conversation with the bot into a newly queued handoff's transcript."""

    def __init__(self, rasa: RasaClient, handoffs: Handoffs, max_messages: int) -> None:
        self._rasa = rasa
        self._handoffs = handoffs
        self._max_messages = max_messages

    async def copy(self, change: HandoffChanged) -> None:
        """Listener of `enqueued`: read Rasa's tracker, write its last messages for staff."""
        if self._max_messages <= 0:
            return
        try:
            events = await self._rasa.tracker_events(change.session_id)
            turns = recent_turns(events, self._max_messages)
            added = await self._handoffs.add_bot_history(
                change.handoff_id, change.session_id, turns
            )
        except (RasaUnavailable, RedisError) as error:
            # The type only: an error's message could quote the conversation.
            logger.warning("bot_history_not_copied kind=%s", type(error).__name__)
            return
        logger.info("bot_history_copied entries=%d", added)
