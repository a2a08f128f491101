"""`hrv-guide registry check` exits 0 on the real data and 1 with the problem listed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import get_settings
from bot.conversation.safety import model as safety_model

pytestmark = pytest.mark.unit

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def test_registry_check_passes_on_the_real_data(capsys):
    assert main(["registry", "check", "--data-dir", str(DATA_DIR), "--today", "2026-12-06"]) == 0
    out = capsys.readouterr().out
    assert "registry check passed" in out
    assert "45 municipalities have a dedicated centre; 245 get the fallback" in out


def test_registry_check_fails_on_a_malformed_number(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    contacts = data / "contacts.yml"
    contacts.write_text(
        contacts.read_text(encoding="utf-8").replace('phone: "116 111"', 'phone: "116 11"'),
        encoding="utf-8",
    )
    assert main(["registry", "check", "--data-dir", str(data), "--today", "2026-12-06"]) == 1
    out = capsys.readouterr().out
    assert "registry check FAILED" in out
    assert "contacts.yml national bris: phone number is not in a valid Swedish format" in out


def test_safety_train_leaves_the_model_the_gateway_reads(tmp_path, monkeypatch):
    """`make run` trains it beside Rasa's model; the gateway then only reads it."""
    monkeypatch.setattr(safety_model, "_LOADED", {})  # as in a new process
    monkeypatch.setenv("HRV_SAFETY_MODEL_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert main(["safety", "train"]) == 0
    finally:
        get_settings.cache_clear()
    assert len(list(tmp_path.glob("model-*.npz"))) == 1
