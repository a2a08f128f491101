"""How place names are compared: words, case and punctuation folded (the character tables are
textnorm's)."""

from __future__ import annotations

import re

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
