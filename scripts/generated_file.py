"""Write a generated file, or with --check say whether the committed one is current.

The generators (scripts/generate_*.py) share this so each only says how its text is made.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def write_or_check(description: str, target: Path, render: Callable[[], str], command: str) -> int:
    """Parse --check; then write `target`, or compare it (exit status 1 when out of date)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args()
    text = render()
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target.name} is out of date: run {command}")
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    return 0
