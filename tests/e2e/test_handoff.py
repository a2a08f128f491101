"""The handoff through the real stack's API: escalation by the real model and actions, staff
on another gateway process, Rasa's tracker pausing and resuming."""

from __future__ import annotations

import secrets

import httpx
import pytest
import redis

from tests.e2e.conftest import StaffAccount

pytestmark = pytest.mark.e2e


class Person:
    """One anonymous widget session driven through the API."""

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

    def events(self, after: str | None = None) -> dict:
        params = {"after": after} if after else {}
        response = self.api.get(
            f"/api/v1/sessions/{self.id}/events", params=params, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return response.json()


class Staff:
    """A staff member signed in through the API of one gateway."""

    def __init__(self, base_url: str, account: StaffAccount) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        signed_in = self.http.post("/api/v1/staff/login", json=account.login())
        assert signed_in.status_code == 200, signed_in.text
        self.http.headers["Authorization"] = f"Bearer {signed_in.json()['token']}"

    def call(self, method: str, path: str, **kwargs) -> httpx.Response:
        return self.http.request(method, path, **kwargs)


def _staff(base_url: str, add_staff) -> Staff:
    staff = Staff(base_url, add_staff(f"staff-{secrets.token_hex(3)}"))
    assert staff.call("POST", "/api/v1/staff/heartbeat").status_code == 200
    return staff


def _offers_a_person(reply: dict) -> bool:
    return any(
        button["payload"] == "/talk_to_human"
        for message in reply["replies"]
        for button in message.get("buttons", [])
    )


def _handoff_id(redis_url: str, session_id: str) -> str:
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    return store.hget(f"hrv:session:{session_id}", "handoff_id")


def _reason(redis_url: str, session_id: str, field: str = "reason") -> str:
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    return store.hget(f"hrv:handoff:{_handoff_id(redis_url, session_id)}", field)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_two_messages_not_understood_in_a_row_offer_a_person(api, redis_url, lang):
    person = Person(api)
    first = person.say("Привет, мне нужна помощь", lang=lang)
    assert not _offers_a_person(first)
    second = person.say("Я не знаю, что мне делать")
    assert "112" in second["replies"][0]["text"]
    assert _offers_a_person(second)
    accepted = person.say("/talk_to_human")
    assert accepted["handoff"] == "queued"
    assert _reason(redis_url, person.id) == "not_understood"


def test_danger_then_accepting_the_offer_queues_with_reason_danger(api, redis_url):
    person = Person(api)
    reply = person.say("Jag vågar inte gå hem ikväll", lang="sv")
    assert "112" in reply["replies"][0]["text"]
    assert _offers_a_person(reply)
    assert person.say("/talk_to_human")["handoff"] == "queued"
    assert _reason(redis_url, person.id) == "danger"
    # The safety layer's mark: staff see the kind, and the chat waits ahead of unmarked ones.
    # Afraid to go home tonight: read as nowhere safe to sleep, or as violence about to happen.
    assert _reason(redis_url, person.id, "risk") in {"violence", "threat", "runaway"}


def test_handoff_across_two_gateways_pauses_and_resumes_rasa(
    api, add_staff, second_gateway, stack, response_texts
):
    person = Person(api)  # on the stack's gateway
    staff = _staff(second_gateway.url, add_staff)  # on the second gateway process
    assert person.say("kan jag få prata med en riktig människa", lang="sv")["handoff"] == "queued"
    queued = staff.call("GET", "/api/v1/handoffs?state=queued").json()
    assert person.id not in str(queued)  # staff see the handoff id, never the session id
    handoff_id = _handoff_id(stack.redis_url, person.id)
    assert handoff_id in [h["handoff_id"] for h in queued]
    assert staff.call("POST", f"/api/v1/handoffs/{handoff_id}/claim").status_code == 200

    during = person.say("Hej, jag behöver hjälp")
    assert during == {"replies": [], "lang": "sv", "handoff": "active"}
    sent = staff.call(
        "POST", f"/api/v1/handoffs/{handoff_id}/messages", json={"text": "Hej! Jag finns här."}
    )
    assert sent.status_code == 201
    transcript = staff.call("GET", f"/api/v1/handoffs/{handoff_id}/messages").json()
    assert [m["text"] for m in transcript["messages"] if m["from"] == "person"] == [
        "Hej, jag behöver hjälp"
    ]
    seen = person.events()
    assert [e["text"] for e in seen["events"] if e["kind"] == "text"] == ["Hej! Jag finns här."]

    assert staff.call("POST", f"/api/v1/handoffs/{handoff_id}/release").status_code == 200
    assert person.events(after=seen["events"][-1]["id"])["events"][0]["kind"] == "released"
    answer = person.say("vad menas med hedersrelaterat våld och förtryck")
    assert answer["handoff"] == "none"
    assert answer["replies"][0]["text"] in response_texts("utter_what_is_hrv", "sv")

    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/{person.id}/tracker",
        params={"token": stack.env["HRV_RASA_TOKEN"]},
        timeout=30,
    ).json()
    kinds = [e["event"] for e in tracker["events"]]
    assert "pause" in kinds and "resume" in kinds
    assert kinds.index("pause") < kinds.index("resume")
    texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert "Hej, jag behöver hjälp" not in texts  # Rasa never saw the message to staff
