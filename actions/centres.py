"""`action_find_centre`: tell a person which centre serves their municipality today."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.data import DEFAULT_LANGUAGE, registry_from_settings, words_in
from actions.lines import audience_buttons
from registry import Registry, Resolution, Resolver
from registry.describe import centre_details, social_services_details

logger = logging.getLogger(__name__)

# The one payload form the gateway lets through besides "/intent": a municipality code.
CHOICE_PAYLOAD = "/inform_municipality"
# The bot's words that ask where the person lives: whatever comes next is meant as a place.
ASKS_FOR_A_PLACE = frozenset(
    {
        "utter_where_to_get_help",
        "utter_ask_municipality",
        "utter_pro_consultation",
        "utter_centre_unknown",
        "utter_municipality_ambiguous",
    }
)


def asked_for_a_place(events: list[dict[str, Any]]) -> bool:
    """Whether the bot's last message before this one asked where the person lives."""
    for event in reversed(events):
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action") in ASKS_FOR_A_PLACE
    return False


def choice_buttons(resolution: Resolution) -> list[dict[str, str]]:
    """One button per municipality the name can mean; the payload carries its SCB code."""
    buttons = []
    for municipality in resolution.municipalities:
        via = [c for c in resolution.candidates if c.municipality == municipality]
        locality = next((c.written for c in via if c.kind == "locality"), None)
        title = (
            f"{locality} ({municipality.name})"
            if locality
            else (f"{municipality.name} ({municipality.county})")
        )
        entity = json.dumps({"municipality": municipality.code}, separators=(",", ":"))
        buttons.append({"title": title, "payload": f"{CHOICE_PAYLOAD}{entity}"})
    return buttons


class ActionFindCentre(Action):
    """Resolve the municipality from the message (or a chosen button) and name its centre."""

    def __init__(self, registry: Registry | None = None, today: date | None = None) -> None:
        self._registry = registry
        self._resolver: Resolver | None = None
        self._today = today

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_find_centre"

    @property
    def registry(self) -> Registry:
        """The registry given, else data/ (read on first use)."""
        return self._registry or registry_from_settings()

    @property
    def resolver(self) -> Resolver:
        """The name index, built once per process."""
        if self._resolver is None:
            self._resolver = Resolver(self.registry)
        return self._resolver

    def resolve(self, tracker: Tracker) -> Resolution:
        """The message's own words first; a button payload or a lone entity value otherwise."""
        text = tracker.latest_message.get("text") or ""
        resolution = self.resolver.resolve(text) if not text.startswith("/") else None
        if resolution is None or resolution.how == "none":
            for value in tracker.get_latest_entity_values("municipality"):
                by_entity = self.resolver.resolve(str(value))
                if by_entity.how != "none":
                    return by_entity
        return resolution or self.resolver.resolve("")

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Utter the centre or the fallback; ask back when the name fits several places."""
        resolution = self.resolve(tracker)
        logger.info("find_centre how=%s candidates=%d", resolution.how, len(resolution.candidates))
        if resolution.ambiguous:
            dispatcher.utter_message(
                response="utter_municipality_ambiguous",
                place=resolution.matched,
                buttons=choice_buttons(resolution),
            )
            return [SlotSet("municipality", None)]
        candidate = resolution.candidate
        if candidate is None:
            # The model reads any unknown words as a place; unasked and with no "I live in",
            # "I could not find that place" would answer a question nobody asked.
            text = tracker.latest_message.get("text") or ""
            meant_as_place = asked_for_a_place(tracker.events) or self.resolver.frames_a_place(text)
            unknown = "utter_centre_unknown" if meant_as_place else "utter_not_understood"
            dispatcher.utter_message(response=unknown)
            return [SlotSet("municipality", None)]

        municipality = candidate.municipality
        if resolution.how == "typo":
            dispatcher.utter_message(
                response="utter_municipality_guessed", municipality=municipality.name
            )
        elif candidate.kind == "locality":
            dispatcher.utter_message(
                response="utter_place_in_municipality",
                place=candidate.written,
                municipality=municipality.name,
            )
        language = tracker.get_slot("language") or DEFAULT_LANGUAGE
        centres = self.registry.centres_for(municipality.name, self._today or date.today())
        if not centres:
            dispatcher.utter_message(
                response="utter_centre_fallback", municipality=municipality.name
            )
        for centre in centres:
            dispatcher.utter_message(
                response="utter_centre_found",
                municipality=municipality.name,
                centre_name=centre.name.value,
                centre_details=centre_details(centre, language, self.registry.labels),
            )
        services = self.registry.social_services.get(municipality.name)
        labels = self.registry.labels
        dispatcher.utter_message(text=social_services_details(services, language, labels))
        dispatcher.utter_message(
            text=words_in(labels, language)["lines_question"],
            buttons=audience_buttons(labels, language),
        )
        return [SlotSet("municipality", municipality.name)]
