"""What the rate limits cost a message (bot/limits/rates.py, bot/lua/sessions/authenticate.lua).

Times, against a real Redis, in one process: a PING (one round trip, for scale); one limit check
on its own (one Lua call, as for a new session); a widget message's session read without limits
and with the session's and the client's limits counted in the same script (what a message pays
for its limits); a refusal; and how long a check on its own takes to let an event through when
Redis is down.

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

from bot.conversation.sessions import SessionStore  # noqa: E402
from bot.limits.rates import ClientKeys, RateLimiter  # noqa: E402
from bot.ops.launcher import free_port  # noqa: E402
from bot.store import Keys, connect  # noqa: E402

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
    sessions = SessionStore(redis, Keys(PREFIX, f"{PREFIX}:tracker"), 600)
    session_id, token = await sessions.create("sv")

    async def ping(_: int) -> object:
        return await redis.ping()

    async def one_check(i: int) -> object:
        return await limiter.hit("session_messages", keys.of_session(str(i)), 20, 60)

    async def read_alone(_: int) -> object:
        return await sessions.admit(session_id, token)

    async def read_with_limits(i: int) -> object:
        limits = [
            limiter.window("session_messages", keys.of_session(str(i)), 20, 60),
            limiter.window("client_messages", "client", 10**9, 60),
        ]
        return await sessions.admit(session_id, token, limits)

    await limiter.hit("full", "x", 1, 60)

    async def refusal(_: int) -> object:
        return await limiter.hit("full", "x", 1, 60)

    try:
        for name, step in (
            ("PING (one round trip)", ping),
            ("one check on its own, allowed", one_check),
            ("a message's session read, no limits", read_alone),
            ("the same read counting both limits", read_with_limits),
            ("a refusal", refusal),
        ):
            print(line(name, await timed(n, step)))
        dead = connect(f"redis://127.0.0.1:{free_port()}/0")
        down = RateLimiter(dead, PREFIX)
        start = time.perf_counter()
        for i in range(20):
            assert await down.hit("session_messages", str(i), 20, 60) is None
        per = (time.perf_counter() - start) * 1000 / 20
        print(f"{'Redis down: a check lets the event through':<44} {per:.3f} ms each")
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
