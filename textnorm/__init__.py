"""How text is normalised before anything compares it: one set of character tables, used by both
runtimes (the gateway's safety layer, language detection and redaction; the registry's place
names, which the Python 3.10 action server reads too). Standard library only, so the action
server can import it without the gateway's dependencies.

Why: people type the same word in many ways. Phones add invisible direction marks; Persian is
typed on Arabic keyboards (ي ك for ی ک) and the other way round; Sorani writers without a
Kurdish keyboard type ه ی و ر ل for ە ێ ۆ ڕ ڵ; Swedes write å/ä/ö as a/a/o; Tigrinya has
letters that sound the same (ሠ/ሰ, ፀ/ጸ); digits come in Arabic-Indic, Persian and fullwidth forms.

The strengths, from the lightest:
- `view`, `ascii_digits`: per character, so a finder's positions point back into the text as
  written (redaction hides the original characters, marks included);
- `clean`: what never carries meaning goes (invisible marks, Arabic tatweel and vowel marks),
  digits of any script become 0-9; case kept;
- `normalise`: `clean` in lower case;
- `unify_arabic`: one form for the Arabic-script letters that keyboards vary;
- `strip_marks` / `fold`: no diacritics either, and (unless asked not to) look-alike letters
  merged, for matching that must not miss a spelling.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable


def _scan() -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """Every invisible formatting character (Unicode "Cf": zero-width (non-)joiner, direction
    marks and isolates, BOM, soft hyphen, ...), every decimal digit of any script, and every
    combining mark (the diacritics of a decomposed letter: å is a + U+030A)."""
    invisible: dict[int, str] = {}
    digits: dict[int, str] = {}
    marks: dict[int, str] = {}
    # Planes 0 and 1 and the tag block hold every such character Unicode has assigned; scanning
    # only them keeps the import fast.
    for code in (*range(0x20000), *range(0xE0000, 0xE0080)):
        ch = chr(code)
        category = unicodedata.category(ch)
        if category == "Cf":
            invisible[code] = ""
        elif category == "Nd" and code >= 0x80:
            digits[code] = str(unicodedata.decimal(ch))
        if unicodedata.combining(ch):
            marks[code] = ""
    return invisible, digits, marks


INVISIBLE, DIGITS, COMBINING_MARKS = _scan()
# Arabic tatweel (kashida) and the short-vowel and Quranic marks: decoration, not spelling.
ARABIC_MARKS = dict.fromkeys([0x0640, 0x0670, *range(0x064B, 0x0660), *range(0x06D6, 0x06EE)], "")
# Dashes a phone keyboard or a pasted note may put between digits (en and em dash, minus,
# non-breaking and figure hyphens, small and fullwidth hyphen-minus).
DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"), "-")
# Typographic apostrophes as ASCII, and the Ethiopic word space as a space. Other punctuation
# stays: danger patterns are regular expressions, where "?" or "." would change meaning.
APOSTROPHES = {ord(ch): "'" for ch in "’‘ʼ`"} | {ord("፡"): " "}
# Arabic-script letters that people write either way (Arabic and Persian keyboards, with or
# without hamza).
ARABIC_VARIANTS = {
    ord(a): b
    for a, b in {
        "ي": "ی",
        "ى": "ی",
        "ئ": "ی",
        "ك": "ک",
        "ة": "ه",
        "ۀ": "ه",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
    }.items()
}


def _ethiopic_series(source: int, target: int, orders: int = 7) -> dict[int, str]:
    return {source + i: chr(target + i) for i in range(orders)}


# Letters merged only where a missed spelling costs more than a wrong match. Arabic script:
# Sorani's letters written without their Kurdish marks, ې (Pashto/Uyghur yeh), ڤ (Kurdish v).
# Ethiopic: ሠ→ሰ and ፀ→ጸ (merged in Tigrinya and Amharic spelling), and ሐ→ሀ, ኀ→ሀ, ዐ→አ
# (distinct sounds in Tigrinya, but often confused in writing). Turkish dotless ı as i.
LOOKALIKES = {
    ord(a): b
    for a, b in {
        "ې": "ی",
        "ێ": "ی",
        "ە": "ه",
        "ۆ": "و",
        "ڕ": "ر",
        "ڵ": "ل",
        "ڤ": "ف",
        "ı": "i",
    }.items()
} | {
    **_ethiopic_series(0x1220, 0x1230),  # ሠ.. -> ሰ..
    **_ethiopic_series(0x1340, 0x1338),  # ፀ.. -> ጸ..
    **_ethiopic_series(0x1210, 0x1200),  # ሐ.. -> ሀ..
    **_ethiopic_series(0x1280, 0x1200),  # ኀ.. -> ሀ..
    **_ethiopic_series(0x12D0, 0x12A0),  # ዐ.. -> አ..
}


def _translator(table: dict[int, str]) -> Callable[[str], str]:
    """`str.translate` with `table`, skipped when the text has nothing it would change.

    str.translate looks every character up in the dict, slow on long text that mostly has
    nothing to change; a regex character class finds out in C. Characters above U+FFFF are one
    range in it: sre checks the others with a bitmap, but each such range one at a time."""
    ranges: list[list[int]] = []
    for code in sorted(c for c in table if c < 0x10000):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    spans = "".join(
        re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges
    )
    finder = re.compile(f"[{spans}\U00010000-\U0010ffff]")

    def translate(text: str) -> str:
        return text.translate(table) if finder.search(text) else text

    return translate


_clean = _translator({**INVISIBLE, **ARABIC_MARKS, **DIGITS, **APOSTROPHES})
_unify_arabic = _translator(ARABIC_VARIANTS)
_fold_letters = _translator({**ARABIC_VARIANTS, **LOOKALIKES})
_strip = _translator(COMBINING_MARKS)
_VIEW = {**INVISIBLE, **DIGITS}
_DIGITS_AND_DASHES = {**DIGITS, **DASHES}


def clean(text: str) -> str:
    """NFKC, no invisible marks, no tatweel or Arabic vowel marks, digits as 0-9, apostrophes as
    ', single spaces. Keeps case."""
    return " ".join(_clean(unicodedata.normalize("NFKC", text)).split())


def normalise(text: str) -> str:
    """`clean` and lower case: the form danger patterns and marker words are matched against."""
    return clean(text).casefold()


def unify_arabic(text: str) -> str:
    """One spelling of the Arabic-script letters that keyboards and writers vary (ي ی, ك ک,
    أ ا, ...); Latin diacritics and Kurdish letters stay."""
    return _unify_arabic(text)


def strip_marks(text: str, lookalikes: bool = True) -> str:
    """No combining marks (å→a, ş→s, ê→e, أ→ا, ؤ→و), the Arabic-script variants in one form,
    and unless `lookalikes` is false the look-alike letters merged (ێ→ی, ሠ→ሰ)."""
    bare = unicodedata.normalize("NFC", _strip(unicodedata.normalize("NFD", text)))
    return _fold_letters(bare) if lookalikes else _unify_arabic(bare)


def fold(text: str) -> str:
    """`normalise`, then `strip_marks`: for matching that must not miss a spelling."""
    return strip_marks(normalise(text))


def has_marks(text: str) -> bool:
    """Whether a letter carries a diacritic (å, ä, ö, é, ...): the writer chose a spelling that
    `strip_marks` would lose."""
    decomposed = unicodedata.normalize("NFD", text)
    return _strip(decomposed) != decomposed


def _view_of(ch: str) -> str:
    if ch.isascii():
        return ch
    if (seen := _VIEW.get(ord(ch))) is not None:
        return seen
    return unicodedata.normalize("NFKC", ch).translate(DASHES)


def view(text: str) -> tuple[str, list[int]]:
    """The text with invisible characters gone, compatibility forms as their plain ones
    (fullwidth ＠ and Ｓ, non-breaking and narrow spaces), digits of any script as 0-9 and any
    dash as "-", and for each of its characters the index of the character it came from.
    Per character, so "070\u200e-123" and "sara＠gmail.com" read as the plain forms and what
    a finder finds maps back to the characters as written."""
    if text.isascii():
        return text, list(range(len(text)))
    parts: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        seen = _view_of(ch)
        parts.append(seen)
        origin.extend([index] * len(seen))
    return "".join(parts), origin


def ascii_digits(text: str) -> str:
    """The text with every decimal digit of any script (Arabic-Indic ٣, Persian ۳, fullwidth)
    as 0-9 and every dash as "-", one character for one, so positions stay the same."""
    return text.translate(_DIGITS_AND_DASHES)


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
