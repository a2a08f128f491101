"""Fixtures for the gateway's tests: a real Redis (own db, flushed), the app in its lifespan,
and a stand-in for Rasa's HTTP API that records what the gateway sent."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI

from bot.config import Settings
from bot.main import create_app
from bot.ops.launcher import redis_reachable, start_embedded_redis
from bot.store import Keys

TEST_REDIS_URL = os.environ.get("HRV_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


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


# The payload of the "talk to a person" button: Rasa's rule runs action_request_human for it.
TALK_TO_HUMAN = "/talk_to_human"
# The body of a close: a wrap-up of bot/data/wrapup.yml (one category, one outcome).
WRAP_UP = {"categories": ["information_only"], "outcome": "information_given"}


def handoff_signal(reason: str = "asked_for_human") -> dict[str, Any]:
    """What action_request_human puts in Rasa's reply (it pauses the conversation too)."""
    return {"custom": {"handoff": {"reason": reason}}}


@dataclass
class FakeRasa:
    """Answers like Rasa's REST webhook and events API; `down` makes every call fail. To
    TALK_TO_HUMAN it answers as action_request_human does, with `handoff_reason`."""

    replies: list[dict[str, Any]] = field(default_factory=lambda: [{"text": "Hej från boten"}])
    handoff_reason: str = "asked_for_human"
    down: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Called with each webhook body before answering: what else happens while Rasa works.
    meanwhile: Callable[[dict[str, Any]], None] | None = None
    # What GET /conversations/{id}/tracker answers with: the tracker's events (None: a 500).
    tracker: list[dict[str, Any]] | None = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        """httpx.MockTransport handler."""
        if self.down:
            raise httpx.ConnectError("rasa is down", request=request)
        if request.method == "GET" and request.url.path.endswith("/tracker"):
            if self.tracker is None:
                return httpx.Response(500, json={})
            return httpx.Response(200, json={"events": self.tracker})
        body = json.loads(request.content)
        if request.url.path == "/webhooks/rest/webhook":
            self.received.append(body)
            if self.meanwhile is not None:
                self.meanwhile(body)
            replies = self.replies
            if str(body.get("message")).split("{")[0] == TALK_TO_HUMAN:
                replies = [handoff_signal(self.handoff_reason)]
            return httpx.Response(
                200, json=[{"recipient_id": body["sender"], **r} for r in replies]
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
    """Settings for tests: the test Redis."""
    return Settings(
        environment="test",
        redis_url=redis_url,
        session_ttl_seconds=600,
        rasa_url="http://rasa.test",
    )


@dataclass
class FakeClock:
    """A clock the test moves by hand (leases, waiting limits, opening hours)."""

    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        """The current fake time in Unix seconds."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock starting now."""
    return FakeClock()


@pytest.fixture
async def app(
    settings: Settings, fake_rasa: FakeRasa, redis_client: redis.Redis, clock: FakeClock
) -> AsyncIterator[FastAPI]:
    """The app inside its lifespan, with Rasa faked and the clock in the test's hand."""
    application = create_app(
        settings, rasa_transport=httpx.MockTransport(fake_rasa.handler), clock=clock
    )
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app inside its lifespan."""
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


@dataclass
class StaffConsole:
    """A signed-in staff member, as the console holds them."""

    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header of the console session."""
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def sign_in(app: FastAPI, client: httpx.AsyncClient, clock: FakeClock):
    """Create a staff account (as `hrv-guide staff add` does) and sign in with its token and the
    TOTP code of the moment."""

    async def make(name: str) -> StaffConsole:
        account = await app.state.staff_auth.add(name)
        response = await client.post(
            "/api/v1/staff/login", json={"token": account.token, "code": account.code(clock())}
        )
        assert response.status_code == 200, response.text
        return StaffConsole(name=name, token=response.json()["token"])

    return make


@pytest.fixture
def queue_session(
    client: httpx.AsyncClient, fake_rasa: FakeRasa, redis_client: redis.Redis, settings: Settings
):
    """Put a widget session in the handoff queue the way a person does: the button's payload,
    to which Rasa's action answers with the handoff signal. Returns the handoff id."""

    async def enqueue(session: WidgetSession, reason: str = "asked_for_human") -> str:
        fake_rasa.handoff_reason = reason
        response = await client.post(
            f"/api/v1/sessions/{session.id}/messages",
            json={"text": TALK_TO_HUMAN},
            headers=session.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["handoff"] == "queued", response.text
        # From here on the test watches what Rasa gets during the handoff: nothing before it.
        fake_rasa.received.clear()
        fake_rasa.events.clear()
        keys = Keys(settings.key_prefix, settings.rasa_tracker_key_prefix)
        return str(redis_client.hget(keys.session(session.id), "handoff_id"))

    return enqueue


@pytest.fixture
def new_session(client: httpx.AsyncClient):
    """Make another anonymous session."""

    async def make() -> WidgetSession:
        body = (await client.post("/api/v1/sessions")).json()
        return WidgetSession(id=body["session_id"], token=body["token"])

    return make


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose connections are never accepted: a full listen backlog drops the SYNs, as
    a host that is off or cut off does (the connect times out rather than being refused)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for sock in (*fillers, server):
        sock.close()
