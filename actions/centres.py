"""`action_find_centre`: tell a person which centre serves their municipality today."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.registry import Centre, Registry, load_registry
from actions.settings import ActionSettings

DEFAULT_LANGUAGE = "sv"


def centre_details(centre: Centre, language: str, labels: dict[str, dict[str, str]]) -> str:
    """The centre's description and sourced contact lines in the person's language."""
    words = labels.get(language, labels[DEFAULT_LANGUAGE])
    lines = [centre.about.get(language, centre.about[DEFAULT_LANGUAGE])]
    if centre.phone:
        lines.append(f"{words['phone']}: {centre.phone}")
    if centre.web:
        lines.append(f"{words['web']}: {centre.web}")
    return "\n".join(lines)


class ActionFindCentre(Action):
    """Resolve the municipality from the entity (or the message) and name its centre."""

    def __init__(self, registry: Registry | None = None, today: date | None = None) -> None:
        self._registry = registry
        self._today = today

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_find_centre"

    @property
    def registry(self) -> Registry:
        """The registry, loaded lazily so importing the module reads no files."""
        if self._registry is None:
            self._registry = load_registry(ActionSettings.from_env().data_dir)
        return self._registry

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Utter the centre, the fallback (social services) or ask for the municipality."""
        mentioned = next(tracker.get_latest_entity_values("municipality"), None)
        text = mentioned or tracker.latest_message.get("text") or ""
        municipality = self.registry.resolve(text) if text else None
        if municipality is None:
            dispatcher.utter_message(response="utter_centre_unknown")
            return [SlotSet("municipality", None)]

        language = tracker.get_slot("language") or DEFAULT_LANGUAGE
        on = self._today or date.today()
        centres = self.registry.centres_for(municipality.name, on)
        if not centres:
            dispatcher.utter_message(
                response="utter_centre_fallback", municipality=municipality.name
            )
        for centre in centres:
            dispatcher.utter_message(
                response="utter_centre_found",
                municipality=municipality.name,
                centre_name=centre.name,
                centre_details=centre_details(centre, language, self.registry.labels),
            )
        return [SlotSet("municipality", municipality.name)]
