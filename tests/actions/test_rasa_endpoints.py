"""endpoints.yml as Rasa reads it: with the variables the launcher sets, Rasa's own factories
build our stores, directly on Redis when HRV_RASA_REDIS_SENTINELS is empty and through the
sentinels when it is set (no sentinel needs to run to see which)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.utils.endpoints import read_endpoint_config
from redis.sentinel import SentinelConnectionPool

from rasa_plugins.stores import ExpiringRedisLockStore, StrictRedisTrackerStore

ENDPOINTS = Path(__file__).resolve().parents[2] / "endpoints.yml"
TEST_REDIS_URL = os.environ.get("HRV_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
_URL = redis.connection.parse_url(TEST_REDIS_URL)
SENDER = "00112233445566778899aabbccddeeff"


def _launcher_env(monkeypatch: pytest.MonkeyPatch, sentinels: str) -> None:
    for name, value in {
        "HRV_ACTION_URL": "http://127.0.0.1:5055/webhook",
        "HRV_RASA_REDIS_HOST": _URL.get("host", "127.0.0.1"),
        "HRV_RASA_REDIS_PORT": str(_URL.get("port", 6379)),
        "HRV_RASA_REDIS_DB": str(_URL["db"]),
        "HRV_RASA_REDIS_PASSWORD": "",
        "HRV_SESSION_TTL_SECONDS": "120",
        "HRV_RASA_REDIS_SENTINELS": sentinels,
        "HRV_RASA_REDIS_SENTINEL_SERVICE": "hrvguide" if sentinels else "",
    }.items():
        monkeypatch.setenv(name, value)


def _stores() -> tuple[TrackerStore, LockStore]:
    tracker_store = TrackerStore.create(
        read_endpoint_config(str(ENDPOINTS), "tracker_store"), Domain.empty()
    )
    lock_store = LockStore.create(read_endpoint_config(str(ENDPOINTS), "lock_store"))
    return tracker_store, lock_store


async def test_without_sentinels_the_stores_use_the_host_and_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _launcher_env(monkeypatch, "")
    tracker_store, lock_store = _stores()
    inner = getattr(tracker_store, "_tracker_store", tracker_store)  # Rasa's FailSafe wrapper
    assert isinstance(inner, StrictRedisTrackerStore)
    assert isinstance(lock_store, ExpiringRedisLockStore)
    assert not isinstance(inner.red.connection_pool, SentinelConnectionPool)
    tracker = await tracker_store.get_or_create_tracker(SENDER)
    tracker.update(UserUttered("hej"))
    await tracker_store.save(tracker)
    direct = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        assert 0 < direct.ttl(f"hrvguide:tracker:{SENDER}") <= 120
    finally:
        direct.delete(f"hrvguide:tracker:{SENDER}")


def test_with_sentinels_both_stores_ask_them_for_the_primary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _launcher_env(monkeypatch, "127.0.0.1:26379,127.0.0.1:26380")
    tracker_store, lock_store = _stores()
    inner = getattr(tracker_store, "_tracker_store", tracker_store)
    for client in (inner.red, lock_store.red):
        pool = client.connection_pool
        assert isinstance(pool, SentinelConnectionPool)
        assert pool.service_name == "hrvguide"
        assert pool.connection_kwargs["db"] == int(_URL["db"])
        addresses = [
            (
                c.connection_pool.connection_kwargs["host"],
                c.connection_pool.connection_kwargs["port"],
            )
            for c in pool.sentinel_manager.sentinels
        ]
        assert addresses == [("127.0.0.1", 26379), ("127.0.0.1", 26380)]
