"""Abuse limits (bot/limits/abuse.py): message rates per session and per client, new sessions per
client, the caps on open sessions and queued handoffs; danger is never turned away, a refusal
writes nothing, two gateways count one client once, a Redis the limits cannot reach turns no one
away, and nothing that identifies a client reaches Redis or a log."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import redis

from bot.config import Settings
from bot.limits.abuse import AbuseLimits
from bot.limits.rates import ClientKeys, RateLimiter
from bot.main import create_app
from bot.ops.launcher import free_port
from bot.store import connect
from tests.bot.conftest import TALK_TO_HUMAN, FakeClock, FakeRasa, WidgetSession

pytestmark = pytest.mark.unit

DANGER_SV = "Min pappa sa att han ska döda mig"
Client = httpx.AsyncClient
MakeClient = Callable[..., Awaitable[Client]]


def snapshot(client: redis.Redis) -> dict[str, Any]:
    """Every key with its type and whole value (and whether it expires)."""
    out: dict[str, Any] = {}
    for key in sorted(client.keys("*")):
        kind = client.type(key)
        value: Any = {
            "string": lambda k: client.get(k),
            "hash": lambda k: client.hgetall(k),
            "list": lambda k: client.lrange(k, 0, -1),
            "set": lambda k: sorted(client.smembers(k)),
            "zset": lambda k: client.zrange(k, 0, -1, withscores=True),
            "stream": lambda k: client.xrange(k),
        }[kind](key)
        out[key] = (kind, value, client.ttl(key) > 0)
    return out


@pytest.fixture
async def make_client(
    settings: Settings, fake_rasa: FakeRasa, redis_client: redis.Redis, clock: FakeClock
) -> AsyncIterator[MakeClient]:
    """An app with some settings changed, inside its lifespan, and a client for it."""
    async with AsyncExitStack() as stack:

        async def make(**changes: Any) -> Client:
            application = create_app(
                settings.model_copy(update=changes),
                rasa_transport=httpx.MockTransport(fake_rasa.handler),
                clock=clock,
            )
            await stack.enter_async_context(application.router.lifespan_context(application))
            transport = httpx.ASGITransport(app=application)
            http = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://gateway.test")
            )
            http.app = application  # type: ignore[attr-defined]  # for tests that look inside
            return http

        yield make


async def _session(client: Client, **body: str) -> WidgetSession:
    response = await client.post("/api/v1/sessions", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return WidgetSession(id=data["session_id"], token=data["token"])


async def _say(client: Client, session: WidgetSession, text: str, **extra: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/sessions/{session.id}/messages",
        json={"text": text, **extra},
        headers=session.headers,
    )


def _assert_friendly_429(response: httpx.Response, lang: str, window: int = 60) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= window
    body = response.json()
    assert body["error"]["code"] == "rate_limited"
    assert body["replies"][0]["lang"] == lang
    assert "112" in body["replies"][0]["text"]


# ---------- message rates ----------


async def test_session_message_rate_refuses_with_a_friendly_429_until_the_window_passes(
    make_client, clock, fake_rasa
):
    client = await make_client(rate_session_messages_per_minute=3)
    session = await _session(client)
    for _ in range(3):
        assert (await _say(client, session, "Vad är heder?")).status_code == 200
    refused = await _say(client, session, "Vad är heder?")
    _assert_friendly_429(refused, "sv")
    assert "snabbt" in refused.json()["replies"][0]["text"]
    assert len(fake_rasa.received) == 3  # the refused message never reached Rasa
    other = await _session(client)  # another session is not held back
    assert (await _say(client, other, "Vad är heder?")).status_code == 200
    clock.advance(61)
    assert (await _say(client, session, "Vad är heder?")).status_code == 200


async def test_rate_limit_text_follows_the_language_of_the_message(make_client):
    client = await make_client(rate_session_messages_per_minute=1)
    session = await _session(client)
    await _say(client, session, "hello", lang="en")
    refused = await _say(client, session, "hello again", lang="en")
    _assert_friendly_429(refused, "en")
    assert refused.json()["replies"][0]["text"].startswith("You are writing very fast")
    # The default language too, in case the widget's own language is not the session's.
    assert [r["lang"] for r in refused.json()["replies"]] == ["en", "sv"]


async def test_client_message_rate_counts_every_session_of_one_address(make_client, clock):
    client = await make_client(
        rate_session_messages_per_minute=100, rate_client_messages_per_minute=4
    )
    first, second = await _session(client), await _session(client)
    for session in (first, second, first, second):
        assert (await _say(client, session, "Vad är heder?")).status_code == 200
    _assert_friendly_429(await _say(client, first, "Vad är heder?"), "sv")
    _assert_friendly_429(await _say(client, second, "Vad är heder?"), "sv")
    clock.advance(61)
    assert (await _say(client, second, "Vad är heder?")).status_code == 200


async def test_a_session_over_its_limit_does_not_use_up_its_address(make_client):
    client = await make_client(
        rate_session_messages_per_minute=2, rate_client_messages_per_minute=4
    )
    fast = await _session(client)
    for _ in range(10):  # 2 allowed, 8 refused by the session limit: not counted for the address
        await _say(client, fast, "Vad är heder?")
    other = await _session(client)
    assert (await _say(client, other, "Vad är heder?")).status_code == 200
    assert (await _say(client, other, "Vad är heder?")).status_code == 200


async def test_rate_limited_refusal_changes_nothing_in_redis(make_client, redis_client):
    client = await make_client(rate_session_messages_per_minute=1)
    session = await _session(client)
    assert (await _say(client, session, "Vad är heder?")).status_code == 200
    before = snapshot(redis_client)
    assert (await _say(client, session, "What is this?", lang="en")).status_code == 429
    assert snapshot(redis_client) == before


# ---------- danger is never turned away ----------


async def test_danger_message_over_the_limit_gets_112_and_is_not_stored(
    make_client, redis_client, fake_rasa
):
    client = await make_client(rate_session_messages_per_minute=1)
    session = await _session(client)
    assert (await _say(client, session, "Vad är heder?")).status_code == 200
    before = snapshot(redis_client)
    response = await _say(client, session, DANGER_SV)
    assert response.status_code == 200
    body = response.json()
    assert "112" in body["replies"][0]["text"]
    assert body["replies"][0]["text"].startswith("Om du är i fara nu")
    assert "snabbt" in body["replies"][1]["text"]  # honest: write again in a moment
    assert body["handoff"] == "none"
    assert len(fake_rasa.received) == 1  # not passed on to Rasa
    assert snapshot(redis_client) == before  # nor stored


async def test_danger_button_over_the_client_limit_gets_112(make_client):
    client = await make_client(rate_client_messages_per_minute=1)
    session = await _session(client)
    await _say(client, session, "Vad är heder?")
    response = await _say(client, session, "/immediate_danger")
    assert response.status_code == 200
    assert "112" in response.json()["replies"][0]["text"]


async def test_danger_over_the_limit_in_a_handoff_keeps_the_handoff_state(make_client):
    client = await make_client(rate_session_messages_per_minute=1)
    session = await _session(client)
    queued = await _say(client, session, TALK_TO_HUMAN)
    assert queued.json()["handoff"] == "queued"
    await _say(client, session, "Hallå?")
    response = await _say(client, session, "de kommer att döda mig om de får veta")
    assert response.status_code == 200
    assert response.json()["handoff"] == "queued"
    assert "112" in response.json()["replies"][0]["text"]


# ---------- new sessions ----------


async def test_new_sessions_per_client_are_limited_per_hour(make_client, clock, redis_client):
    client = await make_client(rate_client_sessions_per_hour=2)
    await _session(client)
    await _session(client)
    before = snapshot(redis_client)
    refused = await client.post("/api/v1/sessions", json={"lang": "ar"})
    _assert_friendly_429(refused, "ar", window=3600)
    assert snapshot(redis_client) == before
    clock.advance(3601)
    assert (await client.post("/api/v1/sessions")).status_code == 201


# ---------- caps ----------


async def test_open_sessions_cap_answers_503_with_the_safe_reply_and_writes_nothing(
    make_client, redis_client
):
    client = await make_client(max_open_sessions=2)
    first = await _session(client)
    await _session(client)
    before = snapshot(redis_client)
    full = await client.post("/api/v1/sessions", json={"lang": "en"})
    assert full.status_code == 503
    body = full.json()
    assert body["error"]["code"] == "full"
    assert full.headers["retry-after"]
    assert body["replies"][0]["lang"] == "en"
    for number in ("112", "116 111", "020-50 50 50"):
        assert number in body["replies"][0]["text"]
    # Nothing of the session; the attempt counts against the client's new sessions per hour.
    after = snapshot(redis_client)
    (counted,) = [key for key in after if ":client_sessions:" in key]
    assert len(after[counted][1]) == len(before[counted][1]) + 1
    assert {k: v for k, v in after.items() if k != counted} == {
        k: v for k, v in before.items() if k != counted
    }
    # Erasing a session (the quick exit) makes room at once.
    erased = await client.delete(f"/api/v1/sessions/{first.id}", headers=first.headers)
    assert erased.status_code == 204
    assert (await client.post("/api/v1/sessions")).status_code == 201


async def test_open_sessions_are_counted_by_expiry_and_every_key_expires(
    make_client, redis_client, clock, settings
):
    client = await make_client(max_open_sessions=1)
    session = await _session(client)
    assert (await client.post("/api/v1/sessions")).status_code == 503
    key = "hrv:sessions:open"
    assert redis_client.zrange(key, 0, -1) == [session.id]  # random ids only
    assert 0 < redis_client.ttl(key) <= settings.session_ttl_seconds
    clock.advance(settings.session_ttl_seconds - 10)
    await _say(client, session, "Vad är heder?")  # in use: its expiry moves on
    clock.advance(20)
    assert (await client.post("/api/v1/sessions")).status_code == 503
    clock.advance(settings.session_ttl_seconds)  # now it has expired
    assert (await client.post("/api/v1/sessions")).status_code == 201
    assert all(redis_client.ttl(k) > 0 for k in redis_client.keys("*"))


async def test_queued_handoffs_cap_refuses_without_writing_and_frees_up(
    make_client, redis_client, fake_rasa
):
    client = await make_client(max_queued_handoffs=2)
    sessions = [await _session(client) for _ in range(3)]
    for session in sessions[:2]:
        assert (await _say(client, session, TALK_TO_HUMAN)).json()["handoff"] == "queued"
    handoffs_before = {k for k in redis_client.keys("hrv:handoff*")}
    queue_before = redis_client.lrange("hrv:handoff:queue", 0, -1)
    refused = (await _say(client, sessions[2], TALK_TO_HUMAN)).json()
    # Told honestly, with 112 and the national lines; the bot, paused by its action, wakes up.
    assert refused["handoff"] == "none"
    assert "112" in refused["replies"][-1]["text"]
    assert (sessions[2].id, {"event": "resume"}) in fake_rasa.events
    assert {k for k in redis_client.keys("hrv:handoff*")} == handoffs_before
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == queue_before
    left = await client.post(
        f"/api/v1/sessions/{sessions[0].id}/handoff/leave", headers=sessions[0].headers
    )
    assert left.json()["handoff"] == "none"
    assert (await _say(client, sessions[2], TALK_TO_HUMAN)).json()["handoff"] == "queued"


# ---------- nothing that identifies a client ----------

MARKER_IP = "203.0.113.77"
MARKER_AGENT = "MarkerAgent/9.9 (canary-ua-5c1d)"
MARKER_REFERRER = "https://canary-referrer.example/secret-page"


async def test_no_address_user_agent_or_referrer_in_redis_or_logs(
    make_client, redis_client, caplog
):
    caplog.set_level(logging.DEBUG)
    client = await make_client(
        trusted_proxy_hops=1, rate_session_messages_per_minute=2, rate_client_sessions_per_hour=2
    )
    client.headers.update(
        {
            "X-Forwarded-For": f"10.9.9.9, {MARKER_IP}",
            "User-Agent": MARKER_AGENT,
            "Referer": MARKER_REFERRER,
        }
    )
    session = await _session(client)
    await _session(client)
    assert (await client.post("/api/v1/sessions")).status_code == 429
    for text in ("Vad är heder?", "Jag vill prata med en människa", "Hallå", DANGER_SV):
        await _say(client, session, text)
    await _say(client, session, TALK_TO_HUMAN)
    await _say(client, session, "Hallå igen")
    await client.get("/no-such-page")

    stored = repr(snapshot(redis_client))
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.__dict__}" for record in caplog.records
    )
    assert caplog.records  # the gateway did log something
    # The limits counted this client in Redis, by a 32-hex keyed hash only.
    client_keys = [key for key in redis_client.keys("hrv:limits:*") if ":client_" in key]
    assert len(client_keys) == 2  # client_sessions and client_messages
    assert all(re.fullmatch(r"hrv:limits:client_\w+:[0-9a-f]{32}", key) for key in client_keys)
    address = ipaddress.ip_address(MARKER_IP)
    forms = (
        MARKER_IP,
        "203.0.113",
        str(int(address)),  # the address as one number
        address.packed.hex(),  # and as hex
        hashlib.sha256(MARKER_IP.encode()).hexdigest()[:32],  # an unkeyed hash of it
        MARKER_AGENT,
        "canary-ua",
        "canary-referrer",
    )
    for marker in forms:
        assert marker not in stored
        assert marker not in logged


# ---------- several gateways ----------


async def test_two_gateways_count_a_client_and_a_session_once(make_client):
    """Two apps on one Redis stand for two gateway processes behind one load balancer."""
    settings = {
        "rate_session_messages_per_minute": 3,
        "rate_client_messages_per_minute": 100,
        "rate_client_sessions_per_hour": 3,
    }
    one, other = await make_client(**settings), await make_client(**settings)
    assert one.app is not other.app
    session = await _session(one)
    for gateway in (other, one, other):
        assert (await _say(gateway, session, "Vad är heder?")).status_code == 200
    _assert_friendly_429(await _say(one, session, "Vad är heder?"), "sv")
    _assert_friendly_429(await _say(other, session, "Vad är heder?"), "sv")
    # The client (one address) has started one session; two more, one on each, then no more.
    await _session(other)
    await _session(one)
    _assert_friendly_429(await other.post("/api/v1/sessions"), "sv", window=3600)
    _assert_friendly_429(await one.post("/api/v1/sessions"), "sv", window=3600)


async def test_every_limit_key_has_the_prefix_and_a_ttl(make_client, redis_client):
    client = await make_client(rate_session_messages_per_minute=1, rate_client_sessions_per_hour=1)
    session = await _session(client)
    await _say(client, session, "Vad är heder?")
    assert (await _say(client, session, "Vad är heder?")).status_code == 429
    assert (await client.post("/api/v1/sessions")).status_code == 429
    limit_keys = redis_client.keys("hrv:limits:*")
    kinds = {key.split(":")[2] for key in limit_keys}
    assert kinds == {"session_messages", "client_messages", "client_sessions"}
    # A session is counted by a keyed hash too: once erased, no count names it.
    assert not any(session.id in key for key in limit_keys)
    for key in redis_client.keys("*"):
        assert key.startswith("hrv:"), key
        assert redis_client.ttl(key) > 0, key
    for key in limit_keys:
        window = 3600 if ":client_sessions:" in key else 60
        assert 0 < redis_client.ttl(key) <= window, key


# ---------- when the limits cannot reach Redis ----------


async def test_limits_without_redis_turn_no_one_away(make_client, settings, caplog):
    """Fail open: a limit counted on its own lets the event through when Redis cannot be
    reached; the rest of the request still needs Redis and says so itself (503 with the safe
    reply). (A message's limits are counted with its session's read: no session, no turn.)"""
    client = await make_client(rate_session_messages_per_minute=1, rate_client_sessions_per_hour=1)
    app = client.app
    dead = connect(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    try:
        app.state.limits = AbuseLimits(
            app.state.texts,
            app.state.safety,
            RateLimiter(dead, settings.key_prefix),
            ClientKeys(b"s" * 32),
            session_messages_per_minute=1,
            client_messages_per_minute=1,
            client_sessions_per_hour=1,
        )
        sessions = [await _session(client), await _session(client), await _session(client)]
        for session in sessions:
            danger = await _say(client, session, DANGER_SV)
            assert danger.status_code == 200
            assert "112" in danger.json()["replies"][0]["text"]
    finally:
        await dead.aclose()
    assert "rate_limit_unavailable kind=client_sessions" in caplog.text
