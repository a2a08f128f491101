"""Place names through the whole stack: the real model, Rasa, the action server, the registry."""

from __future__ import annotations

import pytest

from tests.e2e.test_conversation import Chat

pytestmark = pytest.mark.e2e

ALVSBORG = "Resurscentrum mot hedersrelaterat våld och förtryck Älvsborg"
GOTEBORG = "Regionalt stödcentrum heder (Göteborgs Stad)"


def texts(body: dict) -> list[str]:
    return [reply["text"] for reply in body["replies"]]


def test_jag_bor_i_kinna_routes_to_the_alvsborg_centre_via_mark(api, response_texts):
    chat = Chat(api)
    chat.say("hej", lang="sv")
    replies = texts(chat.say("Jag bor i Kinna"))
    assert replies[0] == "Kinna ligger i kommunen Mark."
    assert replies[1].startswith(f"För Mark finns {ALVSBORG}.")
    assert "Webb: https://www.boras.se/" in replies[1]


def test_i_live_in_gothenburg_routes_to_goteborgs_centre_in_english(api):
    chat = Chat(api)
    chat.say("hello", lang="en")
    body = chat.say("I live in Gothenburg")
    assert body["lang"] == "en"
    [reply] = texts(body)
    assert reply.startswith(f"For Göteborg there is {GOTEBORG}.")
    assert "The centre is in central Göteborg" in reply


def test_asking_for_help_nearby_asks_for_the_municipality_then_answers(api, response_texts):
    chat = Chat(api)
    chat.say("hej", lang="sv")
    asked = texts(chat.say("finns det hjälp där jag bor?"))
    assert asked == response_texts("utter_where_to_get_help", "sv")
    assert "Vilken kommun bor du i?" in asked[0]
    replies = texts(chat.say("Skene"))
    assert replies[0] == "Skene ligger i kommunen Mark."
    assert ALVSBORG in replies[1]


def test_a_misspelt_name_after_the_question_is_read_and_said_aloud(api):
    chat = Chat(api)
    chat.say("hello", lang="en")
    chat.say("where can I get help near me")
    replies = texts(chat.say("Ulricehammn"))
    assert replies[0].startswith("I read that as Ulricehamn.")
    assert ALVSBORG in replies[1]


def test_habo_is_asked_back_and_the_chosen_button_answers_for_habo(api):
    chat = Chat(api)
    chat.say("hej", lang="sv")
    body = chat.say("jag bor i habo")
    [reply] = body["replies"]
    assert "Vilken kommun menar du?" in reply["text"]
    assert [b["title"] for b in reply["buttons"]] == ["Habo (Jönköpings län)", "Håbo (Uppsala län)"]
    chosen = chat.say(reply["buttons"][1]["payload"])
    assert body["lang"] == chosen["lang"] == "sv"
    [answer] = texts(chosen)
    assert answer.startswith("För Håbo har jag inget särskilt centrum i min lista.")
    assert "socialtjänsten i Håbo" in answer and "112" in answer


def test_unknown_place_gets_the_honest_answer_with_helplines(api, response_texts):
    """A bare unknown word may be read as any intent by the model; a sentence naming a place
    that is not in Sweden reaches the registry, which says so honestly."""
    chat = Chat(api)
    chat.say("hej", lang="sv")
    chat.say("var kan jag få hjälp")
    assert texts(chat.say("jag bor i Narnia")) == response_texts("utter_centre_unknown", "sv")


def test_staff_endpoint_shows_which_centre_applied_on_a_past_date(api):
    before = api.get("/api/v1/municipalities/Alingsås/help", params={"date": "2024-01-15"})
    after = api.get("/api/v1/municipalities/alingsas/help", params={"date": "2024-02-01"})
    assert before.status_code == after.status_code == 200
    assert [c["name"]["value"] for c in before.json()["centres"]] == [GOTEBORG]
    assert [c["name"]["value"] for c in after.json()["centres"]] == [ALVSBORG]
    assert api.get("/api/v1/municipalities/Narnia/help").status_code == 404
    assert api.get("/api/v1/municipalities/Borås/help?date=2024-13-01").status_code == 422
