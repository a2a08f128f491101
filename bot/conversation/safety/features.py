"""What the classifier sees of a message: folded char n-grams inside words, words, word pairs.

Why these: people misspell, drop accents, stretch letters and write Arabic or Persian in Latin
letters; char n-grams inside words survive all of that, and words and word pairs keep what a
phrase means ("kill me" is not "kill time"); concepts (`concepts.py`) carry what a word means
when the corpus never used it. The same function serves training and scoring, so the two can
never disagree.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

from bot.conversation.safety.concepts import ConceptLexicon
from textnorm import fold

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits: Arabizi writes ع as 3
_STRETCHED = re.compile(r"(.)\1{2,}")  # "pleeeease" -> "pleease"
CHAR_SIZES = (2, 3, 4, 5)


def tokens(text: str) -> list[str]:
    """The message's words after folding (case, accents, look-alike letters, stretching)."""
    return _TOKEN.findall(_STRETCHED.sub(r"\1\1", fold(text)))


def symbols(text: str) -> set[str]:
    """The emoji and other symbols of a message: "😂" says a threat is a joke as "haha" does."""
    return {ch for ch in text if unicodedata.category(ch) == "So"}


def features(text: str, lexicon: ConceptLexicon | None = None) -> set[str]:
    """The set of features of one message (binary: counts carry no signal in short messages)."""
    words = tokens(text)
    found: set[str] = {"s " + symbol for symbol in symbols(text)}
    if lexicon is not None:
        found |= lexicon.features(words)
    for word in words:
        found.add("w " + word)
        padded = f"<{word}>"
        for size in CHAR_SIZES:
            for start in range(len(padded) - size + 1):
                found.add(padded[start : start + size])
    for first, second in pairwise(words):
        found.add(f"b {first} {second}")
    return found
