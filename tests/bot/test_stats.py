"""Wrap-up on close and the statistics without content: validation (422, nothing changed), the
day counters written inside each ending's script (and their TTL), no ids in them, the report as
JSON and CSV, and the privacy audit's rule for them."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.handoff.counters import BUCKETS, DAY_SECONDS, day_of, expires_at, valid_entry
from bot.languages import LanguageDataError
from bot.ops.privacy_audit import PrivacyAudit, redactor_for
from bot.staff.roles import Role
from bot.staff.wrapup import WrapUp
from bot.store import LUA_DIR
from tests.bot.conftest import WRAP_UP

pytestmark = pytest.mark.unit

STATS = "/api/v1/staff/stats"


async def _supervisor(app, client, clock):
    account = await app.state.staff_auth.add("sara", Role.SUPERVISOR)
    body = {"token": account.token, "code": account.code(clock())}
    token = (await client.post("/api/v1/staff/login", json=body)).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _today(clock) -> str:
    return day_of(int(clock() * 1000)).isoformat()


@pytest.mark.parametrize(
    "body",
    [
        None,
        {},
        {"categories": [], "outcome": "information_given"},
        {"categories": ["information_only"]},
        {"categories": ["no_such_category"], "outcome": "information_given"},
        {"categories": ["information_only"], "outcome": "no_such_outcome"},
        {"categories": ["information_only"], "outcome": ["information_given", "other"]},
        {"categories": "information_only", "outcome": "information_given"},
    ],
)
async def test_a_close_without_a_valid_wrap_up_is_422_and_changes_nothing(
    client, session, queue_session, sign_in, redis_client, body
):
    handoff_id = await queue_session(session)
    staff = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    before = redis_client.hgetall(f"hrv:handoff:{handoff_id}")
    response = await client.post(
        f"/api/v1/handoffs/{handoff_id}/close", json=body, headers=staff.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"
    assert redis_client.hgetall(f"hrv:handoff:{handoff_id}") == before
    assert redis_client.keys("hrv:stats:*") == []


async def test_every_ending_is_counted_in_its_scripts_step_with_a_ttl_and_no_ids(
    app, client, new_session, queue_session, sign_in, redis_client, clock
):
    staff = await sign_in("alice")
    sessions = [await new_session() for _ in range(4)]
    ids = [await queue_session(s) for s in sessions]
    redis_client.hset(f"hrv:handoff:{ids[0]}", "risk", "threat")
    for handoff_id in ids[:3]:
        await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    clock.advance(90)  # handled for 90 s
    closed = await client.post(
        f"/api/v1/handoffs/{ids[0]}/close",
        json={"categories": ["threats_violence", "honour_control"], "outcome": "referred_centre"},
        headers=staff.headers,
    )
    assert closed.status_code == 200, closed.text
    await client.post(f"/api/v1/handoffs/{ids[1]}/release", headers=staff.headers)
    await client.post(
        f"/api/v1/sessions/{sessions[2].id}/handoff/leave", headers=sessions[2].headers
    )
    await client.post(
        f"/api/v1/sessions/{sessions[3].id}/handoff/leave", headers=sessions[3].headers
    )

    day = _today(clock)
    key = f"hrv:stats:day:{day}"
    assert redis_client.keys("hrv:stats:*") == [key]
    counted = redis_client.hgetall(key)
    assert counted == {
        "ended": "4",
        "how:closed": "1",
        "how:released": "1",
        "how:left": "2",
        "lang:sv": "4",
        "channel:widget": "4",
        "risk:threat": "1",
        "category:threats_violence": "1",
        "category:honour_control": "1",
        "outcome:referred_centre": "1",
        "waited:count": "3",
        "waited:seconds": "0",
        "waited:le_60": "3",
        "handled:count": "3",
        "handled:seconds": "270",
        "handled:le_120": "3",
        "waited_unanswered:count": "1",
        "waited_unanswered:seconds": "90",
        "waited_unanswered:le_120": "1",
    }
    assert all(valid_entry(name, value) for name, value in counted.items())
    stored = key + str(counted)
    for secret in [*ids, *(s.id for s in sessions), "alice"]:
        assert secret not in stored
    retention = app.state.settings.stats_retention_days
    expected = expires_at(day_of(int(clock() * 1000)), retention)
    assert redis_client.expiretime(key) == expected
    assert 0 < redis_client.ttl(key) <= (retention + 1) * DAY_SECONDS


async def test_a_lapsed_lease_counts_as_a_requeue(
    app, client, session, queue_session, sign_in, redis_client, clock
):
    handoff_id = await queue_session(session)
    staff = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    clock.advance(app.state.settings.handoff_lease_seconds + 1)
    await app.state.handoffs.sweep()
    counted = redis_client.hgetall(f"hrv:stats:day:{_today(clock)}")
    assert counted == {"requeued": "1"}
    assert redis_client.ttl(f"hrv:stats:day:{_today(clock)}") > 0


async def test_the_report_as_json_and_csv_per_day_and_in_total(
    app, client, new_session, queue_session, sign_in, clock
):
    headers = await _supervisor(app, client, clock)
    staff = await sign_in("alice")
    for outcome in ("referred_centre", "information_given"):
        handoff_id = await queue_session(await new_session())
        await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
        body = {"categories": ["forced_marriage"], "outcome": outcome}
        await client.post(f"/api/v1/handoffs/{handoff_id}/close", json=body, headers=staff.headers)
    today = _today(clock)
    yesterday = (datetime.fromisoformat(today) - timedelta(days=1)).date().isoformat()
    response = await client.get(STATS, params={"from": yesterday, "to": today}, headers=headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert [d["day"] for d in report["days"]] == [yesterday, today]
    assert report["days"][0]["ended"] == 0
    totals = report["totals"]
    assert totals["ended"] == 2 and totals["how"]["closed"] == 2
    assert totals["categories"]["forced_marriage"] == 2 and totals["categories"]["other"] == 0
    assert totals["outcomes"] == {
        **{k: 0 for k in totals["outcomes"]},
        "referred_centre": 1,
        "information_given": 1,
    }
    assert totals["languages"]["sv"] == 2 and totals["languages"]["ar"] == 0
    assert totals["handled"]["count"] == 2 and totals["handled"]["median_at_most_seconds"] == 60
    assert totals["danger_flagged"] == 0 and set(totals["risk"]) >= {"violence", "suicide"}

    as_csv = await client.get(
        STATS, params={"from": yesterday, "to": today}, headers={**headers, "Accept": "text/csv"}
    )
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [row["day"] for row in rows] == [yesterday, today, "total"]
    assert rows[-1]["ended"] == "2" and rows[1]["categories_forced_marriage"] == "2"
    assert rows[0]["outcomes_referred_centre"] == "0" and rows[-1]["handled_buckets_le_60"] == "2"
    entries = await app.state.audit.recent()
    assert ("sara", "viewed_stats") in [(e["who"], e["action"]) for e in entries]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2026-13-01", "today"),
        ("today", "yesterday"),
        ("today", "tomorrow"),
        ("2026-1-1", "today"),
        ("2026-W01-1", "today"),
        ("today", "2026-02-30"),
        ("too_old", "today"),
    ],
)
async def test_bad_dates_or_a_range_beyond_the_retention_are_422(app, client, clock, first, last):
    headers = await _supervisor(app, client, clock)
    today = datetime.fromtimestamp(clock(), UTC).date()
    retention = app.state.settings.stats_retention_days
    named = {
        "today": today,
        "yesterday": today - timedelta(days=1),
        "tomorrow": today + timedelta(days=1),
        "too_old": today - timedelta(days=retention + 1),
    }
    params = {
        "from": named[first].isoformat() if first in named else first,
        "to": named[last].isoformat() if last in named else last,
    }
    response = await client.get(STATS, params=params, headers=headers)
    assert response.status_code == 422, response.text
    oldest = {"from": (today - timedelta(days=retention)).isoformat(), "to": today.isoformat()}
    assert (await client.get(STATS, params=oldest, headers=headers)).status_code == 200


async def test_the_wrap_up_choices_are_served_with_labels_in_every_console_language(
    client, sign_in
):
    staff = await sign_in("alice")
    choices = (await client.get("/api/v1/staff/wrap-up", headers=staff.headers)).json()
    ids = [c["id"] for c in choices["categories"]]
    assert "threats_violence" in ids and len(ids) == len(set(ids))
    assert all(set(c["labels"]) == {"sv", "en"} for c in choices["outcomes"])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("categories: []\noutcomes: []\n", "non-empty"),
        ("categories:\n  - id: Bad-Id\n    labels: {sv: a, en: b}\noutcomes: []\n", "Bad-Id"),
        (
            "categories:\n  - id: a\n    labels: {sv: a}\n"
            "outcomes:\n  - id: b\n    labels: {sv: a, en: b}\n",
            "label in each",
        ),
        (
            "categories:\n  - id: a\n    labels: {sv: a, en: b}\n"
            "  - id: a\n    labels: {sv: a, en: b}\n"
            "outcomes:\n  - id: b\n    labels: {sv: a, en: b}\n",
            "twice",
        ),
    ],
)
def test_the_wrap_up_file_is_checked_at_load(tmp_path: Path, text, problem):
    path = tmp_path / "wrapup.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LanguageDataError, match=problem):
        WrapUp.load(path, ["sv", "en"])


def test_the_lua_counter_buckets_are_the_reports():
    lua = (LUA_DIR / "lib" / "count_ending.lua").read_text(encoding="utf-8")
    [listed] = re.findall(r"COUNTER_BUCKETS = \{([^}]*)\}", lua)
    assert tuple(int(edge) for edge in listed.split(",")) == BUCKETS


async def test_the_privacy_audit_knows_the_statistics_rule(
    app, client, session, queue_session, sign_in, redis_client, redis_url, settings
):
    from redis.asyncio import Redis

    handoff_id = await queue_session(session)
    staff = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=staff.headers)
    await client.post(f"/api/v1/handoffs/{handoff_id}/close", json=WRAP_UP, headers=staff.headers)

    async def audit():
        client_ = Redis.from_url(redis_url, decode_responses=False)
        try:
            return await PrivacyAudit(
                client_, redactor_for(settings), stats_retention_days=settings.stats_retention_days
            ).run("hrv:stats:*")
        finally:
            await client_.aclose()

    report = await audit()
    assert report.keys == 1 and report.ok, report.render()
    [key] = redis_client.keys("hrv:stats:*")
    redis_client.hset(key, f"handoff:{handoff_id}", "1")
    redis_client.hset(key, "sum_big", "0731234567")
    redis_client.expire(key, (settings.stats_retention_days + 5) * DAY_SECONDS)
    report = await audit()
    [finding] = report.findings
    assert finding.broken == {
        "statistics: a field that is not a counter",
        "statistics: kept longer than HRV_STATS_RETENTION_DAYS",
    }
    assert "not a counter" in report.render()


async def test_a_quick_exit_from_an_open_chat_counts_as_leaving_and_keeps_no_id(
    client, session, queue_session, redis_client, clock
):
    handoff_id = await queue_session(session)
    clock.advance(30)
    assert (
        await client.delete(f"/api/v1/sessions/{session.id}", headers=session.headers)
    ).status_code == 204
    [key] = redis_client.keys("hrv:stats:*")
    counted = redis_client.hgetall(key)
    assert counted["how:left"] == "1" and counted["waited_unanswered:seconds"] == "30"
    assert handoff_id not in str(counted) and session.id not in str(counted)
    assert not redis_client.exists(f"hrv:handoff:{handoff_id}")
