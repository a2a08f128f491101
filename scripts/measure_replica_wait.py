"""What a handoff message costs to make safe across a failover: the latency of the message
write (Handoffs.post_from_person, the Lua step of bot/lua/handoff/post.lua) without and with
`WAIT 1 <timeout>` after it, on a real primary and replica started here on free ports.

    .venv/bin/python scripts/measure_replica_wait.py [--writes 1000] [--concurrency 1]

The two variants alternate in blocks of 100 writes, so a neighbour's load on the machine falls
on both alike. Prints p50/p95/p99 in milliseconds and how many writes the replica did not
confirm in time.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.handoff.service import Handoffs
from bot.ops.launcher import free_port
from bot.store import Keys, ReplicationUnconfirmed, ReplicaWait, connect

BLOCK = 100
TTL = 600


def start_pair(folder: Path) -> tuple[list[subprocess.Popen[bytes]], int]:
    """A primary (AOF, fsync every second, as in production) and its replica; the primary's port."""
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    primary, replica = free_port(), free_port()
    processes = []
    for name, port in (("primary", primary), ("replica", replica)):
        data = folder / name
        data.mkdir()
        args = [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data)]
        args += ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec"]
        if name == "replica":
            args += ["--replicaof", "127.0.0.1", str(primary)]
        processes.append(subprocess.Popen(args, stdout=subprocess.DEVNULL))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if redis.Redis(port=replica).info("replication")["master_link_status"] == "up":
                return processes, primary
        except redis.RedisError:
            pass
        time.sleep(0.05)
    raise SystemExit("the replica did not sync within 10 s")


async def open_handoff(handoffs: Handoffs, client: redis.asyncio.Redis, keys: Keys) -> tuple:
    session_id = secrets.token_hex(16)
    await client.hset(keys.session(session_id), mapping={"lang": "sv", "handoff": ""})
    await client.expire(keys.session(session_id), TTL)
    enqueued = await handoffs.enqueue(session_id, "asked_for_human", "sv", "widget")
    return enqueued.handoff_id, session_id


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(port: int, writes: int, concurrency: int, timeout_ms: int) -> None:
    client = connect(f"redis://127.0.0.1:{port}/0")
    keys = Keys("hrvmeasure", "hrvmeasure")
    variants = {
        "no WAIT": ReplicaWait(0),
        f"WAIT 1 {timeout_ms}": ReplicaWait(1, timeout_ms),
    }
    handoffs = {
        name: Handoffs(client, keys, TTL, replica_wait=wait, stream_maxlen=100_000)
        for name, wait in variants.items()
    }
    targets = {name: await open_handoff(h, client, keys) for name, h in handoffs.items()}
    latencies: dict[str, list[float]] = {name: [] for name in variants}
    unconfirmed = dict.fromkeys(variants, 0)

    async def one(name: str) -> None:
        handoff_id, session_id = targets[name]
        started = time.perf_counter()
        try:
            await handoffs[name].post_from_person(
                handoff_id, session_id, "ett meddelande", secrets.token_hex(8), []
            )
        except ReplicationUnconfirmed:
            unconfirmed[name] += 1
        latencies[name].append((time.perf_counter() - started) * 1000)

    for name in variants:  # warm up: scripts loaded, connections open
        await asyncio.gather(*(one(name) for _ in range(concurrency)))
        latencies[name].clear()
    done = 0
    while done < writes:
        for name in variants:
            for _ in range(0, BLOCK, concurrency):
                await asyncio.gather(*(one(name) for _ in range(concurrency)))
        done += BLOCK
    print(f"{writes} handoff message writes per variant, {concurrency} at a time")
    for name, values in latencies.items():
        print(
            f"  {name:>12}: p50 {percentile(values, 0.5):.2f} ms  p95 "
            f"{percentile(values, 0.95):.2f} ms  p99 {percentile(values, 0.99):.2f} ms  "
            f"unconfirmed {unconfirmed[name]}"
        )
    await client.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--timeout-ms", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        processes, port = start_pair(Path(folder))
        try:
            asyncio.run(measure(port, args.writes, args.concurrency, args.timeout_ms))
        finally:
            for process in processes:
                process.kill()
                process.wait(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
