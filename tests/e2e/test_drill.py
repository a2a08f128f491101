"""The short failure drill (`make drill` runs the whole one): a small load of people and staff
consoles while the Redis primary is killed (SIGKILL) and brought back, held to the drill's bar.

On `make cluster`'s layout (bot/ops/cluster.py: the sentinels fail over to the replica); on a
checkout without it, on the single stack with an AOF Redis of its own. Its own processes, so
the other end-to-end tests are never disturbed. About 75 s of run time after the start.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import drill
from drill_layouts import make_layout

pytestmark = pytest.mark.e2e

SHORT = [
    *("--sessions", "25", "--staff", "2", "--supervisors", "1", "--seed", "7"),
    *("--warmup", "10", "--slot", "35", "--tail", "5", "--drain", "25"),
]


def test_killing_the_redis_primary_under_load_loses_nothing(tmp_path: Path) -> None:
    args = drill.arguments().parse_args(SHORT)
    layout = make_layout("auto", tmp_path, drill.overrides(args))
    layout.start()
    try:
        results, stats = asyncio.run(drill.drill(layout, [drill.FAULTS["redis"]], args))
    finally:
        layout.stop()
    missed = drill.report(layout, args, results, stats)  # printed: pytest shows it on failure

    # The load did what the bar is about: danger messages, handoffs read to the end.
    assert stats.danger_sent > 0
    assert sum(stats.to_staff_sent.values()) > 0 and stats.to_person_sent
    assert stats.transcripts_read
    assert [result.phase.back_after is not None for result in results] == [False, True]
    assert missed == []
