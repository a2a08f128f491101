"""`action_lines_that_fit`: the one or two national lines that fit the person, by one tap."""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.data import DEFAULT_LANGUAGE, registry_from_settings, words_in
from registry import Registry
from registry.model import LINE_AUDIENCES

logger = logging.getLogger(__name__)

# The payload of each choice; the gateway lets exactly these through (one per audience).
CHOICE_INTENT = "/which_line"


def audience_buttons(labels: dict[str, dict[str, str]], language: str) -> list[dict[str, str]]:
    """One button per kind of person ("I am under 18", ...), in the person's language."""
    words = words_in(labels, language)
    return [
        {
            "title": words[f"audience_{audience}"],
            "payload": CHOICE_INTENT + json.dumps({"audience": audience}, separators=(",", ":")),
        }
        for audience in LINE_AUDIENCES
    ]


def lines_text(registry: Registry, audience: str, language: str) -> str:
    """The lines that fit, each described in the person's language; honest when none does."""
    words = words_in(registry.labels, language)
    fitting = registry.lines_for(audience)
    if not fitting:
        return words["no_line"]
    described = [line.about.get(language) or line.about[DEFAULT_LANGUAGE] for line in fitting]
    return "\n".join([words["lines_intro"], *described])


class ActionLinesThatFit(Action):
    """Answer the choice of who the person is with the lines that fit them."""

    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_lines_that_fit"

    @property
    def registry(self) -> Registry:
        """The registry given, else data/ (read on first use)."""
        return self._registry or registry_from_settings()

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The lines for the chosen audience; the choice again when none was chosen."""
        language = tracker.get_slot("language") or DEFAULT_LANGUAGE
        audience = next(tracker.get_latest_entity_values("audience"), None)
        logger.info("lines_that_fit audience=%s", audience if audience in LINE_AUDIENCES else "-")
        if audience not in LINE_AUDIENCES:
            words = words_in(self.registry.labels, language)
            dispatcher.utter_message(
                text=words["lines_question"],
                buttons=audience_buttons(self.registry.labels, language),
            )
            return []
        dispatcher.utter_message(text=lines_text(self.registry, str(audience), language))
        return []
