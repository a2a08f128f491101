"""Two real Rasa replicas on one Redis: each conversation stays on one, and a replica killed
with SIGKILL hands its conversations to the other without a failed message.

The gateway runs in process (widget API through ASGI), its HTTP client to Rasa on a real
transport that records which replica (port) each request reached, so the test sees where every
call of a conversation went. The tracker check of the gateway is off with a custom transport;
the test reads the trackers itself instead.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
import yaml
from fastapi import FastAPI

from bot.config import Settings
from bot.conversation.rasa_replicas import rendezvous_order
from bot.main import create_app
from bot.ops.launcher import REPO_ROOT, Stack, free_port
from tests.e2e.conftest import E2E_REDIS_URL

pytestmark = pytest.mark.e2e

HIGH = 100_000
LOCK_LIFETIME = 10  # seconds; Rasa's default is 60
DEFINITION = "vad menas med hedersrelaterat våld och förtryck"
PLACE = "Jag bor i Alingsås"


@dataclass
class Replicas:
    """Rasa A (with the action server) and Rasa B, started as the launcher starts them."""

    a: Stack
    b: Stack
    token: str

    def stack_of(self, url: str) -> Stack:
        return self.a if url == self.a.rasa_url else self.b

    def kill(self, stack: Stack) -> None:
        """SIGKILL, as a crash would."""
        stack.kill("rasa")

    def spawn(self, stack: Stack) -> None:
        stack._spawn("rasa")

    def wait(self, stack: Stack, timeout: float = 240) -> None:
        stack._wait("rasa", time.monotonic() + timeout)


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    """The launcher's own process commands (bot/ops/launcher.py); it starts one Rasa, so the
    second comes from a second Stack that shares the first one's environment and token."""
    redis.Redis.from_url(E2E_REDIS_URL).flushdb()
    actions_port = free_port()
    settings = Settings(
        environment="test", redis_url=E2E_REDIS_URL, port=free_port(), actions_port=actions_port
    )
    a = Stack(
        settings.model_copy(update={"rasa_port": free_port()}),
        log_dir=tmp_path_factory.mktemp("rasa-a"),
    )
    b = Stack(
        settings.model_copy(update={"rasa_port": free_port()}),
        log_dir=tmp_path_factory.mktemp("rasa-b"),
    )
    try:
        a.redis_url = b.redis_url = E2E_REDIS_URL
        a.env = a._environment()
        # Rasa's lock ticket outlives a replica killed mid-turn (default 60 s): see the last test.
        a.env["TICKET_LOCK_LIFETIME"] = str(LOCK_LIFETIME)
        b.env = dict(a.env)  # the same token, action server and Redis
        a._spawn("actions")
        a._spawn("rasa")
        b._spawn("rasa")
        deadline = time.monotonic() + 300
        a._wait("actions", deadline)
        a._wait("rasa", deadline)
        b._wait("rasa", deadline)
        yield Replicas(a, b, a.env["HRV_RASA_TOKEN"])
    finally:
        b.stop()
        a.stop()


class Recorder(httpx.AsyncBaseTransport):
    """A real HTTP transport that notes, per request to Rasa, its port, conversation and outcome."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.calls: list[tuple[int, str | None, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        sender = path.split("/")[2] if path.startswith("/conversations/") else None
        if path == "/webhooks/rest/webhook":
            sender = httpx.Response(200, content=request.content).json()["sender"]
        port = request.url.port or 80
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.HTTPError as error:
            self.calls.append((port, sender, type(error).__name__))
            raise
        self.calls.append((port, sender, str(response.status_code)))
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

    def answered(self, sender: str) -> list[int]:
        """The ports that answered this conversation's requests, in order."""
        return [port for port, seen, outcome in self.calls if seen == sender and outcome.isdigit()]


@pytest.fixture
async def gateway(replicas: Replicas) -> AsyncIterator[tuple[httpx.AsyncClient, Recorder]]:
    recorder = Recorder()
    settings = Settings(
        environment="test",
        redis_url=E2E_REDIS_URL,
        rasa_urls=f"{replicas.a.rasa_url},{replicas.b.rasa_url}",
        rasa_token=replicas.token,
        actions_url=replicas.a.env["HRV_ACTIONS_URL"],
        rate_session_messages_per_minute=HIGH,
        rate_client_messages_per_minute=HIGH,
        rate_client_sessions_per_hour=HIGH,
        max_open_sessions=HIGH,
    )
    app: FastAPI = create_app(settings, rasa_transport=recorder)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://gateway.test", timeout=60
        ) as http:
            yield http, recorder


class Person:
    """One widget session."""

    def __init__(self, http: httpx.AsyncClient, session_id: str, token: str) -> None:
        self.http = http
        self.id = session_id
        self.headers = {"Authorization": f"Bearer {token}"}

    @classmethod
    async def open(cls, http: httpx.AsyncClient) -> Person:
        created = await http.post("/api/v1/sessions")
        assert created.status_code == 201, created.text
        return cls(http, created.json()["session_id"], created.json()["token"])

    async def say(self, text: str, lang: str = "sv") -> list[str]:
        """The reply texts; any status but 200 fails the test (a 500 above all)."""
        response = await self.http.post(
            f"/api/v1/sessions/{self.id}/messages",
            json={"text": text, "lang": lang},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        return [reply["text"] for reply in response.json()["replies"]]


def texts(path: Path, *keys: str) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key in keys:
        data = data[key]
    return data if isinstance(data, list) else [data]


SAFE_REPLY = texts(REPO_ROOT / "bot/texts/sv.yml", "replies", "safe_fallback")[0]
WHAT_IS_HRV = [
    v["text"] for v in texts(REPO_ROOT / "nlu/responses/sv.yml", "responses", "utter_what_is_hrv")
]


def normal_definition(replies: list[str]) -> bool:
    return bool(replies) and replies[0] in WHAT_IS_HRV


def normal_place(replies: list[str]) -> bool:
    return SAFE_REPLY not in replies and "Älvsborg" in " ".join(replies)


async def people_on_each(
    http: httpx.AsyncClient, replicas: Replicas, each: int
) -> dict[str, list[Person]]:
    """Open sessions until each replica is the first choice of `each` of them."""
    urls = [replicas.a.rasa_url, replicas.b.rasa_url]
    owned: dict[str, list[Person]] = {url: [] for url in urls}
    while min(len(people) for people in owned.values()) < each:
        person = await Person.open(http)
        owner = rendezvous_order(urls, person.id)[0]
        if len(owned[owner]) < each:
            owned[owner].append(person)
    return owned


def user_texts(replicas: Replicas, stack: Stack, sender: str) -> list[str]:
    """The person's messages in the conversation's tracker, read through one replica (it reads
    Redis: both replicas see the same tracker)."""
    response = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker",
        params={"token": replicas.token},
        timeout=30,
    )
    response.raise_for_status()
    return [e.get("text") for e in response.json()["events"] if e.get("event") == "user"]


async def test_each_conversation_stays_on_its_own_replica(replicas, gateway):
    http, recorder = gateway
    owned = await people_on_each(http, replicas, 3)
    for people in owned.values():
        for person in people:
            assert normal_definition(await person.say(DEFINITION))
            assert normal_place(await person.say(PLACE))
    for url, people in owned.items():
        port = replicas.stack_of(url).settings.rasa_port
        for person in people:
            answered = recorder.answered(person.id)
            assert len(answered) >= 2
            assert set(answered) == {port}, (url, answered)


async def test_a_killed_replica_hands_its_conversations_over_and_gets_them_back(replicas, gateway):
    http, recorder = gateway
    a, b = replicas.a, replicas.b
    owned = await people_on_each(http, replicas, 3)
    on_a, on_b = owned[a.rasa_url], owned[b.rasa_url]
    for person in on_a + on_b:
        assert normal_definition(await person.say(DEFINITION))
    for person in on_a:
        assert len(user_texts(replicas, b, person.id)) == 1

    replicas.kill(a)
    # The next message of every conversation is answered normally: A's by B, B's by B.
    for person in on_a + on_b:
        assert normal_place(await person.say(PLACE))
    for person in on_a:
        assert recorder.answered(person.id)[-1] == b.settings.rasa_port
        # The conversation went on where it was: B read A's turn from Redis and added its own.
        assert len(user_texts(replicas, b, person.id)) == 2

    # A starts again (its model takes a while to load); meanwhile every message is answered.
    replicas.spawn(a)
    loading = asyncio.create_task(asyncio.to_thread(replicas.wait, a))
    started, answered = time.monotonic(), 0
    while not loading.done():
        for person in on_a:
            assert normal_definition(await person.say(DEFINITION))
            answered += 1
        await asyncio.sleep(0.5)
    await loading
    print(f"{answered} messages answered by B while A started ({time.monotonic() - started:.0f} s)")

    # A is back: its conversations return to it at once (a refused port marks nothing down),
    # B's stay on B.
    for person in on_a + on_b:
        assert normal_place(await person.say(PLACE))
    for person in on_a:
        assert recorder.answered(person.id)[-1] == a.settings.rasa_port
    for person in on_b:
        assert set(recorder.answered(person.id)) == {b.settings.rasa_port}
    failed = [outcome for _, _, outcome in recorder.calls if not outcome.startswith("2")]
    assert set(failed) <= {"ConnectError"}  # only refused connections, each then moved on


async def test_a_replica_killed_mid_turn_gives_at_worst_the_safe_reply(replicas, gateway):
    """A message in flight when its replica dies is not sent to the other one (it may have
    been processed): the person gets the safe reply, or the answer if it came first, never an
    error. The dead replica's lock ticket holds the conversation in every replica until it
    expires (TICKET_LOCK_LIFETIME): until then the safe reply, then the other replica answers."""
    http, recorder = gateway
    a, b = replicas.a, replicas.b
    person = (await people_on_each(http, replicas, 1))[b.rasa_url][0]
    assert normal_definition(await person.say(DEFINITION))
    in_flight = asyncio.create_task(person.say(PLACE))
    await asyncio.sleep(0.05)
    process = b.processes["rasa"]
    os.killpg(process.pid, signal.SIGKILL)
    try:
        replies = await in_flight
        assert normal_place(replies) or replies == [SAFE_REPLY]
        killed = time.monotonic()
        while not normal_definition(replies := await person.say(DEFINITION)):
            assert replies == [SAFE_REPLY]
            assert time.monotonic() - killed < LOCK_LIFETIME + 15
        print(f"normal answers again {time.monotonic() - killed:.1f} s after the kill")
        assert recorder.answered(person.id)[-1] == a.settings.rasa_port
    finally:
        b.processes.pop("rasa", None)
        process.wait(timeout=15)
        replicas.spawn(b)
        replicas.wait(b)
