"""Answers staff insert into a reply: the saved answers per language (bot/staff/saved_answers.py,
bot/data/saved_answers/) and the help in a municipality as the bot words it
(GET /api/v1/municipalities/{name}/help-text, registry/describe.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from bot.languages import LanguageDataError, load_codes
from bot.staff.saved_answers import SavedAnswers

pytestmark = pytest.mark.unit

ANSWERS_DIR = Settings().saved_answers_dir
CODES = load_codes(Settings().languages_file)


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "saved_answers"
    shutil.copytree(ANSWERS_DIR, target)
    return target


def _edit(directory: Path, code: str, old: str, new: str) -> None:
    path = directory / f"{code}.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_language_has_the_same_saved_answers_with_their_swedish_meaning():
    answers = SavedAnswers.load(ANSWERS_DIR, CODES)
    swedish = answers.in_language("sv")
    assert 6 <= len(swedish) <= 8
    for code in CODES:
        these = answers.in_language(code)
        assert [a.id for a in these] == [a.id for a in swedish]
        assert [a.meaning for a in these] == [a.text for a in swedish]
        # 112 in the answer about danger, in every language; no other number anywhere.
        assert "112" in next(a.text for a in these if a.id == "danger_112")
        assert all(re.sub(r"\D", "", a.text) in ("", "112") for a in these)


def test_a_saved_answer_missing_in_one_language_stops_the_start(tmp_path):
    directory = _copy(tmp_path)
    path = directory / "tr.yml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if "take_care:" not in line), "utf-8")
    with pytest.raises(LanguageDataError, match="saved answers tr: ids"):
        SavedAnswers.load(directory, CODES)


def test_a_phone_number_in_a_saved_answer_is_refused(tmp_path):
    directory = _copy(tmp_path)
    _edit(directory, "en", "call 112.", "call 112 or Bris on 116 111.")
    with pytest.raises(LanguageDataError, match="'116 111'"):
        SavedAnswers.load(directory, CODES)


def test_other_placeholders_or_a_missing_file_are_refused(tmp_path):
    directory = _copy(tmp_path)
    _edit(directory, "ar", "هل أنت في أمان الآن؟", "هل أنت في أمان الآن يا {name}؟")
    with pytest.raises(LanguageDataError, match="`safe_now` has other placeholders"):
        SavedAnswers.load(directory, CODES)
    (directory / "ar.yml").unlink()
    with pytest.raises(LanguageDataError, match="missing"):
        SavedAnswers.load(directory, CODES)


async def test_staff_get_the_saved_answers_in_the_persons_language(client, sign_in):
    staff = await sign_in("sara")
    response = await client.get(
        "/api/v1/staff/saved-answers", params={"lang": "ti"}, headers=staff.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    tigrinya = SavedAnswers.load(ANSWERS_DIR, CODES).in_language("ti")
    assert body["lang"] == "ti"
    assert body["answers"] == [{"id": a.id, "text": a.text, "meaning": a.meaning} for a in tigrinya]
    unknown = await client.get(
        "/api/v1/staff/saved-answers", params={"lang": "xx"}, headers=staff.headers
    )
    assert unknown.status_code == 422
    anonymous = await client.get("/api/v1/staff/saved-answers", params={"lang": "sv"})
    assert anonymous.status_code == 401


HELP_TEXT = "/api/v1/municipalities/{}/help-text"


@pytest.mark.parametrize("lang", CODES)
async def test_the_help_in_a_municipality_is_worded_as_the_bot_gives_it_in_each_language(
    client, app, lang
):
    registry = app.state.registry
    response = await client.get(
        HELP_TEXT.format("1480"), params={"lang": lang, "date": "2026-12-07"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    text = body["text"]
    assert body["municipality"]["name"] == "Göteborg" and body["lang"] == lang
    words = registry.labels.get(lang, registry.labels["sv"])
    centre = registry.centres["goteborg"]
    assert centre.about.text(lang, "sv") in text
    assert f"{words['web']}: \u2066{centre.web.value}\u2069" in text
    bris = next(line for line in registry.lines if line.id == "bris")
    assert bris.about[lang] in text
    # The professionals' line is not for the person in the chat.
    professionals = next(line for line in registry.lines if line.id == "nationella-stodtelefonen")
    assert professionals.phone not in text
    # Every number in it is one the registry holds (with its source), or 112.
    known = {re.sub(r"\D", "", phone) for phone in registry.public_phones()} | {"112"}
    for number in re.findall(r"\d[\d -]{4,}\d", text):
        assert re.sub(r"\D", "", number) in known, number


async def test_the_help_text_speaks_of_social_services_where_no_centre_serves(client, app):
    response = await client.get(HELP_TEXT.format("Kiruna"), params={"lang": "en"})
    assert response.status_code == 200
    text = response.json()["text"]
    assert text.startswith("Kiruna:")
    labels = app.state.registry.labels["en"]
    assert labels["night_112"] in text or "socialjour" in text


async def test_the_help_text_refuses_what_it_cannot_answer(client):
    assert (
        await client.get(HELP_TEXT.format("Atlantis"), params={"lang": "sv"})
    ).status_code == 404
    assert (
        await client.get(HELP_TEXT.format("Göteborg"), params={"lang": "xx"})
    ).status_code == 422
    assert (await client.get(HELP_TEXT.format("Göteborg"))).status_code == 422


async def test_every_municipality_is_listed_by_name_for_a_search_as_one_types(client):
    response = await client.get("/api/v1/municipalities")
    assert response.status_code == 200
    places = response.json()
    assert len(places) == 290
    names = [place["name"] for place in places]
    assert names == sorted(names, key=str.casefold)
    assert {"code": "1480", "name": "Göteborg", "county": "Västra Götalands län"} in places
