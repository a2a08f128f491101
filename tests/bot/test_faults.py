"""Faults seen from the gateway: Rasa's tracker not stored, /readyz, Redis restarts."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from bot.config import Settings
from bot.conversation.rasa_client import RasaClient, RasaUnavailable, TrackerCheck, with_language
from bot.conversation.rasa_http import HttpxTransport
from bot.conversation.replies import Reply
from bot.main import create_app
from bot.ops.launcher import free_port, redis_reachable, redis_server_executable
from bot.store import Keys, connect
from bot.web.health import Readiness
from tests.bot.conftest import FakeClock, FakeRasa

KEYS = Keys("hrvtest", "hrvguide")
TTL = 600
TOKEN = "rasa-token-0123456789"
DANGER = "Min pappa sa att han ska döda mig"
SENDER = "s" * 32


class FakeRasaStore:
    """Rasa's HTTP API and, unless `stores` is False, its tracker saves (SET EX) in Redis."""

    def __init__(self, redis_client: redis.Redis) -> None:
        self.redis = redis_client
        self.stores = True
        self.replies: list[dict[str, Any]] = [{"text": "Hej"}]
        self.status = 200
        self.probes = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path in ("/status", "/health"):
            return httpx.Response(self.status, json={})
        sender = request.url.path.split("/")[2] if "/conversations/" in path else None
        self.probes += bool(sender and sender.startswith("readyz"))
        if path == "/webhooks/rest/webhook":
            sender = httpx.Response(200, content=request.content).json()["sender"]
        if self.stores and sender:
            time.sleep(0.01)  # Rasa saves at the end of its work
            self.redis.set(KEYS.rasa_tracker(sender), "{}", ex=TTL)
        if path == "/webhooks/rest/webhook":
            return httpx.Response(200, json=self.replies)
        return httpx.Response(200, json={})


@pytest.fixture
def fake(redis_client: redis.Redis) -> FakeRasaStore:
    return FakeRasaStore(redis_client)


@pytest.fixture
async def clients(
    redis_url: str, fake: FakeRasaStore
) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    aredis = connect(redis_url)
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake.handler)) as http:
        yield http, aredis
    await aredis.aclose()


def _client(clients: tuple[httpx.AsyncClient, object]) -> RasaClient:
    http, aredis = clients
    return RasaClient(
        HttpxTransport(http, 2, 2), "http://rasa", TOKEN, TrackerCheck(aredis, KEYS, TTL)
    )


async def test_a_turn_rasa_stored_passes(clients, fake: FakeRasaStore) -> None:
    assert (await _client(clients).send(SENDER, "hej", "sv")).replies == [Reply("Hej")]


async def test_the_client_tells_a_turn_rasa_did_not_store(
    clients, fake: FakeRasaStore, redis_client: redis.Redis
) -> None:
    """The turn reads the tracker's lifetime in its last write; the client judges it."""
    client = _client(clients)

    def lifetime() -> int:
        return int(redis_client.pttl(KEYS.rasa_tracker(SENDER)))

    assert client.tracker_saved(await client.send(SENDER, "hej", "sv"), lifetime())
    redis_client.delete(KEYS.rasa_tracker(SENDER))
    fake.stores = False  # Rasa answered from memory: no key at all
    assert not client.tracker_saved(await client.send(SENDER, "hej", "sv"), lifetime())
    # A key saved before this call (an earlier turn) does not count as this turn stored.
    redis_client.set(KEYS.rasa_tracker(SENDER), "{}", ex=TTL)
    await asyncio.sleep(0.01)
    assert not client.tracker_saved(await client.send(SENDER, "hej", "sv"), lifetime())
    with pytest.raises(RasaUnavailable):
        await client.pause(SENDER)


async def test_a_turn_rasa_did_not_store_gets_the_safe_reply(
    settings: Settings, redis_client: redis.Redis, clock: FakeClock
) -> None:
    """A bot that forgets what was said is worse than the safe reply (112, national lines)."""
    keys = Keys(settings.key_prefix, settings.rasa_tracker_key_prefix)
    stand_in = FakeRasa()
    stores = True

    def save(body: dict[str, Any]) -> None:
        if stores:
            tracker = keys.rasa_tracker(body["sender"])
            redis_client.set(tracker, "{}", ex=settings.session_ttl_seconds)

    stand_in.meanwhile = save
    app = create_app(
        settings,
        rasa_transport=httpx.MockTransport(stand_in.handler),
        clock=clock,
        stand_in_stores_trackers=True,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
            created = (await http.post("/api/v1/sessions", json={"lang": "sv"})).json()
            url = f"/api/v1/sessions/{created['session_id']}/messages"
            headers = {"Authorization": f"Bearer {created['token']}"}
            stored = await http.post(url, json={"text": "hej"}, headers=headers)
            stores = False
            await asyncio.sleep(0.02)  # the earlier save must be older than Redis's clock slack
            forgotten = await http.post(url, json={"text": "hej igen"}, headers=headers)
            # A danger turn whose own 112 line gives way to the safety layer's reply.
            stand_in.replies = [{"text": "Ring 112 nu."}, {"text": "Vill du prata med någon?"}]
            danger = await http.post(url, json={"text": DANGER}, headers=headers)
    safe = app.state.texts.reply("safe_fallback", "sv")
    assert [reply["text"] for reply in stored.json()["replies"]] == ["Hej från boten"]
    assert [reply["text"] for reply in forgotten.json()["replies"]] == [safe]
    texts = [reply["text"] for reply in danger.json()["replies"]]
    assert "112" in texts[0] and texts[-1] == safe
    assert "Vill du prata med någon?" not in texts


async def test_no_reply_from_rasa_is_unavailable(clients, fake: FakeRasaStore) -> None:
    """Rasa's REST channel answers [] when the turn raised or the tracker could not be read."""
    fake.replies = []
    with pytest.raises(RasaUnavailable):
        await _client(clients).send(SENDER, "hej", "sv")


async def test_a_handoff_signal_alone_is_an_answer_and_carries_its_reason(
    clients, fake: FakeRasaStore
) -> None:
    fake.replies = [{"custom": {"handoff": {"reason": "danger"}}}]
    turn = await _client(clients).send(SENDER, "/talk_to_human", "sv")
    assert turn.replies == [] and turn.handoff_reason == "danger"
    fake.replies = [{"text": "Hej"}, {"custom": {"something": "else"}}]
    turn = await _client(clients).send(SENDER, "hej", "sv")
    assert turn.replies == [Reply("Hej")] and turn.handoff_reason is None


def _readiness(clients, timeout: float = 1.0, cache: float = 0.0) -> Readiness:
    http, aredis = clients
    return Readiness(
        aredis, http, KEYS, "http://rasa", TOKEN, "http://actions", TTL, timeout, cache
    )


async def test_readiness_is_checked_at_most_once_per_cache_period(
    clients, fake: FakeRasaStore
) -> None:
    ready = _readiness(clients, cache=30)
    results = await asyncio.gather(*(ready.check() for _ in range(20)))
    assert all(all(result.values()) for result in results)
    assert fake.probes == 1


async def test_readiness_names_the_part_that_failed(
    clients, fake: FakeRasaStore, redis_client: redis.Redis
) -> None:
    assert await _readiness(clients).check() == dict.fromkeys(
        ("redis", "rasa", "actions", "rasa_store"), True
    )
    assert not list(redis_client.scan_iter("hrvguide:tracker:readyz*"))  # the probe is deleted
    fake.stores = False
    assert await _readiness(clients).check() == {
        "redis": True,
        "rasa": True,
        "actions": True,
        "rasa_store": False,
    }
    fake.status = 503
    checks = await _readiness(clients).check()
    assert not checks["rasa"] and not checks["actions"]


async def test_readiness_does_not_hang_on_a_slow_part(clients) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    _, aredis = clients
    async with httpx.AsyncClient(transport=httpx.MockTransport(slow)) as http:
        ready = Readiness(aredis, http, KEYS, "http://rasa", TOKEN, "http://a", TTL, 0.2)
        started = time.monotonic()
        checks = await ready.check()
    assert time.monotonic() - started < 1.5
    assert checks == {"redis": True, "rasa": False, "actions": False, "rasa_store": False}


async def test_readyz_route(client: httpx.AsyncClient) -> None:
    """The route answers 503 with names only (the unit tests' Rasa stand-in has no /status)."""
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert set(body["checks"]) == {"redis", "rasa", "actions", "rasa_store"}
    assert body["checks"]["redis"] == "ok" and body["checks"]["rasa"] == "failed"


# A Redis of our own, restarted under the client's feet.


class OwnRedis:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_executable(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not redis_reachable(self.url):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_the_gateway_client_survives_a_redis_restart(own_redis: OwnRedis) -> None:
    client = connect(own_redis.url)
    try:
        await client.set("k", "v", ex=60)
        own_redis.stop()
        with pytest.raises(redis.RedisError):  # down: an error soon, not a hang
            await asyncio.wait_for(client.get("k"), 5)
        own_redis.start()
        assert await client.get("k") == "v"  # same client, reconnected; AOF kept the key
        # Restarted between two commands: the pooled connection is stale, yet no error.
        own_redis.stop()
        own_redis.start()
        assert await client.get("k") == "v"
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("message", "sent"),
    [
        ("hur gör jag?", "hur gör jag?"),
        ("/greet", '/greet{"language":"ar"}'),
        (
            '/which_line{"audience":"under_18"}',
            '/which_line{"audience":"under_18","language":"ar"}',
        ),
        (
            '/inform_municipality{"municipality":"0305","language":"sv"}',
            '/inform_municipality{"municipality":"0305","language":"ar"}',
        ),
        ("/broken{not json", "/broken{not json"),
    ],
)
def test_the_language_travels_inside_a_payload_and_text_is_sent_as_written(message, sent):
    assert with_language(message, "ar") == sent
