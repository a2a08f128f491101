"""Nothing a person types that identifies them reaches Redis, through the real stack: a widget
conversation with every identifier type, part of it in a handoff to staff, leaves none of them in
any key or value (Rasa's tracker included), the person is told what was hidden, and every key
expires. The privacy audit finds what was planted on purpose."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import subprocess
import sys

import httpx
import pytest
import redis

from bot.config import Settings
from bot.conversation.texts import Texts
from bot.languages import load_codes
from bot.ops.privacy_audit import AuditReport, PrivacyAudit, redactor_for

pytestmark = pytest.mark.e2e

SETTINGS = Settings()
TEXTS = Texts.load(SETTINGS.texts_dir, load_codes(SETTINGS.languages_file))

# Made for these tests: Luhn digit and date right, so the patterns must hide them.
PNR = "19900101-2385"
SAMORDNING = "701063-2391"
PHONE_SE = "070-123 45 67"
PHONE_ABROAD = "+964 750 123 4567"
EMAIL = "sara.k@example.se"
STREET = "Storgatan 12B"
POSTCODE = "503 30"
# Written during the handoff, to the staff member.
PHONE_IN_HANDOFF = "+46 73 987 65 43"
STREET_IN_HANDOFF = "Björkvägen 4"
EVERY_SECRET = [
    PNR,
    SAMORDNING,
    PHONE_SE,
    PHONE_ABROAD,
    EMAIL,
    STREET,
    POSTCODE,
    PHONE_IN_HANDOFF,
    STREET_IN_HANDOFF,
]


class Person:
    """One anonymous widget session driven through the API."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        created = api.post("/api/v1/sessions", json={"lang": "sv"})
        assert created.status_code == 201
        self.id = created.json()["session_id"]
        self.headers = {"Authorization": f"Bearer {created.json()['token']}"}

    def say(self, text: str) -> dict:
        response = self.api.post(
            f"/api/v1/sessions/{self.id}/messages",
            json={"text": text, "lang": "sv"},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        return response.json()


def sign_in_staff(gateway_url: str, add_staff) -> httpx.Client:
    """A staff console signed in and on duty. The one place this test signs in, so a second
    factor at sign-in changes only this function."""
    account = add_staff(f"privacy-{secrets.token_hex(3)}")
    http = httpx.Client(base_url=gateway_url, timeout=30)
    signed_in = http.post("/api/v1/staff/login", json=account.login())
    assert signed_in.status_code == 200, signed_in.text
    http.headers["Authorization"] = f"Bearer {signed_in.json()['token']}"
    assert http.post("/api/v1/staff/heartbeat").status_code == 200
    return http


def _audit(redis_url: str) -> AuditReport:
    async def run() -> AuditReport:
        client = redis.asyncio.Redis.from_url(redis_url, decode_responses=False)
        try:
            return await PrivacyAudit(client, redactor_for(SETTINGS)).run()
        finally:
            await client.aclose()

    return asyncio.run(run())


def _everything(redis_url: str) -> str:
    """Every key and value of the database as text, JSON values also decoded (Rasa writes
    non-ASCII letters as \\u escapes)."""
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    parts: list[str] = []
    for key in store.scan_iter("*", count=500):
        kind = store.type(key)
        if kind == "string":
            values = [store.get(key)]
        elif kind == "hash":
            values = [x for pair in store.hgetall(key).items() for x in pair]
        elif kind == "list":
            values = store.lrange(key, 0, -1)
        elif kind == "set":
            values = list(store.smembers(key))
        elif kind == "zset":
            values = store.zrange(key, 0, -1)
        else:
            values = [x for _, f in store.xrange(key) for pair in f.items() for x in pair]
        parts.append(key)
        for value in values:
            parts.append(value or "")
            if value and value.lstrip()[:1] in "{[":
                with contextlib.suppress(ValueError):
                    parts.append(json.dumps(json.loads(value), ensure_ascii=False))
    store.close()
    return "\n".join(parts)


def test_no_identifier_reaches_redis_and_every_key_expires(api, gateway_url, redis_url, add_staff):
    notice = {key: TEXTS.reply(key, "sv") for key in ("redacted_id_number", "redacted_several")}
    person = Person(api)
    first = person.say(f"Mitt personnummer är {PNR}, min kompis har {SAMORDNING}. Vad gör jag?")
    assert first["replies"][-1]["text"] == notice["redacted_id_number"]
    second = person.say(f"Ring mig på {PHONE_SE} eller min kusin på {PHONE_ABROAD}")
    assert second["replies"][-1]["text"] == TEXTS.reply("redacted_phone", "sv")
    third = person.say(f"Min mejl är {EMAIL}")
    assert third["replies"][-1]["text"] == TEXTS.reply("redacted_email", "sv")
    fourth = person.say(f"Jag bor på {STREET}, {POSTCODE} Borås, var får jag hjälp?")
    assert fourth["replies"][-1]["text"] == TEXTS.reply("redacted_address", "sv")
    assert sum(r["text"] in notice.values() for r in first["replies"]) == 1  # told once

    # A handoff: the staff member reads the redacted text, the person is told too.
    staff = sign_in_staff(gateway_url, add_staff)
    assert person.say("kan jag få prata med en riktig människa")["handoff"] == "queued"
    # Staff see handoff ids only, never the session id: find this person's through Redis.
    handoff_id = redis.Redis.from_url(redis_url, decode_responses=True).hget(
        f"hrv:session:{person.id}", "handoff_id"
    )
    queued = staff.get("/api/v1/handoffs?state=queued").json()
    assert handoff_id in [h["handoff_id"] for h in queued]
    assert staff.post(f"/api/v1/handoffs/{handoff_id}/claim").status_code == 200
    during = person.say(f"Ni kan nå mig på {PHONE_IN_HANDOFF}, jag bor på {STREET_IN_HANDOFF}")
    assert during["handoff"] == "active"
    assert during["replies"] == [{"text": notice["redacted_several"]}]
    transcript = staff.get(f"/api/v1/handoffs/{handoff_id}/messages").json()["messages"]
    assert [m["text"] for m in transcript if m["from"] == "person"] == [
        "Ni kan nå mig på [telefonnummer], jag bor på [adress]"
    ]
    staff.close()

    # Rasa's tracker in Redis holds the conversation, with placeholders only.
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    tracker_key = f"{SETTINGS.rasa_tracker_key_prefix}:tracker:{person.id}"
    tracker = json.loads(store.get(tracker_key))
    user_texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert (
        "Mitt personnummer är [personnummer], min kompis har [samordningsnummer]. Vad gör jag?"
        in user_texts
    )
    assert store.ttl(tracker_key) > 0
    store.close()

    everything = _everything(redis_url)
    assert [s for s in EVERY_SECRET if s in everything] == []
    report = _audit(redis_url)
    assert report.keys >= 5
    assert report.findings == [], report.render()


def test_the_audit_finds_a_planted_personnummer_and_a_key_without_expiry(stack, redis_url):
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    planted = f"privacy-e2e:{secrets.token_hex(4)}"
    try:
        store.set(f"{planted}:tracker", json.dumps({"events": [{"text": f"pnr {PNR}"}]}), ex=600)
        store.set(f"{planted}:forever", "nothing personal")
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "privacy", "audit"],
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1, done.stderr
        assert f"{planted}:tracker (string): identifiers: personnummer" in done.stdout
        assert f"{planted}:forever (string): no expiry (TTL -1)" in done.stdout
        assert PNR not in done.stdout
    finally:
        store.delete(f"{planted}:tracker", f"{planted}:forever")
        store.close()
