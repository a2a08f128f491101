"""The trained part of the layer: a vocabulary and two linear models (danger kind, language).

Trained from our own data only (the risk corpus's training split and the NLU training data),
when the gateway starts and no model for exactly this data and code is saved yet; saved under
`build/safety/` keyed by a digest of both, so every process and every test reuses it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import textnorm
from bot.conversation.safety import classifier, concepts, features
from bot.conversation.safety.classifier import LinearModel
from bot.conversation.safety.concepts import ConceptLexicon
from bot.conversation.safety.corpus import load_split, nlu_examples
from bot.conversation.safety.kinds import NONE
from bot.conversation.safety.policy import Policy
from bot.languages import LanguageDataError

logger = logging.getLogger(__name__)
MIN_DOCUMENTS_PER_FEATURE = 2  # a feature seen in one message only is that message's noise
# The features are read from folded text: a change to the folding needs a new model too.
_CODE = (
    Path(textnorm.__file__),
    Path(features.__file__),
    Path(concepts.__file__),
    Path(classifier.__file__),
    Path(__file__),
)
_LOCK = threading.Lock()
_LOADED: dict[str, SafetyModel] = {}


@dataclass(frozen=True)
class Example:
    """One training message: its text, its risk label, its language, its weight, and whether
    it is an NLU example (always trained on) rather than a risk corpus message."""

    text: str
    label: str
    language: str
    weight: float = 1.0
    from_nlu: bool = False


@dataclass(frozen=True)
class SafetyModel:
    """Scores a message for danger kinds and for language."""

    vocabulary: dict[str, int]
    risk: LinearModel
    language: LinearModel
    lexicon: ConceptLexicon  # data, not saved with the weights: the digest ties them together

    def indices(self, text: str) -> list[int]:
        """The vocabulary indices of the message's features."""
        vocabulary = self.vocabulary
        found = features.features(text, self.lexicon)
        return [vocabulary[f] for f in found if f in vocabulary]

    def language_scores(self, text: str) -> dict[str, float]:
        """The message's probability per language code ({} when it has no feature we know)."""
        indices = self.indices(text)
        if not indices:
            return {}
        probabilities = self.language.probabilities(indices)
        return {
            code: float(p) for code, p in zip(self.language.classes, probabilities, strict=True)
        }

    def save(self, path: Path) -> None:
        """Write atomically: another process may be reading or writing the same file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as out:
            np.savez_compressed(
                out,
                vocabulary=np.array(terms, dtype=str),
                risk_classes=np.array(self.risk.classes, dtype=str),
                risk_weights=self.risk.weights,
                risk_bias=self.risk.bias,
                risk_scale=self.risk.scale if self.risk.scale is not None else np.zeros(0),
                language_classes=np.array(self.language.classes, dtype=str),
                language_weights=self.language.weights,
                language_bias=self.language.bias,
            )
        os.replace(out.name, path)

    @classmethod
    def read(cls, path: Path, lexicon: ConceptLexicon) -> SafetyModel:
        """Load a saved model (no pickles)."""
        with np.load(path, allow_pickle=False) as saved:
            terms = [str(t) for t in saved["vocabulary"]]
            return cls(
                {term: i for i, term in enumerate(terms)},
                LinearModel(
                    tuple(str(c) for c in saved["risk_classes"]),
                    saved["risk_weights"],
                    saved["risk_bias"],
                    saved["risk_scale"] if saved["risk_scale"].size else None,
                ),
                LinearModel(
                    tuple(str(c) for c in saved["language_classes"]),
                    saved["language_weights"],
                    saved["language_bias"],
                ),
                lexicon,
            )


def training_examples(
    risk_dir: Path, nlu_dir: Path, codes: list[str], policy: Policy, lexicon: ConceptLexicon
) -> tuple[list[Example], list[Example]]:
    """(risk examples, language examples) from the training data of every listed language.

    Ordinary questions of the NLU data teach what is not danger; intents that may describe
    danger (threats, being taken abroad, danger itself) are left out of those negatives, and
    so is an example holding a concept its intent lists in the policy's `nlu_negative_unless`.
    """
    corpora = load_split(risk_dir, codes)
    risk: list[Example] = []
    language: list[Example] = []
    for code in codes:
        pairs = corpora[code].labelled()
        risk += [Example(text, label, code) for text, label in pairs]
        by_intent = nlu_examples(nlu_dir / f"nlu_{code}.yml")
        for intent in policy.nlu_negative_intents:
            unless = policy.nlu_negative_unless.get(intent, frozenset())
            risk += [
                Example(t, "none", code, policy.nlu_negative_weight, from_nlu=True)
                for t in by_intent.get(intent, [])
                if not _holds_any(lexicon, t, code, unless)
            ]
        texts = [text for text, _ in pairs] + [t for ts in by_intent.values() for t in ts]
        language += [Example(text, code, code) for text in texts]
    return risk, language


def _holds_any(lexicon: ConceptLexicon, text: str, code: str, names: frozenset[str]) -> bool:
    """Whether the text holds one of these concepts in its own language."""
    if not names:
        return False
    return any(
        language == code and name in names
        for language, name in lexicon.concepts(features.tokens(text))
    )


def vocabulary_of(
    texts: list[str], lexicon: ConceptLexicon
) -> tuple[dict[str, int], list[list[int]]]:
    """The features seen in at least two texts, and each text's row of their indices."""
    counts: dict[str, int] = {}
    seen: list[set[str]] = []
    for text in texts:
        found = features.features(text, lexicon)
        seen.append(found)
        for feature in found:
            counts[feature] = counts.get(feature, 0) + 1
    kept = sorted(f for f, n in counts.items() if n >= MIN_DOCUMENTS_PER_FEATURE)
    vocabulary = {feature: i for i, feature in enumerate(kept)}
    return vocabulary, [sorted(vocabulary[f] for f in found if f in vocabulary) for found in seen]


def fit_risk(rows: list[list[int]], risk: list[Example], width: int, alpha: float) -> LinearModel:
    """The kind model: "none" weighs as much as all the kinds together; each feature counts
    by how well it tells danger of any kind from none."""
    labels = [e.label for e in risk]
    weights = [e.weight for e in risk]
    scale = classifier.evidence_scale(rows, [label != NONE for label in labels], width)
    return classifier.fit(rows, labels, width, alpha, weights, NONE, scale)


def train(
    risk: list[Example], language: list[Example], alpha: float, lexicon: ConceptLexicon
) -> SafetyModel:
    """Fit both models on a shared vocabulary."""
    vocabulary, rows = vocabulary_of([e.text for e in [*risk, *language]], lexicon)
    risk_rows, language_rows = rows[: len(risk)], rows[len(risk) :]
    return SafetyModel(
        vocabulary,
        fit_risk(risk_rows, risk, len(vocabulary), alpha),
        classifier.fit(language_rows, [e.label for e in language], len(vocabulary), alpha),
        lexicon,
    )


def digest(paths: list[Path], policy: Policy) -> str:
    """What the model depends on: its data files, its own code and its training settings."""
    sha = hashlib.sha256()
    missing = [path for path in paths if not path.is_file()]
    if missing:
        raise LanguageDataError(f"{missing[0]}: missing")
    for path in [*sorted(paths), *_CODE]:
        sha.update(path.name.encode())
        sha.update(path.read_bytes())
    sha.update(
        repr(
            (
                policy.alpha,
                policy.nlu_negative_intents,
                policy.nlu_negative_weight,
                sorted((k, sorted(v)) for k, v in policy.nlu_negative_unless.items()),
            )
        ).encode()
    )
    return sha.hexdigest()[:16]


def load_or_train(
    risk_dir: Path,
    nlu_dir: Path,
    codes: list[str],
    policy: Policy,
    cache_dir: Path,
    concepts: tuple[Path, Path],
) -> SafetyModel:
    """The model for exactly this data: from memory, from `cache_dir`, or trained now.
    `concepts` is the concept names file and the folder of each language's words."""
    sources = [risk_dir / f"{c}.yml" for c in codes] + [nlu_dir / f"nlu_{c}.yml" for c in codes]
    sources += ConceptLexicon.sources(*concepts, codes)
    key = digest(sources, policy)
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        lexicon = ConceptLexicon.load(*concepts, codes)  # a second: only for a model not in memory
        path = cache_dir / f"model-{key}.npz"
        if path.is_file():
            model = SafetyModel.read(path, lexicon)
        else:
            logger.info("safety_model_training")
            risk, language = training_examples(risk_dir, nlu_dir, codes, policy, lexicon)
            model = train(risk, language, policy.alpha, lexicon)
            try:
                model.save(path)
                # Models of earlier data are never read again: keep the folder small.
                for stale in cache_dir.glob("model-*.npz"):
                    if stale != path:
                        stale.unlink(missing_ok=True)
            except OSError as error:  # a read-only install still runs, training each start
                logger.warning("safety_model_not_saved kind=%s", type(error).__name__)
        _LOADED[key] = model
        return model
