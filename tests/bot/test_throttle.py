"""The staff sign-in gates (bot/staff/throttle.py) count in Redis: two gateways share a client's
attempts and everyone's, and a Redis they cannot reach refuses no one by itself."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis
from redis.asyncio import Redis

from bot.config import Settings
from bot.errors import TooManyRequests
from bot.ops.launcher import free_port
from bot.staff.throttle import SignInThrottle
from bot.store import connect

pytestmark = pytest.mark.unit


@pytest.fixture
async def two_gateways(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[list[Redis]]:
    """Two clients on the (flushed) test database, as two gateway processes have."""
    clients = [connect(redis_url), connect(redis_url)]
    yield clients
    for client in clients:
        await client.aclose()


def _settings(**changes: int) -> Settings:
    return Settings(environment="test").model_copy(update=changes)


async def test_a_client_attempts_are_counted_once_across_gateways(two_gateways, redis_client):
    settings = _settings(staff_login_client_attempts=3, staff_login_global_per_minute=100)
    one, other = (SignInThrottle.from_settings(r, settings) for r in two_gateways)
    await one.admit("client-a")
    await other.admit("client-a")
    await one.admit("client-a")
    with pytest.raises(TooManyRequests) as refused:
        await other.admit("client-a")
    assert 0 < refused.value.retry_after_seconds <= settings.staff_login_client_window_seconds
    await other.admit("client-b")  # another client is not held back
    for key in redis_client.keys("*"):
        assert key.startswith("hrv:limits:"), key
        assert 0 < redis_client.ttl(key) <= settings.staff_login_client_window_seconds


async def test_everyone_together_is_counted_once_across_gateways(two_gateways):
    settings = _settings(staff_login_client_attempts=100, staff_login_global_per_minute=2)
    one, other = (SignInThrottle.from_settings(r, settings) for r in two_gateways)
    await one.admit("client-a")
    await other.admit("client-b")
    with pytest.raises(TooManyRequests):
        await one.admit("client-c")


async def test_without_redis_the_gates_let_attempts_through():
    dead = connect(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    try:
        throttle = SignInThrottle.from_settings(dead, _settings(staff_login_client_attempts=1))
        for _ in range(3):
            await throttle.admit("client-a")  # the sign-in itself then fails on Redis
    finally:
        await dead.aclose()
