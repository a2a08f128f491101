"""Fixtures for the gateway's tests: a real Redis (own db, flushed), the app in its lifespan,
and a stand-in for Rasa's HTTP API that records what the gateway sent."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from bot.config import Settings
from bot.launcher import redis_reachable, start_embedded_redis
from bot.main import create_app

TEST_REDIS_URL = os.environ.get("HRV_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SERVICE_TOKEN = "test-service-token-0123456789"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The machine's Redis (db 15), or an embedded one when none runs here."""
    if redis_reachable(TEST_REDIS_URL):
        yield TEST_REDIS_URL
        return
    process, url = start_embedded_redis(tmp_path_factory.mktemp("redis"))
    yield url
    process.kill()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A sync client on the test database, flushed before and after each test."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@dataclass
class FakeRasa:
    """Answers like Rasa's REST webhook and events API; `down` makes every call fail."""

    replies: list[dict[str, Any]] = field(default_factory=lambda: [{"text": "Hej från boten"}])
    down: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        """httpx.MockTransport handler."""
        if self.down:
            raise httpx.ConnectError("rasa is down", request=request)
        body = json.loads(request.content)
        if request.url.path == "/webhooks/rest/webhook":
            self.received.append(body)
            return httpx.Response(
                200, json=[{"recipient_id": body["sender"], **r} for r in self.replies]
            )
        if request.url.path.endswith("/tracker/events"):
            self.events.append((request.url.path.split("/")[2], body))
            return httpx.Response(200, json={})
        return httpx.Response(404, json={})


@pytest.fixture
def fake_rasa() -> FakeRasa:
    """A fresh Rasa stand-in per test."""
    return FakeRasa()


@pytest.fixture
def settings(redis_url: str) -> Settings:
    """Settings for tests: the test Redis and a known service token."""
    return Settings(
        environment="test",
        redis_url=redis_url,
        service_token=SERVICE_TOKEN,
        session_ttl_seconds=600,
        rasa_url="http://rasa.test",
    )


@pytest.fixture
async def client(
    settings: Settings, fake_rasa: FakeRasa, redis_client: redis.Redis
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app inside its lifespan."""
    app = create_app(settings, rasa_transport=httpx.MockTransport(fake_rasa.handler))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
            yield http


@dataclass
class WidgetSession:
    """A session created through the API, with its bearer header."""

    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header for this session."""
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
async def session(client: httpx.AsyncClient) -> WidgetSession:
    """A new anonymous session."""
    response = await client.post("/api/v1/sessions")
    assert response.status_code == 201
    body = response.json()
    return WidgetSession(id=body["session_id"], token=body["token"])


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's top folder."""
    return Path(__file__).resolve().parents[2]
