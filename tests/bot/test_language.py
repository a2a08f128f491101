"""Language choice: clear switches are followed, short or ambiguous messages keep the language."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.language import LanguageDetector

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector.load(Settings().language_markers_file)


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        ("Jag får inte träffa mina kompisar", "en", "sv"),
        ("jag far inte traffa mina kompisar efter skolan", "en", "sv"),
        ("My brother checks my phone every day", "sv", "en"),
        ("What is honour related violence?", "sv", "en"),
        ("Borås", "en", "en"),
        ("ok", "sv", "sv"),
        ("hej", "en", "en"),
        ("112", "sv", "sv"),
    ],
)
def test_detect_language(detector, text, current, expected):
    assert detector.detect(text, current) == expected
