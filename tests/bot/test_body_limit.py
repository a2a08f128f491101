"""Request bodies above HRV_MAX_BODY_BYTES are refused with 413 before anything parses them."""

from __future__ import annotations

import json

import pytest

from bot.channels.telegram import WEBHOOK_PATH
from bot.web.body_limit import BodySizeLimit
from tests.bot.test_limits import make_client, snapshot  # noqa: F401  (fixture)

pytestmark = pytest.mark.unit


async def _session(client):
    body = (await client.post("/api/v1/sessions")).json()
    url = f"/api/v1/sessions/{body['session_id']}/messages"
    return url, {"Authorization": f"Bearer {body['token']}", "Content-Type": "application/json"}


async def test_declared_large_body_is_413_json_and_changes_nothing(
    make_client,  # noqa: F811
    redis_client,
    fake_rasa,
):
    client = await make_client(max_body_bytes=1024)
    url, headers = await _session(client)
    before = snapshot(redis_client)
    payload = json.dumps({"text": "a" * 1100}).encode()
    response = await client.post(url, content=payload, headers=headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert response.headers["cache-control"] == "no-store"  # security headers on it too
    assert snapshot(redis_client) == before
    assert fake_rasa.received == []


async def test_chunked_body_without_length_is_counted(make_client):  # noqa: F811
    client = await make_client(max_body_bytes=1024)
    url, headers = await _session(client)

    async def chunks():
        yield b'{"text": "'
        for _ in range(20):
            yield b"a" * 100
        yield b'"}'

    response = await client.post(url, content=chunks(), headers=headers)
    assert response.status_code == 413


async def test_longest_legal_message_fits_the_default_limit_in_any_json_encoding(
    make_client,  # noqa: F811
):
    client = await make_client()
    url, headers = await _session(client)
    for text in ("😀" * 2000, "ሀ" * 2000, "a" * 2000):
        payload = json.dumps({"text": text}).encode()  # ensure_ascii: \\ud83d\\ude00 escapes
        response = await client.post(url, content=payload, headers=headers)
        assert response.status_code == 200, (len(payload), response.text[:200])
    too_long = json.dumps({"text": "a" * 2001}).encode()
    assert (await client.post(url, content=too_long, headers=headers)).status_code == 422


async def test_telegram_webhook_has_its_own_larger_limit(make_client):  # noqa: F811
    client = await make_client(max_body_bytes=1024)
    response = await client.post(WEBHOOK_PATH, content=b"{" + b" " * 5000 + b"}")
    assert response.status_code == 404  # Telegram is off here; not refused for its size


async def test_body_reaches_the_app_unchanged_and_later_messages_pass_through():
    seen: list[dict] = []

    async def app(scope, receive, send):
        seen.append(await receive())
        seen.append(await receive())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    incoming = [
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"cd", "more_body": False},
        {"type": "http.disconnect"},
    ]

    async def receive():
        return incoming.pop(0)

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    await BodySizeLimit(app, max_bytes=4)({"type": "http", "headers": []}, receive, send)
    assert seen == [
        {"type": "http.request", "body": b"abcd", "more_body": False},
        {"type": "http.disconnect"},
    ]
    assert sent[0]["status"] == 204
