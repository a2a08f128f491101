"""Telegram inside the gateway, against a local stand-in for the Bot API (Rasa faked here; the
real model is in tests/e2e/test_telegram.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import redis
from fastapi import FastAPI

from bot.channels.telegram_ids import ChatIds
from bot.config import Settings
from bot.main import create_app
from tests.bot.conftest import WRAP_UP, FakeClock, FakeRasa
from tests.telegram_standin import BotApiStandIn, button_update, text_update

pytestmark = pytest.mark.unit

TOKEN = "123456:TEST-token-never-logged"
SECRET = "test-webhook-secret_0123456789"
ID_SECRET = "test-id-secret-0123456789"
CHAT = 987654321987  # private chat: the chat id is the user id
WEBHOOK = "/api/v1/telegram/webhook"


@pytest.fixture
def bot_api() -> Iterator[BotApiStandIn]:
    """The Bot API stand-in, on a free port."""
    standin = BotApiStandIn(token=TOKEN)
    standin.start()
    yield standin
    standin.stop()


def telegram_settings(settings: Settings, base_url: str, mode: str = "webhook") -> Settings:
    """The test settings plus a Telegram bot pointed at the stand-in."""
    return Settings(
        **{
            **settings.model_dump(),
            "telegram_token": TOKEN,
            "telegram_mode": mode,
            "telegram_webhook_url": "https://gateway.test" if mode == "webhook" else "",
            "telegram_webhook_secret": SECRET,
            "telegram_id_secret": ID_SECRET,
            "telegram_api_base_url": base_url,
        }
    )


@pytest.fixture
async def tg_app(
    settings: Settings,
    fake_rasa: FakeRasa,
    redis_client: redis.Redis,
    clock: FakeClock,
    bot_api: BotApiStandIn,
) -> AsyncIterator[FastAPI]:
    """The gateway with Telegram on (webhook mode), ready to take updates."""
    application = create_app(
        telegram_settings(settings, bot_api.base_url),
        rasa_transport=httpx.MockTransport(fake_rasa.handler),
        clock=clock,
    )
    async with application.router.lifespan_context(application):
        await application.state.telegram.ready.wait()
        yield application


@pytest.fixture
async def tg(tg_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the Telegram-enabled gateway."""
    transport = httpx.ASGITransport(app=tg_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        yield http


async def post_update(tg: httpx.AsyncClient, update: dict, secret: str | None = SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return await tg.post(WEBHOOK, json=update, headers=headers)


def session_id(chat: int = CHAT) -> str:
    return ChatIds(ID_SECRET).session_id(chat)


def everything_in(client: redis.Redis) -> str:
    """Every key and every value in the test database, as one text."""
    parts: list[str] = []
    for key in client.scan_iter("*"):
        parts.append(key)
        kind = client.type(key)
        if kind == "string":
            parts.append(str(client.get(key)))
        elif kind == "hash":
            parts.append(repr(client.hgetall(key)))
        elif kind == "set":
            parts.append(repr(client.smembers(key)))
        elif kind == "list":
            parts.append(repr(client.lrange(key, 0, -1)))
        elif kind == "zset":
            parts.append(repr(client.zrange(key, 0, -1, withscores=True)))
        elif kind == "stream":
            parts.append(repr(client.xrange(key)))
    return "\n".join(parts)


async def test_startup_registers_the_webhook_with_the_secret(tg_app, bot_api):
    calls = [c for c in bot_api.calls if c.method == "setWebhook"]
    assert len(calls) == 1
    assert calls[0].params["url"] == "https://gateway.test" + WEBHOOK
    assert calls[0].params["secret_token"] == SECRET
    assert TOKEN not in calls[0].params["url"]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
async def test_wrong_or_missing_secret_is_403_and_dropped(tg, bot_api, fake_rasa, secret):
    response = await post_update(tg, text_update(1, CHAT, "hej"), secret=secret)
    assert response.status_code == 403
    assert response.json()["error"]["code"]
    assert await bot_api.await_sent(1, timeout=0.5) == []
    assert fake_rasa.received == []


async def test_no_token_means_no_telegram(client):
    response = await client.post(
        WEBHOOK, json=text_update(1, CHAT, "hej"), headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
    )
    assert response.status_code == 404
    assert (await client.post("/api/v1/sessions")).status_code == 201


async def test_bad_update_is_a_clear_4xx(tg):
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert (await tg.post(WEBHOOK, content=b"{not json", headers=headers)).status_code == 422
    assert (await tg.post(WEBHOOK, json={"x": 1}, headers=headers)).status_code == 422


async def test_swedish_message_goes_through_the_conversation_with_buttons(tg, bot_api, fake_rasa):
    fake_rasa.replies = [
        {
            "text": "Var bor du?",
            "buttons": [
                {"title": "Habo", "payload": '/inform_municipality{"municipality":"0643"}'},
                {"title": "Håbo", "payload": '/inform_municipality{"municipality":"0305"}'},
            ],
        }
    ]
    response = await post_update(tg, text_update(10, CHAT, "Var kan jag få hjälp i habo?"))
    assert response.status_code == 200
    sent = await bot_api.await_sent(1, CHAT)
    assert sent[0].params["text"] == "Var bor du?"
    keyboard = sent[0].params["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == [
        '/inform_municipality{"municipality":"0643"}',
        '/inform_municipality{"municipality":"0305"}',
    ]
    assert fake_rasa.received[0]["sender"] == session_id()
    assert fake_rasa.received[0]["metadata"] == {"lang": "sv"}

    fake_rasa.replies = [{"text": "Socialtjänsten i Håbo"}]
    await post_update(tg, button_update(11, CHAT, '/inform_municipality{"municipality":"0305"}'))
    sent = await bot_api.await_sent(2, CHAT)
    assert sent[1].params["text"] == "Socialtjänsten i Håbo"
    assert fake_rasa.received[1]["message"] == (
        '/inform_municipality{"municipality":"0305","language":"sv"}'
    )
    assert any(c.method == "answerCallbackQuery" for c in bot_api.calls)


async def test_danger_gets_112_first(tg, bot_api, fake_rasa):
    fake_rasa.replies = [{"text": "Jag förstår."}]
    await post_update(tg, text_update(20, CHAT, "min pappa sa att han ska döda mig"))
    sent = await bot_api.await_sent(2, CHAT)
    assert "112" in sent[0].params["text"]
    assert fake_rasa.received[0]["message"] == '/immediate_danger{"language":"sv"}'


async def test_a_retried_update_is_handled_once(tg, bot_api, fake_rasa):
    update = text_update(30, CHAT, "hej")
    first = await post_update(tg, update)
    second = await post_update(tg, update)
    assert first.json()["queued"] is True and second.json()["queued"] is False
    await bot_api.await_sent(1, CHAT)
    assert len(await bot_api.await_sent(2, CHAT, timeout=0.5)) == 1
    assert len(fake_rasa.received) == 1


async def test_no_telegram_id_in_any_key_or_value(tg, bot_api, redis_client, fake_rasa, queue):
    await post_update(tg, text_update(40, CHAT, "/start"))
    await post_update(tg, text_update(41, CHAT, "hej, jag heter inte här"))
    await post_update(tg, text_update(42, CHAT, "min pappa sa att han ska döda mig"))
    await bot_api.await_sent(4, CHAT)
    await queue(session_id())
    await post_update(tg, text_update(43, CHAT, "är någon där?"))
    await bot_api.await_sent(5, CHAT)
    stored = everything_in(redis_client)
    assert session_id() in stored  # the anonymous id is used ...
    assert str(CHAT) not in stored  # ... never the chat or user id
    assert "Testperson" not in stored
    assert str(CHAT) not in repr(fake_rasa.received)
    for update_id in (40, 41, 42, 43):
        assert f"update:{update_id}" not in stored


async def test_start_welcomes_in_the_telegram_language_with_the_privacy_notice(tg, bot_api):
    await post_update(tg, text_update(50, CHAT, "/start", lang="en"))
    text = (await bot_api.await_sent(1, CHAT))[0].params["text"]
    assert "Telegram keeps this chat in the app on your phone" in text
    assert "/forget" in text
    await post_update(tg, text_update(51, CHAT + 1, "/start", lang="sv"))
    text = (await bot_api.await_sent(1, CHAT + 1))[0].params["text"]
    assert "Telegram sparar chatten i appen på din telefon" in text
    await post_update(tg, text_update(52, CHAT + 2, "/start", lang="xx"))
    text = (await bot_api.await_sent(1, CHAT + 2))[0].params["text"]
    assert "Telegram sparar chatten" in text  # unsupported: the default language


async def test_help_and_language(tg, bot_api, fake_rasa):
    await post_update(tg, text_update(60, CHAT, "/help"))
    assert "112" in (await bot_api.await_sent(1, CHAT))[0].params["text"]
    await post_update(tg, text_update(61, CHAT, "/language"))
    sent = await bot_api.await_sent(2, CHAT)
    codes = [row[0]["callback_data"] for row in sent[1].params["reply_markup"]["inline_keyboard"]]
    assert "lang:en" in codes and "lang:sv" in codes
    await post_update(tg, button_update(62, CHAT, "lang:en"))
    assert (await bot_api.await_sent(3, CHAT))[2].params["text"] == "I will write in English now."
    await post_update(tg, text_update(63, CHAT, "ok"))
    await bot_api.await_sent(4, CHAT)
    assert fake_rasa.received[-1]["metadata"] == {"lang": "en"}
    assert fake_rasa.received == [r for r in fake_rasa.received if r["message"] != "/help"]


async def test_forget_erases_every_key_of_the_chat(tg, bot_api, redis_client, queue):
    await post_update(tg, text_update(70, CHAT, "hej"))
    await bot_api.await_sent(1, CHAT)
    handoff_id = await queue(session_id())
    redis_client.set(f"hrvguide:tracker:{session_id()}", "rasa's tracker", ex=600)
    await post_update(tg, text_update(71, CHAT, "/forget"))
    text = (await bot_api.await_sent(2, CHAT))[-1].params["text"]
    assert "Radera chatt" in text and "raderat" in text
    left = [k for k in redis_client.scan_iter("*") if not k.startswith("hrv:telegram:update:")]
    assert [k for k in left if session_id() in k or handoff_id in k] == []
    assert handoff_id not in redis_client.lrange("hrv:handoff:queue", 0, -1)
    assert not redis_client.sismember("hrv:telegram:handoffs", handoff_id)
    assert session_id() not in everything_in(redis_client)


async def test_staff_reply_reaches_the_chat_and_the_queue_shows_telegram(
    tg, bot_api, fake_rasa, queue, staff_console
):
    await post_update(tg, text_update(80, CHAT, "hej"))
    await bot_api.await_sent(1, CHAT)
    handoff_id = await queue(session_id())
    queued = await tg.get("/api/v1/handoffs?state=queued", headers=staff_console.headers)
    assert [(h["handoff_id"], h["channel"]) for h in queued.json()] == [(handoff_id, "telegram")]
    claim = await tg.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff_console.headers)
    assert claim.status_code == 200
    await post_update(tg, text_update(81, CHAT, "tack för att du svarar"))
    reply = await tg.post(
        f"/api/v1/handoffs/{handoff_id}/messages",
        json={"text": "Hej, jag heter Sara och jobbar här."},
        headers=staff_console.headers,
    )
    assert reply.status_code == 201
    sent = await bot_api.await_sent(4, CHAT)  # bot, no_staff (no heartbeat yet), joined, staff
    texts = [c.params["text"] for c in sent]
    assert "Personal: Hej, jag heter Sara och jobbar här." in texts
    assert any(t.startswith("En person från personalen har kommit in") for t in texts)
    messages = await tg.get(
        f"/api/v1/handoffs/{handoff_id}/messages", headers=staff_console.headers
    )
    person = [m["text"] for m in messages.json()["messages"] if m["from"] == "person"]
    assert person == ["tack för att du svarar"]
    assert len(fake_rasa.received) == 1  # the bot stayed silent during the handoff
    closed = await tg.post(
        f"/api/v1/handoffs/{handoff_id}/close", json=WRAP_UP, headers=staff_console.headers
    )
    assert closed.status_code == 200
    sent = await bot_api.await_sent(5, CHAT)
    assert sent[-1].params["text"].startswith("Personen har avslutat chatten.")


async def test_human_command_queues_the_chat_and_its_delivery_is_watched(
    tg, bot_api, fake_rasa, redis_client
):
    await post_update(tg, text_update(90, CHAT, "/human"))
    sent = await bot_api.await_sent(1, CHAT)
    assert fake_rasa.received[0]["message"] == '/talk_to_human{"language":"sv"}'
    assert sent[0].params["text"].startswith("Jag har bett om att en person ska skriva med dig.")
    handoff_id = redis_client.hget(f"hrv:session:{session_id()}", "handoff_id")
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "channel") == "telegram"
    assert redis_client.sismember("hrv:telegram:handoffs", handoff_id)


async def test_a_telegram_outage_does_not_stop_the_gateway(
    settings, fake_rasa, redis_client, clock
):
    dead = BotApiStandIn(token=TOKEN)  # never started: nothing listens on its port
    application = create_app(
        telegram_settings(settings, dead.base_url),
        rasa_transport=httpx.MockTransport(fake_rasa.handler),
        clock=clock,
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw.test") as http:
            assert (await http.post("/api/v1/sessions")).status_code == 201
            response = await post_update(http, text_update(1, CHAT, "hej"))
            assert response.status_code == 503  # Telegram will retry


async def test_polling_mode_for_development(settings, fake_rasa, redis_client, clock, bot_api):
    application = create_app(
        telegram_settings(settings, bot_api.base_url, mode="polling"),
        rasa_transport=httpx.MockTransport(fake_rasa.handler),
        clock=clock,
    )
    bot_api.updates.append(text_update(100, CHAT, "hej"))
    async with application.router.lifespan_context(application):
        sent = await bot_api.await_sent(1, CHAT)
    assert sent[0].params["text"] == "Hej från boten"
    assert not [c for c in bot_api.calls if c.method == "setWebhook"]


async def test_the_token_is_never_logged(tg, bot_api, caplog):
    caplog.set_level("DEBUG")
    await post_update(tg, text_update(110, CHAT, "ett hemligt meddelande"))
    await bot_api.await_sent(1, CHAT)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in logged
    assert "ett hemligt meddelande" not in logged
    assert str(CHAT) not in logged


@pytest.fixture
def queue(tg_app: FastAPI):
    """Queue a chat's conversation for a human, as the turn does on the bot's handoff signal
    (that path itself: test_human_command_queues_the_chat_and_its_delivery_is_watched)."""

    async def enqueue(sid: str) -> str:
        queued = await tg_app.state.handoffs.enqueue(sid, "asked_for_human", "sv", "telegram")
        return queued.handoff_id

    return enqueue


@pytest.fixture
async def staff_console(tg_app: FastAPI, tg: httpx.AsyncClient, clock: FakeClock):
    """A signed-in staff member on the Telegram-enabled gateway."""
    account = await tg_app.state.staff_auth.add("sara")
    response = await tg.post(
        "/api/v1/staff/login", json={"token": account.token, "code": account.code(clock())}
    )
    assert response.status_code == 200

    class Console:
        headers = {"Authorization": f"Bearer {response.json()['token']}"}  # noqa: RUF012

    return Console


async def test_a_chat_writing_too_fast_is_told_once_and_danger_still_gets_112(
    settings, fake_rasa, redis_client, clock, bot_api, monkeypatch
):
    limited = settings.model_copy(update={"rate_session_messages_per_minute": 2})
    application = create_app(
        telegram_settings(limited, bot_api.base_url),
        rasa_transport=httpx.MockTransport(fake_rasa.handler),
        clock=clock,
    )
    async with application.router.lifespan_context(application):
        await application.state.telegram.ready.wait()
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as tg:
            for n in range(5):
                await post_update(tg, text_update(100 + n, CHAT, f"hej {n}"))
            sent = await bot_api.await_sent(3, CHAT)
            assert len(await bot_api.await_sent(4, CHAT, timeout=0.5)) == 3  # told once only
            assert "snabbt" in sent[2].params["text"] and "112" in sent[2].params["text"]
            assert len(fake_rasa.received) == 2
            await post_update(tg, text_update(110, CHAT, "min pappa sa att han ska döda mig"))
            sent = await bot_api.await_sent(5, CHAT)
            assert sent[3].params["text"].startswith("Om du är i fara nu")
            assert len(fake_rasa.received) == 2  # answered by the gateway, not passed on
            clock.advance(61)
            await post_update(tg, text_update(111, CHAT, "hej igen"))
            await bot_api.await_sent(6, CHAT)
            assert len(fake_rasa.received) == 3


async def test_helplines_are_sent_as_phone_entities_at_their_utf16_offsets(tg, bot_api, fake_rasa):
    fake_rasa.replies = [{"text": "👋 Ring 112 eller Bris 116 111."}]
    await post_update(tg, text_update(40, CHAT, "hej"))
    sent = (await bot_api.await_sent(1, CHAT))[0]
    # The emoji is two UTF-16 code units: Telegram counts offsets in those.
    assert sent.params["entities"] == [
        {"type": "phone_number", "offset": 8, "length": 3},
        {"type": "phone_number", "offset": 23, "length": 7},
    ]


async def test_the_text_still_goes_out_when_telegram_refuses_the_entities(tg, bot_api, fake_rasa):
    bot_api.refuse_entities = True
    fake_rasa.replies = [{"text": "Ring 112."}]
    await post_update(tg, text_update(41, CHAT, "hej"))
    sent = await bot_api.await_sent(2, CHAT)
    assert [call.params.get("entities") for call in sent[:2]] == [
        [{"type": "phone_number", "offset": 5, "length": 3}],
        None,
    ]
    assert sent[1].params["text"] == "Ring 112."
