"""A local stand-in for Telegram's Bot API: python-telegram-bot's `base_url` points here.

It answers the methods the gateway uses, records every call (method and parameters), and serves
queued updates to `getUpdates` (polling mode). It runs in its own thread with its own event
loop, so both the in-process app (unit tests) and a gateway process (e2e) can reach it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.ops.launcher import free_port

_JSON_FIELDS = {
    "chat_id",
    "message_id",
    "reply_markup",
    "allowed_updates",
    "offset",
    "timeout",
    "entities",
}
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "HRV Guide", "username": "hrv_test_bot"}


@dataclass
class Call:
    """One Bot API call as the gateway made it."""

    method: str
    params: dict[str, Any]


@dataclass
class BotApiStandIn:
    """Start with `start()`, stop with `stop()`; `calls` holds what the gateway sent."""

    token: str
    port: int = field(default_factory=free_port)
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    # Answer messages that carry entities as Telegram answers what it cannot parse.
    refuse_entities: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _message_id: int = 1000

    @property
    def base_url(self) -> str:
        """What goes in HRV_TELEGRAM_API_BASE_URL (PTB appends the token and the method)."""
        return f"http://127.0.0.1:{self.port}/bot"

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/bot{token}/{method}")
        async def method(token: str, method: str, request: Request) -> Any:
            if token != self.token:
                return {"ok": False, "error_code": 401, "description": "Unauthorized"}
            # PTB posts form-urlencoded fields; non-string values are JSON inside them.
            form = parse_qs((await request.body()).decode(), keep_blank_values=True)
            params: dict[str, Any] = {}
            for key, values in form.items():
                params[key] = json.loads(values[0]) if key in _JSON_FIELDS else values[0]
            with self._lock:
                self.calls.append(Call(method, params))
            if self.refuse_entities and "entities" in params:
                refusal = {"ok": False, "error_code": 400, "description": "Bad Request: entities"}
                return JSONResponse(refusal, status_code=400)
            return {"ok": True, "result": await self._result(method, params)}

        return app

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            with self._lock:
                updates, self.updates = self.updates, []
            if not updates:
                await asyncio.sleep(0.2)
            return updates
        if method in ("sendMessage", "editMessageReplyMarkup"):
            self._message_id += 1
            return {
                "message_id": self._message_id,
                "date": int(time.time()),
                "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                "from": BOT_USER,
                "text": str(params.get("text", "")),
            }
        return True  # setWebhook, deleteWebhook, answerCallbackQuery, ...

    def start(self) -> None:
        """Serve on 127.0.0.1:port in a thread; returns when it accepts connections."""
        config = uvicorn.Config(self._app(), host="127.0.0.1", port=self.port, log_level="error")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the Bot API stand-in did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop serving."""
        if self._server:
            self._server.should_exit = True
        if self._thread:
            self._thread.join(timeout=5)

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """The sendMessage calls (to one chat)."""
        with self._lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if c.method == "sendMessage" and (chat_id is None or c.params["chat_id"] == chat_id)
        ]

    def wait_sent(self, count: int, chat_id: int | None = None, timeout: float = 10) -> list[Call]:
        """Block until at least `count` messages went to the chat (for a gateway process)."""
        deadline = time.monotonic() + timeout
        while len(self.sent(chat_id)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.sent(chat_id)

    async def await_sent(
        self, count: int, chat_id: int | None = None, timeout: float = 10
    ) -> list[Call]:
        """As `wait_sent`, without blocking the test's event loop (the app runs in it)."""
        deadline = time.monotonic() + timeout
        while len(self.sent(chat_id)) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.sent(chat_id)


def text_update(update_id: int, chat_id: int, text: str, lang: str = "sv") -> dict[str, Any]:
    """A private-chat text message as Telegram sends it (user id = chat id in private chats)."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Testperson", "language_code": lang}
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": "Testperson"},
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id, "message": message}


def button_update(update_id: int, chat_id: int, data: str, lang: str = "sv") -> dict[str, Any]:
    """A press on an inline button of one of the bot's messages."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Testperson", "language_code": lang}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": user,
            "chat_instance": "ci1",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": "…",
            },
        },
    }
