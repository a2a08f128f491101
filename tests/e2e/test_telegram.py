"""Telegram through the whole stack: a gateway process with a bot token, fed by its webhook, on
the stack's Redis, Rasa (real model) and action server; Telegram itself is a local stand-in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from bot.channels.telegram_ids import ChatIds
from bot.ops.launcher import Stack
from tests.bot.test_telegram import everything_in
from tests.e2e.conftest import GatewayProcess
from tests.telegram_standin import BotApiStandIn, button_update, text_update

pytestmark = pytest.mark.e2e

TOKEN = "654321:E2E-token-never-logged"
SECRET = "e2e-webhook-secret_0123456789"
ID_SECRET = "e2e-id-secret-0123456789"
WEBHOOK = "/api/v1/telegram/webhook"


@pytest.fixture(scope="module")
def bot_api() -> Iterator[BotApiStandIn]:
    """The Bot API stand-in for the module."""
    standin = BotApiStandIn(token=TOKEN)
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture(scope="module")
def tg_gateway(
    stack: Stack, bot_api: BotApiStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    """A gateway process (`hrv-guide serve`) with Telegram on, in webhook mode."""
    gateway = GatewayProcess(stack, tmp_path_factory.mktemp("telegram"))
    gateway._env.update(
        {
            "HRV_TELEGRAM_TOKEN": TOKEN,
            "HRV_TELEGRAM_MODE": "webhook",
            "HRV_TELEGRAM_WEBHOOK_URL": "https://gateway.test",
            "HRV_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "HRV_TELEGRAM_ID_SECRET": ID_SECRET,
            "HRV_TELEGRAM_API_BASE_URL": bot_api.base_url,
        }
    )
    gateway.start()
    deadline = time.monotonic() + 30  # ready once it registered its webhook
    while not [c for c in bot_api.calls if c.method == "setWebhook"]:
        assert time.monotonic() < deadline, "the Telegram channel did not start"
        time.sleep(0.1)
    yield gateway
    gateway.kill()


class TelegramChat:
    """One private chat: posts updates to the gateway's webhook, reads what the bot sent."""

    _next_update = 1000

    def __init__(self, gateway: GatewayProcess, bot_api: BotApiStandIn, chat_id: int, lang: str):
        self.gateway, self.bot_api, self.chat_id, self.lang = gateway, bot_api, chat_id, lang

    def _post(self, update: dict) -> None:
        response = httpx.post(
            self.gateway.url + WEBHOOK,
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            timeout=30,
        )
        assert response.status_code == 200, response.text

    def _update_id(self) -> int:
        TelegramChat._next_update += 1
        return TelegramChat._next_update

    def say(self, text: str, expect: int = 1) -> list[dict]:
        """Send a text; wait for `expect` more messages from the bot and return them."""
        before = len(self.bot_api.sent(self.chat_id))
        self._post(text_update(self._update_id(), self.chat_id, text, self.lang))
        return self.wait(before + expect)[before:]

    def press(self, data: str, expect: int = 1) -> list[dict]:
        """Press an inline button."""
        before = len(self.bot_api.sent(self.chat_id))
        self._post(button_update(self._update_id(), self.chat_id, data, self.lang))
        return self.wait(before + expect)[before:]

    def wait(self, count: int, timeout: float = 60) -> list[dict]:
        """All messages to this chat once there are `count`."""
        sent = self.bot_api.wait_sent(count, self.chat_id, timeout)
        assert len(sent) >= count, [c.params["text"] for c in sent]
        return [c.params for c in sent]


@pytest.fixture
def chat(tg_gateway: GatewayProcess, bot_api: BotApiStandIn) -> TelegramChat:
    """A new chat (its own id) per test."""
    return TelegramChat(tg_gateway, bot_api, 700000000000 + len(bot_api.calls), "sv")


def test_a_swedish_conversation_with_municipality_routing(chat, response_texts):
    [welcome] = chat.say("/start")
    assert "Telegram sparar chatten" in welcome["text"]
    [answer] = chat.say("vad menas egentligen med hedersrelaterat våld")
    assert answer["text"] in response_texts("utter_what_is_hrv", "sv")
    place, centre, services, question = chat.say("Jag bor i Kinna", expect=4)
    assert place["text"] == "Kinna ligger i kommunen Mark."
    assert centre["text"].startswith("För Mark finns Resurscentrum mot hedersrelaterat våld")
    assert "112" in services["text"]
    assert len(question["reply_markup"]["inline_keyboard"]) == 6


def test_an_ambiguous_place_is_asked_back_with_inline_buttons(chat):
    chat.say("hej")
    [ask] = chat.say("jag bor i habo")
    assert "Vilken kommun menar du?" in ask["text"]
    buttons = [row[0] for row in ask["reply_markup"]["inline_keyboard"]]
    assert [b["text"] for b in buttons] == ["Habo (Jönköpings län)", "Håbo (Uppsala län)"]
    answer, services, _ = chat.press(buttons[1]["callback_data"], expect=3)
    assert answer["text"].startswith("För Håbo har jag inget särskilt centrum i min lista.")
    assert {"type": "phone_number", "offset": 13, "length": 11} in services["entities"]


def test_danger_gets_112_first(chat):
    replies = chat.say("pappa ska döda mig", expect=1)
    assert "112" in replies[0]["text"]


def test_an_arabic_conversation(tg_gateway, bot_api, response_texts):
    chat = TelegramChat(tg_gateway, bot_api, 711111111111, "ar")
    [welcome] = chat.say("/start")
    assert welcome["text"]  # the default language until Arabic Telegram texts exist
    [answer] = chat.say("يعني شو بالضبط العنف المرتبط بالشرف")
    assert answer["text"] in response_texts("utter_what_is_hrv", "ar")


def test_human_then_a_staff_reply_arrives_in_the_chat(chat, tg_gateway, add_staff, redis_url):
    chat.say("hej")
    before = len(chat.bot_api.sent(chat.chat_id))
    chat.say("/human")
    with httpx.Client(base_url=tg_gateway.url, timeout=30) as staff:
        login = staff.post("/api/v1/staff/login", json=add_staff("tg-e2e").login())
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        staff.post("/api/v1/staff/heartbeat", headers=headers)
        session_id = ChatIds(ID_SECRET).session_id(chat.chat_id)
        queued = staff.get("/api/v1/handoffs?state=queued", headers=headers).json()
        handoff_id = redis.Redis.from_url(redis_url, decode_responses=True).hget(
            f"hrv:session:{session_id}", "handoff_id"
        )  # staff see the handoff id only, never the session id
        [mine] = [h for h in queued if h["handoff_id"] == handoff_id]
        assert mine["channel"] == "telegram"
        claim = staff.post(f"/api/v1/handoffs/{mine['handoff_id']}/claim", headers=headers)
        assert claim.status_code == 200
        sent = staff.post(
            f"/api/v1/handoffs/{mine['handoff_id']}/messages",
            json={"text": "Hej, jag heter Sara och jobbar här."},
            headers=headers,
        )
        assert sent.status_code == 201
        staff_text = "Personal: Hej, jag heter Sara och jobbar här."
        deadline = time.monotonic() + 30
        while staff_text not in [c.params["text"] for c in chat.bot_api.sent(chat.chat_id)]:
            assert time.monotonic() < deadline, "the staff message did not reach the chat"
            time.sleep(0.1)
        assert len(chat.bot_api.sent(chat.chat_id)) > before
        wrap_up = {"categories": ["information_only"], "outcome": "information_given"}
        staff.post(f"/api/v1/handoffs/{mine['handoff_id']}/close", json=wrap_up, headers=headers)
    stored = everything_in(redis.Redis.from_url(redis_url, decode_responses=True))
    assert session_id in stored
    assert str(chat.chat_id) not in stored  # not in sessions, handoffs, nor Rasa's tracker


def test_wrong_secret_is_403(tg_gateway):
    response = httpx.post(
        tg_gateway.url + WEBHOOK,
        json=text_update(1, 1, "hej"),
        headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
    )
    assert response.status_code == 403


def test_the_token_is_not_in_the_gateway_log(tg_gateway):
    logs = "\n".join(p.read_text(errors="replace") for p in Path(tg_gateway._log).parent.iterdir())
    assert TOKEN not in logs
