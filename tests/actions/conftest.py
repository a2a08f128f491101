"""Fixtures for the action tests: the real data files and a tracker builder."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rasa_sdk import Tracker

from actions.settings import REPO_ROOT
from registry import Registry, load_registry


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The registry loaded from data/."""
    return load_registry(REPO_ROOT / "data")


@pytest.fixture
def make_tracker():
    """Build a tracker whose latest message has `text`, an intent and optional entities."""

    def build(
        text: str,
        intent: str = "inform_municipality",
        entities: list[dict[str, Any]] | None = None,
        language: str = "sv",
        sender_id: str = "test-sender-0001",
    ) -> Tracker:
        return Tracker.from_dict(
            {
                "sender_id": sender_id,
                "slots": {"language": language, "municipality": None},
                "latest_message": {
                    "text": text,
                    "intent": {"name": intent, "confidence": 0.99},
                    "entities": entities or [],
                },
                "events": [],
                "paused": False,
                "followup_action": None,
                "active_loop": {},
                "latest_action_name": "action_listen",
            }
        )

    return build


@pytest.fixture
def today() -> date:
    """A fixed day after the Alingsås switch."""
    return date(2026, 11, 23)
