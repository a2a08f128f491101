"""Write the handoff's vocabulary for the browser scripts (bot/static/shared/vocabulary.js).

Why generated: the widget and the console must read the same event kinds and states as the
gateway writes (bot/handoff/states.py). One Python source, one generated module, and a test that
fails when the committed file differs, so the two cannot drift apart.

Usage: python scripts/generate_vocabulary.py [--check]
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

from generated_file import write_or_check

from bot.handoff.states import HANDOFF_ENDS, OPEN_STATES, EventKind, HandoffState, Side

TARGET = Path(__file__).resolve().parents[1] / "bot" / "static" / "shared" / "vocabulary.js"
HEADER = """\
// The handoff's vocabulary, generated from bot/handoff/states.py by
// scripts/generate_vocabulary.py: do not edit by hand (a test fails when they differ).
"""


def _enum(name: str, members: type[StrEnum]) -> str:
    lines = [f'  {member.name}: "{member.value}",' for member in members]
    return f"export const {name} = Object.freeze({{\n" + "\n".join(lines) + "\n});\n"


def render() -> str:
    """The module's text."""
    ends = "\n".join(
        f"  {side.value}: Object.freeze({json.dumps(sorted(kinds))}),"
        for side, kinds in HANDOFF_ENDS.items()
    )
    return "\n".join(
        [
            HEADER,
            _enum("HandoffState", HandoffState),
            _enum("EventKind", EventKind),
            _enum("Side", Side),
            "// The states in which a person waits for or talks with staff.",
            f"export const OPEN_STATES = Object.freeze({json.dumps(sorted(OPEN_STATES))});\n",
            "// The events after which a handoff is over for each side.",
            f"export const HANDOFF_ENDS = Object.freeze({{\n{ends}\n}});\n",
        ]
    )


def main() -> int:
    """Write the file, or with --check say whether it is current (exit 1 when not)."""
    return write_or_check(__doc__.splitlines()[0], TARGET, render, "scripts/generate_vocabulary.py")


if __name__ == "__main__":
    sys.exit(main())
