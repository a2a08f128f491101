"""Every language the bot answers in has the words for contacts and every centre's description:
a person reading Arabic is never shown a centre in Swedish."""

from __future__ import annotations

import string

import pytest
import yaml

from registry import Registry
from registry.load import LABEL_KEYS
from tests.registry.conftest import DATA_DIR

pytestmark = pytest.mark.unit

LANGUAGES = yaml.safe_load((DATA_DIR.parent / "nlu" / "languages.yml").read_text())["languages"]
# The data each label is filled with; no other placeholder may appear.
PLACEHOLDERS = {"day_phone": {"phone"}, "night_phone": {"phone"}, "day_page": {"page"}}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_labels_in_every_language_with_their_placeholders(registry: Registry, language: str):
    words = registry.labels.get(language)
    assert words is not None, f"contacts.yml labels has no {language}"
    assert set(words) == set(LABEL_KEYS)
    for key in LABEL_KEYS:
        assert fields(words[key]) == PLACEHOLDERS.get(key, set()), (language, key)
    assert "112" in words["night_112"] and "112" in words["night_phone"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_centre_is_described_in_every_language(registry: Registry, language: str):
    for centre in registry.centres.values():
        assert centre.about.value.get(language, "").strip(), (centre.id, language)
        if centre.hours is not None:
            assert centre.hours.value.get(language, "").strip(), (centre.id, language)
