"""The conversation's language from the message itself, so one call to Rasa carries it.

The gateway chooses each message's language (bot/conversation/language.py) and sends it as the
message's metadata (`{"lang": "ar"}`). This component turns it into a `language` entity, which
the domain maps to the slot `language` that every response is conditioned on: no separate call
to set the slot before a message in a new language. A button's payload ("/intent") carries the
entity in its own JSON instead, because Rasa replaces a payload's entities with the payload's.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

ENTITY = "language"
# A language code as nlu/languages.yml lists them; anything else in the metadata is ignored.
_CODE = re.compile(r"[a-z]{2,3}")


def language_entity(metadata: Any) -> dict[str, Any] | None:
    """The `language` entity for a message's metadata, or None when it names no language."""
    lang = metadata.get("lang") if isinstance(metadata, dict) else None
    if not isinstance(lang, str) or not _CODE.fullmatch(lang):
        return None
    return {
        ENTITY_ATTRIBUTE_TYPE: ENTITY,
        ENTITY_ATTRIBUTE_VALUE: lang,
        ENTITY_ATTRIBUTE_START: 0,
        ENTITY_ATTRIBUTE_END: 0,
        EXTRACTOR: LanguageFromMetadata.__name__,
    }


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageFromMetadata(GraphComponent):
    """Adds the `language` entity from the message's metadata (nothing is learnt)."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageFromMetadata:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entity = language_entity(message.get("metadata"))
            if entity is not None:
                others = [
                    e for e in message.get(ENTITIES, []) if e.get(ENTITY_ATTRIBUTE_TYPE) != ENTITY
                ]
                message.set(ENTITIES, [*others, entity], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
