"""`hrv-guide run` stops its children on SIGTERM and SIGHUP as on Ctrl-C."""

from __future__ import annotations

import os
import signal

import pytest

from bot.launcher import stop_on_termination_signals

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
