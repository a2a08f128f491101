"""The failure drill's judgement (scripts/drill.py): which outcome is which kind of failure, and
what misses the bar. The drill itself runs in tests/e2e/test_drill.py."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import drill
import drill_outcomes

MESSAGES = "http://gw/api/v1/sessions/0123456789abcdef0123/messages"


def answer(status: int, body: object, url: str = MESSAGES) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("POST", url))


def test_each_outcome_is_its_kind() -> None:
    safe = next(iter(drill_outcomes.SAFE_REPLIES))
    assert drill.classify(answer(200, {"replies": [{"text": "Hej"}]}), None) == drill.OK
    assert drill.classify(answer(200, {"replies": [{"text": safe}]}), None) == drill.FALLBACK
    assert drill.classify(answer(503, {"replies": [{"text": safe}]}), None) == drill.SAFE_503
    nginx = {"error": {"code": "unavailable", "message": "If you are in danger, call 112."}}
    assert drill.classify(answer(503, nginx), None) == drill.SAFE_503
    assert drill.classify(answer(503, {"error": {"code": "unavailable"}}), None) == drill.OTHER_5XX
    assert drill.classify(answer(500, {"error": {}}), None) == drill.OTHER_5XX
    bad_gateway = httpx.Response(502, text="<html>", request=httpx.Request("POST", MESSAGES))
    assert drill.classify(bad_gateway, None) == drill.OTHER_5XX
    assert drill.classify(answer(404, {"error": {}}), None) == drill.CLIENT_4XX
    assert drill.classify(answer(429, {"replies": []}), None) == drill.OK  # a documented limit
    assert drill.classify(None, httpx.ReadTimeout("slow")) == drill.TIMEOUT
    assert drill.classify(None, httpx.ConnectError("refused")) == drill.CONNECTION
    assert drill.describe(bad_gateway, None) == "502 POST /sessions/*/messages"


def result(phase: drill.Phase, **changes: object) -> drill.Result:
    fields: dict[str, object] = {
        "failed": Counter(),
        "fallback": 0,
        "staff_failed": Counter(),
        "streams_cut": 0,
        "recovered_after": 1.0,
        "lost_to_staff": 0,
        "lost_to_person": 0,
        "acknowledged_lost": 0,
        "danger": 3,
        "danger_without_112": 0,
        "unexpected": Counter(),
        "timeline": "",
    }
    fields.update(changes)
    return drill.Result(phase, **fields)  # type: ignore[arg-type]


def test_the_bar() -> None:
    quiet = drill.Phase("none")
    fault = drill.Phase("a gateway", "gateway-1")
    accepted = Counter({drill.SAFE_503: 4, drill.CONNECTION: 2})
    assert drill.shortfalls([result(quiet), result(fault, failed=accepted)]) == []

    missed = drill.shortfalls([result(quiet, failed=Counter({drill.CONNECTION: 1}))])
    assert len(missed) == 1 and "before the faults" in missed[0]  # nothing fails without a fault
    for change in (
        {"failed": Counter({drill.OTHER_5XX: 1})},
        {"failed": Counter({drill.TIMEOUT: 1})},
        {"staff_failed": Counter({drill.OTHER_5XX: 1})},
        {"recovered_after": None},
        {"lost_to_staff": 1},
        {"lost_to_person": 1},
        {"acknowledged_lost": 1},
        {"danger_without_112": 1},
    ):
        assert len(drill.shortfalls([result(fault, **change)])) == 1, change
    fault.keys_without_expiry = {"hrv": 2}
    assert drill.shortfalls([result(fault)]) == ["gateway-1: keys without expiry {'hrv': 2}"]


def test_the_timeline_shows_each_bad_moment_apart() -> None:
    phase = drill.Phase("the Redis primary", "redis-1", start=100.0)
    bad = [(100.5, drill.SAFE_503), (101.9, drill.SAFE_503), (103.0, drill.SAFE_503)]
    bad += [(125.2, drill.FALLBACK), (126.0, drill.SAFE_503)]
    assert drill.timeline(phase, bad) == (
        "0-3 s: 503 safe reply x3; 25-26 s: 200 safe reply x1, 503 safe reply x1"
    )
