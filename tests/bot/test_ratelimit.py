"""The in-memory limiter and the client key: counting, waiting, proxies, no address kept."""

from __future__ import annotations

from starlette.requests import Request

from bot.limits.rates import ClientKeys, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _request(peer: str, forwarded: list[str] | None = None) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded or []]
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_limit_refuses_the_next_hit_and_says_when_to_retry() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    assert [limiter.hit("k", 3, 60) for _ in range(3)] == [None, None, None]
    assert limiter.hit("k", 3, 60) == 60
    clock.now += 59
    assert limiter.hit("k", 3, 60) == 1
    clock.now += 1
    assert limiter.hit("k", 3, 60) is None  # the first hit left the window


def test_refused_hits_do_not_count_and_keys_are_separate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    limiter.hit("a", 1, 10)
    for _ in range(5):
        assert limiter.hit("a", 1, 10) is not None
    assert limiter.hit("b", 1, 10) is None
    clock.now += 10
    assert limiter.hit("a", 1, 10) is None


def test_old_keys_are_forgotten_when_memory_fills() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, max_keys=2)
    limiter.hit("a", 5, 10)
    limiter.hit("b", 5, 10)
    clock.now += 11
    limiter.hit("c", 5, 10)
    assert len(limiter) == 1


def test_client_key_is_a_keyed_hash_not_the_address() -> None:
    keys = ClientKeys(secret=b"s" * 32)
    key = keys.of(_request("203.0.113.7"))
    assert "203.0.113.7" not in key and len(key) == 32
    assert key == keys.of(_request("203.0.113.7"))
    assert key != keys.of(_request("203.0.113.8"))
    assert key != ClientKeys(secret=b"t" * 32).of(_request("203.0.113.7"))


def test_forwarded_for_is_ignored_without_trusted_proxies() -> None:
    keys = ClientKeys(secret=b"s" * 32)
    spoofed = _request("10.0.0.1", ["198.51.100.1"])
    assert keys.address_of(spoofed) == "10.0.0.1"


def test_behind_one_trusted_proxy_the_last_hop_is_the_client() -> None:
    keys = ClientKeys(trusted_proxy_hops=1, secret=b"s" * 32)
    # The client wrote 198.51.100.1 itself; the proxy appended the address it saw.
    request = _request("10.0.0.1", ["198.51.100.1, 203.0.113.9"])
    assert keys.address_of(request) == "203.0.113.9"
    assert keys.address_of(_request("10.0.0.1")) == "10.0.0.1"


def test_memory_stays_bounded_when_every_key_is_fresh() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, max_keys=3)
    for key in "abcdef":
        assert limiter.hit(key, 5, 60) is None
    assert len(limiter) == 3


def test_an_ipv6_client_counts_by_its_64_and_ipv4_by_its_address() -> None:
    keys = ClientKeys(secret=b"s" * 32)
    assert keys.of(_request("2001:db8:1:2::1")) == keys.of(_request("2001:db8:1:2:ffff::9"))
    assert keys.of(_request("2001:db8:1:2::1")) != keys.of(_request("2001:db8:1:3::1"))
    assert keys.of(_request("::ffff:203.0.113.7")) == keys.of(_request("203.0.113.7"))
    assert keys.of(_request("203.0.113.7")) != keys.of(_request("203.0.113.8"))
