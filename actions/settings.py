"""The action server's settings, read once from the environment (the only place that reads it)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ActionSettings:
    """What the actions need: where the data is, and when to offer a person."""

    data_dir: Path
    # Offer a human after this many not-understood messages in a row.
    offer_human_after_misses: int = 2

    @classmethod
    def from_env(cls) -> ActionSettings:
        """Build from HRV_* variables with local defaults, as the gateway's settings do."""
        return cls(
            data_dir=Path(os.environ.get("HRV_DATA_DIR", str(REPO_ROOT / "data"))),
            offer_human_after_misses=int(os.environ.get("HRV_OFFER_HUMAN_AFTER_MISSES", "2")),
        )
