"""An error no handler knew: a 503 with the safe replies, never a stack trace or the text."""

from __future__ import annotations

import logging

import pytest

from bot.conversation.turn import Conversation
from bot.web.safe_errors import SafeErrors

pytestmark = pytest.mark.unit

SECRET = "my address is Storgatan 5"


async def test_an_unknown_error_in_a_turn_is_a_503_with_the_safe_replies(
    client, session, monkeypatch, caplog
):
    async def broken(*args, **kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(Conversation, "turn", broken)
    url = f"/api/v1/sessions/{session.id}/messages"
    with caplog.at_level(logging.INFO):
        response = await client.post(url, json={"text": SECRET}, headers=session.headers)
    assert response.status_code == 503
    body = response.json()
    assert body["error"]["code"] == "unavailable"
    assert any("112" in reply["text"] for reply in body["replies"])
    assert "Traceback" not in response.text and SECRET not in response.text
    assert "unexpected_error kind=RuntimeError" in caplog.text
    assert SECRET not in caplog.text
    assert response.headers["cache-control"] == "no-store"  # still inside the security headers


async def test_an_error_after_the_response_started_sends_nothing_more(caplog):
    sent: list[dict] = []

    async def streaming_then_broken(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        raise RuntimeError(SECRET)

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    app = SafeErrors(streaming_then_broken, replies=[])
    with caplog.at_level(logging.ERROR):
        await app({"type": "http", "method": "GET", "path": "/", "headers": []}, receive, send)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert "unexpected_error kind=RuntimeError" in caplog.text


async def test_other_scopes_pass_through_untouched():
    seen: list[str] = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    await SafeErrors(app, replies=[])({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan"]
