"""Every legal statement the bot makes is listed in data/contacts.yml with a public source."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.unit


def _law() -> list[dict]:
    raw = yaml.safe_load((REPO_ROOT / "data/contacts.yml").read_text(encoding="utf-8"))
    return raw["law"]


def test_every_legal_fact_has_an_id_a_source_and_a_checked_date():
    ids = [entry["id"] for entry in _law()]
    assert len(ids) == len(set(ids))
    for entry in _law():
        assert entry["fact"].strip(), entry["id"]
        sources = entry["sources"]
        assert sources and all(s.startswith(("https://", "http://")) for s in sources)
        assert isinstance(entry["checked"], date), entry["id"]


def test_the_responses_a_legal_fact_backs_exist_in_every_language():
    responses = {
        path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))["responses"]
        for path in (REPO_ROOT / "nlu/responses").glob("*.yml")
    }
    texts = {
        path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))["replies"]
        for path in (REPO_ROOT / "bot/texts").glob("*.yml")
    }
    used = {name for entry in _law() for name in entry.get("used_in", [])}
    assert {"utter_forced_marriage", "utter_child_marriage", "utter_fgm", "danger_abroad"} <= used
    # Rasa's responses are utter_*; the gateway's fixed replies (bot/texts) are the others.
    bot_responses = {name for name in used if name.startswith("utter_")}
    for lang, names in responses.items():
        assert bot_responses <= set(names), lang
    for lang, replies in texts.items():
        assert used - bot_responses <= set(replies), lang
