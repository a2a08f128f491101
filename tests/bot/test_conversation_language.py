"""The conversation's language: sticky per session, picked in the widget, danger and safe
replies in the person's language, the default language's safe reply for anything unknown."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.conversation.texts import Texts
from bot.languages import load_codes

pytestmark = pytest.mark.unit

SETTINGS = Settings()
CODES = load_codes(SETTINGS.languages_file)
DEFAULT = CODES[0]


def _url(session) -> str:
    return f"/api/v1/sessions/{session.id}/messages"


async def _say(client, session, text: str, lang: str | None = None) -> dict:
    body = {"text": text} if lang is None else {"text": text, "lang": lang}
    response = await client.post(_url(session), json=body, headers=session.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_unsettled_default_follows_the_first_clear_message(client, session, redis_client):
    assert redis_client.hget(f"hrv:session:{session.id}", "lang_settled") == ""
    assert (await _say(client, session, "ok"))["lang"] == "sv"
    assert (await _say(client, session, "hello"))["lang"] == "en"  # a lone marker word
    assert redis_client.hget(f"hrv:session:{session.id}", "lang_settled") == "1"
    assert (await _say(client, session, "hej"))["lang"] == "en"  # now settled: sticky


async def test_a_confirmed_default_is_settled(client, session, redis_client):
    assert (await _say(client, session, "jag behöver hjälp"))["lang"] == "sv"
    assert redis_client.hget(f"hrv:session:{session.id}", "lang_settled") == "1"
    assert (await _say(client, session, "hello"))["lang"] == "sv"
    assert (await _say(client, session, "can you help me with my family please"))["lang"] == "en"


async def test_a_pick_in_the_widget_wins_then_a_clear_switch_is_still_followed(client, session):
    assert (await _say(client, session, "jag vill prata med någon", lang="en"))["lang"] == "en"
    # The widget sends the language it shows with every message after a pick.
    assert (await _say(client, session, "hej", lang="en"))["lang"] == "en"
    body = await _say(client, session, "jag förstår inte engelska, kan du skriva svenska", "en")
    assert body["lang"] == "sv"


async def test_a_session_created_with_a_language_is_settled(client, redis_client):
    created = (await client.post("/api/v1/sessions", json={"lang": "en"})).json()
    assert redis_client.hget(f"hrv:session:{created['session_id']}", "lang_settled") == "1"


async def test_danger_in_another_language_is_answered_in_that_language(client, session, fake_rasa):
    fake_rasa.replies = []
    await _say(client, session, "jag behöver hjälp med min familj")
    body = await _say(client, session, "my brother said he is going to kill me")
    assert body["lang"] == "en"
    assert body["replies"][0]["text"] == Texts.load(SETTINGS.texts_dir, CODES).reply("danger", "en")
    assert fake_rasa.received[-1]["message"] == '/immediate_danger{"language":"en"}'


async def test_the_nlu_gets_the_message_without_invisible_marks(client, session, fake_rasa):
    await _say(client, session, "jag\u200b vill\u200e prata")
    assert fake_rasa.received[-1]["message"] == "jag vill prata"


async def test_an_unknown_session_language_gets_the_default_safe_reply(
    client, session, fake_rasa, redis_client
):
    """A language removed from the list while a session used it: the default's helplines."""
    redis_client.hset(f"hrv:session:{session.id}", mapping={"lang": "xx", "lang_settled": "1"})
    fake_rasa.down = True
    body = await _say(client, session, "ok")
    texts = Texts.load(SETTINGS.texts_dir, CODES)
    assert body["lang"] == DEFAULT
    assert [r["text"] for r in body["replies"]] == [texts.reply("safe_fallback", DEFAULT)]
    assert "112" in body["replies"][0]["text"] and "116 111" in body["replies"][0]["text"]


@pytest.mark.parametrize("code", CODES)
async def test_rasa_down_gives_the_safe_reply_in_every_listed_language(
    client, session, fake_rasa, code
):
    fake_rasa.down = True
    body = await _say(client, session, "ok", lang=code)
    expected = Texts.load(SETTINGS.texts_dir, CODES).reply("safe_fallback", code)
    assert body["lang"] == code
    assert [r["text"] for r in body["replies"]] == [expected]


async def test_a_language_outside_the_list_is_refused(client, session):
    response = await client.post(
        _url(session), json={"text": "hej", "lang": "xx"}, headers=session.headers
    )
    assert response.status_code == 422
    assert (await client.post("/api/v1/sessions", json={"lang": "xx"})).status_code == 422


async def test_a_script_none_of_our_languages_uses_is_not_understood(client, session, fake_rasa):
    """The model would guess some intent for Cyrillic; the gateway asks Rasa for nlu_fallback."""
    body = await _say(client, session, "Привет, мне нужна помощь")
    assert body["lang"] == DEFAULT
    assert fake_rasa.received[-1]["message"] == f'/nlu_fallback{{"language":"{DEFAULT}"}}'
    await _say(client, session, "Я в опасности, убить меня")
    assert fake_rasa.received[-1]["message"] == f'/nlu_fallback{{"language":"{DEFAULT}"}}'
