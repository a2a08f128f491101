"""What a widget message costs in Redis round trips: the turn reads its session (with the rate
limits) once and writes once, on the common path (a question the bot answers)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpx
import pytest
from redis.asyncio.connection import AbstractConnection

from tests.bot.conftest import WidgetSession

pytestmark = pytest.mark.unit


async def _round_trips(
    monkeypatch: pytest.MonkeyPatch, client: httpx.AsyncClient, session: WidgetSession, text: str
) -> int:
    """Redis round trips of the request's own task (the app's background work runs apart)."""
    sent = 0
    request_task = asyncio.current_task()
    original = AbstractConnection.send_packed_command

    async def counted(
        self: AbstractConnection, command: bytes | str | Iterable[bytes], check_health: bool = True
    ) -> None:
        nonlocal sent
        sent += asyncio.current_task() is request_task
        await original(self, command, check_health)

    with monkeypatch.context() as patch:
        patch.setattr(AbstractConnection, "send_packed_command", counted)
        response = await client.post(
            f"/api/v1/sessions/{session.id}/messages", json={"text": text}, headers=session.headers
        )
    assert response.status_code == 200
    return sent


async def test_a_question_costs_two_round_trips(client, session, monkeypatch):
    # The first message loads the scripts into Redis (once per process and script).
    await _round_trips(monkeypatch, client, session, "hej")
    for text in ("vad är hedersrelaterat våld?", "what is honour based violence", "tack"):
        assert await _round_trips(monkeypatch, client, session, text) == 2
