"""`make drill DRILL_ARGS=--throughput`: messages/s through nginx with 2 gateways and 2 Rasa
replicas, then, in the same run, with one of each killed (1 and 1). On 2 cores every process
shares the same CPUs: the ratio shows what the second of each costs or gains there, not how the
layout scales on more machines."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import time
from collections import Counter

import httpx
import load
from drill_layouts import Layout
from drill_outcomes import OK, classify

from bot.ops.launcher import REPO_ROOT


async def throughput(url: str, seconds: float, concurrency: int, texts: list[str]) -> Counter[str]:
    """`concurrency` people writing back to back (a new session every 10 messages) for
    `seconds`: the outcome of every message answered in that time."""
    outcomes: Counter[str] = Counter()
    end = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:

        async def person(number: int) -> None:
            sent = number
            while time.monotonic() < end:
                try:
                    created = await http.post(f"{load.API}/sessions", json={"lang": "sv"})
                    if created.status_code != 201:
                        outcomes[classify(created, None)] += 1
                        await asyncio.sleep(0.5)
                        continue
                    session = created.json()
                    path = f"{load.API}/sessions/{session['session_id']}/messages"
                    headers = {"Authorization": f"Bearer {session['token']}"}
                    for _ in range(10):
                        sent += 1
                        body = {"text": texts[sent % len(texts)], "msg_id": secrets.token_hex(8)}
                        answer = await http.post(path, json=body, headers=headers)
                        if time.monotonic() < end:
                            outcomes[classify(answer, None)] += 1
                except httpx.HTTPError as error:
                    outcomes[classify(None, error)] += 1

        await asyncio.gather(*(person(n) for n in range(concurrency)))
    return outcomes


async def compare_throughput(layout: Layout, args: argparse.Namespace) -> list[str]:
    """Both sizes in one run: all processes, then one gateway and one Rasa killed."""
    texts = load.Corpus.load(REPO_ROOT / "tests/nlu").ordinary["sv"]
    await throughput(layout.url, args.warmup, args.concurrency, texts)  # not counted
    gateways = [n for n in layout.names() if n.startswith("gateway")]
    rasas = [n for n in layout.names() if n.startswith("rasa")]
    sizes: list[list[str]] = [[]]  # what to kill: nothing, then all but one of each
    if len(gateways) > 1 and len(rasas) > 1:
        sizes.append(gateways[1:] + rasas[1:])
    lines: list[str] = []
    rates: list[float] = []
    for to_kill in sizes:
        for name in to_kill:
            await asyncio.to_thread(layout.kill, name)
        if to_kill:
            await throughput(layout.url, 10, args.concurrency, texts)  # nginx and the ring notice
        outcomes = await throughput(layout.url, args.measure, args.concurrency, texts)
        size = (
            f"{len([n for n in gateways if n not in to_kill])} gateway(s) and "
            f"{len([n for n in rasas if n not in to_kill])} Rasa"
        )
        rates.append(outcomes[OK] / args.measure)
        lines.append(
            f"{size}: {rates[-1]:.1f} messages/s answered normally over {args.measure:g} s, "
            f"{args.concurrency} people writing back to back; outcomes {dict(outcomes)}; "
            f"1-min load average after it {os.getloadavg()[0]:.2f}"
        )
        print("  " + lines[-1], flush=True)
    if len(rates) == 2 and rates[1]:
        lines.append(f"ratio (2 and 2) / (1 and 1): {rates[0] / rates[1]:.2f}")
    return lines
