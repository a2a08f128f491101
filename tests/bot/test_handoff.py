"""The handoff queue: only the action server may enqueue; once per session; FIFO; keys expire."""

from __future__ import annotations

import asyncio

import pytest

from tests.bot.conftest import SERVICE_TOKEN

pytestmark = pytest.mark.unit

SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


async def _new_session(client) -> str:
    return (await client.post("/api/v1/sessions")).json()["session_id"]


async def test_enqueue_requires_the_service_token(client, session, redis_client):
    body = {"session_id": session.id}
    assert (await client.post("/api/v1/internal/handoffs", json=body)).status_code == 401
    wrong = {"Authorization": f"Bearer {session.token}"}
    assert (
        await client.post("/api/v1/internal/handoffs", json=body, headers=wrong)
    ).status_code == 401
    assert redis_client.llen("hrv:handoff:queue") == 0


async def test_enqueue_puts_the_session_in_the_queue_and_the_widget_sees_it(
    client, session, redis_client
):
    response = await client.post(
        "/api/v1/internal/handoffs",
        json={"session_id": session.id, "reason": "danger", "lang": "en"},
        headers=SERVICE,
    )
    assert response.status_code == 201
    handoff_id = response.json()["handoff_id"]
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == [handoff_id]
    stored = redis_client.hgetall(f"hrv:handoff:{handoff_id}")
    assert stored["session_id"] == session.id
    assert stored["state"] == "queued" and stored["reason"] == "danger" and stored["lang"] == "en"
    reply = await client.post(
        f"/api/v1/sessions/{session.id}/messages", json={"text": "hello?"}, headers=session.headers
    )
    assert reply.json()["handoff"] == "queued"


async def test_enqueue_is_idempotent_even_when_concurrent(client, session, redis_client):
    body = {"session_id": session.id}
    responses = await asyncio.gather(
        *(client.post("/api/v1/internal/handoffs", json=body, headers=SERVICE) for _ in range(20))
    )
    ids = {r.json()["handoff_id"] for r in responses}
    assert len(ids) == 1
    assert sum(not r.json()["already_queued"] for r in responses) == 1
    assert redis_client.llen("hrv:handoff:queue") == 1


async def test_queue_is_first_in_first_out(client, redis_client):
    order = []
    for _ in range(3):
        session_id = await _new_session(client)
        response = await client.post(
            "/api/v1/internal/handoffs", json={"session_id": session_id}, headers=SERVICE
        )
        order.append(response.json()["handoff_id"])
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == order


async def test_every_handoff_key_expires(client, session, redis_client):
    await client.post("/api/v1/internal/handoffs", json={"session_id": session.id}, headers=SERVICE)
    keys = redis_client.keys("*")
    assert len(keys) == 3  # session, handoff, queue
    assert all(0 < redis_client.ttl(key) <= 600 for key in keys)


async def test_enqueue_unknown_session_is_404_and_bad_reason_422(client, session):
    unknown = {"session_id": "AAAAAAAAAAAAAAAAAAAAAA"}
    assert (
        await client.post("/api/v1/internal/handoffs", json=unknown, headers=SERVICE)
    ).status_code == 404
    bad = {"session_id": session.id, "reason": "Free text about the person"}
    assert (
        await client.post("/api/v1/internal/handoffs", json=bad, headers=SERVICE)
    ).status_code == 422
