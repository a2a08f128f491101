"""The risk corpus: danger messages by kind and hard negatives, per language, as data.

Two splits with one schema: `bot/data/risk/<code>.yml` trains the classifier,
`tests/risk/<code>.yml` is held out and never trained on. `near_copies` finds held-out messages
that are only a rewording of a training one (a few letters or one word apart), which would make
the held-out figures lie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.conversation.safety.kinds import KINDS
from bot.languages import LanguageDataError, read_language_file, read_yaml
from textnorm import fold

# Two messages whose folded letters agree this much are the same message for the held-out split:
# twice their longest common subsequence over their summed length, the same whichever of the two
# is held out.
NEAR_COPY_RATIO = 0.85
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)")


@dataclass(frozen=True)
class RiskCorpus:
    """One language's split: danger messages per kind, and safe ones that share their words."""

    language: str
    review: str
    danger: dict[str, tuple[str, ...]]
    safe: tuple[str, ...]

    @classmethod
    def load(cls, path: Path, code: str, min_per_kind: int = 1, min_safe: int = 1) -> RiskCorpus:
        """Read and check one split file; every kind must be there, every item a text."""
        raw = read_language_file(path, code)
        danger = raw.get("danger")
        if not isinstance(danger, dict) or set(danger) != set(KINDS):
            raise LanguageDataError(f"{path}: `danger` must have exactly the kinds {KINDS}")
        by_kind = {kind: _texts(danger[kind], f"danger.{kind}", path) for kind in KINDS}
        safe = _texts(raw.get("safe"), "safe", path)
        for kind, items in by_kind.items():
            if len(items) < min_per_kind:
                raise LanguageDataError(f"{path}: {kind} needs {min_per_kind}, has {len(items)}")
        if len(safe) < min_safe:
            raise LanguageDataError(f"{path}: `safe` needs {min_safe}, has {len(safe)}")
        return cls(code, raw["review"], by_kind, safe)

    def labelled(self) -> list[tuple[str, str]]:
        """(text, label) pairs, the label a kind or "none" for the safe messages."""
        pairs = [(text, kind) for kind in KINDS for text in self.danger[kind]]
        return pairs + [(text, "none") for text in self.safe]


def _texts(value: object, key: str, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LanguageDataError(f"{path}: `{key}` must be a list of non-empty texts")
    return tuple(value)


def load_split(directory: Path, codes: list[str], **minimums: int) -> dict[str, RiskCorpus]:
    """Every listed language's file of one split."""
    return {code: RiskCorpus.load(directory / f"{code}.yml", code, **minimums) for code in codes}


def nlu_examples(path: Path) -> dict[str, list[str]]:
    """A Rasa NLU file's examples by intent, entity annotations reduced to their text."""
    raw = read_yaml(path)
    found: dict[str, list[str]] = {}
    for block in raw.get("nlu", []) if isinstance(raw, dict) else []:
        if "intent" not in block:
            continue
        lines = str(block.get("examples", "")).splitlines()
        items = [_ANNOTATION.sub(r"\1", ln.strip()[2:]) for ln in lines if ln.strip()[:2] == "- "]
        found.setdefault(block["intent"], []).extend(items)
    return found


def comparable(text: str) -> str:
    """The letters and digits of a message, folded: what a near-copy check compares."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in fold(text)).split())


def near_copies(
    held_out: list[str], training: list[str], ratio: float = NEAR_COPY_RATIO
) -> list[tuple[str, str]]:
    """(held-out, training) pairs that are the same message but for a few letters or a word."""
    keys = [comparable(text) for text in training]
    return [
        (text, training[index])
        for text in held_out
        for _, _, index in process.extract_iter(
            comparable(text), keys, scorer=fuzz.ratio, score_cutoff=ratio * 100
        )
    ]
