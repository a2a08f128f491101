"""Conversations through the widget API against the real model, in Swedish and English."""

from __future__ import annotations

import httpx
import pytest
import redis

pytestmark = pytest.mark.e2e


class Chat:
    """One anonymous session driven through the API."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        created = api.post("/api/v1/sessions")
        assert created.status_code == 201
        self.id = created.json()["session_id"]
        self.headers = {"Authorization": f"Bearer {created.json()['token']}"}

    def say(self, text: str, lang: str | None = None) -> dict:
        body = {"text": text} if lang is None else {"text": text, "lang": lang}
        response = self.api.post(
            f"/api/v1/sessions/{self.id}/messages", json=body, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return response.json()


CASES = {
    "sv": {
        "definition": "vad menas med hedersrelaterat våld och förtryck",
        "municipality": "Jag bor i Alingsås",
        "danger": "Jag vågar inte gå hem ikväll",
        "human": "kan jag få prata med en riktig människa",
        "gibberish": "qwxz plorf gnnn",
    },
    "en": {
        "definition": "what does honour based violence and oppression mean",
        "municipality": "I live in Alingsås",
        "danger": "I'm scared to go home tonight",
        "human": "can I talk to a real person please",
        "gibberish": "qwxz plorf gnnn",
    },
}


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_definition_question_gets_the_definition(api, response_texts, lang):
    chat = Chat(api)
    body = chat.say(CASES[lang]["definition"], lang=lang)
    assert body["lang"] == lang
    assert body["replies"][0]["text"] in response_texts("utter_what_is_hrv", lang)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_alingsas_routes_to_the_alvsborg_centre_in_boras(api, lang):
    chat = Chat(api)
    chat.say("hej" if lang == "sv" else "hello", lang=lang)
    text = " ".join(r["text"] for r in chat.say(CASES[lang]["municipality"])["replies"])
    assert "Alingsås" in text
    assert "Resurscentrum mot hedersrelaterat våld och förtryck Älvsborg" in text
    assert "Borås" in text


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_danger_message_gets_112_first_in_the_language(api, safety_openings, lang):
    chat = Chat(api)
    chat.say("hej" if lang == "sv" else "hello", lang=lang)
    body = chat.say(CASES[lang]["danger"])
    assert body["lang"] == lang
    first = body["replies"][0]["text"]
    assert "112" in first
    assert first in safety_openings(lang)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_asking_for_a_human_queues_the_conversation(api, redis_url, gateway_reply, lang):
    chat = Chat(api)
    body = chat.say(CASES[lang]["human"], lang=lang)
    assert body["handoff"] == "queued"
    assert body["replies"][0]["text"] == gateway_reply("handoff_requested", lang)
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    handoff_id = store.hget(f"hrv:session:{chat.id}", "handoff_id")
    assert handoff_id in store.lrange("hrv:handoff:queue", 0, -1)
    assert store.hget(f"hrv:handoff:{handoff_id}", "reason") == "asked_for_human"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_unknown_language_gets_the_honest_fallback_with_helplines(api, response_texts, lang):
    """A script the model has never seen gives it nothing to go on: FallbackClassifier's path."""
    chat = Chat(api)
    chat.say("hej" if lang == "sv" else "hello", lang=lang)
    body = chat.say("Привет, мне нужна помощь")
    assert body["lang"] == lang
    text = body["replies"][0]["text"]
    assert text in response_texts("utter_not_understood", lang)
    assert "112" in text and "116 111" in text


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_gibberish_gets_an_honest_answer_with_112(api, response_texts, lang):
    chat = Chat(api)
    body = chat.say(CASES[lang]["gibberish"], lang=lang)
    honest = response_texts("utter_not_understood", lang) + response_texts(
        "utter_out_of_scope", lang
    )
    assert body["replies"][0]["text"] in honest
    assert "112" in body["replies"][0]["text"]


def test_bad_input_gets_4xx_and_the_conversation_goes_on(api):
    chat = Chat(api)
    url = f"/api/v1/sessions/{chat.id}/messages"
    assert api.post(url, json={"text": ""}, headers=chat.headers).status_code == 422
    assert api.post(url, json={"text": "x" * 2001}, headers=chat.headers).status_code == 422
    assert api.post(url, content=b"\x00\xff", headers=chat.headers).status_code in (400, 422)
    assert (
        api.post(url, json={"text": "hej"}, headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    assert (
        api.post(
            "/api/v1/sessions/unknownsession123/messages",
            json={"text": "hej"},
            headers=chat.headers,
        ).status_code
        == 404
    )
    assert chat.say("hej")["replies"]


def test_rasa_tracker_is_stored_in_redis_with_expiry_and_erased_on_delete(api, redis_url):
    chat = Chat(api)
    chat.say("hej")
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    tracker_key = f"hrvguide:tracker:{chat.id}"
    assert store.exists(tracker_key)
    assert 0 < store.ttl(tracker_key) <= 4 * 3600
    assert api.delete(f"/api/v1/sessions/{chat.id}", headers=chat.headers).status_code == 204
    assert not store.exists(tracker_key)
    assert not store.exists(f"hrv:session:{chat.id}")
