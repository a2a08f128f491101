"""How the layer decides and answers, as data (`bot/data/safety/policy.yml`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.conversation.safety.kinds import KINDS
from bot.languages import LanguageDataError, read_yaml


@dataclass(frozen=True)
class Policy:
    """Thresholds, training settings and which reply answers which kind."""

    danger_threshold: float
    unsure_threshold: float
    alpha: float
    nlu_negative_intents: tuple[str, ...]
    nlu_negative_weight: float
    # Per intent: an example of it that holds one of these concepts is not taught as "not
    # danger" (a marriage arranged for the writer is a question; the same "this summer" is not).
    nlu_negative_unless: dict[str, frozenset[str]]
    replies: dict[str, str]
    unsure_reply: str
    unsure_first: dict[str, str]
    # Kinds asked about already at this probability of their own (P(danger) x the kind's share),
    # below `unsure_threshold`: where a miss costs most and the reply is gentle.
    kind_unsure: dict[str, float]
    also_reply: dict[str, float]
    opening_numbers: dict[str, tuple[str, ...]]
    # The suicide line's number and the replies that name it: a suicidal message read as
    # another kind of danger first still hears of the line.
    suicide_line: str
    suicide_line_replies: frozenset[str]
    answer_intents: frozenset[str]
    answer_confidence: float
    patterns_yield_to: frozenset[str]

    @classmethod
    def load(cls, path: Path) -> Policy:
        """Read and check the policy; thresholds must be ordered probabilities."""
        raw = read_yaml(path)
        try:
            policy = cls(
                danger_threshold=float(raw["danger_threshold"]),
                unsure_threshold=float(raw["unsure_threshold"]),
                alpha=float(raw["training"]["alpha"]),
                nlu_negative_intents=tuple(raw["training"]["nlu_negative_intents"]),
                nlu_negative_weight=float(raw["training"]["nlu_negative_weight"]),
                nlu_negative_unless={
                    str(intent): frozenset(str(c) for c in concepts)
                    for intent, concepts in (
                        raw["training"].get("nlu_negative_unless") or {}
                    ).items()
                },
                replies={str(k): str(v) for k, v in raw["replies"].items()},
                unsure_reply=str(raw["unsure_reply"]),
                unsure_first={str(k): str(v) for k, v in (raw.get("unsure_first") or {}).items()},
                kind_unsure={str(k): float(v) for k, v in (raw.get("kind_unsure") or {}).items()},
                also_reply={str(k): float(v) for k, v in (raw.get("also_reply") or {}).items()},
                opening_numbers={
                    str(k): tuple(str(n) for n in v) for k, v in raw["opening_numbers"].items()
                },
                suicide_line=str(raw["suicide_line"]["number"]),
                suicide_line_replies=frozenset(str(r) for r in raw["suicide_line"]["replies"]),
                answer_intents=frozenset(raw["answer_intents"]),
                answer_confidence=float(raw["answer_confidence"]),
                patterns_yield_to=frozenset(str(c) for c in raw["patterns_yield_to"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise LanguageDataError(f"{path}: missing or malformed {error}") from error
        if not 0 < policy.unsure_threshold <= policy.danger_threshold < 1:
            raise LanguageDataError(f"{path}: need 0 < unsure_threshold <= danger_threshold < 1")
        if set(policy.replies) != set(KINDS):
            raise LanguageDataError(f"{path}: `replies` must name one reply per kind {KINDS}")
        if not set(policy.unsure_first) | set(policy.also_reply) | set(policy.kind_unsure) <= set(
            KINDS
        ):
            raise LanguageDataError(
                f"{path}: `unsure_first`, `kind_unsure` and `also_reply` keys must be kinds"
            )
        if not all(0 < t <= policy.unsure_threshold for t in policy.kind_unsure.values()):
            raise LanguageDataError(
                f"{path}: `kind_unsure` needs 0 < threshold <= unsure_threshold"
            )
        if not set(policy.nlu_negative_unless) <= set(policy.nlu_negative_intents):
            raise LanguageDataError(
                f"{path}: `nlu_negative_unless` keys must be among `nlu_negative_intents`"
            )
        if not policy.suicide_line_replies <= set(policy.opening_numbers):
            raise LanguageDataError(f"{path}: `suicide_line` replies must be replies")
        if set(policy.opening_numbers) != {*policy.replies.values(), policy.unsure_reply}:
            raise LanguageDataError(f"{path}: `opening_numbers` must name every reply's numbers")
        return policy
