"""Write docs/SETTINGS.md from the gateway's settings class (bot/config.py).

Why generated: the settings class is the one place a setting is defined, with its default, its
bounds and a comment saying why; a hand-kept list drifts. Each setting's text is the comment
block right above it in bot/config.py. A test fails when the committed file differs.

Usage: python scripts/generate_settings_doc.py [--check]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from annotated_types import Ge, Gt, Le
from generated_file import write_or_check
from pydantic import SecretStr

from bot.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE = REPO_ROOT / "bot" / "config.py"
TARGET = REPO_ROOT / "docs" / "SETTINGS.md"
SECTION = "# ----"
HEADER = """\
# Settings

Generated from `bot/config.py` by `scripts/generate_settings_doc.py`: edit the comments there,
then run the script. Every setting is an environment variable (or a line of `.env`); the defaults
suit a local run. `HRV_ENVIRONMENT=production` refuses the development secrets (`dev-…`).
The action server reads two of its own: `HRV_DATA_DIR` (the registry's data files) and
`HRV_OFFER_HUMAN_AFTER_MISSES` (2: after that many not-understood messages in a row the bot
offers a person).
"""
TABLE_HEAD = "| Variable | Default | What it does |\n|---|---|---|"


def documented_fields(source: str) -> list[tuple[str, str, str]]:
    """(section, field, text) in the class's order: the text is the field's comment block (the
    `#` lines right above it), the section the last `# ---- ` heading before it."""
    lines = source.splitlines()
    tree = ast.parse(source)
    settings = next(
        node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Settings"
    )
    found: list[tuple[str, str, str]] = []
    section = ""
    for node in settings.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        block: list[str] = []
        index = node.lineno - 2
        while index >= 0 and lines[index].strip().startswith("#"):
            line = lines[index].strip()
            if line.startswith(SECTION):
                section = line.removeprefix(SECTION).strip()
                break
            block.insert(0, line.lstrip("#").strip())
            index -= 1
        found.append((section, node.target.id, " ".join(part for part in block if part)))
    return found


def _default(value: object) -> str:
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        return "(none)" if not secret else "a development placeholder"
    if isinstance(value, Path):
        try:
            return f"`{value.relative_to(REPO_ROOT)}`"
        except ValueError:
            return f"`{value}`"
    if value == "":
        return "(empty)"
    return f"`{value}`"


def _bounds(metadata: list[object]) -> str:
    parts = []
    for item in metadata:
        if isinstance(item, Ge):
            parts.append(f"≥ {item.ge}")
        elif isinstance(item, Gt):
            parts.append(f"> {item.gt}")
        elif isinstance(item, Le):
            parts.append(f"≤ {item.le}")
    return f" ({', '.join(parts)})" if parts else ""


def render() -> str:
    """The document's text."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    parts = [HEADER.rstrip("\n")]
    current = None
    for section, name, text in documented_fields(SOURCE.read_text(encoding="utf-8")):
        if section != current:
            parts.append(f"\n## {section}\n\n{TABLE_HEAD}")
            current = section
        field = Settings.model_fields[name]
        variable = f"`{prefix}{name.upper()}`"
        if name == "redis_url":
            variable = f"`REDIS_URL` or {variable}"
        default = f"{_default(field.default)}{_bounds(field.metadata)}"
        parts.append(f"| {variable} | {default} | {text.replace('|', chr(92) + '|')} |")
    return "\n".join(parts) + "\n"


def main() -> int:
    """Write the file, or with --check say whether it is current (exit 1 when not)."""
    return write_or_check(
        __doc__.splitlines()[0], TARGET, render, "scripts/generate_settings_doc.py"
    )


if __name__ == "__main__":
    sys.exit(main())
