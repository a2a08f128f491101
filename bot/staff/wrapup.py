"""The wrap-up a staff member records when closing a chat: categories and an outcome, as data.

`bot/data/wrapup.yml` lists the ids and the console's label for each in every console language;
it is checked when the gateway starts, so a broken file stops the start, not a close. Only the
ids travel and are counted (bot/handoff/counters.py): a close with an unknown id, no category or
no outcome is refused before anything changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import BadInput
from bot.languages import LanguageDataError, read_yaml

# An id becomes part of a counter's name (bot/handoff/counters.py FIELD).
_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_LISTS = ("categories", "outcomes")


@dataclass(frozen=True)
class Choice:
    """One category or outcome: its id and its label per console language."""

    id: str
    labels: dict[str, str]


@dataclass(frozen=True)
class WrapUp:
    """The categories and outcomes staff choose from."""

    categories: tuple[Choice, ...]
    outcomes: tuple[Choice, ...]

    @classmethod
    def load(cls, path: Path, console_languages: Iterable[str]) -> WrapUp:
        """Read and check the file: unique ids of a-z, 0-9 and _, a label in every console
        language; LanguageDataError names every problem."""
        raw = read_yaml(path)
        languages = set(console_languages)
        if not isinstance(raw, dict) or set(raw) != set(_LISTS):
            raise LanguageDataError(f"{path}: needs exactly the lists {_LISTS}")
        problems: list[str] = []
        lists = {name: _choices(raw[name], languages, name, problems) for name in _LISTS}
        if problems:
            raise LanguageDataError(f"{path}: " + "; ".join(problems))
        return cls(lists["categories"], lists["outcomes"])

    def check(self, categories: list[str], outcome: str) -> tuple[list[str], str]:
        """The wrap-up of a close, each category once; BadInput (422) for none or an unknown id."""
        known = {choice.id for choice in self.categories}
        chosen = list(dict.fromkeys(categories))
        unknown = [category for category in chosen if category not in known]
        if not chosen or unknown:
            raise BadInput("Choose one or more of the listed categories.")
        if outcome not in {choice.id for choice in self.outcomes}:
            raise BadInput("Choose one of the listed outcomes.")
        return chosen, outcome

    def as_json(self) -> dict[str, list[dict[str, object]]]:
        """What the console shows in its wrap-up dialog."""
        return {
            name: [{"id": c.id, "labels": c.labels} for c in getattr(self, name)] for name in _LISTS
        }


def _choices(
    raw: object, languages: set[str], name: str, problems: list[str]
) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"`{name}` must be a non-empty list")
        return ()
    found: list[Choice] = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"id", "labels"}:
            problems.append(f"every item of `{name}` has exactly `id` and `labels`")
            continue
        choice_id, labels = item["id"], item["labels"]
        if not isinstance(choice_id, str) or not _ID.match(choice_id):
            problems.append(f"`{name}`: id {choice_id!r} is not a-z, 0-9 and _ (at most 32)")
            continue
        if any(choice.id == choice_id for choice in found):
            problems.append(f"`{name}`: id {choice_id!r} twice")
        if (
            not isinstance(labels, dict)
            or set(labels) != languages
            or not all(isinstance(v, str) and v.strip() for v in labels.values())
        ):
            problems.append(f"`{name}`: {choice_id!r} needs a label in each of {sorted(languages)}")
            continue
        found.append(Choice(choice_id, dict(labels)))
    return tuple(found)
