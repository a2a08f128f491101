"""`hrv-guide texts status`: review status per language and file, drafts listed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import cli
from bot.config import Settings
from bot.languages import load_codes
from bot.ops.texts_review import KINDS, report, statuses

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def copied(tmp_path: Path) -> Settings:
    """Settings pointing at a copy of every language file, to change on purpose."""
    shutil.copytree(REPO_ROOT / "nlu", tmp_path / "nlu")
    shutil.copytree(REPO_ROOT / "bot/texts", tmp_path / "texts")
    shutil.copytree(REPO_ROOT / "bot/data", tmp_path / "data")
    return Settings(
        languages_file=tmp_path / "nlu/languages.yml",
        texts_dir=tmp_path / "texts",
        danger_dir=tmp_path / "data/danger",
        risk_corpus_dir=tmp_path / "data/risk",
        language_markers_dir=tmp_path / "data/language_markers",
        safety_concepts_dir=tmp_path / "data/safety/concepts",
    )


def test_every_listed_language_has_a_status_for_every_kind_of_file():
    settings = Settings()
    table = statuses(settings)
    for code in load_codes(settings.languages_file):
        assert set(table[code].values()) <= {"draft", "reviewed"}, (code, table[code])
        assert len(table[code]) == len(KINDS)


def test_drafts_are_listed_and_reviewed_files_are_not(copied: Settings):
    path = copied.texts_dir / "en.yml"
    path.write_text(path.read_text("utf-8").replace("review: draft", "review: reviewed"), "utf-8")
    text, ok = report(copied)
    assert ok
    assert statuses(copied)["en"]["widget texts"] == "reviewed"
    drafts = text.split("Draft, not yet checked by a native speaker:")[1]
    assert (
        "en: responses, training data, danger patterns, risk corpus, language markers, "
        "concept words" in drafts
    )
    assert "sv: responses, widget texts, training data" in drafts


def test_a_missing_file_fails_and_an_unlisted_language_is_shown(copied: Settings):
    (copied.danger_dir / "en.yml").unlink()
    shutil.copy(copied.texts_dir / "sv.yml", copied.texts_dir / "xx.yml")
    text, ok = report(copied)
    assert not ok
    assert statuses(copied)["en"]["danger patterns"] == "missing"
    assert "xx (not listed)" in text


def test_the_command_prints_the_table(capsys):
    assert cli.main(["texts", "status"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == [
        "language", "responses", "widget", "texts", "training", "data", "danger", "patterns",
        "risk", "corpus", "language", "markers", "concept", "words",
    ]  # fmt: skip
