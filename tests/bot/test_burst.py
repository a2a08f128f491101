"""A burst: hundreds of widget messages at once against a small Redis pool find no error.

The pools wait for a free connection (bot/store.py, the Rasa client's httpx pool) instead of
refusing: the only refusals a client may see are the documented limits (429), raised out of
the way here. Real Redis; Rasa is a stand-in, once in memory and once over real sockets so the
gateway's own HTTP pool is the one that waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from bot.config import Settings
from bot.main import create_app
from tests.bot.conftest import FakeRasa

BURST = 400
# Far below the burst: every request must wait its turn for one of these.
SMALL_POOL = 10
UNLIMITED = 1_000_000
STAND_IN_TEXT = "Hej från ett Rasa över nätet"


def _burst_settings(redis_url: str, rasa_url: str = "http://rasa.test") -> Settings:
    return Settings(
        environment="test",
        redis_url=redis_url,
        session_ttl_seconds=600,
        rasa_url=rasa_url,
        rasa_tracker_check=False,
        redis_max_connections=SMALL_POOL,
        max_live_streams=SMALL_POOL - 1,  # each holds a connection: fewer than the pool
        # The longest a request may wait for a connection: the whole burst, on two shared
        # cores (the pool does not serve waiters in order, so one can wait to the end).
        redis_pool_timeout_seconds=60,
        rasa_max_connections=SMALL_POOL,
        rate_session_messages_per_minute=UNLIMITED,
        rate_client_messages_per_minute=UNLIMITED,
        rate_client_sessions_per_hour=UNLIMITED,
    )


async def _burst(app: FastAPI) -> tuple[Counter[int], list[dict]]:
    """Open BURST sessions all at once, then send one message in each, all at once."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        opened = await asyncio.gather(*(client.post("/api/v1/sessions") for _ in range(BURST)))
        assert Counter(r.status_code for r in opened) == Counter({201: BURST})
        sessions = [r.json() for r in opened]

        async def one(session: dict) -> httpx.Response:
            return await client.post(
                f"/api/v1/sessions/{session['session_id']}/messages",
                json={"text": "Vad är hedersrelaterat våld?"},
                headers={"Authorization": f"Bearer {session['token']}"},
            )

        responses = await asyncio.gather(*(one(s) for s in sessions))
    statuses = Counter(r.status_code for r in responses)
    bodies = [r.json() for r in responses if r.status_code == 200]
    return statuses, bodies


async def test_a_burst_waits_for_the_small_redis_pool_and_gets_no_error(
    redis_url: str, redis_client
) -> None:
    rasa = FakeRasa()
    app = create_app(_burst_settings(redis_url), rasa_transport=httpx.MockTransport(rasa.handler))
    async with app.router.lifespan_context(app):
        statuses, bodies = await _burst(app)
    assert statuses == Counter({200: BURST}), statuses
    assert all(b["replies"][0]["text"] == "Hej från boten" for b in bodies)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def _rasa_over_sockets(delay_seconds: float, trickle: int = 0) -> AsyncIterator[str]:
    """A stand-in for Rasa's REST webhook on a real port, answering after `delay_seconds`;
    with `trickle`, its answer comes in that many more pieces `delay_seconds` apart (a turn
    that holds its connection long without tripping the read timeout)."""
    stand_in = FastAPI()

    @stand_in.post("/webhooks/rest/webhook")
    async def webhook(body: dict) -> StreamingResponse:
        answer = json.dumps([{"recipient_id": body["sender"], "text": STAND_IN_TEXT}])

        async def pieces() -> AsyncIterator[bytes]:
            await asyncio.sleep(delay_seconds)
            for _ in range(trickle):
                yield b" "
                await asyncio.sleep(delay_seconds)
            yield answer.encode()

        return StreamingResponse(pieces(), media_type="application/json")

    port = _free_port()
    config = uvicorn.Config(stand_in, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_a_burst_waits_for_the_small_rasa_pool_and_every_turn_gets_rasas_answer(
    redis_url: str, redis_client
) -> None:
    # 400 turns of 10 ms through 10 connections queue for ~0.4 s: well inside the pool timeout,
    # so no person gets the fallback reply because a connection was busy.
    async with _rasa_over_sockets(0.01) as rasa_url:
        app = create_app(_burst_settings(redis_url, rasa_url))
        async with app.router.lifespan_context(app):
            statuses, bodies = await _burst(app)
    assert statuses == Counter({200: BURST}), statuses
    texts = Counter(b["replies"][0]["text"] for b in bodies)
    assert texts == Counter({STAND_IN_TEXT: BURST}), json.dumps(texts, ensure_ascii=False)[:500]


async def _message(client: httpx.AsyncClient, session: dict) -> httpx.Response:
    return await client.post(
        f"/api/v1/sessions/{session['session_id']}/messages",
        json={"text": "hello, I need help with my family", "lang": "en"},
        headers={"Authorization": f"Bearer {session['token']}"},
    )


async def test_a_redis_pool_timeout_is_a_503_with_the_safe_reply_and_then_recovers(
    redis_url: str, redis_client
) -> None:
    rasa = FakeRasa()
    settings = _burst_settings(redis_url).model_copy(
        update={"redis_max_connections": 2, "redis_pool_timeout_seconds": 0.2}
    )
    app = create_app(settings, rasa_transport=httpx.MockTransport(rasa.handler))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
            session = (await http.post("/api/v1/sessions")).json()
            pool = app.state.redis.connection_pool
            held = [await pool.get_connection() for _ in range(2)]  # every connection busy
            response = await _message(http, session)
            assert response.status_code == 503
            body = response.json()
            assert body["error"]["code"] == "unavailable"
            assert any("112" in reply["text"] for reply in body["replies"])
            for connection in held:
                await pool.release(connection)
            assert (await _message(http, session)).status_code == 200


async def test_a_rasa_pool_timeout_gives_the_safe_reply_not_an_error(
    redis_url: str, redis_client
) -> None:
    # One connection, held 1.2 s by a turn that trickles its answer (each piece within the
    # 0.5 s timeout); the other turns wait longer than 0.5 s for the connection (httpx's
    # PoolTimeout) and get the helplines instead.
    async with _rasa_over_sockets(0.3, trickle=3) as rasa_url:
        settings = _burst_settings(redis_url, rasa_url).model_copy(
            update={"rasa_max_connections": 1, "rasa_timeout_seconds": 0.5}
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as h:
                sessions = [(await h.post("/api/v1/sessions")).json() for _ in range(3)]
                responses = await asyncio.gather(*(_message(h, s) for s in sessions))
    assert [r.status_code for r in responses] == [200] * 3
    texts = [r.json()["replies"][-1]["text"] for r in responses]
    assert texts.count(STAND_IN_TEXT) == 1, texts
    fallbacks = [t for t in texts if t != STAND_IN_TEXT]
    assert all("112" in t and "116 111" in t for t in fallbacks), texts
