"""The held-out test data and the evaluation's arithmetic, for every listed language."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

from build_domain import training_review  # noqa: E402
from eval import Example, first_per_intent, macro_f1, read_examples  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.conversation.language import LanguageDetector  # noqa: E402
from bot.conversation.safety import SafetyLayer  # noqa: E402
from bot.languages import load_codes  # noqa: E402
from registry import load_registry  # noqa: E402
from registry.names import place_names  # noqa: E402
from textnorm import normalise  # noqa: E402

pytestmark = pytest.mark.unit

SETTINGS = Settings()
CODES = load_codes(SETTINGS.languages_file)
INTENTS = yaml.safe_load((REPO_ROOT / "nlu/domain.yml").read_text("utf-8"))["intents"]
MIN_PER_INTENT = 5
# What the gateway removes before the NLU (textnorm.normalise): training and test data
# must not depend on it. Tatweel, Arabic vowel marks, ZWNJ/ZWJ and direction marks.
INVISIBLE_OR_DECORATION = set("\u0640\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652")
INVISIBLE_OR_DECORATION |= set("\u200c\u200d\u200e\u200f")


def test_macro_f1_matches_a_hand_computed_case():
    truth = ["a", "a", "b", "b"]
    predicted = ["a", "b", "b", "nlu_fallback"]
    # a: p=1, r=.5, f=2/3; b: p=.5, r=.5, f=.5; nlu_fallback: 0 -> (2/3 + 1/2 + 0) / 3
    assert macro_f1(truth, predicted) == pytest.approx((2 / 3 + 0.5) / 3)
    assert macro_f1(["a"], ["a"]) == 1.0


def test_read_examples_strips_entity_annotations(tmp_path):
    path = tmp_path / "xx.yml"
    path.write_text(
        'version: "3.1"\nnlu:\n- intent: inform_municipality\n  examples: |\n'
        "    - jag bor i [Alingsås](municipality)\n"
        '    - bor i [Borås]{"entity": "municipality"}\n',
        encoding="utf-8",
    )
    examples = read_examples(path)
    assert [e.text for e in examples] == ["jag bor i Alingsås", "bor i Borås"]
    assert examples[0].annotated == "jag bor i [Alingsås](municipality)"
    assert first_per_intent([*examples, Example("greet", "hej", "hej")], 1) == [
        examples[0],
        Example("greet", "hej", "hej"),
    ]


def _training_texts() -> set[str]:
    """Every NLU example in nlu/data, in any language (some files mix languages)."""
    return {
        normalise(e.text)
        for path in sorted((REPO_ROOT / "nlu/data").glob("*.yml"))
        for e in read_examples(path)
    }


@pytest.mark.parametrize("code", CODES)
def test_every_language_has_a_held_out_split_never_trained_on(code):
    path = REPO_ROOT / f"tests/nlu/{code}.yml"
    examples = read_examples(path)
    assert training_review(path) in ("draft", "reviewed")
    counts = {intent: sum(e.intent == intent for e in examples) for intent in INTENTS}
    assert {i: n for i, n in counts.items() if n < MIN_PER_INTENT} == {}
    trained = _training_texts()
    assert [e.text for e in examples if normalise(e.text) in trained] == []


@pytest.mark.parametrize("code", CODES)
def test_the_e2e_messages_of_every_language_are_usable(code):
    """The first example of these intents drives tests/e2e/test_languages.py."""
    examples = read_examples(REPO_ROOT / f"tests/nlu/{code}.yml")
    first = {intent: next(e for e in examples if e.intent == intent) for intent in INTENTS}
    assert "](municipality)" in first["inform_municipality"].annotated
    detector = LanguageDetector.load(
        SETTINGS.language_markers_dir,
        CODES,
        place_names(load_registry(SETTINGS.data_dir)),
        SafetyLayer.from_settings(SETTINGS, CODES).model.language_scores,
    )
    for intent in ("what_is_hrv", "inform_municipality", "immediate_danger", "talk_to_human"):
        assert detector.detect(first[intent].text, CODES[0], settled=False) == code, intent


@pytest.mark.parametrize("code", CODES)
def test_training_and_test_data_use_the_spelling_the_nlu_receives(code):
    """No decoration the gateway strips, and none of the letters it replaces for this
    language (e.g. Arabic ي in Persian), so training words match what people send."""
    markers = LanguageDetector.load(
        SETTINGS.language_markers_dir, CODES, place_names(load_registry(SETTINGS.data_dir))
    ).markers[code]
    replaced = set(markers.nlu_replace)
    for path in (REPO_ROOT / f"nlu/data/nlu_{code}.yml", REPO_ROOT / f"tests/nlu/{code}.yml"):
        text = path.read_text(encoding="utf-8")
        assert sorted({ch for ch in text if ch in INVISIBLE_OR_DECORATION | replaced}) == [], path
