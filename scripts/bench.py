"""`make bench`: latency and throughput of the whole gateway, of Rasa's REST webhook on the same
model, and of Rasa with `rasa init`'s default config trained on the same data, in one run.

Prints p50/p95 reply latency and messages/s for 1 and 20 concurrent anonymous sessions, and the
resident memory of all the service's processes together. Traffic goes to 127.0.0.1 only. The
targets take turns in rounds (`--rounds`), so a machine whose speed drifts during the run (other
work, a slower hour) weighs on each of them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.config import Settings
from bot.ops.launcher import LOAD_RUN_LIMITS, REPO_ROOT, Stack, free_port

# Each message with its language: the gateway finds the language itself and sends it to Rasa
# as the message's metadata, so the Rasa rows get the same metadata (Rasa spends about 2 ms more
# on a message that carries it: the cost is Rasa's, not the gateway's).
MESSAGES = [
    ("hej", "sv"),
    ("vad är hedersrelaterat våld och förtryck", "sv"),
    ("min bror kollar min telefon hela tiden", "sv"),
    ("jag får inte träffa mina kompisar efter skolan", "sv"),
    ("jag bor i Borås", "sv"),
    ("är det här anonymt?", "sv"),
    ("hello", "en"),
    ("what is honour based violence", "en"),
    ("my parents want me to marry my cousin", "en"),
    ("I live in Gothenburg", "en"),
    ("how do I make a report to social services as a teacher", "en"),
    ("tack", "sv"),
]
# Messages per conversation: real chats are short, and Rasa's Redis tracker store rewrites the
# whole history on every message, so one endless conversation would measure that instead.
CONVERSATION_LENGTH = 8
GATEWAY = "gateway (whole path)"
OUR_RASA = "rasa webhook, our config"
DEFAULT_RASA = "rasa webhook, default config"


@dataclass
class Result:
    """One target at one concurrency."""

    target: str
    clients: int
    latencies: list[float]
    seconds: float
    errors: int

    @classmethod
    def merged(cls, parts: list[Result]) -> Result:
        """One row of several rounds of the same target and concurrency."""
        return cls(
            parts[0].target,
            parts[0].clients,
            [latency for part in parts for latency in part.latencies],
            sum(part.seconds for part in parts),
            sum(part.errors for part in parts),
        )

    def row(self) -> str:
        """A table row: p50/p95 in ms and messages per second."""
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) * 1000
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000
        rate = len(ordered) / self.seconds
        return (
            f"{self.target:<28} {self.clients:>7} {len(ordered):>6} {p50:>8.1f} {p95:>8.1f}"
            f" {rate:>8.1f} {self.errors:>6}"
        )


async def _gateway_client(http: httpx.AsyncClient, base: str, count: int, out: list[float]) -> int:
    errors = 0
    url, headers = "", {}
    for i in range(count):
        if i % CONVERSATION_LENGTH == 0 or not url:
            created = await http.post(f"{base}/api/v1/sessions")
            if created.status_code != 201:  # refused: counted, never a crash of the whole run
                errors += 1
                url = ""
                continue
            session = created.json()
            url = f"{base}/api/v1/sessions/{session['session_id']}/messages"
            headers = {"Authorization": f"Bearer {session['token']}"}
        start = time.perf_counter()
        text, _ = MESSAGES[i % len(MESSAGES)]
        response = await http.post(url, json={"text": text}, headers=headers)
        out.append(time.perf_counter() - start)
        errors += response.status_code != 200
    return errors


async def _rasa_client(http: httpx.AsyncClient, base: str, count: int, out: list[float]) -> int:
    errors = 0
    for i in range(count):
        if i % CONVERSATION_LENGTH == 0:
            sender = secrets.token_urlsafe(16)
        text, lang = MESSAGES[i % len(MESSAGES)]
        body = {"sender": sender, "message": text, "metadata": {"lang": lang}}
        start = time.perf_counter()
        response = await http.post(f"{base}/webhooks/rest/webhook", json=body)
        out.append(time.perf_counter() - start)
        errors += response.status_code != 200
    return errors


async def measure(target: str, base: str, clients: int, per_client: int, kind: str) -> Result:
    """Run `clients` concurrent conversations of `per_client` messages each."""
    runner = _gateway_client if kind == "gateway" else _rasa_client
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients + 5)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        await runner(http, base, 3, [])  # warm-up
        start = time.perf_counter()
        errors = await asyncio.gather(
            *(runner(http, base, per_client, latencies) for _ in range(clients))
        )
        seconds = time.perf_counter() - start
    return Result(target, clients, latencies, seconds, sum(errors))


def resident_mb(pids: list[int]) -> float:
    """Resident memory of these processes and all their children, in MB."""
    total_kb = 0
    seen: set[int] = set()
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total_kb += int(
                next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
            )
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            todo.extend(int(child) for child in children)
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
    return total_kb / 1024


def start_default_rasa(stack: Stack, model: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A second Rasa server with the default-config model, run exactly like ours."""
    port = free_port()
    env = dict(os.environ, **stack.env)
    log = (stack.log_dir / "rasa-default.log").open("wb")
    process = subprocess.Popen(
        [
            str(stack.rasa_venv / "bin/rasa"),
            "run",
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--model",
            str(model),
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if (
                httpx.get(f"{url}/", timeout=2).status_code == 200
                and httpx.post(
                    f"{url}/webhooks/rest/webhook",
                    json={"sender": "warm", "message": "hej"},
                    timeout=30,
                ).status_code
                == 200
            ):
                return process, url
        except httpx.HTTPError:
            time.sleep(1)
    process.kill()
    raise RuntimeError("the default-config Rasa did not start; see its log")


def main() -> None:
    """Start the stack and the baseline, measure each, print one table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=200, help="messages per concurrency level")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="rounds per concurrency, the targets taking turns, so that a machine that slows"
        " down or speeds up during the run weighs on each target alike",
    )
    parser.add_argument(
        "--default-model", type=Path, default=REPO_ROOT / "models/default-config.tar.gz"
    )
    parser.add_argument(
        "--without-default-config",
        action="store_true",
        help="leave out the default-config Rasa (its model takes long to train)",
    )
    args = parser.parse_args()

    os.environ.update(LOAD_RUN_LIMITS)  # the stack's processes inherit them
    settings = Settings(port=free_port(), rasa_port=free_port(), actions_port=free_port())
    stack = Stack(settings, log_dir=REPO_ROOT / ".run" / "bench")
    stack.start()
    baseline = None
    try:
        idle_mb = resident_mb([p.pid for p in stack.processes.values()])
        targets = [(GATEWAY, stack.gateway_url, "gateway"), (OUR_RASA, stack.rasa_url, "rasa")]
        if not args.without_default_config:
            baseline, default_url = start_default_rasa(stack, args.default_model)
            targets.append((DEFAULT_RASA, default_url, "rasa"))
        # Unmeasured: Rasa's first messages of each length trace TensorFlow's graph anew, and
        # the target that ran first would pay for that.
        for _, base, kind in targets:
            asyncio.run(measure("warm-up", base, 1, 2 * len(MESSAGES), kind))
        results: list[Result] = []
        for clients in (1, 20):
            per_round = max(1, args.messages // clients // args.rounds)
            rounds: dict[str, list[Result]] = {target: [] for target, _, _ in targets}
            for _ in range(args.rounds):
                for target, base, kind in targets:
                    rounds[target].append(
                        asyncio.run(measure(target, base, clients, per_round, kind))
                    )
            results += [Result.merged(parts) for parts in rounds.values()]
        loaded_mb = resident_mb([p.pid for p in stack.processes.values()])
        print(f"\n{'target':<28} {'clients':>7} {'msgs':>6} {'p50 ms':>8} {'p95 ms':>8}", end="")
        print(f" {'msg/s':>8} {'errors':>6}")
        for result in results:
            print(result.row())
        rate = {(r.target, r.clients): len(r.latencies) / r.seconds for r in results}
        for clients in (1, 20):
            cost = 1 - rate[(GATEWAY, clients)] / rate[(OUR_RASA, clients)]
            print(
                f"the gateway costs {cost:.0%} of our Rasa webhook's messages/s"
                f" at {clients} client(s)"
            )
            if (DEFAULT_RASA, clients) in rate:
                ratio = rate[(GATEWAY, clients)] / rate[(DEFAULT_RASA, clients)]
                print(
                    f"gateway vs default-config Rasa at {clients} client(s):"
                    f" {ratio:.1f}x messages/s"
                )
        print(
            f"resident memory of the service (gateway, Rasa, actions, Redis if embedded): "
            f"{idle_mb:.0f} MB after start, {loaded_mb:.0f} MB after the run"
        )
    finally:
        if baseline is not None:
            baseline.kill()
        stack.stop()


if __name__ == "__main__":
    main()
