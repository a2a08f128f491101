"""Child processes that cannot outlive their parent: how `hrv-guide run`, `make cluster` and the
tests start and stop the service's processes.

Each child gets its own process group (a Ctrl-C in the terminal reaches only the parent, which
stops the children in order), its own log file, no stdin, and on Linux `PR_SET_PDEATHSIG`: the
kernel sends it SIGKILL when its parent dies, however the parent dies (SIGKILL included). The
kernel ties that signal to the *thread* that forked, so spawn from the main thread (or from a
thread that lives as long as the children).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Rasa, the action server and uvicorn wait for open connections on SIGTERM (an open event
# stream keeps uvicorn waiting): when the parent is gone, nothing would ever send the SIGKILL
# that ends that wait, so the death signal is SIGKILL itself.
DEATH_SIGNAL = signal.SIGKILL


def free_port() -> int:
    """An unused TCP port on 127.0.0.1 (for tests and the processes a stack starts itself)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _libc_prctl() -> Callable[..., int] | None:
    """prctl(2) from the C library, or None where there is none (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    return prctl


def _child_setup(parent_pid: int) -> Callable[[], None]:
    """What the child runs between fork and exec (resolved before the fork: nothing to load
    or allocate in the child beyond one libc call)."""
    prctl = _libc_prctl()
    every_signal = set(signal.Signals)

    def setup() -> None:
        # A parent that blocks signals (sigwait-style) must not hand an unkillable child a
        # blocked SIGTERM: the mask survives exec.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, every_signal)
        if prctl is not None and prctl(PR_SET_PDEATHSIG, DEATH_SIGNAL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        # The parent may have died between fork and prctl: then no signal would ever come.
        if os.getppid() != parent_pid:
            raise ChildProcessError("the parent exited while this child was starting")

    return setup


def spawn(
    command: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `command` as a child that dies with this process: its own process group, stdout
    and stderr appended to `log_path` (a restarted process keeps the earlier log), no stdin."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            list(command),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_child_setup(os.getpid()),
        )


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is already empty
        os.killpg(process.pid, signum)


def kill(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """End a child and everything in its process group at once (SIGKILL), as a crash would."""
    _signal_group(process, signal.SIGKILL)
    process.wait(timeout=timeout)


def stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    """Ask a child's process group to stop (SIGTERM), SIGKILL it after `timeout` seconds, and
    end whatever the child itself started and left in its group. Returns the exit status."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
    _signal_group(process, signal.SIGKILL)  # stragglers (workers) of an exited leader
    return process.returncode
