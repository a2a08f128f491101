"""How place names are compared: words, case and punctuation folded (the character tables are
textnorm's); edit distance."""

from __future__ import annotations

import re
from collections.abc import Iterator

from textnorm import clean, strip_marks, unify_arabic

_NON_WORD = re.compile(r"[^\w]+")


def words(text: str) -> list[str]:
    """The words of `text` as written (case kept), split on anything that is not a letter/digit."""
    return _NON_WORD.sub(" ", clean(text)).split()


def simplify(text: str) -> str:
    """Lower-case words joined by one space: 'Upplands-Bro' == 'upplands bro'; Arabic-script
    letters in one form ('يوتبوري' == 'یوتبوری')."""
    return " ".join(unify_arabic(word).casefold() for word in words(text))


def fold(text: str) -> str:
    """`simplify` without diacritics, so 'Borås' == 'boras' (but also 'Håbo' == 'Habo').
    Look-alike letters stay apart: a name's other spellings are listed in the data instead."""
    return strip_marks(simplify(text), lookalikes=False)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of two letters is one edit), capped at limit+1.

    Typos on a phone are mostly one wrong, missing, extra or swapped letter.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[len(b)], limit + 1)


def deletions(text: str, depth: int) -> Iterator[str]:
    """`text` and every string made by deleting up to `depth` characters (a typo index key).

    Two strings within `depth` edits of each other share at least one such key, so a lookup in
    an index of these keys finds every candidate without comparing against every name.
    """
    seen = {text}
    frontier = {text}
    yield text
    for _ in range(depth):
        following: set[str] = set()
        for item in frontier:
            for index in range(len(item)):
                shorter = item[:index] + item[index + 1 :]
                if shorter not in seen:
                    seen.add(shorter)
                    following.add(shorter)
                    yield shorter
        frontier = following
