"""Which of our languages a message is written in: a small, sticky first version.

Switches only on clear evidence, so a one-word reply ("ok", "Borås") keeps the session's language.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

_WORD = re.compile(r"[^\W\d_]+")


class LanguageDetector:
    """Scores messages by common function words per language (data file, one list each)."""

    def __init__(self, markers: dict[str, list[str]], margin: int = 2) -> None:
        self._markers = {lang: {w.casefold() for w in words} for lang, words in markers.items()}
        self._margin = margin

    @classmethod
    def load(cls, path: Path) -> LanguageDetector:
        """Read the marker words file (language code -> list of words)."""
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    def detect(self, text: str, current: str) -> str:
        """The message's language if it is clearly another than `current`, else `current`."""
        words = _WORD.findall(text.casefold())
        scores = {lang: sum(w in markers for w in words) for lang, markers in self._markers.items()}
        if any(ch in text for ch in "åäöÅÄÖ"):
            scores["sv"] = scores.get("sv", 0) + 1
        best = max(scores, key=lambda lang: scores[lang], default=current)
        if best != current and scores[best] - scores.get(current, 0) >= self._margin:
            return best
        return current
