"""The safety layer's decision: thresholds, patterns over the classifier, replies, the model."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.conversation.safety import SafetyLayer, Verdict, classifier
from bot.conversation.safety import model as model_module
from bot.conversation.safety.classifier import LinearModel
from bot.conversation.safety.concepts import ConceptLexicon
from bot.conversation.safety.corpus import load_split
from bot.conversation.safety.kinds import CLASSES
from bot.conversation.safety.model import SafetyModel, digest, load_or_train
from bot.conversation.safety.patterns import PatternNet
from bot.conversation.safety.policy import Policy
from bot.languages import LanguageDataError, load_codes

pytestmark = pytest.mark.unit

SETTINGS = Settings()
CODES = load_codes(SETTINGS.languages_file)
POLICY = Policy.load(SETTINGS.safety_policy_file)
CONCEPTS = (SETTINGS.safety_concepts_file, SETTINGS.safety_concepts_dir)
LEXICON = ConceptLexicon.load(*CONCEPTS, CODES)
TEST_DATA = Path(__file__).parent / "data"
# A made-up language's words, with the concepts the policy lets patterns yield to.
TEST_LEXICON = ConceptLexicon.load(
    TEST_DATA / "concepts" / "names.yml", TEST_DATA / "concepts", ["xx"]
)


def logit(p: float) -> float:
    return math.log(p / (1 - p)) if p > 0 else -1e9


def layer_scoring(
    score: float, kind: str = "threat", second: tuple[str, float] | None = None
) -> SafetyLayer:
    """A layer whose model gives P(danger) = `score` to the one word "alpha", all of it to
    `kind` or a share of it to a `second` kind; patterns only for "kill me"."""
    # One-vs-rest sigmoids normalised: half of each probability before normalising.
    row = np.full(len(CLASSES), -1e9, dtype=np.float32)
    row[CLASSES.index("none")] = logit((1 - score) / 2)
    main = score * (1 - second[1]) if second else score
    row[CLASSES.index(kind)] = logit(main / 2)
    if second:
        row[CLASSES.index(second[0])] = logit(score * second[1] / 2)
    risk = LinearModel(CLASSES, row.reshape(1, -1), np.zeros(len(CLASSES), dtype=np.float32))
    language = LinearModel(
        ("en", "sv"), np.array([[5.0]], dtype=np.float32), np.zeros(1, dtype=np.float32)
    )
    model = SafetyModel({"w alpha": 0}, risk, language, TEST_LEXICON)
    patterns = PatternNet.load(TEST_DATA / "safety_patterns", ["xx"])
    return SafetyLayer(patterns, model, POLICY)


@pytest.mark.parametrize(
    ("score", "verdict"),
    [
        # Just above each threshold: the weights are float32, so "exactly at" may round down.
        (POLICY.danger_threshold + 1e-4, Verdict.DANGER),
        (min(0.999, POLICY.danger_threshold + 0.05), Verdict.DANGER),
        (POLICY.danger_threshold - 0.01, Verdict.UNSURE),
        (POLICY.unsure_threshold + 1e-4, Verdict.UNSURE),
        (POLICY.unsure_threshold - 0.01, Verdict.NONE),
        (0.0, Verdict.NONE),
    ],
)
def test_the_thresholds_split_danger_unsure_and_nothing(score, verdict):
    result = layer_scoring(score).assess("alpha")
    assert result.verdict is verdict
    assert result.score == pytest.approx(score, abs=1e-5)
    assert result.alarm is (verdict is not Verdict.NONE)
    assert result.kind == (None if verdict is Verdict.NONE else "threat")


def test_a_pattern_decides_danger_whatever_the_classifier_says():
    result = layer_scoring(0.0).assess("they will kill me")
    assert (result.verdict, result.kind, result.by_pattern) == (Verdict.DANGER, "threat", True)
    assert result.languages == ("xx",)


@pytest.mark.parametrize(
    "text", ["alpha kill me haha", "years ago alpha said kill me", "a story: alpha, kill me"]
)
def test_a_pattern_yields_to_the_classifier_in_a_joke_the_past_or_a_story(text):
    assert layer_scoring(0.0).assess(text).verdict is Verdict.NONE
    assert layer_scoring(0.0).assess("alpha said kill me").by_pattern
    sure = layer_scoring(0.99).assess(text)
    assert (sure.verdict, sure.by_pattern) == (Verdict.DANGER, False)


def test_a_policy_that_yields_to_an_unknown_concept_stops_the_start():
    layer = layer_scoring(0.0)
    policy = replace(POLICY, patterns_yield_to=frozenset({"sarcasm"}))
    with pytest.raises(LanguageDataError, match="sarcasm"):
        SafetyLayer(layer.patterns, layer.model, policy)


def test_a_message_with_nothing_the_model_knows_raises_no_alarm():
    assert layer_scoring(0.99).assess("???").verdict is Verdict.NONE
    assert layer_scoring(0.99).assess("").verdict is Verdict.NONE


@pytest.mark.parametrize("kind", ["violence", "threat", "locked_in", "taken_abroad", "runaway"])
def test_each_kind_gets_its_reply_and_unsure_asks(kind):
    sure = layer_scoring(0.99, kind).assess("alpha")
    assert layer_scoring(0.99, kind).reply_keys(sure) == [POLICY.replies[kind]]
    unsure = layer_scoring(POLICY.unsure_threshold + 1e-4, kind).assess("alpha")
    assert layer_scoring(0.5, kind).reply_keys(unsure) == [POLICY.unsure_reply]


def test_unsure_of_suicidal_thoughts_still_names_the_suicide_line_first():
    layer = layer_scoring(POLICY.unsure_threshold + 1e-4, "suicide")
    result = layer.assess("alpha")
    assert result.verdict is Verdict.UNSURE
    assert layer.reply_keys(result) == [POLICY.replies["suicide"], POLICY.unsure_reply]
    assert layer.danger_reply_key(result) == POLICY.replies["suicide"]


def test_a_large_enough_share_of_suicide_adds_the_suicide_line_after_the_first_reply():
    share = POLICY.also_reply["suicide"]
    leaning = layer_scoring(0.95, "violence", ("suicide", share + 0.05))
    result = leaning.assess("alpha")
    assert result.kind == "violence"
    assert leaning.reply_keys(result) == [POLICY.replies["violence"], POLICY.replies["suicide"]]
    slight = layer_scoring(0.95, "violence", ("suicide", share - 0.05))
    assert slight.reply_keys(slight.assess("alpha")) == [POLICY.replies["violence"]]


def _asking_suicide_at(threshold: float, score: float, kind: str, second=None) -> SafetyLayer:
    layer = layer_scoring(score, kind, second)
    policy = replace(POLICY, kind_unsure={"suicide": threshold})
    return SafetyLayer(layer.patterns, layer.model, policy)


def test_a_kind_with_its_own_threshold_is_asked_about_below_the_general_one():
    below = POLICY.unsure_threshold - 0.05
    layer = _asking_suicide_at(0.1, below, "suicide")
    result = layer.assess("alpha")
    assert (result.verdict, result.kind) == (Verdict.UNSURE, "suicide")
    assert layer.reply_keys(result) == [POLICY.replies["suicide"], POLICY.unsure_reply]
    # Another kind at the same probability raises no alarm.
    assert _asking_suicide_at(0.1, below, "threat").assess("alpha").verdict is Verdict.NONE


@pytest.mark.parametrize(("share", "verdict"), [(0.6, Verdict.UNSURE), (0.3, Verdict.NONE)])
def test_the_kind_threshold_weighs_the_kind_s_own_probability(share, verdict):
    # P(danger) 0.2, of which `share` suicide: 0.12 reaches 0.1, 0.06 does not.
    layer = _asking_suicide_at(0.1, 0.2, "violence", ("suicide", share))
    assert layer.assess("alpha").verdict is verdict


def test_the_classifier_language_counts_only_when_sure():
    assert layer_scoring(0.1).assess("alpha").language_guess == "sv"  # sigmoid(5) > 0.8


def test_the_policy_refuses_thresholds_out_of_order(tmp_path):
    text = SETTINGS.safety_policy_file.read_text(encoding="utf-8")
    bad = text.replace(f"unsure_threshold: {POLICY.unsure_threshold}", "unsure_threshold: 0.99")
    (tmp_path / "policy.yml").write_text(bad, encoding="utf-8")
    with pytest.raises(LanguageDataError, match="unsure_threshold <= danger_threshold"):
        Policy.load(tmp_path / "policy.yml")


@pytest.mark.parametrize(
    ("entry", "problem"),
    [("kind_unsure: {crying: 0.1}", "must be kinds"), ("kind_unsure: {suicide: 0.9}", "0 < thr")],
)
def test_the_policy_refuses_a_kind_threshold_of_no_kind_or_above_the_general_one(
    tmp_path, entry, problem
):
    text = SETTINGS.safety_policy_file.read_text(encoding="utf-8")
    # The policy less its own kind_unsure block (the line and its indented entries).
    lines, skipping = [], False
    for line in text.splitlines():
        skipping = line.startswith("kind_unsure") or (skipping and line.startswith(" "))
        if not skipping:
            lines.append(line)
    text = "\n".join(lines)
    (tmp_path / "policy.yml").write_text(f"{text}\n{entry}\n", encoding="utf-8")
    with pytest.raises(LanguageDataError, match=problem):
        Policy.load(tmp_path / "policy.yml")


def test_a_word_that_tells_danger_apart_counts_more_than_one_seen_everywhere():
    # Word 0 is in every message, word 1 only in danger, word 2 only in the others.
    rows = [[0, 1], [0, 1], [0, 1], [0, 2], [0, 2], [0, 2]]
    scale = classifier.evidence_scale(rows, [True, True, True, False, False, False], 3)
    assert scale[0] == pytest.approx(0.0)
    assert scale[1] > 0.5 and scale[2] == pytest.approx(scale[1])


def test_the_exported_scaled_model_scores_as_scikit_learn_does():
    """Folding the feature scale into the weights changes no probability."""
    from sklearn.linear_model import SGDClassifier

    rng = np.random.default_rng(0)
    labels = ["none", "threat", "suicide"] * 20
    rows = [
        sorted({int(i) for i in rng.choice(12, 4, replace=False)} | {9 + labels.index(label)})
        for label in labels
    ]
    scale = classifier.evidence_scale(rows, [label != "none" for label in labels], 12)
    exported = classifier.fit(rows, labels, 12, 1e-4, scale=scale)
    reference = SGDClassifier(
        loss="log_loss",
        alpha=1e-4,
        max_iter=classifier.EPOCHS,
        tol=None,
        class_weight="balanced",
        random_state=0,
    ).fit(classifier.design_matrix(rows, 12, scale), labels)
    expected = reference.predict_proba(classifier.design_matrix(rows, 12, scale))
    got = np.array([exported.probabilities(row) for row in rows])
    assert exported.classes == tuple(reference.classes_)
    assert np.allclose(got, expected, atol=1e-5)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> SafetyModel:
    """The real model, trained on the real training split (cached under build/ by digest)."""
    return load_or_train(
        SETTINGS.risk_corpus_dir,
        SETTINGS.nlu_data_dir,
        CODES,
        POLICY,
        SETTINGS.safety_model_dir,
        CONCEPTS,
    )


def test_a_saved_model_scores_exactly_as_the_trained_one(model, tmp_path):
    model.save(tmp_path / "model.npz")
    again = SafetyModel.read(tmp_path / "model.npz", LEXICON)
    text = "my brother said he will kill me tonight"
    assert again.indices(text) == model.indices(text)
    assert np.allclose(
        again.risk.probabilities(again.indices(text)), model.risk.probabilities(model.indices(text))
    )
    assert again.language.classes == model.language.classes


def test_the_model_digest_follows_the_training_data(tmp_path):
    data = tmp_path / "a.yml"
    data.write_text("one", encoding="utf-8")
    before = digest([data], POLICY)
    data.write_text("two", encoding="utf-8")
    assert digest([data], POLICY) != before


def test_the_trained_layer_knows_every_listed_language(model):
    assert set(model.language.classes) == set(CODES)
    assert set(model.risk.classes) == set(CLASSES)


def test_a_model_for_new_data_replaces_the_saved_one_for_old_data(tmp_path, monkeypatch):
    """Training writes the model for this data and removes models of earlier data."""
    monkeypatch.setattr(model_module, "_LOADED", {})  # not the one this process has in memory
    stale = tmp_path / "cache" / "model-0000000000000000.npz"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    load_or_train(
        SETTINGS.risk_corpus_dir, SETTINGS.nlu_data_dir, CODES, POLICY, stale.parent, CONCEPTS
    )
    saved = list(stale.parent.glob("model-*.npz"))
    assert len(saved) == 1 and saved[0] != stale


def test_an_nlu_example_with_a_concept_its_intent_lists_is_not_taught_as_safe():
    """A marriage arranged for the writer "this summer" is what the corpus calls danger: it
    must not be taught as "not danger" beside the questions about marriage that are not."""
    policy = replace(
        POLICY,
        nlu_negative_intents=("child_marriage", "greet"),
        nlu_negative_unless={"child_marriage": frozenset({"soon"})},
    )
    risk, _ = model_module.training_examples(
        SETTINGS.risk_corpus_dir, SETTINGS.nlu_data_dir, ["en"], policy, LEXICON
    )
    negatives = {e.text for e in risk if e.label == "none"}
    assert "my sister is 13 and will be married off this summer" not in negatives
    # Cross-validation folds only the corpus's messages: it needs to tell the two apart.
    corpus = load_split(SETTINGS.risk_corpus_dir, ["en"])["en"].labelled()
    assert [(e.text, e.label) for e in risk if not e.from_nlu] == corpus
    assert "is child marriage allowed in sweden" in negatives
    assert "hi" in negatives  # the intent without an exception keeps every example
    unguarded = replace(policy, nlu_negative_unless={})
    risk, _ = model_module.training_examples(
        SETTINGS.risk_corpus_dir, SETTINGS.nlu_data_dir, ["en"], unguarded, LEXICON
    )
    assert "my sister is 13 and will be married off this summer" in {e.text for e in risk}


def test_the_policy_refuses_an_exception_for_an_intent_it_does_not_teach(tmp_path):
    text = SETTINGS.safety_policy_file.read_text(encoding="utf-8")
    bad = text.replace("    fgm: [soon", "    greet_me: [soon")
    assert bad != text
    (tmp_path / "policy.yml").write_text(bad, encoding="utf-8")
    with pytest.raises(LanguageDataError, match="nlu_negative_unless"):
        Policy.load(tmp_path / "policy.yml")
