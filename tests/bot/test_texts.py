"""Texts shown to people: every phone number has a source; every language has every label."""

from __future__ import annotations

import dataclasses
import re

import pytest
import yaml

from bot.config import Settings
from bot.conversation.safety.policy import Policy
from bot.conversation.texts import Texts, first_sentence
from bot.languages import LanguageDataError, load_codes
from registry import load_registry

pytestmark = pytest.mark.unit

SETTINGS = Settings()
CODES = load_codes(SETTINGS.languages_file)
# The national lines every safe reply names besides 112 (data/contacts.yml): Bris and
# Kvinnofridslinjen, written as in the texts.
NATIONAL_LINES = ("116 111", "020-50 50 50")

# Swedish phone numbers as written in texts: area-code numbers (020-50 50 50, 010-223 57 60)
# short numbers starting with 1 (112, 116 111, 114 14, 1177), helplines' 9NNNN (90101) and
# +46 numbers (+46 8 405 50 05). Years, ages and hours don't match.
PHONE = re.compile(
    r"(?<![\d:/.+])(0\d{1,3}-\d[\d ]{3,}\d|\+46(?: \d{1,3}){2,5}|1177|1\d{2}(?: \d{2,3})?|9\d{4})"
    r"(?![\d:/])"
)


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


@pytest.fixture(scope="module")
def sourced_numbers(repo_root) -> set[str]:
    """Every number in data/contacts.yml; the registry refuses a number without a source."""
    registry = load_registry(repo_root / "data")
    numbers = {_digits(line.phone) for line in registry.lines if line.sources and line.checked}
    for centre in registry.centres.values():
        if centre.phone and centre.phone.sources:
            numbers.add(_digits(centre.phone.value))
    return numbers


def test_phone_pattern_finds_numbers_and_skips_years_and_hours():
    text = "Ring 112 eller 020-50 50 50, Bris 116 111. Lag (2025:400). Öppet 09:00-12:00, 07-21."
    assert PHONE.findall(text) == ["112", "020-50 50 50", "116 111"]
    more = "Ring 90101 eller 1177, UD +46 8 405 50 05. År 2024, 18 år."
    assert PHONE.findall(more) == ["90101", "1177", "+46 8 405 50 05"]


def test_every_phone_number_shown_to_people_has_a_source(repo_root, sourced_numbers):
    files = [
        *sorted((repo_root / "bot/texts").glob("*.yml")),
        *sorted((repo_root / "nlu/responses").glob("*.yml")),
    ]
    assert len(files) >= 4
    unsourced = {
        (path.name, number)
        for path in files
        for number in PHONE.findall(path.read_text(encoding="utf-8"))
        if _digits(number) not in sourced_numbers
    }
    assert unsourced == set()


def _texts() -> Texts:
    return Texts.load(SETTINGS.texts_dir, CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_listed_language_has_every_label_and_the_emergency_replies(code):
    texts = _texts()
    language, reference = texts.languages[code], texts.languages[texts.default]
    assert set(language.widget) == set(reference.widget)
    assert set(language.replies) == set(reference.replies)
    assert "112" in language.replies["danger"]
    assert "112" in language.replies["safe_fallback"]
    for number in NATIONAL_LINES:
        assert number in language.replies["safe_fallback"], (code, number)
    assert language.dir == ("rtl" if code in {"ar", "fa", "ckb"} else "ltr")


@pytest.mark.parametrize("unknown", ["xx", "", None])
def test_an_unknown_language_gets_the_default_languages_safe_reply(unknown):
    texts = _texts()
    reply = texts.reply("safe_fallback", unknown)
    assert reply == texts.languages[CODES[0]].replies["safe_fallback"]
    assert "112" in reply and all(number in reply for number in NATIONAL_LINES)


def test_only_listed_languages_are_loaded_and_each_needs_a_file(tmp_path):
    (tmp_path / "sv.yml").write_text((SETTINGS.texts_dir / "sv.yml").read_text("utf-8"), "utf-8")
    (tmp_path / "zz.yml").write_text("not: listed\n", "utf-8")
    assert list(Texts.load(tmp_path, ["sv"]).languages) == ["sv"]
    with pytest.raises(LanguageDataError, match=r"en\.yml: missing"):
        Texts.load(tmp_path, ["sv", "en"])


def test_a_language_file_missing_a_label_is_refused(tmp_path):
    for code in ("sv", "en"):
        raw = yaml.safe_load((SETTINGS.texts_dir / f"{code}.yml").read_text("utf-8"))
        if code == "en":
            raw["widget"].pop("send")
        (tmp_path / f"{code}.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    with pytest.raises(LanguageDataError, match=r"en.yml: `widget` differs .* missing \['send'\]"):
        Texts.load(tmp_path, ["sv", "en"])


def test_a_text_written_twice_is_refused_not_silently_overwritten(tmp_path):
    sv = (SETTINGS.texts_dir / "sv.yml").read_text("utf-8")
    (tmp_path / "sv.yml").write_text(sv.replace("\nwidget:\n", "\nwidget:\n  send: a\n  send: b\n"))
    with pytest.raises(LanguageDataError, match=r"sv\.yml: line \d+: `send` twice"):
        Texts.load(tmp_path, ["sv"])


def test_widget_page_ships_the_default_language_labels_from_the_texts_file(repo_root):
    """index.html carries the Swedish labels so 112 and the exit show before any script runs."""
    html = (repo_root / "bot/static/index.html").read_text(encoding="utf-8")
    shipped = dict(re.findall(r'data-text="(\w+)"[^>]*>([^<]+)<', html))
    widget = _texts().languages[CODES[0]].widget
    assert shipped, "no labels found in index.html"
    assert {key: widget[key] for key in shipped} == shipped


async def test_widget_config_lists_the_default_language_first(client):
    config = (await client.get("/api/v1/widget/config")).json()
    assert config["languages"][0]["code"] == "sv"


@pytest.mark.parametrize("code", CODES)
def test_every_safety_reply_names_its_numbers_in_the_first_sentence(code):
    """What a person in danger reads first: 112 (and 90101 for suicidal thoughts), in every
    language, for every reply the safety layer gives (bot/data/safety/policy.yml)."""
    policy = Policy.load(SETTINGS.safety_policy_file)
    language = _texts().languages[code]
    for key, numbers in policy.opening_numbers.items():
        opening = first_sentence(language.replies[key])
        assert all(number in opening for number in numbers), (code, key, opening)
    for key in ("danger_yes", "danger_no", "danger_no_reply"):
        assert language.replies[key].strip(), (code, key)


def test_first_sentence_ends_at_a_sentence_mark_before_a_space():
    assert first_sentence("Ring 112 nu. Läs mer på mind.se. Sen") == "Ring 112 nu."
    assert first_sentence("Chatta på mind.se eller ring 90101. Sen") == (
        "Chatta på mind.se eller ring 90101."
    )
    assert first_sentence("إذا كنت في خطر اتصل بـ 112؟ ثم") == "إذا كنت في خطر اتصل بـ 112؟"
    assert first_sentence("ሕጂ 112 ደውሉ። ድሕሪኡ") == "ሕጂ 112 ደውሉ።"


def test_a_language_without_a_safety_reply_stops_the_start():
    texts = _texts()
    language = texts.languages["en"]
    broken = {**language.replies, "danger_suicide": "Call 90101. Or 112."}
    texts.languages["en"] = dataclasses.replace(language, replies=broken)
    policy = Policy.load(SETTINGS.safety_policy_file)
    with pytest.raises(LanguageDataError, match=r"danger_suicide.*112 in its first sentence"):
        texts.require_replies(policy.opening_numbers)


def test_a_language_whose_acute_reply_does_not_name_the_suicide_line_stops_the_start():
    texts = _texts()
    policy = Policy.load(SETTINGS.safety_policy_file)
    texts.require_number(policy.suicide_line_replies, policy.suicide_line)
    language = texts.languages["ar"]
    broken = {**language.replies, "danger": "اتصل بالرقم 112."}
    texts.languages["ar"] = dataclasses.replace(language, replies=broken)
    with pytest.raises(LanguageDataError, match=r"ar.yml: reply `danger` must name 90101"):
        texts.require_number(policy.suicide_line_replies, policy.suicide_line)
