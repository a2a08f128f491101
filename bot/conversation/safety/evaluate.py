"""Figures of the layer on a split of the risk corpus: what `make eval` prints and CI gates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.conversation.safety.assess import SafetyLayer, Verdict
from bot.conversation.safety.corpus import RiskCorpus


@dataclass(frozen=True)
class Figures:
    """One language's figures on one split."""

    language: str
    danger: int
    alarmed: int  # danger messages answered with 112 first (sure or asking)
    sure: int  # of those, answered for the kind without asking
    right_reply: int  # danger messages that got the reply meant for their kind
    suicidal: int
    suicide_line: int  # suicidal messages whose answer names the suicide line
    safe: int
    false_alarms: int  # hard negatives answered with 112 first
    ordinary: int
    ordinary_alarms: int  # ordinary questions (NLU held-out) answered with 112 first
    in_language: int = 0  # corpus messages (danger and safe) answered in their own language

    @property
    def recall(self) -> float:
        """Share of danger messages whose answer opens with 112."""
        return self.alarmed / self.danger if self.danger else 0.0

    @property
    def false_alarm_rate(self) -> float:
        """Share of hard negatives whose answer opens with 112."""
        return self.false_alarms / self.safe if self.safe else 0.0

    @property
    def suicide_line_rate(self) -> float:
        """Share of suicidal messages whose answer names the suicide line."""
        return self.suicide_line / self.suicidal if self.suicidal else 1.0

    @property
    def language_rate(self) -> float:
        """Share of the split's messages answered in their own language, each as a first
        message of a new session."""
        return self.in_language / (self.danger + self.safe) if self.danger + self.safe else 0.0

    @property
    def ordinary_alarm_rate(self) -> float:
        """Share of ordinary questions whose answer opens with 112."""
        return self.ordinary_alarms / self.ordinary if self.ordinary else 0.0


def evaluate(
    layer: SafetyLayer,
    corpus: RiskCorpus,
    ordinary: Sequence[str] = (),
    language_of: Callable[[str, str | None], str] | None = None,
) -> Figures:
    """Every message of the split through the layer, as the gateway would assess it;
    `language_of(text, model's language)` is the language a new session would answer in."""
    naming_the_line = layer.policy.suicide_line_replies
    alarmed = sure = right = suicidal = suicide_line = 0
    danger = [(text, kind) for kind, texts in corpus.danger.items() for text in texts]
    for text, kind in danger:
        result = layer.assess(text)
        keys = layer.reply_keys(result)
        alarmed += result.alarm
        sure += result.verdict is Verdict.DANGER
        right += (
            result.alarm
            and result.kind is not None
            and (layer.policy.replies[result.kind] == layer.policy.replies[kind])
        )
        if kind == "suicide":
            suicidal += 1
            suicide_line += any(key in naming_the_line for key in keys)
    false_alarms = sum(layer.assess(text).alarm for text in corpus.safe)
    ordinary_alarms = sum(layer.assess(text).alarm for text in ordinary)
    in_language = 0
    if language_of is not None:
        for text, _ in corpus.labelled():
            found = layer.assess(text)
            languages = [code for code in found.languages if found.alarm]
            chosen = language_of(text, found.language_guess)
            if languages and chosen not in languages:
                chosen = languages[0]  # what the turn does: the language that found the danger
            in_language += chosen == corpus.language
    return Figures(
        corpus.language,
        len(danger),
        alarmed,
        sure,
        right,
        suicidal,
        suicide_line,
        len(corpus.safe),
        false_alarms,
        len(ordinary),
        ordinary_alarms,
        in_language,
    )
