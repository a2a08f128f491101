"""Language choice: script first, then markers and the model trained on our own messages; short
or ambiguous messages keep the session's language, clear switches are followed. Covers every
language in nlu/languages.yml."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.conversation.language import LanguageDetector, Markers
from bot.conversation.safety import SafetyLayer
from bot.languages import LanguageDataError, load_codes
from registry import load_registry
from registry.names import place_names

pytestmark = pytest.mark.unit

SETTINGS = Settings()
CODES = load_codes(SETTINGS.languages_file)

# Short typical first messages (written for this test, not taken from the training data).
# Only the listed languages' rows run, so a language is tested from the moment it is listed.
SHORT_MESSAGES = {
    "sv": ["jag vill prata med någon", "min pappa slår mig", "vad är heder", "hej"],
    "en": ["my dad hits me", "I need help", "what is honour violence", "hello"],
    "ar": ["أبي يضربني", "أحتاج مساعدة", "أريد أن أتكلم مع شخص"],
    "fa": ["پدرم مرا کتک میزند", "کمک میخواهم", "می‌خواهم با یک نفر حرف بزنم"],
    "so": ["aabbahay wuu i garaacaa", "caawimaad ayaan u baahanahay", "waan baqayaa"],
    "ckb": ["باوکم لێم دەدات", "یارمەتیم پێویستە", "دەمەوێت قسە لەگەڵ کەسێک بکەم"],
    "kmr": ["bavê min li min dixe", "ez alîkariyê dixwazim", "ez ji malê ditirsim"],
    "ti": ["ኣቦይ ይወቕዓኒ", "ሓገዝ የድልየኒ", "ምስ ሰብ ክዛረብ ደልየ"],
    "tr": ["babam beni dövüyor", "yardıma ihtiyacım var", "biriyle konuşmak istiyorum"],
}


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    """The gateway's detector: the markers and the safety layer's language model."""
    return LanguageDetector.load(
        SETTINGS.language_markers_dir,
        CODES,
        place_names(load_registry(SETTINGS.data_dir)),
        SafetyLayer.from_settings(SETTINGS, CODES).model.language_scores,
    )


def _cases() -> list[tuple[str, str]]:
    return [(code, text) for code in CODES for text in SHORT_MESSAGES.get(code, [])]


def test_every_listed_language_has_short_messages_here():
    """A newly listed language gets its row above, or this fails and says which."""
    assert [code for code in CODES if code not in SHORT_MESSAGES] == []


@pytest.mark.parametrize(("lang", "text"), _cases())
def test_a_short_message_is_recognised_from_the_default_language(detector, lang, text):
    assert detector.detect(text, CODES[0], settled=False) == lang


@pytest.mark.parametrize(("lang", "text"), [case for case in _cases() if len(case[1].split()) > 2])
def test_a_clear_message_switches_a_settled_session(detector, lang, text):
    other = next(code for code in CODES if code != lang)
    assert detector.detect(text, other, settled=True) == lang


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        ("Jag får inte träffa mina kompisar", "en", "sv"),
        ("jag far inte traffa mina kompisar efter skolan", "en", "sv"),
        ("My brother checks my phone every day", "sv", "en"),
        ("What is honour related violence?", "sv", "en"),
        ("Borås", "en", "en"),  # a place name is no switch
        ("Alingsås", "en", "en"),
        ("ok", "sv", "sv"),
        ("ok", "en", "en"),
        ("hej", "en", "en"),  # a lone greeting does not switch a settled session
        ("112", "sv", "sv"),
        ("😢", "en", "en"),
        ("Привет, мне нужна помощь", "sv", "sv"),  # a script we do not have
        ("", "en", "en"),
    ],
)
def test_detect_keeps_a_settled_language_unless_the_switch_is_clear(
    detector, text, current, expected
):
    assert detector.detect(text, current, settled=True) == expected


@pytest.mark.parametrize(("text", "expected"), [("ok", "sv"), ("Borås", "sv"), ("hello", "en")])
def test_an_unsettled_default_follows_a_lone_marker_word_only(detector, text, expected):
    assert detector.detect(text, "sv", settled=False) == expected


def test_an_unknown_current_language_follows_the_message(detector):
    assert detector.detect("I need help please", "xx") == "en"
    assert detector.detect("ok", "xx") == "xx"


def test_confirms_a_message_in_the_language(detector):
    assert detector.confirms("jag behöver hjälp", "sv")
    assert not detector.confirms("ok", "sv")
    assert not detector.confirms("I need help", "sv")


def _write_markers(tmp_path, code: str, body: str) -> None:
    (tmp_path / f"{code}.yml").write_text(
        f"language: {code}\nreview: draft\n{body}", encoding="utf-8"
    )


def test_without_a_model_markers_and_the_script_decide(tmp_path):
    """The marker files alone tell the languages apart when they hold evidence."""
    _write_markers(tmp_path, "ar", 'script: arabic\nletters: "ةى"\nwords: ["أنا", "في"]\n')
    _write_markers(tmp_path, "fa", 'script: arabic\nletters: "پچژگیک"\nwords: ["من", "است"]\n')
    _write_markers(
        tmp_path, "ckb", 'script: arabic\nletters: "ێۆڕڵەیکپچژگ"\nwords: ["دەمەوێت", "لە"]\n'
    )
    _write_markers(tmp_path, "ti", 'script: ethiopic\nwords: ["ሰላም"]\n')
    _write_markers(tmp_path, "tr", 'script: latin\nletters: "ğışöü"\nwords: ["ben", "bir"]\n')
    _write_markers(tmp_path, "kmr", 'script: latin\nletters: "êîû"\nwords: ["ez", "ji", "min"]\n')
    detector = LanguageDetector.load(tmp_path, ["ar", "fa", "ckb", "ti", "tr", "kmr"])
    assert detector.detect("ሰላም", "tr") == "ti"
    assert detector.detect("ኣቦይ ይወቕዓኒ", "tr") == "ti"
    assert detector.detect("باوکم لێم دەدات", "tr") == "ckb"
    assert detector.detect("من از پدرم میترسم", "tr") == "fa"
    assert detector.detect("أبي يضربني في البيت", "tr") == "ar"
    assert detector.detect("ez ji male ditirsim", "tr", settled=True) == "kmr"
    assert detector.detect("babam beni dövüyor", "kmr", settled=True) == "tr"


def test_nlu_spelling_follows_the_language(tmp_path):
    _write_markers(tmp_path, "fa", 'script: arabic\nwords: ["من"]\nnlu_replace: {"ي": "ی"}\n')
    _write_markers(tmp_path, "ar", 'script: arabic\nwords: ["في"]\nnlu_replace: {"ی": "ي"}\n')
    detector = LanguageDetector.load(tmp_path, ["fa", "ar"])
    assert detector.for_nlu("مي\u200cخواهم", "fa") == "میخواهم"
    assert detector.for_nlu("فی البیت", "ar") == "في البيت"
    assert detector.for_nlu("تـــرسَم", "xx") == "ترسم"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("script: cyrillic\nwords: [a]\n", "`script` must be one of"),
        ("script: latin\nwords: []\n", "`words` must be a non-empty list"),
        ("script: latin\nwords: ['من']\n", "words not in latin script"),
        ("script: latin\nletters: 'a b'\nwords: [a]\n", "`letters` must be one string"),
        ("script: latin\nwords: [a]\nnlu_replace: {ab: c}\n", "`nlu_replace` maps single"),
    ],
)
def test_a_malformed_marker_file_is_refused_with_its_name(tmp_path, body, problem):
    _write_markers(tmp_path, "xx", body)
    with pytest.raises(LanguageDataError, match=problem):
        Markers.load(tmp_path / "xx.yml", "xx")


def test_a_listed_language_without_a_marker_file_stops_the_start(tmp_path):
    with pytest.raises(LanguageDataError, match=r"xx\.yml: missing"):
        LanguageDetector.load(tmp_path, ["xx"])


@pytest.mark.parametrize("text", ["Привет, мне нужна помощь", "我需要帮助", "मुझे मदद चाहिए"])
def test_a_script_none_of_our_languages_uses_is_unreadable(detector, text):
    assert detector.foreign_script(text)


def test_our_scripts_digits_and_symbols_are_not_unreadable(detector):
    readable = [t for code in CODES for t in SHORT_MESSAGES.get(code, [])]
    assert not any(detector.foreign_script(text) for text in readable)
    assert not detector.foreign_script("112 !!")
    # One Cyrillic word inside a Swedish sentence: most letters are Latin.
    assert not detector.foreign_script("jag heter Привет och bor i Borås")


@pytest.mark.parametrize(
    ("text", "current", "hint", "expected"),
    [
        # Persian and Arabic in Latin letters: the markers cannot tell them.
        ("babam mikhad mano bokoshe", "sv", "fa", "fa"),
        ("ba3atoni 3al 3ira2 bokra", "en", "ar", "ar"),
        # One word never switches, whatever the hint.
        ("salam", "sv", "fa", "sv"),
        # A message with clear evidence of the current language keeps it.
        ("jag vågar inte gå hem", "sv", "en", "sv"),
        # Pasted code in a settled session: the model's guess is no evidence.
        ("<script>document.title='x'</script><img src=x onerror=alert(1)>", "sv", "en", "sv"),
        # No hint: as before.
        ("babam mikhad mano bokoshe", "sv", None, "sv"),
    ],
)
def test_a_sure_model_language_decides_where_the_detector_has_no_evidence(
    detector, text, current, hint, expected
):
    assert detector.detect(text, current, True, hint) == expected
