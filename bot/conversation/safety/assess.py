"""The layer's one decision per message: danger (of which kind), unsure, or nothing.

The patterns catch the unmistakable; the classifier catches what people describe in their own
words. It keeps no text: it returns a verdict, a kind and a score, and nothing is stored here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from bot.config import Settings
from bot.conversation.safety.concepts import ConceptLexicon
from bot.conversation.safety.features import tokens
from bot.conversation.safety.kinds import KINDS, NONE
from bot.conversation.safety.model import SafetyModel, load_or_train
from bot.conversation.safety.patterns import PatternNet
from bot.conversation.safety.policy import Policy
from bot.languages import LanguageDataError


class Verdict(str, Enum):
    """What the layer concluded."""

    DANGER = "danger"
    UNSURE = "unsure"
    NONE = "none"


@dataclass(frozen=True)
class Assessment:
    """The verdict on one message; `languages` are those whose patterns found it (the reply
    goes in one of them), `language_guess` the model's language when it is sure of it."""

    verdict: Verdict
    kind: str | None = None
    score: float = 0.0
    by_pattern: bool = False
    languages: tuple[str, ...] = ()
    language_guess: str | None = None
    # Each kind's share of the danger probability (they sum to one); empty without a model.
    shares: tuple[tuple[str, float], ...] = ()

    @property
    def alarm(self) -> bool:
        """Whether the answer must open with 112."""
        return self.verdict is not Verdict.NONE


NOTHING = Assessment(Verdict.NONE)
# The classifier's language counts as evidence only this sure (transliterated Arabic or Persian
# is where it matters: no marker word and no script to tell it).
LANGUAGE_CONFIDENCE = 0.8


def decisive(
    hits: dict[str, list[str]], text: str, lexicon: ConceptLexicon, policy: Policy
) -> dict[str, list[str]]:
    """The pattern hits that decide alone: not those of a language whose words in the message
    also say it is a joke, past or a question about a case (the policy's `patterns_yield_to`);
    for those the classifier decides."""
    if not hits or not policy.patterns_yield_to:
        return hits
    yielding = {
        code
        for code, concept in lexicon.concepts(tokens(text))
        if concept in policy.patterns_yield_to
    }
    return {code: kinds for code, kinds in hits.items() if code not in yielding}


class SafetyLayer:
    """Patterns and classifier together, with the thresholds of the policy."""

    def __init__(self, patterns: PatternNet, model: SafetyModel, policy: Policy) -> None:
        self.patterns = patterns
        self.model = model
        self.policy = policy
        self._none = model.risk.classes.index(NONE)
        self._kinds = [(model.risk.classes.index(kind), kind) for kind in KINDS]
        unknown = policy.patterns_yield_to - set(model.lexicon.names)
        if unknown:
            raise LanguageDataError(f"policy: `patterns_yield_to` names no concept: {unknown}")

    @classmethod
    def load(
        cls,
        patterns_dir: Path,
        policy_file: Path,
        risk_dir: Path,
        nlu_dir: Path,
        model_dir: Path,
        codes: list[str],
        concepts: tuple[Path, Path],
    ) -> SafetyLayer:
        """Read the data and get the model trained on it (saved, or trained now)."""
        policy = Policy.load(policy_file)
        model = load_or_train(risk_dir, nlu_dir, codes, policy, model_dir, concepts)
        return cls(PatternNet.load(patterns_dir, codes), model, policy)

    @classmethod
    def from_settings(cls, settings: Settings, codes: list[str]) -> SafetyLayer:
        """`load` with the paths of the settings."""
        return cls.load(
            settings.danger_dir,
            settings.safety_policy_file,
            settings.risk_corpus_dir,
            settings.nlu_data_dir,
            settings.safety_model_dir,
            codes,
            (settings.safety_concepts_file, settings.safety_concepts_dir),
        )

    def assess(self, text: str) -> Assessment:
        """Danger, unsure or nothing, with the kind and the languages that found it."""
        indices = self.model.indices(text)
        hits = decisive(self.patterns.match(text), text, self.model.lexicon, self.policy)
        if not indices and not hits:
            return NOTHING  # no letters we know: nothing to weigh (an empty vector is no signal)
        risk = self.model.risk.probabilities(indices)
        score = float(1 - risk[self._none])
        guess = self._language(indices)
        total = sum(float(risk[i]) for i, _ in self._kinds) or 1.0
        shares = tuple((kind, float(risk[i]) / total) for i, kind in self._kinds)
        if hits:
            found = {kind for kinds in hits.values() for kind in kinds}
            kind = max(found, key=lambda k: (dict(shares)[k], k))
            return Assessment(Verdict.DANGER, kind, score, True, tuple(hits), guess, shares)
        kind = max(shares, key=lambda item: item[1])[0]
        if score >= self.policy.danger_threshold:
            return Assessment(Verdict.DANGER, kind, score, False, (), guess, shares)
        if score >= self.policy.unsure_threshold:
            return Assessment(Verdict.UNSURE, kind, score, False, (), guess, shares)
        by_kind = dict(shares)
        for asked, threshold in self.policy.kind_unsure.items():
            if score * by_kind[asked] >= threshold:
                return Assessment(Verdict.UNSURE, asked, score, False, (), guess, shares)
        return Assessment(Verdict.NONE, None, score, False, (), guess, shares)

    def reply_keys(self, assessment: Assessment) -> list[str]:
        """The text keys that open the answer: the kind's reply on danger; when unsure, the
        question (after the kind's own reply for the kinds the policy names); [] otherwise.
        A kind the policy lists under `also_reply` follows when its share is large enough."""
        if assessment.verdict is Verdict.DANGER and assessment.kind:
            keys = [self.policy.replies[assessment.kind]]
        elif assessment.verdict is Verdict.UNSURE:
            first = self.policy.unsure_first.get(assessment.kind or "")
            keys = [first, self.policy.unsure_reply] if first else [self.policy.unsure_reply]
        else:
            return []
        return keys[:1] + self._also(assessment, keys) + keys[1:]

    def _also(self, assessment: Assessment, keys: list[str]) -> list[str]:
        """Replies of other kinds the message leans to enough (a suicide line is never left
        out because the message was read as another kind first)."""
        shares = dict(assessment.shares)
        return [
            self.policy.replies[kind]
            for kind, share in self.policy.also_reply.items()
            if shares.get(kind, 0.0) >= share and self.policy.replies[kind] not in keys
        ]

    def danger_reply_key(self, assessment: Assessment) -> str:
        """One reply with 112 first, for where no question can be asked (a handoff, a message
        over the rate limit): the kind's reply when sure, the acute one otherwise."""
        if assessment.verdict is Verdict.DANGER and assessment.kind:
            return self.policy.replies[assessment.kind]
        return (
            self.policy.unsure_first.get(assessment.kind or "") or self.policy.replies["violence"]
        )

    def _language(self, indices: list[int]) -> str | None:
        if not indices:
            return None
        probabilities = self.model.language.probabilities(indices)
        best = int(probabilities.argmax())
        if probabilities[best] < LANGUAGE_CONFIDENCE:
            return None
        return self.model.language.classes[best]
