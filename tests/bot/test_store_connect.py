"""bot/store.py's client: a pool that waits, sized from the settings, with or without
sentinels; and the replica wait when no replica is connected (the machine's Redis has none)."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.sentinel import SentinelConnectionPool

from bot.config import Settings
from bot.store import ReplicaWait, connect, connect_from, online_replicas, parse_sentinels


def test_the_pool_must_outsize_the_live_streams_and_a_wait_its_socket_timeout() -> None:
    """Streams hold a connection each while they wait; a WAIT past the socket timeout would
    end as a timeout."""
    with pytest.raises(ValidationError, match="HRV_REDIS_MAX_CONNECTIONS"):
        Settings(redis_max_connections=500, max_live_streams=500)
    with pytest.raises(ValidationError, match="HRV_REDIS_WAIT_TIMEOUT_MS"):
        Settings(redis_wait_timeout_ms=3000, redis_socket_timeout_seconds=3)
    assert Settings(redis_max_connections=501, max_live_streams=500).redis_max_connections == 501


def test_sentinels_are_host_port_pairs() -> None:
    assert parse_sentinels("") == []
    assert parse_sentinels(" 10.0.0.1:26379, sentinel-b:26380 ") == [
        ("10.0.0.1", 26379),
        ("sentinel-b", 26380),
    ]
    assert Settings(redis_sentinels="a:1,b:2").redis_sentinels == "a:1,b:2"
    with pytest.raises(ValidationError):
        Settings(redis_sentinels="redis://a:1")
    with pytest.raises(ValidationError):
        Settings(redis_sentinels="a")


async def test_the_pool_waits_and_is_sized_from_the_settings() -> None:
    settings = Settings(
        redis_url="redis://127.0.0.1:6379/3",
        redis_max_connections=7,
        redis_pool_timeout_seconds=2.5,
        max_live_streams=6,
    )
    client = connect_from(settings)
    pool = client.connection_pool
    assert isinstance(pool, BlockingConnectionPool)
    assert (pool.max_connections, pool.timeout) == (7, 2.5)
    assert pool.connection_kwargs["db"] == 3
    await client.aclose()


async def test_through_sentinels_the_pool_waits_too_and_keeps_the_urls_db_and_password() -> None:
    client = connect(
        "redis://:secret@127.0.0.1:6379/4",
        sentinels="127.0.0.1:26379,127.0.0.1:26380",
        service="hrvguide",
        max_connections=9,
        pool_timeout=1.5,
    )
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool)
    assert isinstance(pool, BlockingConnectionPool)
    assert (pool.max_connections, pool.timeout, pool.service_name) == (9, 1.5, "hrvguide")
    assert (pool.connection_kwargs["db"], pool.connection_kwargs["password"]) == (4, "secret")
    await client.aclose()


async def test_without_a_connected_replica_a_write_is_acknowledged_after_the_wait(
    redis_url: str, redis_client
) -> None:
    if int(redis_client.info("replication")["connected_slaves"]):
        pytest.skip("this Redis has replicas")
    client = connect(redis_url)
    script = client.register_script("return redis.call('SET', KEYS[1], ARGV[1], 'EX', 60)")
    started = time.monotonic()
    result = await ReplicaWait(1, 100).run(client, script, ["hrv:k"], ["v"], touch=("hrv:k", 60))
    assert result == "OK"
    assert time.monotonic() - started >= 0.09  # it did wait for a replica first
    assert redis_client.get("hrv:k") == "v"
    assert 0 < redis_client.ttl("hrv:k") <= 60
    await client.aclose()


def test_only_replicas_streaming_the_primarys_writes_count_as_connected() -> None:
    """A replica still loading its full copy (after it came back, or after a failover), or one
    gone quiet, cannot confirm a write: waiting on it would refuse every handoff message.
    (The shape is redis-py's parse of INFO replication.)"""
    replica = {"ip": "127.0.0.1", "offset": 0, "lag": 0}
    replication = {
        "role": "master",
        "connected_slaves": 3,
        "slave0": {**replica, "port": 7001, "state": "online"},
        "slave1": {**replica, "port": 7002, "state": "wait_bgsave"},
        "slave2": {**replica, "port": 7003, "state": "send_bulk"},
        # Silent for 5 s: its host or network is most likely gone (the primary notices only
        # after repl-timeout), so waiting on it would refuse every message until then.
        "slave3": {**replica, "port": 7004, "state": "online", "lag": 5},
    }
    assert online_replicas(replication) == 1
    assert online_replicas({"role": "master", "connected_slaves": 0}) == 0
