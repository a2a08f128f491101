"""`hrv-guide run` stops every child, whatever signals arrive and however often; children die
with their parent even when it is killed; a taken port is named before anything starts.

The parent is the real launcher (run_forever, Stack) over stand-in children that start and
stop in about a second (tests/lifecycle_standin.py); tests/e2e/test_lifecycle.py does the same
with the real stack.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Settings
from bot.ops.launcher import Stack, StopRequest
from bot.ops.ports import port_holder, port_is_free
from bot.ops.processes import free_port, spawn, stop
from tests.process_tree import alive, descendants, survivors

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class StandInRun:
    process: subprocess.Popen[bytes]
    output: Path
    log_dir: Path
    ports: dict[str, int]

    def text(self) -> str:
        return self.output.read_text()

    def wait_until(self, condition: Callable[[], bool], what: str, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while not condition():
            assert self.process.poll() is None, f"the parent exited before {what}: {self.text()}"
            assert time.monotonic() < deadline, f"no {what} in {within} s: {self.text()}"
            time.sleep(0.05)

    def wait_running(self) -> set[int]:
        """Wait until the parent says it runs; its children then."""
        self.wait_until(lambda: "is running" in self.text(), "start")
        return descendants(self.process.pid)

    def ports_free(self, within: float = 10) -> bool:
        """Whether every port is free, or becomes free within `within` seconds (a killed
        process's leader can be a zombie while its other threads still hold its sockets)."""
        deadline = time.monotonic() + within
        while not all(port_is_free("127.0.0.1", port) for port in self.ports.values()):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True


@pytest.fixture
def standin(redis_url: str, tmp_path: Path) -> Iterator[Callable[..., StandInRun]]:
    runs: list[StandInRun] = []

    def start(**start_delays: float) -> StandInRun:
        ports = {"gateway": free_port(), "rasa": free_port(), "actions": free_port()}
        env = dict(os.environ)
        env.update(
            {
                "HRV_ENVIRONMENT": "test",
                "HRV_REDIS_URL": redis_url,
                "HRV_PORT": str(ports["gateway"]),
                "HRV_RASA_PORT": str(ports["rasa"]),
                "HRV_ACTIONS_PORT": str(ports["actions"]),
                "HRV_MODEL_PATH": str(REPO_ROOT / "tests" / "lifecycle_standin.py"),
                "STANDIN_LOG_DIR": str(tmp_path / "logs"),
                "PYTHONPATH": str(REPO_ROOT),
            }
        )
        for name, delay in start_delays.items():
            env[f"STANDIN_START_DELAY_{name}"] = str(delay)
        output = tmp_path / f"parent-{len(runs)}.out"
        with output.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.lifecycle_standin", "parent"],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        run = StandInRun(process, output, tmp_path / "logs", ports)
        runs.append(run)
        return run

    yield start
    # Whatever a failing test left behind must not outlive it: the parents, and the stand-in
    # children of these runs (found by their ports, wherever they were reparented).
    for run in runs:
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait()
        for pid in standin_children(run.ports.values()):
            kill_quietly(pid, signal.SIGKILL)


def standin_children(ports: Iterable[int]) -> set[int]:
    wanted = {f"tests.lifecycle_standin\0child\0{port}\0".encode() for port in ports}
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
        except OSError:
            continue
        if any(mark in command for mark in wanted) and alive(int(entry.name)):
            found.add(int(entry.name))
    return found


def kill_quietly(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def test_a_burst_of_stop_signals_while_running_stops_every_child(standin):
    run = standin()
    children = run.wait_running()
    assert len(children) == 3
    parent = run.process.pid
    # The first SIGTERM starts the stop; then a second of every stop signal as fast as they can
    # be sent (make, systemd and container runtimes signal the whole group, people press
    # Ctrl-C again): none may cut the stop short.
    kill_quietly(parent, signal.SIGTERM)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and run.process.poll() is None:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            kill_quietly(parent, signum)
    returncode = run.process.wait(timeout=60)
    assert survivors(children, within=5) == set(), run.text()
    assert returncode == 0, run.text()
    assert "Traceback" not in run.text()
    assert run.ports_free()


def test_a_second_signal_while_stopping_a_start_stops_every_child(standin):
    """Ctrl-C while Rasa loads, and again while the stop waits for the gateway to finish."""
    run = standin(rasa=60)
    run.wait_until(lambda: len(descendants(run.process.pid)) == 3, "three children")
    run.wait_until(lambda: not port_is_free("127.0.0.1", run.ports["gateway"]), "gateway")
    children = descendants(run.process.pid)
    run.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)  # the gateway stand-in takes a second to stop
    run.process.send_signal(signal.SIGTERM)
    run.process.wait(timeout=60)
    assert survivors(children, within=5) == set(), run.text()
    assert "Traceback" not in run.text()
    assert run.ports_free()


def test_children_die_when_the_parent_is_killed(standin):
    run = standin()
    children = run.wait_running()
    assert len(children) == 3
    run.process.kill()
    run.process.wait()
    assert survivors(children, within=5) == set()
    assert run.ports_free()


def test_a_taken_port_is_named_before_anything_starts(standin):
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    run = standin()
    with holder:
        holder.bind(("127.0.0.1", run.ports["rasa"]))
        holder.listen()
        assert run.process.wait(timeout=30) == 1
        text = run.text()
    assert f"rasa: port {run.ports['rasa']} is taken by pid {os.getpid()} (" in text, text
    assert not list(run.log_dir.glob("*.log")), "a process was spawned before the check"


def test_a_spawned_child_dies_with_its_parent_reads_nothing_and_leads_its_group(tmp_path):
    log = tmp_path / "child.log"
    log.write_text("earlier run\n")
    probe = (
        "import ctypes, os\n"
        "value = ctypes.c_int()\n"
        "ctypes.CDLL(None).prctl(2, ctypes.byref(value), 0, 0, 0)\n"  # PR_GET_PDEATHSIG
        "blocked = [l for l in open('/proc/self/status') if l.startswith('SigBlk')][0].split()[1]\n"
        "print(value.value, os.getpgid(0) == os.getpid(), os.readlink('/proc/self/fd/0'), blocked)"
    )
    # Even from a parent that blocks the stop signals, the child gets none of them blocked.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGHUP})
    try:
        child = spawn([sys.executable, "-c", probe], log)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGHUP})
    assert child.wait(timeout=30) == 0
    assert (
        log.read_text() == f"earlier run\n{int(signal.SIGKILL)} True /dev/null 0000000000000000\n"
    )


def test_stop_kills_a_child_that_ignores_sigterm_and_what_it_started(tmp_path):
    stubborn = (
        "import signal, subprocess, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "subprocess.Popen(['sleep', '300'])\n"
        "print('ready', flush=True)\n"
        "time.sleep(300)"
    )
    log = tmp_path / "stubborn.log"
    child = spawn([sys.executable, "-c", stubborn], log)
    deadline = time.monotonic() + 30
    while "ready" not in log.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    tree = descendants(child.pid) | {child.pid}
    assert len(tree) == 2
    assert stop(child, timeout=0.5) == -signal.SIGKILL
    assert survivors(tree, within=5) == set()


def test_port_holder_names_the_listening_process():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        holder = port_holder("127.0.0.1", port)
    assert holder is not None
    assert holder.pid == os.getpid()
    assert holder.describe().startswith(f"port {port} is taken by pid {os.getpid()} (")
    assert port_holder("127.0.0.1", port) is None


def test_stop_signals_only_record_a_request():
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    request = StopRequest()
    try:
        request.install()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            os.kill(os.getpid(), signum)
            signal.sigtimedwait([], 0.05)  # give the handler its chance to run (it must not raise)
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
    assert request
    assert sorted(request.received) == sorted(
        [signal.SIGTERM, signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
    )


def test_a_rasa_token_starting_with_a_dash_stays_one_argument(tmp_path):
    """token_urlsafe can start with "-"; as a separate argument argparse took it for an option
    and Rasa exited 2 (seen about once in six e2e starts)."""
    stack = Stack(Settings(environment="test"), log_dir=tmp_path)
    stack.env = {"HRV_RASA_TOKEN": "-starts-with-a-dash"}
    command = stack._command("rasa")
    assert "--auth-token=-starts-with-a-dash" in command
    assert "-starts-with-a-dash" not in command
