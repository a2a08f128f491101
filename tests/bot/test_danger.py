"""The danger net: every listed language's examples are caught, its safe examples are not."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.danger import DangerNet, DangerPatterns
from bot.languages import LanguageDataError, load_codes

pytestmark = pytest.mark.unit

SETTINGS = Settings()
CODES = load_codes(SETTINGS.languages_file)


@pytest.fixture(scope="module")
def net() -> DangerNet:
    return DangerNet.load(SETTINGS.danger_dir, CODES)


def _examples(kind: str) -> list[tuple[str, str]]:
    return [
        (code, text)
        for code in CODES
        for text in getattr(DangerPatterns.load(SETTINGS.danger_dir / f"{code}.yml", code), kind)
    ]


@pytest.mark.parametrize(("lang", "text"), _examples("danger_examples"))
def test_danger_net_catches_acute_danger_in_its_language(net, lang, text):
    assert lang in net.match(text)


@pytest.mark.parametrize(("lang", "text"), _examples("safe_examples"))
def test_danger_net_leaves_other_messages_to_the_nlu(net, lang, text):
    assert net.match(text) == []


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("JAG VÅGAR INTE GÅ HEM", "sv"),  # capitals
        ("jag\u200b vågar inte\u200e gå hem", "sv"),  # invisible marks a phone may add
        ("jag  vagar   inte ga hem", "sv"),  # å/ä/ö as a/a/o, extra spaces
        ("I\u2019m scared to go home", "en"),
    ],
)
def test_danger_net_matches_other_spellings(net, text, lang):
    assert lang in net.match(text)


def test_a_listed_language_without_a_danger_file_stops_the_start(tmp_path):
    with pytest.raises(LanguageDataError, match=r"xx\.yml: missing"):
        DangerNet.load(tmp_path, ["xx"])


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("language: en\nreview: draft\npatterns: ['a']\n", "`language` must be 'xx'"),
        ("language: xx\nreview: done\npatterns: ['a']\n", "`review` must be one of"),
        ("language: xx\nreview: draft\npatterns: []\n", "`patterns` must be a non-empty list"),
        (
            "language: xx\nreview: draft\npatterns: ['(a']\n"
            "examples: {danger: [a, b, c], safe: [d, e]}\n",
            "bad pattern",
        ),
        (
            "language: xx\nreview: draft\npatterns: ['a']\nexamples: {danger: [a], safe: [d, e]}\n",
            "at least 3 `examples.danger`",
        ),
    ],
)
def test_a_malformed_danger_file_is_refused_with_its_name(tmp_path, body, problem):
    (tmp_path / "xx.yml").write_text(body, encoding="utf-8")
    with pytest.raises(LanguageDataError, match=problem):
        DangerNet.load(tmp_path, ["xx"])


def test_arabic_script_and_ethiopic_spellings_are_folded(tmp_path):
    """Patterns written one way catch the other ways people type the same words."""
    (tmp_path / "xx.yml").write_text(
        "language: xx\nreview: draft\n"
        "patterns: ['میکشند', 'ترسم', 'دەمکوژن', 'ክቐትሉኒ', 'ጸላኢ']\n"
        "examples: {danger: [a, b, c], safe: [d, e]}\n",
        encoding="utf-8",
    )
    net = DangerNet.load(tmp_path, ["xx"])
    assert net.match("مي\u200cكشند") == ["xx"]  # Arabic yeh and kaf, ZWNJ
    assert net.match("تـرسـم") == ["xx"]  # tatweel
    assert net.match("تَرسُم") == ["xx"]  # vowel marks
    assert net.match("دهمکوژن") == ["xx"]  # Sorani ە typed as ه
    assert net.match("ክቐትሉኒ።") == ["xx"]  # the Ethiopic full stop
    assert net.match("ፀላኢ") == ["xx"]  # ፀ and ጸ are one sound
    assert net.match("بیا") == []
