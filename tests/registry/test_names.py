"""The place names the gateway reads are the ones Rasa's lookup table was generated with."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from registry.names import place_names

pytestmark = pytest.mark.unit

LOOKUP = Path(__file__).resolve().parents[2] / "nlu" / "data" / "lookup_municipality.yml"


def test_the_gateway_reads_the_names_of_rasas_lookup_table(registry):
    lookup = yaml.safe_load(LOOKUP.read_text(encoding="utf-8"))["nlu"][0]
    listed = [line[2:] for line in lookup["examples"].splitlines() if line.startswith("- ")]
    assert place_names(registry) == listed
    assert "Vara" not in listed  # an everyday word ("to be"), tagged in any sentence otherwise
