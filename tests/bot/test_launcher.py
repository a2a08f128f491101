"""`hrv-guide run` stops its children on SIGTERM and SIGHUP as on Ctrl-C."""

from __future__ import annotations

import os
import signal

import pytest

from bot.config import Settings
from bot.ops.launcher import Stack, stop_on_termination_signals

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_termination_signals_raise_keyboard_interrupt(signum):
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        stop_on_termination_signals()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signum)
            signal.sigtimedwait([], 0.1)  # give the handler its chance to run
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def test_a_rasa_token_starting_with_a_dash_stays_one_argument(tmp_path):
    """token_urlsafe can start with "-"; as a separate argument argparse took it for an option
    and Rasa exited 2 (seen about once in six e2e starts)."""
    stack = Stack(Settings(environment="test"), log_dir=tmp_path)
    stack.env = {"HRV_RASA_TOKEN": "-starts-with-a-dash"}
    command = stack._command("rasa")
    assert "--auth-token=-starts-with-a-dash" in command
    assert "-starts-with-a-dash" not in command
