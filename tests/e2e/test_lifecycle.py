"""`hrv-guide run` with the real stack (Rasa with the trained model, the action server, the
gateway; Redis if none answers): a SIGTERM and a burst of stop signals right after it,
while running or while Rasa loads, or SIGKILL of the parent, leave no process of it running and
every port free.

Each test starts its own `hrv-guide run` on free ports (not the suite's shared stack), from
this checkout, as `make run` does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.ops.launcher import REPO_ROOT, free_port
from bot.ops.ports import port_is_free
from tests.e2e.conftest import E2E_REDIS_URL
from tests.process_tree import alive, descendants, survivors

pytestmark = pytest.mark.e2e

START_SECONDS = 300  # Rasa loads the model in about a minute here, longer on a busy machine


@dataclass
class Run:
    process: subprocess.Popen[bytes]
    output: Path
    ports: list[int]
    seen: set[int] = field(default_factory=set)  # every child ever seen, for the clean-up

    def text(self) -> str:
        return self.output.read_text()

    def children(self) -> set[int]:
        found = descendants(self.process.pid)
        self.seen |= found
        return found

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + START_SECONDS
        while not condition():
            assert self.process.poll() is None, f"exited before {what}: {self.text()}"
            assert time.monotonic() < deadline, f"no {what}: {self.text()}"
            time.sleep(0.2)

    def ports_free(self, within: float = 10) -> bool:
        """Whether every port is free, or becomes free within `within` seconds (a killed
        process's leader can be a zombie while its other threads still hold its sockets)."""
        deadline = time.monotonic() + within
        while not all(port_is_free("127.0.0.1", port) for port in self.ports):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True


def stop_with_a_burst(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then at once every stop signal as fast as they can be sent for a second (make,
    systemd and container runtimes signal the whole group; people press Ctrl-C again). The
    previous launcher lost the stop only to a signal within microseconds of the first."""
    process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and process.poll() is None:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signum)


@pytest.fixture
def hrv_guide_run(tmp_path: Path) -> Iterator[Run]:
    ports = [free_port(), free_port(), free_port()]
    env = dict(os.environ)
    env.update(
        {
            "HRV_ENVIRONMENT": "test",
            "HRV_REDIS_URL": E2E_REDIS_URL,
            "HRV_PORT": str(ports[0]),
            "HRV_RASA_PORT": str(ports[1]),
            "HRV_ACTIONS_PORT": str(ports[2]),
        }
    )
    output = tmp_path / "run.out"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    run = Run(process, output, ports)
    run.wait_for(lambda: len(run.children()) >= 3, "children")
    yield run
    # A failing test must not leave the stack running.
    if process.poll() is None:
        run.children()
        process.kill()
        process.wait()
    for pid in run.seen:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_stop_signals_in_a_burst_while_running_stop_everything(hrv_guide_run: Run):
    run = hrv_guide_run
    run.wait_for(lambda: "is running" in run.text(), "start")
    children = run.children()
    assert len(children) >= 3
    stop_with_a_burst(run.process)
    assert run.process.wait(timeout=120) == 0, run.text()
    assert survivors(children, within=10) == set(), run.text()
    assert run.ports_free()
    assert "Traceback" not in run.text()


def test_stop_signals_in_a_burst_while_rasa_loads_stop_everything(hrv_guide_run: Run):
    run = hrv_guide_run
    run.wait_for(lambda: not port_is_free("127.0.0.1", run.ports[2]), "the action server")
    children = run.children()
    assert "is running" not in run.text()
    stop_with_a_burst(run.process)
    run.process.wait(timeout=120)
    assert survivors(children, within=10) == set(), run.text()
    assert run.ports_free()
    assert "Traceback" not in run.text()


def test_the_stack_dies_with_a_killed_parent(hrv_guide_run: Run):
    run = hrv_guide_run
    run.wait_for(lambda: "is running" in run.text(), "start")
    children = run.children()
    assert len(children) >= 3
    run.process.kill()
    run.process.wait()
    assert survivors(children, within=10) == set()
    assert run.ports_free()
