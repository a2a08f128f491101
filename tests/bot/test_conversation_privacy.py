"""Redaction in the one conversation path: Rasa and the handoff transcript get the redacted
text, the person is told once what was hidden, buttons pass untouched, danger still gives 112,
and staff messages to the person are not redacted. Telegram goes through the same path."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.conversation.texts import Texts
from tests.bot.test_telegram import (  # noqa: F401 (fixtures)
    CHAT,
    bot_api,
    post_update,
    session_id,
    tg,
    tg_app,
)
from tests.telegram_standin import button_update, text_update
from textnorm import ascii_digits

pytestmark = pytest.mark.unit

PNR = "19900101-2385"
PHONE = "070-123 45 67"
SETTINGS = Settings()
TEXTS = Texts.load(SETTINGS.texts_dir, ["sv", "en", "ar", "fa"], "sv")


async def _say(client, session, text: str, lang: str | None = None) -> dict:
    body = {"text": text} if lang is None else {"text": text, "lang": lang}
    response = await client.post(
        f"/api/v1/sessions/{session.id}/messages", json=body, headers=session.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def _everything(client) -> str:
    """Every key and value in the test database, as one text."""
    parts: list[str] = []
    for key in client.scan_iter("*"):
        kind = client.type(key)
        value = {
            "string": lambda k: client.get(k),
            "hash": lambda k: client.hgetall(k),
            "list": lambda k: client.lrange(k, 0, -1),
            "set": lambda k: client.smembers(k),
            "zset": lambda k: client.zrange(k, 0, -1),
            "stream": lambda k: client.xrange(k),
        }[kind](key)
        parts += [key, repr(value)]
    return "\n".join(parts)


async def test_rasa_gets_the_redacted_text_and_the_person_is_told_once(client, session, fake_rasa):
    body = await _say(client, session, f"Mitt personnummer är {PNR}, vad gör jag?")
    assert fake_rasa.received[0]["message"] == "Mitt personnummer är [personnummer], vad gör jag?"
    assert PNR not in repr(fake_rasa.received)
    assert body["replies"] == [
        {"text": "Hej från boten"},
        {"text": TEXTS.reply("redacted_id_number", "sv")},
    ]


async def test_nothing_hidden_means_no_extra_reply(client, session, fake_rasa):
    body = await _say(client, session, "Jag är 15 år och bor i Borås, det kostar 199 kr")
    assert fake_rasa.received[0]["message"] == "Jag är 15 år och bor i Borås, det kostar 199 kr"
    assert body["replies"] == [{"text": "Hej från boten"}]


async def test_several_kinds_get_one_general_notice_in_the_persons_language(
    client, session, fake_rasa
):
    body = await _say(
        client, session, f"Call me on {PHONE} or write to sara@example.com please", lang="en"
    )
    assert fake_rasa.received[0]["message"] == (
        "Call me on [telefonnummer] or write to [e-post] please"
    )
    notices = [r for r in body["replies"] if r["text"].startswith("I hid")]
    assert notices == [{"text": TEXTS.reply("redacted_several", "en")}]


@pytest.mark.parametrize(
    ("lang", "text"),
    [("ar", "رقمي ٠٧٠١٢٣٤٥٦٧ ساعدني"), ("fa", "شماره من ۰۷۰-۱۲۳ ۴۵ ۶۷ است")],
)
async def test_digits_of_other_scripts_are_hidden_and_the_notice_is_in_that_language(
    client, session, fake_rasa, lang, text
):
    body = await _say(client, session, text, lang=lang)
    assert "[telefonnummer]" in fake_rasa.received[0]["message"]
    assert body["replies"][-1] == {"text": TEXTS.reply("redacted_phone", lang)}


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("ring 070\u200e-123 45 67", "0701234567"),
        ("pnr 900101\u00ad2385", "9001012385"),
        ("شماره من ۰۷۰\u200f-۱۲۳ ۴۵ ۶۷ است", "0701234567"),
    ],
)
async def test_an_identifier_split_by_invisible_marks_reaches_neither_rasa_nor_a_handoff(
    client, session, fake_rasa, queue_session, redis_client, text, secret
):
    # Rasa is sent the text cleaned of invisible marks: the identifier must be gone before that.
    await _say(client, session, text)
    assert secret not in _digits(fake_rasa.received[0]["message"])
    await queue_session(session)
    assert (await _say(client, session, text))["handoff"] == "queued"  # into the transcript
    assert secret not in _digits(_everything(redis_client))


def _digits(text: str) -> str:
    return "".join(ch for ch in ascii_digits(text) if ch.isdigit())


async def test_danger_with_an_identifier_still_gives_112_first(client, session, fake_rasa):
    fake_rasa.replies = []
    body = await _say(client, session, f"min pappa sa att han ska döda mig, ring {PHONE}")
    assert "112" in body["replies"][0]["text"]
    assert fake_rasa.received[0]["message"] == '/immediate_danger{"language":"sv"}'
    assert body["replies"][-1] == {"text": TEXTS.reply("redacted_phone", "sv")}


@pytest.mark.parametrize(
    ("payload", "sent"),
    [
        ("/what_is_hrv", '/what_is_hrv{"language":"sv"}'),
        (
            '/inform_municipality{"municipality":"0305"}',
            '/inform_municipality{"municipality":"0305","language":"sv"}',
        ),
    ],
)
async def test_button_payloads_pass_with_only_the_language_added(
    client, session, fake_rasa, payload, sent
):
    body = await _say(client, session, payload)
    assert fake_rasa.received[0]["message"] == sent
    assert body["replies"] == [{"text": "Hej från boten"}]


async def test_a_handoff_transcript_gets_the_redacted_text_and_staff_replies_are_not_redacted(
    client, session, queue_session, sign_in, redis_client, fake_rasa
):
    handoff_id = await queue_session(session)
    body = await _say(client, session, f"Ni kan ringa mig på {PHONE}, jag bor på Storgatan 12B")
    assert body["handoff"] == "queued"
    assert body["replies"] == [{"text": TEXTS.reply("redacted_several", "sv")}]
    staff = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    centre = "Ring centret på 0520-49 68 08 eller mejla stod@example.se"
    sent = await client.post(
        f"/api/v1/handoffs/{handoff_id}/messages", json={"text": centre}, headers=staff.headers
    )
    assert sent.status_code == 201
    response = await client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=staff.headers)
    texts = [(m["from"], m["text"]) for m in response.json()["messages"] if m["from"] != "system"]
    assert texts == [
        ("person", "Ni kan ringa mig på [telefonnummer], jag bor på [adress]"),
        ("staff", centre),  # staff give the person numbers on purpose: not redacted
    ]
    stored = _everything(redis_client)
    assert PHONE not in stored and "Storgatan" not in stored
    assert fake_rasa.received == []


async def test_no_identifier_of_a_widget_conversation_reaches_redis(
    client, session, queue_session, redis_client, fake_rasa
):
    secrets = [PNR, "701063-2391", PHONE, "+964 750 123 4567", "ali@example.org", "Storgatan 12B"]
    await _say(client, session, f"{secrets[0]} och {secrets[1]}")
    await _say(client, session, f"{secrets[2]}, {secrets[3]}, {secrets[4]}")
    await queue_session(session)
    await _say(client, session, f"{secrets[5]}, 503 30 Borås")
    stored = _everything(redis_client) + repr(fake_rasa.received)
    assert [s for s in [*secrets, "503 30"] if s in stored] == []
    assert "Borås" in stored  # the place stays: it helps find a centre


async def test_telegram_goes_through_the_same_redaction(tg, bot_api, fake_rasa):  # noqa: F811
    await post_update(tg, text_update(50, CHAT, f"mitt nummer är {PHONE}"))
    sent = await bot_api.await_sent(2, CHAT)
    assert fake_rasa.received[0]["message"] == "mitt nummer är [telefonnummer]"
    assert [m.params["text"] for m in sent] == [
        "Hej från boten",
        TEXTS.reply("redacted_phone", "sv"),
    ]
    await post_update(tg, button_update(51, CHAT, '/inform_municipality{"municipality":"0305"}'))
    await bot_api.await_sent(3, CHAT)
    assert fake_rasa.received[1]["message"] == (
        '/inform_municipality{"municipality":"0305","language":"sv"}'
    )
    assert fake_rasa.received[0]["sender"] == session_id()
