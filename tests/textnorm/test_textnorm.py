"""The character tables and each strength of normalisation, as both runtimes use them."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from textnorm import (
    COMBINING_MARKS,
    DIGITS,
    INVISIBLE,
    ascii_digits,
    clean,
    fold,
    has_marks,
    normalise,
    readable_text,
    script_of,
    strip_marks,
    unify_arabic,
    view,
)

pytestmark = pytest.mark.unit


def test_the_tables_hold_every_invisible_character_digit_and_combining_mark_of_unicode():
    """The import scans only planes 0 and 1 and the tag block; a later Unicode that puts such a
    character elsewhere must fail here, not go unnoticed."""
    invisible, digits, marks = set(), set(), set()
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        category = unicodedata.category(ch)
        if category == "Cf":
            invisible.add(code)
        elif category == "Nd" and not ch.isascii():
            digits.add(code)
        if unicodedata.combining(ch):
            marks.add(code)
    assert set(INVISIBLE) == invisible
    assert set(DIGITS) == digits
    assert set(COMBINING_MARKS) == marks


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("ring\u200e 112\u2060!", "ring 112!"),  # direction mark, word joiner
        ("می\u200cخواهم", "میخواهم"),  # Persian zero-width non-joiner
        ("كـــبـير مُهِمّ", "كبير مهم"),  # tatweel and vowel marks
        ("٠٧٠ ۱۲۳ ０４５ ४५", "070 123 045 45"),  # Arabic-Indic, Persian, fullwidth, Devanagari
        ("I’m  here\t\n", "I'm here"),
        ("ኣብ፡ገዛ", "ኣብ ገዛ"),  # the Ethiopic word space
        ("Pappa SÄGER", "Pappa SÄGER"),
    ],
)
def test_clean_removes_what_never_carries_meaning_and_keeps_case(text, cleaned):
    assert clean(text) == cleaned


def test_normalise_is_clean_in_lower_case():
    assert normalise("Pappa\u200e SÄGER") == "pappa säger"


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Borås", "boras"),
        ("şiddet", "siddet"),
        ("يريد أن يقتلني", "یرید ان یقتلنی"),  # Arabic keyboard as Persian, hamza dropped
        ("دەمکوژێت", "دهمکوژیت"),  # Sorani letters as typed without a Kurdish keyboard
        ("ሠላም", "ሰላም"),
        ("ıı", "ii"),
    ],
)
def test_fold_merges_diacritics_arabic_variants_and_look_alike_letters(written, folded):
    assert fold(written) == folded


def test_strip_marks_can_leave_look_alike_letters_apart():
    assert strip_marks("ئێکەرۆ göteborg", lookalikes=False) == "یێکەرۆ goteborg"
    assert strip_marks("ئێکەرۆ göteborg") == "ییکهرو goteborg"


def test_unify_arabic_changes_only_the_letters_keyboards_vary():
    assert unify_arabic("مالمو ي ك ة أ Håbo ێ") == "مالمو ی ک ه ا Håbo ێ"


def test_has_marks_tells_whether_the_writer_used_a_diacritic():
    assert has_marks("håbo")
    assert has_marks("ha\u030abo")  # written decomposed
    assert not has_marks("habo")
    assert not has_marks("هابو")


def test_view_maps_back_to_the_characters_as_written():
    seen, origin = view("a\u200e＠1٣–")
    assert seen == "a@13-"
    assert origin == [0, 2, 3, 4, 5]


def test_ascii_digits_keeps_every_position():
    text = "٠٧٠–۱۲۳ ४५"
    assert ascii_digits(text) == "070-123 45"
    assert len(ascii_digits(text)) == len(text)


def test_script_of_knows_our_three_scripts():
    assert [script_of(ch) for ch in "aمሰж1 "] == [
        "latin",
        "arabic",
        "ethiopic",
        "other",
        None,
        None,
    ]


def test_readable_text_refuses_control_characters_and_empty_text():
    assert readable_text("  hej\n") == "hej"
    for bad in ("a\x00b", "a\ufffdb", " \t "):
        with pytest.raises(ValueError):
            readable_text(bad)
