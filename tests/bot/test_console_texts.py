"""The staff console's texts: data per language, complete against Swedish, carried by the page."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from bot.languages import LanguageDataError
from bot.staff.console_texts import DEFAULT, load_console_texts, page_with_texts

pytestmark = pytest.mark.unit

SETTINGS = Settings()


def test_every_console_language_has_every_text_of_the_default_with_its_placeholders():
    languages = load_console_texts(SETTINGS.console_texts_dir)
    assert next(iter(languages)) == DEFAULT and {"sv", "en"} <= set(languages)
    reference = languages[DEFAULT].texts
    for language in languages.values():
        assert set(language.texts) == set(reference)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda text: text.replace('  send: "Send"\n', ""), "missing"),
        (lambda text: text.replace('"on duty: {n}"', '"on duty"'), "placeholders"),
        (lambda text: text.replace("review: draft", "review: maybe"), "review"),
    ],
)
def test_a_console_file_with_a_gap_stops_the_start(tmp_path: Path, change, problem):
    folder = tmp_path / "console"
    shutil.copytree(SETTINGS.console_texts_dir, folder)
    english = folder / "en.yml"
    english.write_text(change(english.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(LanguageDataError, match=problem):
        load_console_texts(folder)


def test_the_page_carries_every_language_and_no_text_can_close_its_block():
    languages = load_console_texts(SETTINGS.console_texts_dir)
    hostile = languages["en"].texts | {"send": "</script><script>alert(1)</script>"}
    languages["en"] = type(languages["en"])("en", "English", "draft", hostile)
    page = page_with_texts("<head><!-- console texts --></head>", languages)
    assert page.count("</script>") == 1  # the block's own end only
    block = re.search(r'type="application/json">(.*)</script>', page)
    assert block is not None
    data = json.loads(block.group(1))
    assert data["default"] == DEFAULT
    assert [lang["code"] for lang in data["languages"]] == list(languages)
    assert data["languages"][1]["texts"]["send"] == "</script><script>alert(1)</script>"


async def test_the_console_page_is_served_with_its_texts(client):
    response = await client.get("/staff")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    block = re.search(r'type="application/json">(.*)</script>', response.text)
    assert block is not None
    data = json.loads(block.group(1))
    assert {lang["code"] for lang in data["languages"]} >= {"sv", "en"}
