"""The danger net: recognise immediate danger before the NLU, so 112 comes first."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml

_ASCII_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e"})


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.replace("’", "'").split())


class DangerNet:
    """Per-language patterns from a data file; a hit is answered with 112 whatever the NLU says."""

    def __init__(self, patterns: dict[str, list[str]]) -> None:
        self._patterns = {
            lang: [re.compile(pattern) for pattern in items] for lang, items in patterns.items()
        }
        self._folded = {
            lang: [re.compile(pattern.translate(_ASCII_FOLD)) for pattern in items]
            for lang, items in patterns.items()
        }

    @classmethod
    def load(cls, path: Path) -> DangerNet:
        """Read the patterns file (language code -> list of regular expressions)."""
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    def match(self, text: str) -> str | None:
        """The language whose danger pattern matched, or None when none did."""
        normalised = _normalise(text)
        folded = normalised.translate(_ASCII_FOLD)
        for lang, patterns in self._patterns.items():
            if any(p.search(normalised) for p in patterns):
                return lang
            if any(p.search(folded) for p in self._folded[lang]):
                return lang
        return None
