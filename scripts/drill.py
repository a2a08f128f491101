"""`make drill`: the failure drill. A load of people and staff consoles (scripts/load.py's
scenario) runs while a gateway, a Rasa replica, an action server and the Redis primary are
killed (SIGKILL) one after another and brought back; per fault it prints the requests that
failed by kind, how long until every answer was normal again, messages lost in either direction
of a handoff, acknowledged person messages missing from the stored transcript, danger messages
answered without 112, and keys left without expiry. `--throughput` instead measures messages/s
through nginx with 2 gateways and 2 Rasa replicas, then with 1 and 1, in the same run.

Why scripts/load.py and not locust: the drill's bar is about what got lost, and load.py already
follows each person through a handoff with a staff console and keeps the ledger (sent, seen,
stored transcript, delivered on the live feed) that proves it; locust would count requests and
leave that ledger to be written again, in a second tool.

Longer than our 400 lines on purpose: one run's account (the schedule of faults, each phase's
share of the ledger, the bar and the table) reads best in one file; the parts with a job of their
own are apart: the layouts (drill_layouts.py), the kinds of outcome (drill_outcomes.py), the
throughput (drill_throughput.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling modules, when imported

import load
from drill_layouts import Layout, first, keys_without_expiry, make_layout
from drill_outcomes import (
    ACCEPTED,
    CLIENT_4XX,
    CONNECTION,
    FAILED,
    FALLBACK,
    OK,
    OTHER_5XX,
    SAFE_503,
    TIMEOUT,
    classify,
    describe,
)

from bot.ops.launcher import LOAD_RUN_LIMITS, REPO_ROOT


@dataclass
class DrillStats(load.Stats):
    """load.py's ledger, plus when and how each request ended."""

    person: list[tuple[float, str]] = field(default_factory=list)
    # What each failure outside the accepted kinds was: "502 POST messages", "ReadTimeout GET ..."
    unexpected: list[tuple[float, str]] = field(default_factory=list)
    staff: list[tuple[float, str]] = field(default_factory=list)
    streams_cut: list[float] = field(default_factory=list)

    def count(
        self,
        response: httpx.Response | None,
        error: Exception | None = None,
        stream: bool = False,
    ) -> None:
        super().count(response, error, stream)
        if stream:
            self.streams_cut.append(time.monotonic())
        else:
            kind = classify(response, error)
            self.person.append((time.monotonic(), kind))
            if kind in FAILED and kind not in ACCEPTED:
                self.unexpected.append((time.monotonic(), describe(response, error)))


class DrillStaff(load.Staff):
    """A staff console whose every request's outcome is timed too."""

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        stats = self.stats
        assert isinstance(stats, DrillStats)
        try:
            response = await self.http.request(
                method, f"{self.base}{load.API}{path}", headers=self.headers, **kwargs
            )
        except httpx.HTTPError as error:
            stats.staff_statuses[type(error).__name__] += 1
            stats.staff.append((time.monotonic(), classify(None, error)))
            return None
        stats.staff_statuses[str(response.status_code)] += 1
        if response.status_code >= 300:  # as load.Staff.call counts them
            operation = f"{method} {path.split('?')[0].rsplit('/', 1)[-1]}"
            stats.staff_refusals[f"{response.status_code} {operation}"] += 1
        kind = classify(response, None)
        stats.staff.append((time.monotonic(), kind))
        if kind in FAILED and kind not in ACCEPTED and kind != CLIENT_4XX:
            stats.unexpected.append((time.monotonic(), "staff " + describe(response, None)))
        return response


@dataclass(frozen=True)
class Fault:
    """What to kill: a description and how to find its process in the layout."""

    description: str
    kind: str  # "gateway", "rasa", "actions" or "redis primary"

    def name(self, layout: Layout) -> str:
        return layout.primary() if self.kind == "redis primary" else first(layout, self.kind)


FAULTS = {
    "gateway": Fault("a gateway", "gateway"),
    "rasa": Fault("a Rasa replica", "rasa"),
    "actions": Fault("an action server", "actions"),
    "redis": Fault("the Redis primary", "redis primary"),
}


@dataclass
class Phase:
    """One fault (or the quiet before the first), from its kill to the next one's."""

    description: str
    name: str = ""
    start: float = 0.0
    end: float = float("inf")
    back_after: float | None = None  # seconds from the kill until the process answered again
    failover_after: float | None = None  # seconds until the sentinels named another primary
    failover_missing: bool = False
    danger_at_start: tuple[int, int] = (0, 0)  # (sent, without 112) when the phase began
    danger_at_end: tuple[int, int] = (0, 0)
    keys_without_expiry: dict[str, int] = field(default_factory=dict)

    def holds(self, at: float) -> bool:
        return self.start <= at < self.end


def danger_marks(stats: DrillStats) -> tuple[int, int]:
    return stats.danger_sent, len(stats.danger_without_112)


async def run_faults(
    layout: Layout, faults: list[Fault], stats: DrillStats, args: argparse.Namespace
) -> list[Phase]:
    """The quiet warm-up, then each fault: kill, wait `--down` s (as a restart policy would),
    bring back, let it settle until its slot is over; the keys are scanned at each phase's end."""
    start = time.monotonic()
    phases = [Phase("none (before the faults)", start=start, danger_at_start=danger_marks(stats))]
    await asyncio.sleep(args.warmup)
    for fault in faults:
        name = await asyncio.to_thread(fault.name, layout)
        phases[-1].keys_without_expiry = await scan(layout)
        killed = time.monotonic()
        phases[-1].end, phases[-1].danger_at_end = killed, danger_marks(stats)
        phase = Phase(fault.description, name, killed, danger_at_start=danger_marks(stats))
        phases.append(phase)
        print(f"  {killed - start:5.0f} s: kill -9 {name} ({fault.description})", flush=True)
        await asyncio.to_thread(layout.kill, name)
        if fault.kind == "redis primary" and len(redis_servers(layout)) > 1:
            # Not back before the sentinels have failed over: that is the fault to survive.
            phase.failover_after = await failover(layout, name, killed, args.restart_timeout)
            phase.failover_missing = phase.failover_after is None
            print(f"  {time.monotonic() - start:5.0f} s: {layout.primary()} primary", flush=True)
        await asyncio.sleep(args.down)
        await asyncio.to_thread(layout.restart, name, args.restart_timeout)
        phase.back_after = time.monotonic() - killed
        print(f"  {time.monotonic() - start:5.0f} s: {name} back", flush=True)
        await asyncio.sleep(max(args.settle, killed + args.slot - time.monotonic()))
    return phases


def redis_servers(layout: Layout) -> list[str]:
    return [name for name in layout.names() if name.split("-")[0] == "redis"]


async def failover(layout: Layout, old: str, killed: float, timeout: float) -> float | None:
    """Seconds from the kill until the sentinels name another primary (None: not in time)."""
    while time.monotonic() - killed < timeout:
        try:
            if await asyncio.to_thread(layout.primary) != old:
                return time.monotonic() - killed
        except Exception:  # no sentinel answering yet is the same as no failover yet
            pass
        await asyncio.sleep(0.2)
    return None


async def scan(layout: Layout) -> dict[str, int]:
    def read() -> dict[str, int]:
        client = layout.redis()
        try:
            return keys_without_expiry(client)
        finally:
            client.close()

    return await asyncio.to_thread(read)


async def drill(
    layout: Layout, faults: list[Fault], args: argparse.Namespace
) -> tuple[list[Result], DrillStats]:
    """The load and the faults together; the last phase ends when the load has drained."""
    stats = DrillStats()
    args.duration = args.warmup + len(faults) * args.slot + args.tail - args.ramp
    redis = layout.async_redis()
    try:
        loading = asyncio.create_task(
            load.run(args, layout.url, layout, stats, DrillStaff, redis)  # type: ignore[arg-type]
        )
        phases = await run_faults(layout, faults, stats, args)
        await loading
    finally:
        await redis.aclose()
    phases[-1].end, phases[-1].danger_at_end = time.monotonic(), danger_marks(stats)
    phases[-1].keys_without_expiry = await scan(layout)
    print(f"  {phases[-1].end - phases[0].start:5.0f} s: load drained, drill over", flush=True)
    return [summarise(phase, stats) for phase in phases], stats


@dataclass
class Result:
    """One row of the table."""

    phase: Phase
    failed: Counter[str]
    fallback: int
    staff_failed: Counter[str]
    streams_cut: int
    recovered_after: float | None  # None: answers were not all normal by the phase's end
    lost_to_staff: int
    lost_to_person: int
    acknowledged_lost: int
    danger: int
    danger_without_112: int
    unexpected: Counter[str]
    timeline: str  # when the answers were not normal, in seconds after the kill


def summarise(phase: Phase, stats: DrillStats) -> Result:
    person = [(at, kind) for at, kind in stats.person if phase.holds(at)]
    staff = [(at, kind) for at, kind in stats.staff if phase.holds(at)]
    failed = Counter(kind for _, kind in person if kind != OK and kind != FALLBACK)
    staff_failed = Counter(kind for _, kind in staff if kind in FAILED and kind != CLIENT_4XX)
    # A staff member's 404 or 409 is the chat having ended meanwhile: not a failure.
    abnormal = [at for at, kind in person if kind != OK]
    abnormal += [at for at, kind in staff if kind in staff_failed]
    normal_after = [at for at, kind in person if kind == OK and at > max(abnormal, default=0)]
    if not abnormal:
        recovered: float | None = 0.0
    elif normal_after:
        recovered = max(abnormal) - phase.start
    else:
        recovered = None
    sent_to_staff = {
        k: n for k, n in stats.to_staff_sent.items() if phase.holds(stats.to_staff_sent_at[k])
    }
    lost_to_staff = sum(max(0, n - stats.to_staff_seen[k]) for k, n in sent_to_staff.items())
    acknowledged = sum(
        max(0, n - stats.transcript[k])
        for k, n in sent_to_staff.items()
        if k[0] in stats.transcripts_read
    )
    lost_to_person = sum(
        1
        for text, (handoff_id, at) in stats.to_person_sent.items()
        if phase.holds(at) and handoff_id in stats.readers and text not in stats.to_person_received
    )
    return Result(
        phase,
        failed,
        sum(1 for _, kind in person if kind == FALLBACK),
        staff_failed,
        sum(1 for at in stats.streams_cut if phase.holds(at)),
        recovered,
        lost_to_staff,
        lost_to_person,
        acknowledged,
        phase.danger_at_end[0] - phase.danger_at_start[0],
        phase.danger_at_end[1] - phase.danger_at_start[1],
        Counter(what for at, what in stats.unexpected if phase.holds(at)),
        timeline(phase, [(at, kind) for at, kind in person if kind != OK]),
    )


def timeline(phase: Phase, abnormal: list[tuple[float, str]]) -> str:
    """ "0-6 s: 503 safe reply x25; 25-28 s: 200 safe reply x2": runs of abnormal answers with
    gaps under 2 s joined, so a second bad moment (a Redis rejoining) shows apart."""
    spans: list[tuple[float, float, Counter[str]]] = []
    for at, kind in sorted(abnormal):
        offset = at - phase.start
        if spans and offset - spans[-1][1] < 2:
            spans[-1] = (spans[-1][0], offset, spans[-1][2] + Counter([kind]))
        else:
            spans.append((offset, offset, Counter([kind])))
    return "; ".join(
        f"{begin:.0f}-{end:.0f} s: " + ", ".join(f"{k} x{n}" for k, n in kinds.items())
        for begin, end, kinds in spans
    )


def shortfalls(results: list[Result]) -> list[str]:
    """Where the run misses the bar (empty: met)."""
    missed = []
    for result in results:
        where = result.phase.name or "before the faults"
        allowed = ACCEPTED if result.phase.name else ()
        wrong = {k: n for k, n in (result.failed + result.staff_failed).items() if k not in allowed}
        checks = {
            f"failed requests other than {' or '.join(allowed) or 'none'}: {wrong}": wrong,
            "answers not all normal again by the next fault": result.recovered_after is None,
            "the sentinels named no new primary": result.phase.failover_missing,
            f"{result.lost_to_staff} lost person->staff": result.lost_to_staff,
            f"{result.lost_to_person} lost staff->person": result.lost_to_person,
            f"{result.acknowledged_lost} acknowledged messages lost": result.acknowledged_lost,
            f"{result.danger_without_112} danger answers without 112": result.danger_without_112,
            f"keys without expiry {result.phase.keys_without_expiry}": (
                result.phase.keys_without_expiry
            ),
        }
        missed += [f"{where}: {what}" for what, bad in checks.items() if bad]
    return missed


def table(results: list[Result]) -> str:
    """The per-fault table (Markdown: it goes into docs/FAILURE_DRILL.md as printed)."""
    head = (
        "| fault (process) | back after | failed: 503 safe / other 5xx / 4xx / timeout / "
        "connection | 200 safe reply | staff failed | live feeds cut | normal again after | "
        "lost person->staff | lost staff->person | acknowledged lost | danger (without 112) | "
        "keys without expiry |"
    )
    rows = [head, "|" + "---|" * head.count(" |")]
    for r in results:
        kinds = " / ".join(
            str(r.failed[k]) for k in (SAFE_503, OTHER_5XX, CLIENT_4XX, TIMEOUT, CONNECTION)
        )
        staff = sum(r.staff_failed.values())
        rows.append(
            f"| {r.phase.description}{f' ({r.phase.name})' if r.phase.name else ''} "
            f"| {f'{r.phase.back_after:.1f} s' if r.phase.back_after is not None else '-'}"
            f"{f' (failover {r.phase.failover_after:.1f} s)' if r.phase.failover_after else ''} "
            f"| {kinds} | {r.fallback} | {staff}{f' {dict(r.staff_failed)}' if staff else ''} "
            f"| {r.streams_cut} "
            f"| {'not recovered' if r.recovered_after is None else f'{r.recovered_after:.1f} s'} "
            f"| {r.lost_to_staff} | {r.lost_to_person} | {r.acknowledged_lost} "
            f"| {r.danger} ({r.danger_without_112}) "
            f"| {sum(r.phase.keys_without_expiry.values())}"
            f"{f' {r.phase.keys_without_expiry}' if r.phase.keys_without_expiry else ''} |"
        )
    for r in results:
        if r.timeline:
            rows.append(f"\nnot normal, {r.phase.description}, s after the kill: {r.timeline}")
        if r.unexpected:
            rows.append(f"\nfailures outside the bar, {r.phase.description}: {dict(r.unexpected)}")
    return "\n".join(rows)


def arguments() -> argparse.ArgumentParser:
    """load.py's options with the drill's defaults, and the drill's own."""
    parser = load.arguments(__doc__)
    parser.set_defaults(
        sessions=50,
        ramp=10,
        think=(2.0, 6.0),
        staff=3,
        staff_think=(1.0, 3.0),
        drain=60,
        timeout=20,
        mix=(50, 10, 15, 25),  # more handoffs than `make load`: they are what can be lost
    )
    parser.add_argument("--layout", choices=("auto", "cluster", "single"), default="auto")
    parser.add_argument("--faults", nargs="+", choices=list(FAULTS), default=list(FAULTS))
    parser.add_argument("--warmup", type=float, default=30, help="seconds before the first fault")
    parser.add_argument("--down", type=float, default=3, help="seconds a killed process stays down")
    parser.add_argument("--slot", type=float, default=60, help="seconds from a kill to the next")
    parser.add_argument("--settle", type=float, default=15, help="at least, after a restart")
    parser.add_argument("--tail", type=float, default=20, help="load after the last slot")
    parser.add_argument("--restart-timeout", type=float, default=180)
    parser.add_argument("--throughput", action="store_true", help="measure messages/s instead")
    parser.add_argument("--concurrency", type=int, default=16, help="for --throughput")
    parser.add_argument("--measure", type=float, default=30, help="seconds, for --throughput")
    return parser


def overrides(args: argparse.Namespace) -> dict[str, str]:
    """The layout's settings for the run: one client address, so no per-client limits."""
    return {**LOAD_RUN_LIMITS, "HRV_STAFF_MAX_OPEN_CHATS": str(args.chats_per_staff)}


def report(
    layout: Layout, args: argparse.Namespace, results: list[Result], stats: DrillStats
) -> list[str]:
    """Print the table, the whole run's figures and where the bar was missed; return that."""
    print(f"\nlayout: {layout.label}")
    print(
        f"load: {args.sessions} people, {args.staff} staff consoles, "
        f"{args.supervisors} supervisor(s); "
        f"each killed process down {args.down:g} s before it is started again\n"
    )
    print(table(results))
    load.report(stats, args)
    missed = shortfalls(results)
    print("\nbar: " + ("met" if not missed else "MISSED:\n  " + "\n  ".join(missed)), flush=True)
    return missed


def main() -> int:
    args = arguments().parse_args()
    log_dir = REPO_ROOT / ".run" / "drill"
    layout = make_layout(args.layout, log_dir, overrides(args))
    print(f"starting {layout.label} ...", flush=True)
    layout.start()
    try:
        print(f"drill: {layout.url}, load average now {os.getloadavg()[0]:.2f}", flush=True)
        if args.throughput:
            from drill_throughput import compare_throughput

            lines = asyncio.run(compare_throughput(layout, args))
            print(f"\nlayout: {layout.label}\n" + "\n".join(lines))
            print(
                f"On this machine's {os.cpu_count()} cores every process (and whatever else runs "
                "here) shares the same CPUs: the ratio shows what a second gateway and Rasa "
                "replica cost or gain on these cores, not how the layout scales on more machines."
            )
            return 0
        faults = [FAULTS[name] for name in args.faults]
        results, stats = asyncio.run(drill(layout, faults, args))
        return 1 if report(layout, args, results, stats) else 0
    finally:
        layout.stop()


if __name__ == "__main__":
    sys.exit(main())
