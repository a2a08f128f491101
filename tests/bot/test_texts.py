"""Texts shown to people: every phone number has a source; every language has every label."""

from __future__ import annotations

import re

import pytest

from bot.config import Settings
from bot.texts import Texts
from registry import load_registry

pytestmark = pytest.mark.unit

# Swedish phone numbers as written in texts: area-code numbers (020-50 50 50, 010-223 57 60)
# and short numbers starting with 1 (112, 116 111, 114 14). Years, ages and hours don't match.
PHONE = re.compile(r"(?<![\d:/.])(0\d{1,3}-\d[\d ]{3,}\d|1\d{2}(?: \d{2,3})?)(?![\d:/])")


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


def test_every_language_has_the_same_widget_labels_and_replies():
    texts = Texts.load(Settings().texts_dir, "sv")
    reference = texts.languages["sv"]
    for language in texts.languages.values():
        assert set(language.widget) == set(reference.widget), language.code
        assert set(language.replies) == set(reference.replies), language.code
        assert "112" in language.replies["danger"]
        assert "112" in language.replies["safe_fallback"]


def test_widget_page_ships_the_default_language_labels_from_the_texts_file(repo_root):
    """index.html carries the Swedish labels so 112 and the exit show before any script runs."""
    html = (repo_root / "bot/static/index.html").read_text(encoding="utf-8")
    shipped = dict(re.findall(r'data-text="(\w+)"[^>]*>([^<]+)<', html))
    widget = Texts.load(Settings().texts_dir, "sv").languages["sv"].widget
    assert shipped, "no labels found in index.html"
    assert {key: widget[key] for key in shipped} == shipped


async def test_widget_config_lists_the_default_language_first(client):
    config = (await client.get("/api/v1/widget/config")).json()
    assert config["languages"][0]["code"] == "sv"
