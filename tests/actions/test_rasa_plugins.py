"""rasa_plugins.stores: no silent in-memory fallback, and every Rasa key expires (real Redis)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
import redis
from rasa.core.tracker_store import FailSafeTrackerStore, RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.utils.endpoints import EndpointConfig

from rasa_plugins import logs
from rasa_plugins.stores import ExpiringRedisLockStore, StrictRedisTrackerStore

TEST_REDIS_URL = os.environ.get("HRV_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
_URL = redis.connection.parse_url(TEST_REDIS_URL)
HOST, PORT, DB = _URL.get("host", "127.0.0.1"), int(_URL.get("port", 6379)), int(_URL["db"])
SENDER = "0123456789abcdef0123456789abcdef"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on return: connections are refused


@pytest.fixture
def red() -> Iterator[redis.Redis]:
    client = redis.Redis(host=HOST, port=PORT, db=DB, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis at HRV_TEST_REDIS_URL")
    for key in client.scan_iter("hrvguide:*"):
        client.delete(key)
    yield client
    for key in client.scan_iter("hrvguide:*"):
        client.delete(key)


def _tracker_store(port: int = PORT) -> StrictRedisTrackerStore:
    return StrictRedisTrackerStore(
        Domain.empty(), host=HOST, port=port, db=DB, key_prefix="hrvguide", record_exp=120
    )


async def test_a_saved_tracker_expires(red: redis.Redis) -> None:
    store = _tracker_store()
    tracker = await store.get_or_create_tracker(SENDER)
    tracker.update(UserUttered("hej"))
    await store.save(tracker)
    assert 0 < red.ttl(f"hrvguide:tracker:{SENDER}") <= 120
    assert (await store.retrieve(SENDER)).latest_message.text == "hej"


async def test_rasas_own_store_falls_back_to_an_empty_tracker_when_redis_is_down() -> None:
    """What this plugin exists for: FailSafeTrackerStore hides the error and returns None."""
    stock = RedisTrackerStore(Domain.empty(), host=HOST, port=_closed_port(), key_prefix="x")
    failsafe = FailSafeTrackerStore(stock)
    assert await failsafe.retrieve(SENDER) is None
    tracker = failsafe.init_tracker(SENDER)
    tracker.update(UserUttered("hej"))
    await failsafe.save(tracker)
    assert await failsafe.fallback_tracker_store.retrieve(SENDER) is not None  # text in memory
    # Not sticky: the next call tries Redis again, and never reads what went to memory.
    stock.red = redis.Redis(host=HOST, port=PORT, db=DB, decode_responses=True)
    assert await failsafe.retrieve(SENDER) is None


async def test_an_unreadable_tracker_is_a_paused_stand_in_that_is_never_saved(
    red: redis.Redis,
) -> None:
    store = FailSafeTrackerStore(_tracker_store(port=_closed_port()))
    tracker = await store.retrieve(SENDER)
    assert tracker is not None and tracker.is_paused()  # no action runs: Rasa answers nothing
    tracker.update(UserUttered("hej"))
    await store.save(tracker)  # Redis still down: dropped, not kept in memory
    assert store._fallback_tracker_store is None

    # Redis is back before the save: the stand-in still must not overwrite (pause) the real one.
    strict = _tracker_store(port=_closed_port())
    stand_in = await strict.retrieve(SENDER)
    strict.red = _tracker_store().red
    await strict.save(stand_in)
    assert not red.exists(f"hrvguide:tracker:{SENDER}")
    # The next turn reads Redis again and saves normally.
    fresh = await strict.get_or_create_tracker(SENDER)
    assert not fresh.is_paused()
    assert red.exists(f"hrvguide:tracker:{SENDER}")


async def test_a_failed_save_raises_nothing_and_keeps_nothing(red: redis.Redis) -> None:
    store = FailSafeTrackerStore(_tracker_store())
    tracker = await store.get_or_create_tracker(SENDER)
    store._tracker_store.red = _tracker_store(port=_closed_port()).red
    tracker.update(UserUttered("hej"))
    await store.save(tracker)
    assert store._fallback_tracker_store is None


async def test_lock_keys_expire_with_their_last_ticket(red: redis.Redis) -> None:
    config = EndpointConfig(
        url=HOST, type="x", port=PORT, db=DB, key_prefix="hrvguide", password=""
    )
    store = ExpiringRedisLockStore(config)
    async with store.lock(SENDER, lock_lifetime=30):
        ttl = red.ttl(f"hrvguide:lock:{SENDER}")
        assert 0 < ttl <= 30
    assert not red.exists(f"hrvguide:lock:{SENDER}")
    store.issue_ticket(SENDER, lock_lifetime=5)  # a ticket left behind by a killed Rasa
    assert 0 < red.ttl(f"hrvguide:lock:{SENDER}") <= 5


def test_message_text_is_hidden_in_rasa_logs() -> None:
    event = {"event": "rest.message.received.failure", "text": "mitt namn är Ayla"}
    assert logs.hide_content(None, "error", event)["text"] == logs.HIDDEN
    assert event["event"] == "rest.message.received.failure"


def test_a_logged_traceback_carries_no_local_variables() -> None:
    def handle(text: str) -> None:
        raise RuntimeError("lock")

    text = "mitt namn är " + "Ayla"  # the source line shown in the traceback is not the value
    try:
        handle(text)
    except RuntimeError:
        event = logs.hide_content(None, "error", {"event": "x", "exc_info": True})
    assert "exc_info" not in event
    assert "RuntimeError: lock" in event["exception"] and "är Ayla" not in event["exception"]
