"""Text normalisation shared by the safety layer and language detection (no upward imports).

Why: people type the same word in many ways. Phones add invisible direction marks; Persian is
typed on Arabic keyboards (ي ك for ی ک) and the other way round; Sorani writers without a
Kurdish keyboard type ه ی و ر ل for ە ێ ۆ ڕ ڵ; Swedes write å/ä/ö as a/a/o; Tigrinya has
letters that sound the same (ሠ/ሰ, ፀ/ጸ). `normalise` removes what never carries meaning;
`fold` also merges the look-alike letters, for matching that must not miss a spelling.
"""

from __future__ import annotations

import re
import unicodedata

# Invisible characters: zero-width (non-)joiner, direction marks and embeddings, BOM, soft hyphen.
_INVISIBLE = dict.fromkeys([0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x061C, 0xFEFF, 0x00AD])
_INVISIBLE |= dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Arabic tatweel (kashida) and the short-vowel and Quranic marks: decoration, not spelling.
_ARABIC_MARKS = dict.fromkeys([0x0640, 0x0670, *range(0x064B, 0x0660), *range(0x06D6, 0x06EE)])
_DIGITS = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}
# Typographic apostrophes as ASCII, and the Ethiopic word space as a space. Other punctuation
# stays: patterns are regular expressions, where "?" or "." would change meaning.
_PUNCTUATION = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "፡": " "})
_CLEAN = str.maketrans({**_INVISIBLE, **_ARABIC_MARKS, **_DIGITS})


def _ethiopic_series(source: int, target: int, orders: int = 7) -> dict[str, str]:
    return {chr(source + i): chr(target + i) for i in range(orders)}


# Look-alike letters merged by `fold`. Arabic script: the yeh, kaf, heh/ae and teh marbuta forms,
# and Sorani's letters written without their Kurdish marks. Ethiopic: ሠ→ሰ and ፀ→ጸ (merged in
# Tigrinya and Amharic spelling), and ሐ→ሀ, ኀ→ሀ, ዐ→አ (distinct sounds in Tigrinya, but often
# confused in writing; the fold trades a little precision for not missing a misspelt danger).
_FOLD_MAP: dict[str, str] = {
    "ي": "ی",
    "ى": "ی",
    "ې": "ی",
    "ێ": "ی",
    "ك": "ک",
    "ة": "ه",
    "ە": "ه",
    "ۀ": "ه",
    "ۆ": "و",
    "ڕ": "ر",
    "ڵ": "ل",
    "ڤ": "ف",
    "ı": "i",
    **_ethiopic_series(0x1220, 0x1230),  # ሠ.. -> ሰ..
    **_ethiopic_series(0x1340, 0x1338),  # ፀ.. -> ጸ..
    **_ethiopic_series(0x1210, 0x1200),  # ሐ.. -> ሀ..
    **_ethiopic_series(0x1280, 0x1200),  # ኀ.. -> ሀ..
    **_ethiopic_series(0x12D0, 0x12A0),  # ዐ.. -> አ..
}
_FOLD = str.maketrans(_FOLD_MAP)
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """NFKC, no invisible marks, no tatweel or Arabic vowel marks, ASCII digits. Keeps case."""
    text = unicodedata.normalize("NFKC", text).translate(_CLEAN).translate(_PUNCTUATION)
    return _SPACES.sub(" ", text).strip()


def normalise(text: str) -> str:
    """`clean` and lower case: the form danger patterns and marker words are matched against."""
    return clean(text).casefold()


def strip_marks(text: str) -> str:
    """Drop combining marks (å→a, ş→s, ê→e, أ→ا, ؤ→و) and merge look-alike letters."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare).translate(_FOLD)


def fold(text: str) -> str:
    """`normalise`, then `strip_marks`: for matching that must not miss a spelling."""
    return strip_marks(normalise(text))


def script_of(ch: str) -> str | None:
    """'latin', 'arabic' or 'ethiopic' for a letter of those scripts, 'other' for other letters,
    None for anything that is not a letter."""
    if not ch.isalpha():
        return None
    code = ord(ch)
    if code < 0x0250 or 0x1E00 <= code < 0x1F00:
        return "latin"
    if 0x0600 <= code < 0x0780 or 0x08A0 <= code < 0x0900 or 0xFB50 <= code < 0xFF00:
        return "arabic"
    if 0x1200 <= code < 0x13A0 or 0x2D80 <= code < 0x2DE0 or 0xAB00 <= code < 0xAB30:
        return "ethiopic"
    return "other"


# Line breaks and tabs are the only control characters a person types.
_ALLOWED_CONTROLS = {"\n", "\t"}


def readable_text(value: str) -> str:
    """Refuse control characters and undecodable text; strip; refuse empty."""
    if (
        any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in value)
        or "\ufffd" in value
    ):
        raise ValueError("the message contains characters that cannot be read")
    value = value.strip()
    if not value:
        raise ValueError("the message is empty")
    return value
