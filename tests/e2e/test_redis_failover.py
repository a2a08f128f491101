"""The gateway's Redis client through real sentinels: after the primary is SIGKILLed the same
client works on the promoted replica within seconds, without a restart; and a handoff message
waits for the replica (WAIT) as HRV_REDIS_WAIT_REPLICAS says."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.exceptions import RedisError

from bot.handoff.service import Handoffs
from bot.store import Keys, ReplicationUnconfirmed, ReplicaWait, connect
from tests.redis_sentinel import SERVICE, SentinelLayout, sentinel_layout

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]

# Sentinel's down-after (1 s), its election and the promotion take 2-4 s here; a client that
# follows it must be back well inside this.
RECOVERY_BOUND_SECONDS = 15


@pytest.fixture
def layout(tmp_path: Path) -> Iterator[SentinelLayout]:
    with sentinel_layout(tmp_path) as running:
        yield running


async def test_the_gateway_client_reaches_the_new_primary_after_a_failover(
    layout: SentinelLayout,
) -> None:
    client = connect(
        "redis://127.0.0.1:1/2", sentinels=layout.sentinels, service=SERVICE, max_connections=4
    )
    try:
        await client.set("hrv:test:before", "1", ex=60)
        assert await client.get("hrv:test:before") == "1"
        old = layout.kill_primary()
        killed_at = time.monotonic()
        failures = 0
        while True:
            try:
                await client.set("hrv:test:after", "1", ex=60)
                break
            except RedisError:
                failures += 1
                assert time.monotonic() - killed_at < RECOVERY_BOUND_SECONDS
                await asyncio.sleep(0.2)
        recovered = time.monotonic() - killed_at
        assert layout.primary_port() != old
        # The write went to db 2 of the new primary, as the URL says.
        assert await client.get("hrv:test:after") == "1"
        assert (await client.connection_pool.get_master_address())[1] != old
        print(f"recovered after {recovered:.1f} s, {failures} failed commands")
    finally:
        await client.aclose()


async def test_a_write_waits_for_the_replica_and_is_refused_when_a_connected_one_lags(
    layout: SentinelLayout,
) -> None:
    client = connect("redis://127.0.0.1:1/0", sentinels=layout.sentinels, service=SERVICE)
    script = client.register_script("return redis.call('SET', KEYS[1], ARGV[1], 'EX', 60)")
    wait = ReplicaWait(replicas=1, timeout_ms=300)
    try:
        assert await wait.run(client, script, ["k"], ["v"], touch=("k", 60)) == "OK"
        # A replica that is connected but does not answer (stopped): not acknowledged.
        replica = layout.processes["replica"]
        os.kill(replica.pid, signal.SIGSTOP)
        try:
            with pytest.raises(ReplicationUnconfirmed):
                await wait.run(client, script, ["k"], ["w"], touch=("k", 60))
        finally:
            os.kill(replica.pid, signal.SIGCONT)
        # The same write again once it answers: confirmed, though the script changes nothing
        # new (the touch makes WAIT cover it).
        assert await wait.run(client, script, ["k"], ["w"], touch=("k", 60)) == "OK"
        # No replica connected at all: acknowledged (one copy, as every write then), not refused.
        replica.kill()
        replica.wait(5)
        deadline = time.monotonic() + 5
        while (await client.info("replication"))[
            "connected_slaves"
        ] and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert await wait.run(client, script, ["k"], ["x"], touch=("k", 60)) == "OK"
    finally:
        await client.aclose()


async def test_a_handoff_message_the_replica_did_not_confirm_is_refused_then_stored_once(
    layout: SentinelLayout,
) -> None:
    client = connect("redis://127.0.0.1:1/0", sentinels=layout.sentinels, service=SERVICE)
    keys = Keys("hrv", "hrvguide")
    handoffs = Handoffs(client, keys, 600, replica_wait=ReplicaWait(1, 300))
    try:
        session_id = "s" * 32
        await client.hset(keys.session(session_id), mapping={"lang": "sv", "handoff": ""})
        await client.expire(keys.session(session_id), 600)
        handoff_id = (
            await handoffs.enqueue(session_id, "asked_for_human", "sv", "widget")
        ).handoff_id
        replica = layout.processes["replica"]
        os.kill(replica.pid, signal.SIGSTOP)
        try:
            with pytest.raises(ReplicationUnconfirmed):  # the API answers 503, the safe reply
                await handoffs.post_from_person(handoff_id, session_id, "hjälp", "m-1", [])
        finally:
            os.kill(replica.pid, signal.SIGCONT)
        # The widget sends it again with the same message id: acknowledged, stored once.
        assert await handoffs.post_from_person(handoff_id, session_id, "hjälp", "m-1", [])
        entries = await client.xrange(keys.handoff_stream(handoff_id))
        texts = [(e["from"], e["text"]) for _, e in entries if e.get("kind") == "text"]
        assert texts == [("person", "hjälp")]
        # And it is on the replica.
        on_replica = redis.Redis(port=layout.ports["replica"], decode_responses=True)
        assert on_replica.xlen(keys.handoff_stream(handoff_id)) == len(entries)
    finally:
        await client.aclose()


def test_the_cli_reaches_the_primary_through_the_sentinels_after_a_failover(
    layout: SentinelLayout,
) -> None:
    layout.kill_primary()
    env = {
        **os.environ,
        "HRV_ENVIRONMENT": "test",
        # Only the db counts; nothing listens at this address: the sentinels give the primary.
        "HRV_REDIS_URL": "redis://127.0.0.1:1/0",
        "HRV_REDIS_SENTINELS": layout.sentinels,
        "HRV_REDIS_SENTINEL_SERVICE": SERVICE,
    }
    deadline = time.monotonic() + RECOVERY_BOUND_SECONDS
    while True:  # the CLI fails plainly until the sentinels promote the replica
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "staff", "add", "tove"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert done.returncode == 0, done.stderr[-2000:]
    primary = redis.Redis(port=layout.primary_port(), decode_responses=True)
    assert primary.exists("hrv:staff:account:tove")
