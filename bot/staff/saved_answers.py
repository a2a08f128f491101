"""Saved answers a staff member inserts into a reply with one click, per language, as data
(bot/data/saved_answers/<code>.yml) that an administrator edits.

Swedish is the reference, and what staff read to know what an answer in another language says:
every language of nlu/languages.yml has a file with exactly its ids, in its order, with the same
{placeholders}. No answer may hold a number of three digits or more but the emergency number:
phone numbers reach a reply only through the registry's insert, with their sources. Checked when
the gateway starts, so a broken file stops it there rather than showing staff a gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.languages import REVIEW_STATES, LanguageDataError, read_yaml

REFERENCE = "sv"
EMERGENCY_NUMBER = "112"
MAX_CHARS = 400  # short: a saved answer is a sentence or two, never a page
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# A number as people write one: digits with spaces or dashes between them.
_NUMBER = re.compile(r"\d(?:[\d\s-]*\d)?")


@dataclass(frozen=True)
class SavedAnswer:
    """One answer in a language, with its Swedish wording for staff to check the meaning."""

    id: str
    text: str
    meaning: str


def _problems_in(code: str, key: str, text: str) -> list[str]:
    problems = []
    if len(text) > MAX_CHARS:
        problems.append(f"saved answers {code}: `{key}` is longer than {MAX_CHARS} characters")
    for number in _NUMBER.findall(text):
        digits = re.sub(r"\D", "", number)
        if len(digits) >= 3 and digits != EMERGENCY_NUMBER:
            problems.append(
                f"saved answers {code}: `{key}` holds the number {number!r}: numbers come from "
                "the registry's insert, never from a saved answer"
            )
    return problems


def _read(path: Path, code: str) -> dict[str, str]:
    raw = read_yaml(path)
    if not isinstance(raw, dict) or raw.get("code") != code:
        raise LanguageDataError(f"{path}: `code` must be {code!r}")
    if raw.get("review") not in REVIEW_STATES:
        raise LanguageDataError(f"{path}: `review` must be one of {REVIEW_STATES}")
    answers = raw.get("answers")
    if (
        not isinstance(answers, dict)
        or not answers
        or not all(
            isinstance(k, str) and _ID.match(k) and isinstance(v, str) and v.strip()
            for k, v in answers.items()
        )
    ):
        raise LanguageDataError(f"{path}: `answers` must map ids (a-z, 0-9, _) to non-empty texts")
    return {key: text.strip() for key, text in answers.items()}


class SavedAnswers:
    """Every language's saved answers, checked against the Swedish reference."""

    def __init__(self, by_language: dict[str, dict[str, str]]) -> None:
        self._by_language = by_language

    @classmethod
    def load(cls, directory: Path, codes: list[str]) -> SavedAnswers:
        """One file per language code; LanguageDataError listing every problem found."""
        languages = [REFERENCE, *(code for code in codes if code != REFERENCE)]
        by_language = {code: _read(directory / f"{code}.yml", code) for code in languages}
        reference = by_language[REFERENCE]
        problems: list[str] = []
        for code, answers in by_language.items():
            if list(answers) != list(reference):
                problems.append(
                    f"saved answers {code}: ids {list(answers)} differ from {REFERENCE}.yml's "
                    f"{list(reference)} (the same ids, in the same order)"
                )
                continue
            for key, text in answers.items():
                if set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(reference[key])):
                    problems.append(f"saved answers {code}: `{key}` has other placeholders")
                problems += _problems_in(code, key, text)
        if problems:
            raise LanguageDataError("\n".join(problems))
        return cls(by_language)

    def supports(self, code: str) -> bool:
        """Whether there are saved answers in `code`."""
        return code in self._by_language

    def in_language(self, code: str) -> list[SavedAnswer]:
        """The answers in `code`, in the reference's order, each with its Swedish meaning."""
        reference = self._by_language[REFERENCE]
        return [
            SavedAnswer(key, text, reference[key]) for key, text in self._by_language[code].items()
        ]
