"""The browser scripts' vocabulary is the gateway's: generated, current, and what Lua writes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from bot.handoff.states import EventKind, HandoffState

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import generate_vocabulary

LUA_DIR = Path(__file__).resolve().parents[2] / "bot" / "lua"


def test_generated_vocabulary_is_current() -> None:
    assert generate_vocabulary.TARGET.read_text(encoding="utf-8") == generate_vocabulary.render()


def test_generated_vocabulary_names_every_kind_and_state() -> None:
    text = generate_vocabulary.render()
    for value in [*EventKind, *HandoffState]:
        assert f'"{value.value}"' in text


def test_every_kind_and_state_the_scripts_write_is_in_the_vocabulary() -> None:
    lua = "\n".join(path.read_text(encoding="utf-8") for path in LUA_DIR.rglob("*.lua"))
    kinds = set(re.findall(r"'kind', '([a-z_]+)'", lua))
    states = set(re.findall(r"'(?:state|handoff)', '([a-z_]+)'", lua))
    assert kinds and states
    assert kinds <= {kind.value for kind in EventKind}
    assert states - {"claimed_by", "queued_at", "session_id"} <= {s.value for s in HandoffState}
