"""The safety layer's patterns: every language's examples are caught, nothing harmless is."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import Settings
from bot.conversation.safety.assess import decisive
from bot.conversation.safety.concepts import ConceptLexicon
from bot.conversation.safety.corpus import load_split
from bot.conversation.safety.literals import LiteralIndex
from bot.conversation.safety.patterns import (
    LanguagePatterns,
    PatternNet,
    required_literals,
    scans_each_position,
)
from bot.conversation.safety.policy import Policy
from bot.languages import LanguageDataError, load_codes
from textnorm import fold, normalise, script_of

pytestmark = pytest.mark.unit

SETTINGS = Settings()
CODES = load_codes(SETTINGS.languages_file)
POLICY = Policy.load(SETTINGS.safety_policy_file)
# Training messages the prefilter check reads besides the whole held-out split.
PREFILTER_SAMPLE = 6000


@pytest.fixture(scope="module")
def net() -> PatternNet:
    return PatternNet.load(SETTINGS.danger_dir, CODES)


@pytest.fixture(scope="module")
def lexicon() -> ConceptLexicon:
    return ConceptLexicon.load(SETTINGS.safety_concepts_file, SETTINGS.safety_concepts_dir, CODES)


def _examples(kind: str) -> list[tuple[str, str]]:
    return [
        (code, text)
        for code in CODES
        for text in getattr(LanguagePatterns.load(SETTINGS.danger_dir / f"{code}.yml", code), kind)
    ]


@pytest.mark.parametrize(("lang", "text"), _examples("danger_examples"))
def test_patterns_catch_their_danger_examples(net, lang, text):
    assert lang in net.match(text)


@pytest.mark.parametrize(("lang", "text"), _examples("safe_examples"))
def test_patterns_leave_their_safe_examples_alone(net, lang, text):
    assert net.match(text) == {}


@pytest.mark.parametrize("code", CODES)
def test_no_pattern_decides_on_a_hard_negative_of_either_split(net, lexicon, repo_root, code):
    """Precision first: the patterns decide danger alone, so they must never do so on the
    messages that only share danger's words (both splits: training and held-out). A hit in
    a message that says it is a joke, past or a story does not decide (the policy)."""
    safe = [
        *load_split(SETTINGS.risk_corpus_dir, [code])[code].safe,
        *load_split(repo_root / "tests/risk", [code])[code].safe,
    ]
    deciding = [(text, decisive(net.match(text), text, lexicon, POLICY)) for text in safe]
    assert [(text, hits) for text, hits in deciding if hits] == []


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("JAG VÅGAR INTE GÅ HEM", "sv"),  # capitals
        ("jag\u200b vågar inte\u200e gå hem", "sv"),  # invisible marks a phone may add
        ("jag  vagar   inte ga hem", "sv"),  # å/ä/ö as a/a/o, extra spaces
        ("I\u2019m scared to go home", "en"),
    ],
)
def test_patterns_match_other_spellings(net, text, lang):
    assert lang in net.match(text)


def test_a_listed_language_without_a_pattern_file_stops_the_start(tmp_path):
    with pytest.raises(LanguageDataError, match=r"xx\.yml: missing"):
        PatternNet.load(tmp_path, ["xx"])


EXAMPLES = "examples: {danger: [a, b, c], safe: [d, e]}\n"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("language: en\nreview: draft\npatterns: {violence: ['a']}\n", "`language` must be 'xx'"),
        ("language: xx\nreview: done\npatterns: {violence: ['a']}\n", "`review` must be one of"),
        ("language: xx\nreview: draft\npatterns: ['a']\n" + EXAMPLES, "must map kinds"),
        ("language: xx\nreview: draft\npatterns: {weather: ['a']}\n" + EXAMPLES, "must map kinds"),
        ("language: xx\nreview: draft\npatterns: {threat: []}\n" + EXAMPLES, "non-empty list"),
        ("language: xx\nreview: draft\npatterns: {threat: ['(a']}\n" + EXAMPLES, "bad pattern"),
        (
            "language: xx\nreview: draft\npatterns: {threat: ['a']}\n"
            "examples: {danger: [a], safe: [d, e]}\n",
            "at least 3 `examples.danger`",
        ),
    ],
)
def test_a_malformed_pattern_file_is_refused_with_its_name(tmp_path, body, problem):
    (tmp_path / "xx.yml").write_text(body, encoding="utf-8")
    with pytest.raises(LanguageDataError, match=problem):
        PatternNet.load(tmp_path, ["xx"])


def test_arabic_script_and_ethiopic_spellings_are_folded(tmp_path):
    """Patterns written one way catch the other ways people type the same words."""
    (tmp_path / "xx.yml").write_text(
        "language: xx\nreview: draft\n"
        "patterns: {threat: ['میکشند', 'دەمکوژن', 'ክቐትሉኒ'], violence: ['ترسم', 'ጸላኢ']}\n"
        + EXAMPLES,
        encoding="utf-8",
    )
    net = PatternNet.load(tmp_path, ["xx"])
    assert net.match("مي\u200cكشند") == {"xx": ["threat"]}  # Arabic yeh and kaf, ZWNJ
    assert net.match("تـرسـم") == {"xx": ["violence"]}  # tatweel
    assert net.match("تَرسُم") == {"xx": ["violence"]}  # vowel marks
    assert net.match("دهمکوژن") == {"xx": ["threat"]}  # Sorani ە typed as ه
    assert net.match("ክቐትሉኒ።") == {"xx": ["threat"]}  # the Ethiopic full stop
    assert net.match("ፀላኢ") == {"xx": ["violence"]}  # ፀ and ጸ are one sound
    assert net.match("بیا") == {}


def test_a_message_of_two_kinds_names_both_in_file_order(tmp_path):
    (tmp_path / "xx.yml").write_text(
        "language: xx\nreview: draft\n"
        "patterns: {locked_in: ['locked me in'], threat: ['kill me']}\n" + EXAMPLES,
        encoding="utf-8",
    )
    net = PatternNet.load(tmp_path, ["xx"])
    assert net.match("they locked me in and said they will kill me") == {
        "xx": ["locked_in", "threat"]
    }


def test_the_literal_prefilter_never_skips_a_match(net, repo_root):
    """Each pattern is tried only on messages holding one of the strings it needs, and the net
    tries only the patterns whose strings the message holds (its literal index); on the
    held-out split and a fixed sample of the training split both give exactly what the bare
    regular expressions give. (A sample: all training messages would take minutes; the
    index itself is checked on any strings by the property test below.)"""

    def texts_of(split: Path) -> list[str]:
        return [
            text for corpus in load_split(split, CODES).values() for text, _ in corpus.labelled()
        ]

    training = texts_of(SETTINGS.risk_corpus_dir)
    texts = texts_of(repo_root / "tests/risk") + random.Random(0).sample(
        training, min(len(training), PREFILTER_SAMPLE)
    )
    patterns = [p for language in net.languages.values() for p in language.patterns]
    differs = []
    matched = 0
    for text in texts:
        normalised, folded = normalise(text), fold(text)
        scripts = frozenset(s for ch in folded if (s := script_of(ch)) is not None)
        bare_kinds: dict[str, list[str]] = {}
        for code, language in net.languages.items():
            for pattern in language.patterns:
                bare = bool(pattern.plain.search(normalised) or pattern.folded.search(folded))
                if bare != pattern.search(normalised, folded):
                    differs.append((pattern.source, text))
                if bare and (not pattern.scripts or pattern.scripts & scripts):
                    kinds = bare_kinds.setdefault(code, [])
                    kinds += [] if pattern.kind in kinds else [pattern.kind]
        if net.match(text) != bare_kinds:
            differs.append(("the net", text))
        matched += bool(bare_kinds)
    assert differs == []
    assert matched > 500  # the check saw real matches
    assert sum(p.plain_needs is not None for p in patterns) > 0.9 * len(patterns)


@given(
    st.lists(st.text(alphabet="abcåä ሰሠ", min_size=1, max_size=6), max_size=30),
    st.text(alphabet="abcåä ሰሠ", max_size=40),
)
def test_the_literal_index_finds_exactly_the_strings_in_a_text(strings, text):
    assert LiteralIndex(strings).present(text) == {s for s in strings if s in text}


@pytest.mark.parametrize(
    ("source", "needs"),
    [
        (r"\bkill me\b", {"kill me"}),
        (r"(they|he) (will|gonna) kill", {" kill"}),
        (r"\b(döda|mörda) mig", {"döda", "mörda"}),  # the first of equally selective parts
        (r"^(?!.*haha).*?(stab|shoot)s? me", {"tab", "hoot"}),  # re factors out the "s"
        (r"[ቐቀ]ትሉ", {"ትሉ"}),
        (r"\w+ \w+", {" "}),
        (r"[0-9]+", None),
    ],
)
def test_required_literals_are_what_every_match_contains(source, needs):
    assert required_literals(source) == (frozenset(needs) if needs else None)


@pytest.mark.parametrize(
    ("source", "rescans"),
    [
        (r"(?!.*haha)kill me", True),  # unanchored: the lookahead runs at every position
        (r"^(?!.*haha).*?(?=.*said).*?kill me", True),  # after .*: again at every position
        (r"^(?!.*haha)(?=.*said).*?kill me", False),  # right after ^: once
        (r"\bwant to die\b(?!.*\blol\b)", False),  # after a literal: once per literal found
        (r"(?:^(?!.*(haha|lol)).*?kill me)|(?:\bgal\b.{0,50}kill)", False),
    ],
)
def test_a_lookahead_that_rescans_the_message_at_every_position_is_found(source, rescans):
    assert scans_each_position(source) is rescans


def test_a_pattern_that_rescans_at_every_position_stops_the_start(tmp_path):
    (tmp_path / "xx.yml").write_text(
        "language: xx\nreview: draft\npatterns: {threat: ['(?!.*haha)kill me']}\n" + EXAMPLES,
        encoding="utf-8",
    )
    with pytest.raises(LanguageDataError, match="reads the whole message again"):
        PatternNet.load(tmp_path, ["xx"])
