"""What the rate limits cost a message now that they count in Redis (bot/limits/rates.py).

Times, against a real Redis, in one process: a PING (one round trip, for scale); one limit check
allowed (one Lua call); a widget message's checks (the session's, then the client's: two round
trips, in that order on purpose, see bot/limits/abuse.py); the same two Lua calls pipelined (one
round trip: what dropping the order would save); a refusal (the check plus the call that says
when to retry); and how long a check takes to let the message through when Redis is down.

Usage: python scripts/limits_cost.py [--redis URL] [--n 2000]
(default redis://127.0.0.1:6379/12; only keys under `limitscost:` are written, and removed).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.limits.rates import ClientKeys, RateLimiter  # noqa: E402
from bot.ops.launcher import free_port  # noqa: E402
from bot.store import connect  # noqa: E402

PREFIX = "limitscost"


async def timed(n: int, step: Callable[[int], Awaitable[object]]) -> list[float]:
    """Milliseconds per call, after a warm-up."""
    for i in range(50):
        await step(-i - 1)
    out = []
    for i in range(n):
        start = time.perf_counter()
        await step(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def line(name: str, ms: list[float]) -> str:
    p = statistics.quantiles(ms, n=100)
    return f"{name:<44} p50 {p[49]:.3f} ms  p99 {p[98]:.3f} ms  mean {statistics.mean(ms):.3f} ms"


async def main(url: str, n: int) -> None:
    redis = connect(url)
    limiter = RateLimiter(redis, PREFIX)
    keys = ClientKeys(b"cost" * 8)
    # The library's own script, to time the two checks as one pipeline.
    script = limiter._strategy.storage.bridge.lua_acquire_moving_window  # type: ignore[attr-defined]

    async def ping(_: int) -> object:
        return await redis.ping()

    async def one_check(i: int) -> object:
        return await limiter.hit("session_messages", keys.of_session(str(i)), 20, 60)

    async def message(i: int) -> object:
        if await limiter.hit("session_messages", keys.of_session(str(i)), 20, 60) is None:
            return await limiter.hit("client_messages", keys.of_session("client"), 10**9, 60)
        return None

    async def pipelined(i: int) -> object:
        now = time.time()
        async with redis.pipeline(transaction=False) as pipe:
            for key, limit in ((f"s/{i}", 20), ("c", 10**9)):
                await script([f"{PREFIX}:limits:{key}"], [now, limit, 60, 1], client=pipe)
            return await pipe.execute()

    await limiter.hit("full", "x", 1, 60)

    async def refusal(_: int) -> object:
        return await limiter.hit("full", "x", 1, 60)

    try:
        for name, step in (
            ("PING (one round trip)", ping),
            ("one check, allowed", one_check),
            ("a message: session, then client (2 trips)", message),
            ("the same two, pipelined (1 trip)", pipelined),
            ("a refusal (check + when to retry)", refusal),
        ):
            print(line(name, await timed(n, step)))
        dead = connect(f"redis://127.0.0.1:{free_port()}/0")
        down = RateLimiter(dead, PREFIX)
        start = time.perf_counter()
        for i in range(20):
            assert await down.hit("session_messages", str(i), 20, 60) is None
        per = (time.perf_counter() - start) * 1000 / 20
        print(f"{'Redis down: a check lets the message through':<44} {per:.3f} ms each")
        await dead.aclose()
    finally:
        async for key in redis.scan_iter(f"{PREFIX}:*"):
            await redis.delete(key)
        await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the fail-open warnings of the last measurement
    asyncio.run(main(args.redis, args.n))
