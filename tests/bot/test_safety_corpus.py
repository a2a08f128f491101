"""The risk corpus: big enough, in every language, and a held-out split that is really held out."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.languages import LanguageDataError, load_codes
from bot.safety.corpus import RiskCorpus, comparable, load_split, near_copies, nlu_examples
from bot.safety.kinds import KINDS

pytestmark = pytest.mark.unit

SETTINGS = Settings()
CODES = load_codes(SETTINGS.languages_file)
# Per language: the training split teaches, the held-out split measures (tests/risk).
MIN_TRAINING = {"per_kind": 25, "danger": 150, "safe": 150}
MIN_HELD_OUT = {"per_kind": 8, "danger": 50, "safe": 50}


@pytest.fixture(scope="module")
def training() -> dict[str, RiskCorpus]:
    return load_split(SETTINGS.risk_corpus_dir, CODES)


@pytest.fixture(scope="module")
def held_out(repo_root) -> dict[str, RiskCorpus]:
    return load_split(repo_root / "tests/risk", CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_language_has_enough_danger_and_hard_negatives(training, held_out, code):
    for split, minimum in ((training[code], MIN_TRAINING), (held_out[code], MIN_HELD_OUT)):
        sizes = {kind: len(split.danger[kind]) for kind in KINDS}
        assert min(sizes.values()) >= minimum["per_kind"], (code, sizes)
        assert sum(sizes.values()) >= minimum["danger"], code
        assert len(split.safe) >= minimum["safe"], code


@pytest.mark.parametrize("code", CODES)
def test_no_held_out_risk_message_is_a_near_copy_of_a_training_one(training, held_out, code):
    """A held-out message a few letters or a word away from a training one measures memory,
    not understanding."""
    train = [text for text, _ in training[code].labelled()]
    held = [text for text, _ in held_out[code].labelled()]
    assert near_copies(held, train) == []


@pytest.mark.parametrize("code", CODES)
def test_no_held_out_nlu_message_is_a_near_copy_of_a_training_one(repo_root, code):
    train = [t for ts in nlu_examples(repo_root / f"nlu/data/nlu_{code}.yml").values() for t in ts]
    held = [t for ts in nlu_examples(repo_root / f"tests/nlu/{code}.yml").values() for t in ts]
    assert near_copies(held, train) == []


@pytest.mark.parametrize("code", CODES)
def test_no_message_is_labelled_both_danger_and_safe(training, held_out, code):
    danger = {
        comparable(t)
        for split in (training, held_out)
        for ts in split[code].danger.values()
        for t in ts
    }
    safe = {comparable(t) for split in (training, held_out) for t in split[code].safe}
    assert danger & safe == set()


def test_near_copies_finds_rewordings_but_not_other_messages():
    training = ["pappa står utanför dörren med en kniv", "vad är hedersrelaterat våld"]
    assert near_copies(["Pappa står utanför dörren med kniv!"], training) == [
        ("Pappa står utanför dörren med kniv!", "pappa står utanför dörren med en kniv")
    ]
    assert near_copies(["mamma låser in mig på rummet"], training) == []


def test_a_corpus_file_without_every_kind_is_refused(tmp_path):
    (tmp_path / "xx.yml").write_text(
        "language: xx\nreview: draft\ndanger: {violence: [a]}\nsafe: [b]\n", encoding="utf-8"
    )
    with pytest.raises(LanguageDataError, match="exactly the kinds"):
        RiskCorpus.load(tmp_path / "xx.yml", "xx")
