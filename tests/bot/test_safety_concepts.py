"""The concept lexicon: words, stems, phrases and clitics found per language, and its schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.conversation.safety.concepts import ConceptLexicon
from bot.conversation.safety.features import features, tokens
from bot.languages import LanguageDataError, load_codes

pytestmark = pytest.mark.unit

DATA = Path(__file__).parent / "data" / "concepts"
SETTINGS = Settings()


@pytest.fixture(scope="module")
def lexicon() -> ConceptLexicon:
    return ConceptLexicon.load(DATA / "names.yml", DATA, ["xx", "yy"])


def found(lexicon: ConceptLexicon, text: str) -> set[tuple[str, str]]:
    return lexicon.concepts(tokens(text))


def test_words_stems_and_phrases_are_found_in_their_language(lexicon):
    assert found(lexicon, "They are FLYING me out") == {("xx", "travel")}
    assert found(lexicon, "bought a one way tickets yesterday") == {("xx", "travel")}
    assert found(lexicon, "de ska mörda mig") == {("yy", "kill")}
    # Folded as messages are: accents and case do not matter.
    assert found(lexicon, "DE SKA MORDA MIG") == {("yy", "kill")}


def test_a_phrase_needs_its_words_in_a_row(lexicon):
    assert found(lexicon, "one ticket, way back") == set()
    assert found(lexicon, "they will end me") == {("xx", "kill")}
    assert found(lexicon, "end of me") == set()


def test_a_stem_matches_only_words_that_begin_with_it(lexicon):
    assert found(lexicon, "butterfly") == set()
    assert found(lexicon, "killer") == set()  # "kill" is a word, not a stem


def test_a_clitic_of_the_language_is_tried_off(lexicon):
    assert found(lexicon, "wapassport") == {("xx", "travel")}
    assert found(lexicon, "wapass") == set()  # yy's word: yy writes no clitics


def test_a_word_of_two_languages_gives_a_feature_in_each(lexicon):
    assert found(lexicon, "kill") == {("xx", "kill"), ("yy", "kill")}


def test_features_are_kept_apart_per_language_with_their_pairs(lexicon):
    got = {f for f in features("passport and murder", lexicon) if f.startswith("c")}
    assert got == {"c xx travel", "c xx kill", "cc xx kill travel"}


def test_without_a_lexicon_there_are_no_concept_features():
    assert not {f for f in features("passport murder") if f.startswith(("c ", "cc "))}


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("fl*", "stems need"),
        ("don't", "letters and a final"),
        ("a**", "letters and a final"),
        ("", "is not a word"),
    ],
)
def test_a_malformed_entry_is_refused(tmp_path, entry, problem):
    (tmp_path / "xx.yml").write_text(
        "language: xx\nreview: draft\nprefixes: []\nconcepts:\n"
        f'  travel: ["{entry}", flight, fly, ticket, airport, passport]\n'
        "  kill: [kill, kills, murder, end me, bury alive]\n"
        "  joke: [haha, lol, jk, kidding, joking]\n"
        "  past: [years ago, when i was, last year, used to, back then]\n"
        "  information: [a story, a film, documentary, essay, what if]\n"
        "  work_role: [my pupil, teacher, my client, social worker, school nurse]\n"
        "  trivial: [homework, chess, maths, football, phone]\n"
        "  leisure: [holiday, party, birthday, wedding, beach]\n"
        "  negation: [never, nobody, not, no one, none]\n",
        encoding="utf-8",
    )
    with pytest.raises(LanguageDataError, match=problem):
        ConceptLexicon.load(DATA / "names.yml", tmp_path, ["xx"])


def test_every_concept_must_be_listed(tmp_path):
    (tmp_path / "xx.yml").write_text(
        "language: xx\nreview: draft\nconcepts:\n  travel: [a1, b1, c1, d1, e1]\n",
        encoding="utf-8",
    )
    with pytest.raises(LanguageDataError, match="concepts must be exactly"):
        ConceptLexicon.load(DATA / "names.yml", tmp_path, ["xx"])


def test_the_lexicon_of_every_listed_language_passes_its_schema():
    """The gateway loads it at start; bad data stops it there, and here first."""
    codes = load_codes(SETTINGS.languages_file)
    for code in codes:
        ConceptLexicon.load(SETTINGS.safety_concepts_file, SETTINGS.safety_concepts_dir, [code])
