"""The danger net: recognise immediate danger before the NLU, so 112 comes first.

Patterns live per language in `bot/data/danger/<code>.yml` (schema: /work/notes/LANG_FORMATS.md
and README "Adding a language"). Every pattern is tried on the message as written (normalised,
see bot/textnorm.py) and, folded the same way as the pattern, without accents and look-alike
letters (å→a, ş→s, ي→ی, ە→ه, ሠ→ሰ), so a hurried spelling still matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.languages import LanguageDataError, read_language_file, string_list
from bot.textnorm import clean, fold, normalise, strip_marks

MIN_EXAMPLES = {"danger": 3, "safe": 2}


@dataclass(frozen=True)
class DangerPatterns:
    """One language's patterns and the examples its file carries for the tests."""

    language: str
    review: str
    patterns: tuple[re.Pattern[str], ...]
    folded: tuple[re.Pattern[str], ...]
    danger_examples: tuple[str, ...]
    safe_examples: tuple[str, ...]

    @classmethod
    def load(cls, path: Path, code: str) -> DangerPatterns:
        """Read and check `bot/data/danger/<code>.yml`; a bad regex names its file."""
        raw = read_language_file(path, code)
        sources = string_list(raw, "patterns", path)
        examples = raw.get("examples")
        if not isinstance(examples, dict):
            raise LanguageDataError(f"{path}: `examples` must have `danger` and `safe` lists")
        lists = {key: string_list(examples, key, path) for key in MIN_EXAMPLES}
        for key, minimum in MIN_EXAMPLES.items():
            if len(lists[key]) < minimum:
                raise LanguageDataError(f"{path}: at least {minimum} `examples.{key}` needed")
        try:
            patterns = tuple(re.compile(clean(p), re.IGNORECASE) for p in sources)
            folded = tuple(re.compile(strip_marks(clean(p)), re.IGNORECASE) for p in sources)
        except re.error as error:
            raise LanguageDataError(f"{path}: bad pattern: {error}") from error
        return cls(
            language=code,
            review=raw["review"],
            patterns=patterns,
            folded=folded,
            danger_examples=tuple(lists["danger"]),
            safe_examples=tuple(lists["safe"]),
        )

    def matches(self, normalised: str, folded: str) -> bool:
        """Whether a pattern finds the message, as written or folded."""
        return any(p.search(normalised) for p in self.patterns) or any(
            p.search(folded) for p in self.folded
        )


class DangerNet:
    """Every listed language's patterns; a hit is answered with 112 whatever the NLU says."""

    def __init__(self, languages: list[DangerPatterns]) -> None:
        self.languages = {item.language: item for item in languages}

    @classmethod
    def load(cls, danger_dir: Path, codes: list[str]) -> DangerNet:
        """One `<code>.yml` per listed language; a missing or malformed file stops the start."""
        return cls([DangerPatterns.load(danger_dir / f"{code}.yml", code) for code in codes])

    def match(self, text: str) -> list[str]:
        """The languages whose patterns found danger in `text` (list order); empty if none."""
        normalised = normalise(text)
        folded = fold(text)
        return [code for code, item in self.languages.items() if item.matches(normalised, folded)]
