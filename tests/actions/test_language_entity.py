"""rasa_plugins.language: the gateway's language for a message becomes the `language` entity."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES
from rasa.shared.nlu.training_data.message import Message

from rasa_plugins.language import LanguageFromMetadata

pytestmark = pytest.mark.unit


def _entities(metadata: object, entities: list[dict] | None = None) -> list[dict]:
    message = Message(data={"text": "hej", "metadata": metadata, ENTITIES: entities or []})
    (processed,) = LanguageFromMetadata().process([message])
    return processed.get(ENTITIES, [])


def test_the_metadata_language_is_an_entity_beside_the_others():
    place = {"entity": "municipality", "value": "Borås", "start": 0, "end": 5}
    found = _entities({"lang": "ar"}, [place])
    assert found[0] == place
    assert [(e["entity"], e["value"]) for e in found[1:]] == [("language", "ar")]


def test_a_second_language_entity_replaces_the_first():
    earlier = {"entity": "language", "value": "sv", "start": 0, "end": 0}
    assert [e["value"] for e in _entities({"lang": "ti"}, [earlier])] == ["ti"]


@pytest.mark.parametrize(
    "metadata", [None, {}, {"lang": ""}, {"lang": "Arabic"}, {"lang": 3}, "ar"]
)
def test_no_language_in_the_metadata_adds_nothing(metadata):
    assert _entities(metadata) == []
