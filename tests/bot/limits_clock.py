"""Let tests move the time the rate limits see (bot/limits/rates.py).

The `limits` library stamps each hit with time.time() inside its Redis storage; a test that moves
the app's clock past a window must move the library's time with it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import limits.aio.storage.redis.redispy as limits_redispy
import pytest


def limits_follow(monkeypatch: pytest.MonkeyPatch, clock: Callable[[], float]) -> None:
    """Make the library's time the test's clock (undone with the monkeypatch)."""
    monkeypatch.setattr(limits_redispy, "time", SimpleNamespace(time=clock))
