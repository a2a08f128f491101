"""`make cluster`'s layout (bot/ops/cluster.py) comes up, answers through nginx, survives a
crashed gateway and stops with nothing left running. The faults in depth: `make drill`."""

from __future__ import annotations

import os
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.ops.cluster import Cluster

pytestmark = pytest.mark.e2e

# One client (127.0.0.1) sends everything: the per-client limits would count the test itself.
HIGH_LIMITS = {
    "HRV_RATE_CLIENT_MESSAGES_PER_MINUTE": "100000",
    "HRV_RATE_CLIENT_SESSIONS_PER_HOUR": "100000",
}
QUESTION = "what does honour based violence and oppression mean"


def _chat(client: httpx.Client) -> tuple[str, dict[str, str]]:
    created = client.post("/api/v1/sessions", json={"lang": "en"})
    assert created.status_code == 201, created.text
    return created.json()["session_id"], {"Authorization": f"Bearer {created.json()['token']}"}


def _ask(client: httpx.Client, text: str) -> dict:
    session_id, headers = _chat(client)
    answer = client.post(
        f"/api/v1/sessions/{session_id}/messages", json={"text": text}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_cluster_answers_through_nginx_survives_a_gateway_and_stops_clean(
    tmp_path: Path, response_texts: Callable[[str, str], list[str]]
) -> None:
    cluster = Cluster(Settings(environment="test"), tmp_path / "cluster", HIGH_LIMITS)
    cluster.start()
    groups = cluster.pids()
    try:
        assert sorted(groups) == sorted(cluster.names())
        assert cluster.primary() == "redis-1"
        with httpx.Client(base_url=cluster.url, timeout=30) as client:
            page = client.get("/")
            assert page.status_code == 200
            assert "text/html" in page.headers["content-type"]
            # The gateway's headers pass once; nginx adds none of its own.
            assert page.headers.get_list("x-frame-options") == ["DENY"]
            assert len(page.headers.get_list("content-security-policy")) == 1

            expected = response_texts("utter_what_is_hrv", "en")
            assert _ask(client, QUESTION)["replies"][0]["text"] in expected

            # A handoff's event stream passes through nginx as it is written: the person's
            # place in line arrives while the stream stays open.
            session_id, headers = _chat(client)
            queued = client.post(
                f"/api/v1/sessions/{session_id}/messages",
                json={"text": "/talk_to_human"},
                headers=headers,
            )
            assert queued.json()["handoff"] == "queued"
            # A buffered stream would hold the event until the stream ends: the read times out.
            with client.stream(
                "GET",
                f"/api/v1/sessions/{session_id}/events",
                headers={**headers, "Accept": "text/event-stream"},
                timeout=httpx.Timeout(30, read=5),
            ) as stream:
                assert stream.status_code == 200
                assert "event: queue" in islice(stream.iter_lines(), 20)

            cluster.kill("gateway-1")
            for _ in range(4):
                assert _ask(client, QUESTION)["replies"][0]["text"] in expected
    finally:
        cluster.stop()
    assert cluster.running() == []
    assert [name for name, pgid in groups.items() if _group_alive(pgid)] == []
