"""The registry's facts as a person reads them, in their language: a centre's contact lines,
how to reach a municipality's social services, and the national lines for people.

Shared by the action server (the bot's answers) and the gateway (what staff insert into a reply),
so staff give the very words and numbers the bot gives; every number comes from data/.
"""

from __future__ import annotations

from datetime import date

from registry.model import Centre, Municipality, Registry, SocialServices

DEFAULT_LANGUAGE = "sv"
# The audience that means professionals: their lines are not what a person in a chat needs.
_PROFESSIONALS = "professionals"


def words_in(labels: dict[str, dict[str, str]], language: str) -> dict[str, str]:
    """The contact labels of `language`, else of the default language."""
    return labels.get(language, labels[DEFAULT_LANGUAGE])


def left_to_right(value: object) -> str:
    """A number or address kept in its own order inside right-to-left text (an isolate)."""
    return f"\u2066{value}\u2069"


def centre_details(centre: Centre, language: str, labels: dict[str, dict[str, str]]) -> str:
    """The centre's description and its sourced contact lines in the person's language."""
    words = words_in(labels, language)
    lines = [centre.about.text(language, DEFAULT_LANGUAGE)]
    if centre.phone:
        lines.append(f"{words['phone']}: {left_to_right(centre.phone.value)}")
    if centre.hours:
        lines.append(f"{words['hours']}: {centre.hours.text(language, DEFAULT_LANGUAGE)}")
    lines.append(f"{words['web']}: {left_to_right(centre.web.value)}")
    return "\n".join(lines)


def social_services_details(
    services: SocialServices | None, language: str, labels: dict[str, dict[str, str]]
) -> str:
    """How to reach the municipality's social services by day (its number, else its page) and
    at night (its on-call's number, else the rule: 112, ask for the socialjour)."""
    words = words_in(labels, language)
    lines = []
    day = services.day if services and services.day and services.day.usable else None
    if day is not None:
        if day.phone:
            lines.append(words["day_phone"].format(phone=day.phone))
        else:
            lines.append(words["day_page"].format(page=day.page))
    night = services.night if services and services.night and services.night.usable else None
    if night is not None and night.phone:
        lines.append(words["night_phone"].format(phone=night.phone))
    else:
        lines.append(words["night_112"])
    return "\n".join(lines)


def help_text(registry: Registry, municipality: Municipality, language: str, on: date) -> str:
    """Everything the bot tells a person about where to get help in a municipality on a day:
    the centre(s) serving it, its social services by day and at night, and the national lines
    for people (not the professionals' ones), each as the bot words it in `language`."""
    labels = registry.labels
    parts = [f"{municipality.name}:"]
    for centre in registry.centres_for(municipality.name, on):
        parts.append(f"{centre.name.value}\n{centre_details(centre, language, labels)}")
    services = registry.social_services.get(municipality.name)
    parts.append(social_services_details(services, language, labels))
    people = [
        line.about.get(language) or line.about[DEFAULT_LANGUAGE]
        for line in registry.lines
        if line.about and any(audience != _PROFESSIONALS for audience in line.fits)
    ]
    if people:
        parts.append("\n".join(people))
    return "\n\n".join(parts)
