"""A whole conversation in every language of nlu/languages.yml, against the real model: the
definition, a municipality, danger -> 112 first, a human. Each message is the first example of
its intent in the held-out split tests/nlu/<code>.yml, sent without a language hint, so the
language must be detected and every answer must come in that language."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

import httpx
import pytest

from bot.config import Settings
from bot.languages import load_codes

from .conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
from eval import read_examples

pytestmark = pytest.mark.e2e

CODES = load_codes(Settings().languages_file)


def _first_examples(code: str) -> dict[str, str]:
    examples = read_examples(REPO_ROOT / f"tests/nlu/{code}.yml")
    firsts: dict[str, str] = {}
    for example in examples:
        firsts.setdefault(example.intent, example.text)
    return firsts


def _matches_template(text: str, template: str) -> bool:
    """Whether `text` is `template` with its {placeholders} filled in."""
    parts = re.split(r"\{\w+\}", template)
    return re.fullmatch("(?s)" + ".+?".join(re.escape(part) for part in parts), text) is not None


@pytest.mark.parametrize("code", CODES)
def test_a_conversation_is_answered_in_the_language_it_is_written_in(
    api: httpx.Client,
    response_texts: Callable[[str, str], list[str]],
    safety_openings: Callable[[str], list[str]],
    gateway_reply: Callable[[str, str], str],
    code: str,
) -> None:
    says = _first_examples(code)
    created = api.post("/api/v1/sessions")
    assert created.status_code == 201
    url = f"/api/v1/sessions/{created.json()['session_id']}/messages"
    headers = {"Authorization": f"Bearer {created.json()['token']}"}

    def say(text: str) -> dict:
        response = api.post(url, json={"text": text}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["lang"] == code, (text, body)
        return body

    definition = say(says["what_is_hrv"])
    assert definition["replies"][0]["text"] in response_texts("utter_what_is_hrv", code)

    place = say(says["inform_municipality"])
    templates = response_texts("utter_centre_found", code) + response_texts(
        "utter_centre_fallback", code
    )
    assert any(
        _matches_template(reply["text"], template)
        for reply in place["replies"]
        for template in templates
    ), place["replies"]

    danger = say(says["immediate_danger"])
    first = danger["replies"][0]["text"]
    assert "112" in first
    assert first in safety_openings(code)

    human = say(says["talk_to_human"])
    assert human["handoff"] == "queued"
    assert human["replies"][0]["text"] == gateway_reply("handoff_requested", code)
