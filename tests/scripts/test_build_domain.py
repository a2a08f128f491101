"""The domain build joins per-language responses and refuses files that disagree."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

from build_domain import build  # noqa: E402

pytestmark = pytest.mark.unit


@pytest.fixture
def nlu_copy(tmp_path: Path) -> Path:
    """A copy of nlu/ to break on purpose."""
    target = tmp_path / "nlu"
    shutil.copytree(REPO_ROOT / "nlu", target)
    return target


def _edit(path: Path, change) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def test_the_real_files_build_with_one_variation_per_language_and_a_default():
    domain, problems = build(REPO_ROOT / "nlu")
    assert problems == []
    codes = yaml.safe_load((REPO_ROOT / "nlu/languages.yml").read_text())["languages"]
    for name, variations in domain["responses"].items():
        conditioned = [v["condition"][0]["value"] for v in variations if "condition" in v]
        assert conditioned == codes, name
        default = [v for v in variations if "condition" not in v]
        assert default == [{k: v for k, v in variations[0].items() if k != "condition"}], name


def test_a_missing_response_is_reported(nlu_copy: Path):
    _edit(nlu_copy / "responses/en.yml", lambda raw: raw["responses"].pop("utter_greet"))
    _, problems = build(nlu_copy)
    assert any("missing responses ['utter_greet']" in p for p in problems)


def test_a_changed_placeholder_is_reported(nlu_copy: Path):
    def rename(raw):
        raw["responses"]["utter_centre_found"][0]["text"] = "For {kommun}: {centre_name}."

    _edit(nlu_copy / "responses/en.yml", rename)
    _, problems = build(nlu_copy)
    assert any("utter_centre_found: placeholders differ" in p for p in problems)


def test_a_changed_button_payload_and_a_bad_review_state_are_reported(nlu_copy: Path):
    def change(raw):
        raw["review"] = "done"
        raw["responses"]["utter_greet"][0]["buttons"][0]["payload"] = "/greet"

    _edit(nlu_copy / "responses/en.yml", change)
    _, problems = build(nlu_copy)
    assert any("`review` must be one of" in p for p in problems)
    assert any("utter_greet: button payloads differ" in p for p in problems)


def test_a_language_listed_without_a_file_is_reported(nlu_copy: Path):
    _edit(nlu_copy / "languages.yml", lambda raw: raw["languages"].append("xx"))
    _, problems = build(nlu_copy)
    assert any("responses/xx.yml: missing" in p for p in problems)


def test_a_language_without_training_data_for_an_intent_is_reported(nlu_copy: Path):
    _edit(nlu_copy / "data/nlu_en.yml", lambda raw: raw["nlu"].pop(0))
    _, problems = build(nlu_copy)
    assert any("nlu/data/nlu_en.yml: no examples for intents ['greet']" in p for p in problems)
    assert any("nlu_en.yml: needs a `# review: draft`" in p for p in problems)  # yaml lost it


def test_a_listed_language_without_training_data_is_reported(nlu_copy: Path):
    (nlu_copy / "data/nlu_en.yml").unlink()
    _, problems = build(nlu_copy)
    assert "nlu/data/nlu_en.yml: missing" in problems
