"""Rasa's stores through real sentinels (as endpoints.yml configures them when
HRV_RASA_REDIS_SENTINELS is set): after the primary is SIGKILLed, the same store objects save
trackers and locks on the promoted replica within seconds, without a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rasa.core.lock import TicketLock
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.utils.endpoints import EndpointConfig

from rasa_plugins.stores import ExpiringRedisLockStore, StrictRedisTrackerStore
from tests.redis_sentinel import SERVICE, SentinelLayout, sentinel_layout

pytestmark = pytest.mark.e2e

SENDER = "fedcba9876543210fedcba9876543210"
DB = 1
RECOVERY_BOUND_SECONDS = 15


@pytest.fixture
def layout(tmp_path: Path) -> Iterator[SentinelLayout]:
    with sentinel_layout(tmp_path) as running:
        yield running


def _on_primary(layout: SentinelLayout) -> redis.Redis:
    return redis.Redis(port=layout.primary_port(), db=DB, decode_responses=True)


async def test_rasas_stores_reach_the_new_primary_after_a_failover(layout: SentinelLayout) -> None:
    # What endpoints.yml gives when sentinels are set: the host and port are not used then.
    options = {"db": DB, "sentinels": layout.sentinels, "sentinel_service": SERVICE}
    store = StrictRedisTrackerStore(
        Domain.empty(), host="127.0.0.1", port=1, key_prefix="hrvguide", record_exp=120, **options
    )
    locks = ExpiringRedisLockStore(
        EndpointConfig(url="127.0.0.1", port=1, key_prefix="hrvguide", **options)
    )
    tracker = await store.get_or_create_tracker(SENDER)
    tracker.update(UserUttered("före"))
    await store.save(tracker)
    assert _on_primary(layout).exists(f"hrvguide:tracker:{SENDER}")

    old = layout.kill_primary()
    killed_at = time.monotonic()
    # A failed save is dropped by design (the gateway then answers with its safe reply): the
    # store is back when a save reaches the new primary.
    while True:
        tracker = await store.get_or_create_tracker(SENDER)
        tracker.update(UserUttered("efter"))
        await store.save(tracker)
        if layout.primary_port() != old:
            stored = _on_primary(layout).get(f"hrvguide:tracker:{SENDER}")
            if stored and "efter" in stored:
                break
        assert time.monotonic() - killed_at < RECOVERY_BOUND_SECONDS
        time.sleep(0.2)
    # The lock store (which raises on errors) works on the new primary too, keys expiring.
    lock = TicketLock(SENDER)
    lock.issue_ticket(30)
    locks.save_lock(lock)
    assert 0 < _on_primary(layout).ttl(locks.key_prefix + SENDER) <= 31
    print(f"recovered after {time.monotonic() - killed_at:.1f} s")
