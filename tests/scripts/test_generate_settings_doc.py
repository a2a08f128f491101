"""docs/SETTINGS.md is the settings class, written out: current, and every setting explained."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.config import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import generate_settings_doc


def test_settings_doc_is_current() -> None:
    assert (
        generate_settings_doc.TARGET.read_text(encoding="utf-8") == generate_settings_doc.render()
    )


def test_every_setting_has_a_section_and_a_comment_saying_what_it_does() -> None:
    documented = generate_settings_doc.documented_fields(
        generate_settings_doc.SOURCE.read_text(encoding="utf-8")
    )
    assert [name for _, name, _ in documented] == list(Settings.model_fields)
    assert [name for section, name, text in documented if not section or not text] == []
