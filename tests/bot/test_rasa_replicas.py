"""Rasa replicas: the rendezvous choice itself, and the client's routing and fallback.

The real Rasa processes (two replicas, one killed mid-conversation) are in
tests/e2e/test_rasa_replicas.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis
from pydantic import ValidationError

from bot.config import Settings
from bot.conversation.rasa_client import RasaClient, RasaUnavailable
from bot.conversation.rasa_http import AiohttpTransport, HttpxTransport
from bot.conversation.rasa_replicas import Replicas, rendezvous_order
from bot.conversation.replies import Reply
from bot.ops.launcher import free_port
from bot.store import Keys, connect
from bot.web.health import Readiness
from tests.bot.http_stub import HttpStub

pytestmark = pytest.mark.unit

KEYS = Keys("hrvtest", "hrvguide")
TOKEN = "rasa-token-0123456789"
# Session ids as the gateway makes them (hex), deterministic so the counts below are fixed.
SESSIONS = [f"{n:032x}" for n in range(30_000)]


def urls(n: int) -> list[str]:
    return [f"http://rasa-{i}.test:5005" for i in range(n)]


def owners(replicas: list[str]) -> dict[str, str]:
    return {key: rendezvous_order(replicas, key)[0] for key in SESSIONS}


def test_conversations_spread_evenly_over_the_replicas():
    for n in (2, 3, 5):
        counts = Counter(owners(urls(n)).values())
        assert set(counts) == set(urls(n))
        share = len(SESSIONS) / n
        # Binomial spread for 30,000 keys is under 1 %; 5 % would mean a biased hash.
        assert all(abs(count - share) < 0.05 * share for count in counts.values()), counts


def test_removing_a_replica_moves_only_its_own_conversations():
    before = owners(urls(4))
    after = owners(urls(4)[:3])
    moved = [key for key in SESSIONS if before[key] != after[key]]
    assert moved == [key for key in SESSIONS if before[key] == urls(4)[3]]
    # ... and they spread over the other three rather than piling onto one neighbour.
    counts = Counter(after[key] for key in moved)
    assert all(abs(c - len(moved) / 3) < 0.1 * len(moved) / 3 for c in counts.values()), counts


def test_adding_a_replica_moves_about_one_in_n_plus_one_all_to_it():
    before = owners(urls(4))
    after = owners(urls(5))
    moved = [key for key in SESSIONS if before[key] != after[key]]
    assert 0.18 < len(moved) / len(SESSIONS) < 0.22  # 1/5 expected
    assert {after[key] for key in moved} == {urls(5)[4]}


def test_the_order_of_the_list_and_a_trailing_slash_do_not_matter():
    listed = urls(3)
    shuffled = [listed[2] + "/", listed[0], listed[1]]
    for key in SESSIONS[:500]:
        assert Replicas(listed).for_key(key) == Replicas(shuffled).for_key(key)


def test_a_replica_marked_down_is_skipped_until_its_time_is_up():
    now = [0.0]
    replicas = Replicas(urls(3), down_seconds=5, clock=lambda: now[0])
    key = SESSIONS[7]
    first, second, third = replicas.for_key(key)
    replicas.mark_down(first)
    assert replicas.for_key(key) == [second, third, first]  # still tried, last
    now[0] = 4.9
    assert replicas.for_key(key)[0] == second
    now[0] = 5.1
    assert replicas.for_key(key) == [first, second, third]  # the choice decides again
    replicas.mark_down(first)
    replicas.mark_up(first)
    assert replicas.for_key(key)[0] == first


def test_calls_without_a_conversation_take_turns():
    replicas = Replicas(urls(3))
    assert Counter(replicas.any()[0] for _ in range(30)) == dict.fromkeys(urls(3), 10)


def test_settings_list_the_replicas_or_fall_back_to_the_one_url():
    assert Settings(rasa_url="http://127.0.0.1:5005/").rasa_replica_urls == (
        "http://127.0.0.1:5005",
    )
    both = Settings(rasa_urls=" http://127.0.0.1:5005, http://127.0.0.1:5006/ ,")
    assert both.rasa_replica_urls == ("http://127.0.0.1:5005", "http://127.0.0.1:5006")
    for bad in ("127.0.0.1:5005", "http://a:1,ftp://b", "http://a b"):
        with pytest.raises(ValidationError):
            Settings(rasa_urls=bad)


class Cluster:
    """Rasa replicas behind one transport: each answers, refuses connections, or fails in a
    given way after the request was sent; every request is recorded with its replica."""

    def __init__(self, replicas: list[str], redis_client: redis.Redis) -> None:
        self.redis = redis_client
        self.state = dict.fromkeys(replicas, "up")
        self.seen: list[tuple[str, str, str | None]] = []  # (replica, path, sender)

    def handler(self, request: httpx.Request) -> httpx.Response:
        replica = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
        state = self.state[replica]
        if state == "refused":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if state == "connect_timeout":
            raise httpx.ConnectTimeout("connect timed out", request=request)
        path = request.url.path
        sender = path.split("/")[2] if path.startswith("/conversations/") else None
        if path == "/webhooks/rest/webhook":
            sender = httpx.Response(200, content=request.content).json()["sender"]
        self.seen.append((replica, path, sender))
        if state == "read_timeout":
            raise httpx.ReadTimeout("read timed out", request=request)
        if state == "dropped":
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        if state == "error":
            return httpx.Response(500, json={})
        if path == "/status":
            return httpx.Response(200, json={})
        if path == "/model/parse":
            return httpx.Response(200, json={"intent": {"name": "greet", "confidence": 0.9}})
        if sender:
            self.redis.set(KEYS.rasa_tracker(sender), "{}", ex=600)
        if path == "/webhooks/rest/webhook":
            return httpx.Response(200, json=[{"text": f"Hej från {replica}"}])
        return httpx.Response(200, json={"events": []})

    def replicas_of(self, sender: str) -> set[str]:
        return {replica for replica, _, seen in self.seen if seen == sender}


REPLICAS = urls(3)


@pytest.fixture
def cluster(redis_client: redis.Redis) -> Cluster:
    return Cluster(REPLICAS, redis_client)


@pytest.fixture
async def http(cluster: Cluster) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(cluster.handler)) as client:
        yield client


@pytest.fixture
def client(http: httpx.AsyncClient) -> RasaClient:
    return RasaClient(HttpxTransport(http, 2, 0.5), REPLICAS, TOKEN, down_seconds=5)


async def talk(client: RasaClient, sender: str) -> None:
    """Every kind of call a conversation makes."""
    await client.send(sender, "hej", "sv")
    await client.pause(sender)
    await client.tracker_events(sender)
    await client.resume(sender)


async def test_every_call_of_a_conversation_goes_to_its_own_replica(client, cluster):
    for sender in SESSIONS[:30]:
        await talk(client, sender)
        assert cluster.replicas_of(sender) == {rendezvous_order(REPLICAS, sender)[0]}
    assert {replica for replica, _, _ in cluster.seen} == set(REPLICAS)


@pytest.mark.parametrize("fault", ["refused", "connect_timeout"])
async def test_a_replica_that_cannot_be_reached_hands_its_conversations_to_their_next(
    client, cluster, fault
):
    sender = SESSIONS[3]
    first, second, _ = rendezvous_order(REPLICAS, sender)
    cluster.state[first] = fault
    turn = await client.send(sender, "hej", "sv")
    assert turn.replies == [Reply(f"Hej från {second}")]
    await talk(client, sender)
    assert cluster.replicas_of(sender) == {second}
    # A refused port is tried again each time (it costs nothing); a connect timeout marks the
    # replica down for down_seconds.
    assert client.replicas.is_down(first) == (fault == "connect_timeout")
    # Back: the choice decides again (no stickiness), for a timed-out one once its time is up.
    cluster.state[first] = "up"
    client.replicas.mark_up(first)  # as if down_seconds had passed
    await talk(client, sender)
    assert cluster.replicas_of(sender) == {first, second}
    assert cluster.seen[-1][0] == first


@pytest.mark.parametrize("fault", ["read_timeout", "dropped", "error"])
async def test_a_request_that_was_sent_is_never_repeated_on_another_replica(client, cluster, fault):
    """The first replica may have processed it (or still be processing it): the person gets
    the safe reply for this message, rather than two replicas on one conversation."""
    sender = SESSIONS[4]
    first = rendezvous_order(REPLICAS, sender)[0]
    cluster.state[first] = fault
    with pytest.raises(RasaUnavailable):
        await client.send(sender, "hej", "sv")
    assert cluster.replicas_of(sender) == {first}
    assert not client.replicas.is_down(first)


async def test_no_replica_reachable_is_unavailable(client, cluster):
    for replica in REPLICAS:
        cluster.state[replica] = "connect_timeout"
    with pytest.raises(RasaUnavailable):
        await client.send(SESSIONS[5], "hej", "sv")
    assert all(client.replicas.is_down(replica) for replica in REPLICAS)
    cluster.state[REPLICAS[1]] = "up"  # all marked down: each is still tried, in order
    assert (await client.send(SESSIONS[5], "hej", "sv")).replies


async def test_parse_goes_to_any_replica_that_answers(client, cluster):
    cluster.state[REPLICAS[0]] = "refused"
    for _ in range(6):
        assert await client.intent("hej") == ("greet", 0.9)
    parsed = Counter(replica for replica, path, _ in cluster.seen if path == "/model/parse")
    assert set(parsed) == set(REPLICAS[1:])


async def test_a_refused_port_fails_over_at_once_with_real_sockets(redis_client):
    """A real closed port (no stand-in for the error): the call moves on to the next replica."""
    closed = f"http://127.0.0.1:{free_port()}"
    answering = await HttpStub().start()
    transport = AiohttpTransport(10, 2, 0.5)
    try:
        client = RasaClient(transport, [closed, answering.url], TOKEN)
        senders = [s for s in SESSIONS[:20] if client.replicas.for_key(s)[0] == closed]
        assert senders
        for sender in senders:
            assert (await client.send(sender, "hej", "sv")).replies == [Reply("Hej")]
    finally:
        await transport.aclose()
        await answering.stop()
    assert len(answering.seen) == len(senders)
    assert not client.replicas.is_down(closed)  # refused at once: tried again next time


async def test_readiness_is_ready_while_one_replica_answers(cluster, http, redis_url):
    aredis = connect(redis_url)
    try:

        async def check() -> dict[str, Any]:
            ready = Readiness(aredis, http, KEYS, REPLICAS, TOKEN, REPLICAS[0], 600, 1.0, 0)
            return await ready.check()

        cluster.state[REPLICAS[0]] = "refused"
        cluster.state[REPLICAS[1]] = "refused"
        checks = await check()
        assert checks["rasa"] and checks["rasa_store"]
        cluster.state[REPLICAS[2]] = "refused"
        checks = await check()
        assert not checks["rasa"] and not checks["rasa_store"]
    finally:
        await aredis.aclose()


async def test_a_host_that_does_not_answer_is_marked_down_after_one_connect_timeout(
    unanswered_port,
):
    silent = f"http://127.0.0.1:{unanswered_port}"
    answering = await HttpStub().start()
    transport = AiohttpTransport(10, 5, 0.3)
    try:
        client = RasaClient(transport, [silent, answering.url], TOKEN)
        senders = [s for s in SESSIONS[:40] if client.replicas.for_key(s)[0] == silent]
        assert (await client.send(senders[0], "hej", "sv")).replies == [Reply("Hej")]
        assert client.replicas.is_down(silent)  # the next turns skip it for down_seconds
        assert client.replicas.for_key(senders[1])[0] == answering.url
    finally:
        await transport.aclose()
        await answering.stop()
