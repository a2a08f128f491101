"""The Rasa place-name data is generated from the registry and committed up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_municipality_nlu.py"


def _script():
    spec = importlib.util.spec_from_file_location("build_municipality_nlu", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_nlu_files_match_the_data(capsys):
    assert _script().main(["--check"]) == 0, capsys.readouterr().out


def test_lookup_has_every_municipality_and_locality_but_no_everyday_word():
    script = _script()
    from registry import load_registry

    registry = load_registry(SCRIPT.parents[1] / "data")
    nlu = yaml.safe_load(script.LOOKUP.read_text(encoding="utf-8"))["nlu"]
    lookup = {line[2:] for line in nlu[0]["examples"].splitlines()}
    assert {"Borås", "Boras", "Kinna", "Gothenburg", "Mölnlycke", "Molnlycke", "Håbo"} <= lookup
    assert {"Vara", "Mark", "Are", "Handen"}.isdisjoint(lookup)  # everyday words
    missing = {n for n in registry.municipalities if n not in lookup}
    assert missing == {
        "Vara",
        "Mark",
        "Kinda",
        "Ale",
        "Salem",
        "Nora",
        "Lund",
        "Boden",
        "Klippan",
        "Kil",
    }
    synonyms = {block["synonym"]: block["examples"] for block in nlu[1:]}
    assert "Habo" not in str(synonyms.get("Håbo", ""))  # Habo is a municipality of its own
    assert "Tjorn" in synonyms["Tjörn"]
