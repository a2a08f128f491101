"""The Redis limiter and the client key: counting, waiting, expiry, proxies, a shared daily key,
and what happens when Redis cannot be reached."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
import redis
from redis.asyncio import Redis
from starlette.requests import Request

from bot.limits.rates import DAY, ClientKeys, RateLimiter
from bot.ops.launcher import free_port
from bot.store import connect
from tests.bot.conftest import FakeClock

pytestmark = pytest.mark.unit


def _request(peer: str, forwarded: list[str] | None = None) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded or []]
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


@pytest.fixture
async def gateway_redis(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[Redis]:
    """The gateway's kind of client on the (flushed) test database."""
    client = connect(redis_url)
    yield client
    await client.aclose()


async def test_limit_refuses_the_next_hit_and_says_when_to_retry(gateway_redis, clock):
    limiter = RateLimiter(gateway_redis, "hrv", clock)
    for _ in range(3):
        assert await limiter.hit("messages", "a", 3, 60) is None
    clock.advance(59)
    assert await limiter.hit("messages", "a", 3, 60) == 1
    clock.advance(1.01)  # the window's first hit is now older than the window
    assert await limiter.hit("messages", "a", 3, 60) is None


async def test_refused_hits_do_not_count_and_keys_are_separate(gateway_redis, clock):
    limiter = RateLimiter(gateway_redis, "hrv", clock)
    assert await limiter.hit("messages", "a", 1, 10) is None
    for _ in range(5):
        assert await limiter.hit("messages", "a", 1, 10) == 10
    assert await limiter.hit("messages", "b", 1, 10) is None
    assert await limiter.hit("sessions", "a", 1, 10) is None  # another kind, another count
    clock.advance(10.01)
    assert await limiter.hit("messages", "a", 1, 10) is None


async def test_two_limiters_on_one_redis_share_the_count(redis_url, redis_client, clock):
    first, second = connect(redis_url), connect(redis_url)
    try:
        one, other = (
            RateLimiter(first, "hrv", clock),
            RateLimiter(second, "hrv", clock),
        )
        assert await one.hit("messages", "a", 2, 60) is None
        assert await other.hit("messages", "a", 2, 60) is None
        assert await one.hit("messages", "a", 2, 60) is not None
        assert await other.hit("messages", "a", 2, 60) is not None
    finally:
        await first.aclose()
        await second.aclose()


async def test_every_key_is_under_the_prefix_and_expires_with_its_window(
    gateway_redis, redis_client
):
    limiter = RateLimiter(gateway_redis, "hrvtest")
    await limiter.hit("messages", "a", 5, 60)
    await limiter.hit("sessions", "b", 5, 3600)
    for _ in range(3):
        await limiter.hit("told", "c", 1, 60)
    keys = redis_client.keys("*")
    assert len(keys) == 3
    for key in keys:
        assert key.startswith("hrvtest:limits:"), key
        window = 3600 if ":sessions:" in key else 60
        assert 0 < redis_client.ttl(key) <= window, key


async def test_redis_down_lets_every_event_through_and_says_so(caplog):
    caplog.set_level(logging.WARNING)
    dead = connect(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    try:
        limiter = RateLimiter(dead, "hrv")
        for _ in range(3):
            assert await limiter.hit("messages", "a", 1, 60) is None
    finally:
        await dead.aclose()
    assert "rate_limit_unavailable kind=messages error=ConnectionError" in caplog.text


def test_client_key_is_a_keyed_hash_not_the_address() -> None:
    keys = ClientKeys(b"s" * 32)
    key = keys.of(_request("203.0.113.7"))
    assert "203.0.113.7" not in key and len(key) == 32
    assert key == keys.of(_request("203.0.113.7"))
    assert key != keys.of(_request("203.0.113.8"))
    assert key != ClientKeys(b"t" * 32).of(_request("203.0.113.7"))


def test_gateways_with_one_secret_agree_and_the_key_changes_every_day() -> None:
    clock = FakeClock(now=100 * DAY + 10)
    one, other = ClientKeys(b"s" * 32, clock=clock), ClientKeys(b"s" * 32, clock=clock)
    today = one.of(_request("203.0.113.7"))
    assert today == other.of(_request("203.0.113.7"))
    clock.advance(DAY - 20)  # still the same UTC day
    assert one.of(_request("203.0.113.7")) == today
    clock.advance(20)
    tomorrow = one.of(_request("203.0.113.7"))
    assert tomorrow != today and tomorrow == other.of(_request("203.0.113.7"))


def test_a_session_key_is_a_keyed_hash_of_its_id() -> None:
    keys = ClientKeys(b"s" * 32)
    key = keys.of_session("tg-abc123")
    assert "abc123" not in key and len(key) == 32
    assert key == ClientKeys(b"s" * 32).of_session("tg-abc123")
    assert key != keys.of_session("tg-abc124")


def test_forwarded_for_is_ignored_without_trusted_proxies() -> None:
    keys = ClientKeys(b"s" * 32)
    spoofed = _request("10.0.0.1", ["198.51.100.1"])
    assert keys.address_of(spoofed) == "10.0.0.1"


def test_behind_one_trusted_proxy_the_last_hop_is_the_client() -> None:
    keys = ClientKeys(b"s" * 32, trusted_proxy_hops=1)
    # The client wrote 198.51.100.1 itself; the proxy appended the address it saw.
    request = _request("10.0.0.1", ["198.51.100.1, 203.0.113.9"])
    assert keys.address_of(request) == "203.0.113.9"
    assert keys.address_of(_request("10.0.0.1")) == "10.0.0.1"


def test_an_ipv6_client_counts_by_its_64_and_ipv4_by_its_address() -> None:
    keys = ClientKeys(b"s" * 32)
    assert keys.of(_request("2001:db8:1:2::1")) == keys.of(_request("2001:db8:1:2:ffff::9"))
    assert keys.of(_request("2001:db8:1:2::1")) != keys.of(_request("2001:db8:1:3::1"))
    assert keys.of(_request("::ffff:203.0.113.7")) == keys.of(_request("203.0.113.7"))
    assert keys.of(_request("203.0.113.7")) != keys.of(_request("203.0.113.8"))
