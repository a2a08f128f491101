"""A line's `open` (its hours as a machine reads them): read from the data, refused when
malformed, so the waiting person is never told a line is open on a guess."""

from __future__ import annotations

import pytest

from registry import load_registry
from registry.fields import RegistryError

pytestmark = pytest.mark.unit


def test_lines_with_hours_in_words_carry_them_for_the_machine_too(registry):
    opened = {line.id: line.open_hours for line in registry.lines}
    assert opened["somaya"] == "mon-fri 09:00-16:00"
    assert opened["bris"] == "mon-sun 00:00-24:00"
    assert opened["emergency"] is None  # no `open`: never offered as open


@pytest.mark.parametrize("written", ["weekdays 9-16", "mon-fri 09:00-25:00", "mon-fri 9:00-16:00"])
def test_a_malformed_open_is_refused(data_copy, edit, written):
    edit("contacts.yml", 'open: "mon-fri 09:00-16:00"', f'open: "{written}"')
    with pytest.raises(RegistryError, match="somaya"):
        load_registry(data_copy)
