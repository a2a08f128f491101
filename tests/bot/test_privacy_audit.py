"""`hrv-guide privacy audit` against a real Redis (the test database, flushed around each test):
keys without expiry and identifiers in every Redis type are reported by key and type, never by
value; JSON (Rasa's tracker) is opened; binary and large values are read without crashing."""

from __future__ import annotations

import asyncio
import json
import os

import pytest
import redis

from bot.cli import main
from bot.config import Settings
from bot.ops.privacy_audit import BATCH, CHUNK, PrivacyAudit, redactor_for, texts_in

pytestmark = pytest.mark.unit

PNR = "19900101-2385"
SAMORDNING = "701063-2391"
PHONE = "+46 70 123 45 67"


@pytest.fixture(scope="module")
def redactor():
    return redactor_for(Settings())


def _audit(capsys, url: str, *extra: str) -> tuple[int, str]:
    code = main(["privacy", "audit", "--redis-url", url, *extra])
    return code, capsys.readouterr().out


def _run(redis_url, redactor, **options):
    async def run():
        client = redis.asyncio.Redis.from_url(redis_url, decode_responses=False)
        try:
            return await PrivacyAudit(client, redactor, **options).run()
        finally:
            await client.aclose()

    return asyncio.run(run())


def test_a_clean_database_passes(redis_client, redis_url, capsys):
    redis_client.set("hrv:session:x", "ok", ex=60)
    redis_client.hset("hrv:handoff:1", mapping={"text": "ring mig på [telefonnummer]"})
    redis_client.expire("hrv:handoff:1", 60)
    code, out = _audit(capsys, redis_url)
    assert code == 0
    assert out.strip() == "Scanned 2 keys: 0 without expiry, 0 with identifiers."


def test_a_key_without_expiry_is_reported(redis_client, redis_url, capsys):
    redis_client.set("hrv:forgotten", "nothing personal", ex=60)
    redis_client.sadd("hrv:no_ttl", "a")
    code, out = _audit(capsys, redis_url)
    assert code == 1
    assert "hrv:no_ttl (set): no expiry (TTL -1)" in out
    assert "hrv:forgotten" not in out


def test_identifiers_in_every_type_are_reported_without_their_values(
    redis_client, redis_url, redactor, capsys
):
    secret = f"jag heter inget, pnr {PNR}"
    redis_client.set("k:string", secret)
    redis_client.hset("k:hash", "text", f"ring {PHONE}")
    redis_client.hset("k:hash_field", "sara@example.se", "x")
    redis_client.rpush("k:list", "hej", "Storgatan 12B, 503 30 Borås")
    redis_client.sadd("k:set", SAMORDNING)
    redis_client.zadd("k:zset", {"mejla ali@example.org": 1})
    redis_client.xadd("k:stream", {"from": "person", "text": f"{PNR}"})
    redis_client.set(f"k:name:{PNR}", "key names count too")
    for key in redis_client.scan_iter("k:*"):
        redis_client.expire(key, 60)
    report = _run(redis_url, redactor)
    found = {f.key: f.identifiers for f in report.findings}
    assert found == {
        "k:string": {"personnummer"},
        "k:hash": {"telefonnummer"},
        "k:hash_field": {"e-post"},
        "k:list": {"adress", "postnummer"},
        "k:set": {"samordningsnummer"},
        "k:zset": {"e-post"},
        "k:stream": {"personnummer"},
        f"k:name:{PNR}": {"personnummer"},
    }
    code, out = _audit(capsys, redis_url, "--match", "k:[^n]*")
    assert code == 1
    for value in (PHONE, SAMORDNING, "sara@example.se", "Storgatan", "ali@example.org"):
        assert value not in out  # names and types only
    assert "k:set (set): identifiers: samordningsnummer" in out


def test_rasa_tracker_json_is_opened(redis_client, redis_url, capsys):
    # Rasa writes its tracker with json.dumps (\u escapes): "Kungsvägen 3" is not in the raw text.
    tracker = {
        "sender_id": "0123456789abcdef",
        "events": [
            {"event": "user", "text": "jag bor på Kungsvägen 3", "timestamp": 1763900000.123},
            {"event": "bot", "text": "Ring Kvinnofridslinjen på 020-50 50 50 eller Bris 116 111."},
            {"event": "user", "text": "ok", "parse_data": {"text": "[telefonnummer]"}},
        ],
    }
    raw = json.dumps(tracker)
    assert "Kungsvägen" not in raw
    redis_client.set("hrvguide:tracker:abc", raw, ex=60)
    code, out = _audit(capsys, redis_url)
    assert code == 1
    assert "hrvguide:tracker:abc (string): identifiers: adress" in out  # public lines: not flagged


def test_json_inside_a_json_string_is_opened_too():
    inner = json.dumps({"text": "ring Sundsvägen 7"})
    texts = list(texts_in(json.dumps({"payload": inner})))
    assert "ring Sundsvägen 7" in texts


@pytest.mark.parametrize("nested", ["[" * 1000 + "]" * 1000, "[" * 1000, '{"a":' * 2000])
def test_a_message_of_deeply_nested_brackets_does_not_stop_the_audit(
    redis_client, redis_url, capsys, nested
):
    # A person can type this (it is text), and Rasa stores it in its tracker.
    tracker = {
        "events": [
            {"event": "user", "text": nested},
            {"event": "user", "text": f"pnr {PNR}"},
        ]
    }
    redis_client.set("hrvguide:tracker:deep", json.dumps(tracker), ex=60)
    redis_client.set("deep-alone", nested, ex=60)
    code, out = _audit(capsys, redis_url)
    assert code == 1
    assert "hrvguide:tracker:deep (string): identifiers: personnummer" in out


def test_what_staff_wrote_is_not_reported_but_what_people_wrote_is(
    redis_client, redis_url, redactor
):
    # Staff give centre addresses on purpose (not redacted); a person's address must be found.
    redis_client.xadd("staff-said", {"from": "staff", "text": "Vi finns på Storgatan 12, Borås"})
    redis_client.xadd("person-said", {"from": "person", "text": "jag bor på Storgatan 12"})
    redis_client.expire("staff-said", 60)
    redis_client.expire("person-said", 60)
    report = _run(redis_url, redactor)
    assert {f.key: f.identifiers for f in report.findings} == {"person-said": {"adress"}}


def test_binary_and_large_values_do_not_crash(redis_client, redis_url, redactor):
    redis_client.set("bin", os.urandom(4096) + b"\xff\xfe" + PNR.encode() + b"\x00", ex=60)
    big = "x" * (CHUNK - 7) + " " + PNR + " " + "y" * 1000  # across a chunk boundary
    redis_client.set("big", big, ex=60)
    redis_client.set("ok", os.urandom(2048).replace(b"\n", b""), ex=60)
    report = _run(redis_url, redactor)
    found = {f.key: f.identifiers for f in report.findings}
    assert found["bin"] == {"personnummer"} and found["big"] == {"personnummer"}


def test_a_string_too_large_to_parse_is_read_in_ranges(redis_client, redis_url, redactor):
    value = ("hej " * 300_000) + f" {PHONE} " + ("då " * 1000)
    redis_client.set("huge", value, ex=60)
    report = _run(redis_url, redactor, whole_string_bytes=1024)
    assert {f.key: f.identifiers for f in report.findings} == {"huge": {"telefonnummer"}}


def test_a_long_stream_and_list_are_read_to_the_end(redis_client, redis_url, redactor):
    for i in range(BATCH * 2 + 3):
        redis_client.xadd("stream", {"text": f"meddelande {i}"})
        redis_client.rpush("list", f"rad {i}")
    redis_client.xadd("stream", {"text": f"sist: {PHONE}"})
    redis_client.rpush("list", f"sist: {PHONE}")
    redis_client.expire("stream", 60)
    redis_client.expire("list", 60)
    report = _run(redis_url, redactor)
    assert {f.key: f.identifiers for f in report.findings} == {
        "stream": {"telefonnummer"},
        "list": {"telefonnummer"},
    }


def test_an_unreachable_redis_is_exit_2(capsys):
    code = main(["privacy", "audit", "--redis-url", "redis://127.0.0.1:1/0"])
    assert code == 2
    assert "Redis could not be read" in capsys.readouterr().err


def test_a_rate_limit_holds_times_only_and_a_time_is_not_read_as_a_phone_number(
    redis_client, redis_url, redactor
):
    # A hit's time that the finders read as a phone number (one in a thousand or so).
    time_like_a_phone = "1796687286.0203984"
    assert redactor.find(time_like_a_phone)
    redis_client.rpush("hrv:limits:client_messages:abc", time_like_a_phone, "1.5")
    redis_client.rpush("hrv:limits:session_messages:def", "1.5", f"pnr {PNR}")
    redis_client.set("hrv:limits:odd:x", "1.5")
    for key in redis_client.scan_iter("hrv:limits:*"):
        redis_client.expire(key, 60)
    report = _run(redis_url, redactor)
    assert {f.key: f.broken for f in report.findings} == {
        "hrv:limits:session_messages:def": {"rate limit: an entry that is not a time"},
        "hrv:limits:odd:x": {"rate limit: a string, not a list of times"},
    }
