"""The risk corpus: big enough, in every language, and a held-out split that is really held out."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.conversation.safety.corpus import (
    RiskCorpus,
    comparable,
    load_split,
    near_copies,
    nlu_examples,
)
from bot.conversation.safety.kinds import KINDS
from bot.languages import LanguageDataError, load_codes

pytestmark = pytest.mark.unit

SETTINGS = Settings()
CODES = load_codes(SETTINGS.languages_file)
# Per language: the training split teaches; the held-out split (tests/risk) and the blind one
# (tests/risk_blind, written without sight of the others) measure.
MIN_TRAINING = {"per_kind": 25, "danger": 150, "safe": 150}
MIN_HELD_OUT = {"per_kind": 8, "danger": 50, "safe": 50}
MIN_BLIND = {"per_kind": 6, "danger": 36, "safe": 40}
MEASURING = {"tests/risk": MIN_HELD_OUT, "tests/risk_blind": MIN_BLIND}


@pytest.fixture(scope="module")
def training() -> dict[str, RiskCorpus]:
    return load_split(SETTINGS.risk_corpus_dir, CODES)


@pytest.fixture(scope="module")
def measuring(repo_root) -> dict[str, dict[str, RiskCorpus]]:
    return {folder: load_split(repo_root / folder, CODES) for folder in MEASURING}


@pytest.mark.parametrize("code", CODES)
def test_every_language_has_enough_danger_and_hard_negatives(training, measuring, code):
    splits = [(training[code], MIN_TRAINING)]
    splits += [(measuring[folder][code], minimum) for folder, minimum in MEASURING.items()]
    for split, minimum in splits:
        sizes = {kind: len(split.danger[kind]) for kind in KINDS}
        assert min(sizes.values()) >= minimum["per_kind"], (code, sizes)
        assert sum(sizes.values()) >= minimum["danger"], code
        assert len(split.safe) >= minimum["safe"], code


@pytest.mark.parametrize("folder", MEASURING)
@pytest.mark.parametrize("code", CODES)
def test_no_measuring_risk_message_is_a_near_copy_of_a_training_one(
    training, measuring, folder, code
):
    """A held-out message a few letters or a word away from a training one measures memory,
    not understanding."""
    train = [text for text, _ in training[code].labelled()]
    held = [text for text, _ in measuring[folder][code].labelled()]
    assert near_copies(held, train) == []


@pytest.mark.parametrize("code", CODES)
def test_no_held_out_nlu_message_is_a_near_copy_of_a_training_one(repo_root, code):
    train = [t for ts in nlu_examples(repo_root / f"nlu/data/nlu_{code}.yml").values() for t in ts]
    held = [t for ts in nlu_examples(repo_root / f"tests/nlu/{code}.yml").values() for t in ts]
    assert near_copies(held, train) == []


@pytest.mark.parametrize("code", CODES)
def test_no_message_is_labelled_both_danger_and_safe(training, measuring, code):
    splits = [training[code], *(split[code] for split in measuring.values())]
    danger = {comparable(t) for split in splits for ts in split.danger.values() for t in ts}
    safe = {comparable(t) for split in splits for t in split.safe}
    assert danger & safe == set()


def test_near_copies_finds_rewordings_but_not_other_messages():
    training = ["pappa står utanför dörren med en kniv", "vad är hedersrelaterat våld"]
    assert near_copies(["Pappa står utanför dörren med kniv!"], training) == [
        ("Pappa står utanför dörren med kniv!", "pappa står utanför dörren med en kniv")
    ]
    assert near_copies(["mamma låser in mig på rummet"], training) == []


def test_near_copies_does_not_depend_on_which_message_is_held_out():
    """A measure of matching blocks (difflib) scores this pair 0.857 one way, 0.842 the other:
    the same opening ("my uncle/father said if you marry that boy, I will ..."), another threat."""
    first = "apê min got eger tu bi wî kurî re bizewicî ez ê serê te jêkim"
    second = "bavê min got eger tu bi wî kurî re bizewicî, ez ê bi destê xwe te bikujim"
    assert len(near_copies([first], [second])) == 1
    assert len(near_copies([second], [first])) == 1


def test_a_corpus_file_without_every_kind_is_refused(tmp_path):
    (tmp_path / "xx.yml").write_text(
        "language: xx\nreview: draft\ndanger: {violence: [a]}\nsafe: [b]\n", encoding="utf-8"
    )
    with pytest.raises(LanguageDataError, match="exactly the kinds"):
        RiskCorpus.load(tmp_path / "xx.yml", "xx")
