"""`action_lines_that_fit`: one tap on who the person is gives the one or two lines that fit."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.lines import ActionLinesThatFit, audience_buttons
from registry.model import LINE_AUDIENCES

pytestmark = pytest.mark.unit


async def choose(registry, make_tracker, audience: str | None, language: str = "sv"):
    entities = [{"entity": "audience", "value": audience}] if audience else []
    payload = f'/which_line{{"audience":"{audience}"}}' if audience else "vilken linje passar mig"
    tracker = make_tracker(payload, intent="which_line", entities=entities, language=language)
    dispatcher = CollectingDispatcher()
    await ActionLinesThatFit(registry).run(dispatcher, tracker, {})
    return dispatcher.messages


@pytest.mark.parametrize(
    ("audience", "numbers", "not_shown"),
    [
        ("under_18", ["116 111"], ["020-50 50 50"]),
        ("women", ["020-50 50 50", "020-81 82 83"], ["116 111"]),
        ("lgbtqi", ["020-81 82 83"], ["020-50 50 50"]),
        ("relatives", ["020-50 50 50"], ["116 111"]),
        ("professionals", ["010-223 57 60", "020-50 50 50"], ["116 111"]),
    ],
)
async def test_each_person_gets_the_lines_that_fit_and_not_the_others(
    registry, make_tracker, audience, numbers, not_shown
):
    [message] = await choose(registry, make_tracker, audience)
    assert all(number in message["text"] for number in numbers)
    assert not any(number in message["text"] for number in not_shown)
    assert len(message["text"].splitlines()) <= 3  # the intro and one or two lines, not a list


async def test_a_man_over_18_is_told_honestly_that_no_line_is_made_for_him(registry, make_tracker):
    [message] = await choose(registry, make_tracker, "men", "en")
    assert message["text"] == registry.labels["en"]["no_line"]
    assert "112" in message["text"]


async def test_without_a_choice_the_question_comes_back_with_its_buttons(registry, make_tracker):
    [message] = await choose(registry, make_tracker, None, "en")
    assert message["text"] == registry.labels["en"]["lines_question"]
    assert [b["payload"] for b in message["buttons"]] == [
        f'/which_line{{"audience":"{audience}"}}' for audience in LINE_AUDIENCES
    ]


@pytest.mark.parametrize("language", ["ar", "ti"])
async def test_the_lines_and_the_buttons_are_in_the_persons_language(
    registry, make_tracker, language
):
    [message] = await choose(registry, make_tracker, "under_18", language)
    assert message["text"].startswith(registry.labels[language]["lines_intro"])
    assert "Bris" in message["text"] and "116 111" in message["text"]
    titles = [b["title"] for b in audience_buttons(registry.labels, language)]
    assert titles[0] == registry.labels[language]["audience_under_18"]
    assert all(len(b["payload"].encode()) <= 64 for b in audience_buttons(registry.labels, "sv"))
