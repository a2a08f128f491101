"""Roles and the supervisor: `staff add --role supervisor`, every open chat seen read-only,
joining an active chat, ending any open one; staff refused (403) on all of it."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from bot import cli
from bot.config import get_settings
from bot.staff.roles import Role
from tests.bot.conftest import WRAP_UP, FakeClock, StaffConsole

pytestmark = pytest.mark.unit

LIST = "/api/v1/supervision/handoffs"


@pytest.fixture
def sign_in_as(app: FastAPI, client: httpx.AsyncClient, clock: FakeClock):
    """Create an account with a role and sign in; returns the console and the login body."""

    async def make(name: str, role: Role = Role.STAFF) -> tuple[StaffConsole, dict]:
        account = await app.state.staff_auth.add(name, role)
        response = await client.post(
            "/api/v1/staff/login", json={"token": account.token, "code": account.code(clock())}
        )
        assert response.status_code == 200, response.text
        return StaffConsole(name=name, token=response.json()["token"]), response.json()

    return make


def test_staff_add_takes_a_role_and_defaults_to_staff(redis_url, redis_client, monkeypatch, capsys):
    monkeypatch.setenv("HRV_REDIS_URL", redis_url)
    get_settings.cache_clear()
    try:
        assert cli.main(["staff", "add", "sara", "--role", "supervisor"]) == 0
        assert "role: supervisor" in capsys.readouterr().out
        assert cli.main(["staff", "add", "omar"]) == 0
        assert "role: staff" in capsys.readouterr().out
        with pytest.raises(SystemExit):
            cli.main(["staff", "add", "eve", "--role", "admin"])
    finally:
        get_settings.cache_clear()
    assert redis_client.hget("hrv:staff:account:sara", "role") == "supervisor"
    assert redis_client.hget("hrv:staff:account:omar", "role") == "staff"
    assert not redis_client.exists("hrv:staff:account:eve")


async def test_the_role_is_known_at_sign_in_and_on_every_call(
    app, client, sign_in_as, redis_client
):
    supervisor, body = await sign_in_as("sara", Role.SUPERVISOR)
    assert body["role"] == "supervisor"
    _, body = await sign_in_as("omar")
    assert body["role"] == "staff"
    assert (await client.get(LIST, headers=supervisor.headers)).status_code == 200
    # An account made before roles existed has none: it is staff, the role that may do least.
    redis_client.hdel("hrv:staff:account:sara", "role")
    assert (await client.get(LIST, headers=supervisor.headers)).status_code == 403
    member = await app.state.staff_auth.authenticate(supervisor.token)
    assert member.role == Role.STAFF and not member.is_supervisor


async def test_staff_get_403_on_every_supervisor_endpoint_and_it_is_audited(
    app, client, session, queue_session, sign_in_as, redis_client
):
    handoff_id = await queue_session(session)
    staff, _ = await sign_in_as("omar")
    calls = [
        ("GET", LIST, None),
        ("GET", f"{LIST}/{handoff_id}/messages", None),
        ("POST", f"{LIST}/{handoff_id}/messages", {"text": "hej"}),
        ("POST", f"{LIST}/{handoff_id}/close", WRAP_UP),
        ("GET", "/api/v1/staff/stats?from=2026-01-01&to=2026-01-01", None),
    ]
    for method, url, body in calls:
        response = await client.request(method, url, json=body, headers=staff.headers)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["error"]["code"] == "forbidden"
    assert redis_client.hget(f"hrv:handoff:{handoff_id}", "state") == "queued"
    actions = [(e["who"], e["action"]) for e in await app.state.audit.recent()]
    assert ("omar", "refused_forbidden") in actions
    for url in (LIST, f"{LIST}/{handoff_id}/close"):
        assert (await client.get(url)).status_code in (401, 405)


async def test_a_supervisor_sees_every_open_chat_and_reads_it_without_claiming(
    app, client, new_session, queue_session, sign_in, sign_in_as, redis_client, clock
):
    alice, bob = await sign_in("alice"), await sign_in("bob")
    supervisor, _ = await sign_in_as("sara", Role.SUPERVISOR)
    first, second, waiting = [await new_session() for _ in range(3)]
    ids = [await queue_session(s) for s in (first, second, waiting)]
    await client.post(f"/api/v1/handoffs/{ids[0]}/claim", headers=alice.headers)
    clock.advance(1)  # the active ones are listed oldest claim first
    await client.post(f"/api/v1/handoffs/{ids[1]}/claim", headers=bob.headers)
    await client.post(
        f"/api/v1/sessions/{first.id}/messages", json={"text": "hemlig-1"}, headers=first.headers
    )
    await client.post(
        f"/api/v1/handoffs/{ids[0]}/messages", json={"text": "svar-1"}, headers=alice.headers
    )

    listed = (await client.get(LIST, headers=supervisor.headers)).json()
    assert [(h["handoff_id"], h["state"], h["claimed_by"]) for h in listed] == [
        (ids[2], "queued", ""),
        (ids[0], "active", "alice"),
        (ids[1], "active", "bob"),
    ]
    assert all("session_id" not in h for h in listed)
    read = await client.get(f"{LIST}/{ids[0]}/messages", headers=supervisor.headers)
    assert read.status_code == 200
    texts = [(m["from"], m["text"]) for m in read.json()["messages"] if m["kind"] == "text"]
    assert texts == [("person", "hemlig-1"), ("staff", "svar-1")]
    newest = read.json()["messages"][-1]["id"]
    later = await client.get(
        f"{LIST}/{ids[0]}/messages", params={"after": newest}, headers=supervisor.headers
    )
    assert later.json()["messages"] == []
    queued = await client.get(f"{LIST}/{ids[2]}/messages", headers=supervisor.headers)
    assert queued.status_code == 200
    # Reading changed nothing: alice still holds it, the waiting chat still waits.
    assert redis_client.hget(f"hrv:handoff:{ids[0]}", "claimed_by") == "alice"
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == [ids[2]]
    entries = await app.state.audit.recent()
    views = [(e["who"], e["action"], e["handoff"]) for e in entries]
    assert ("sara", "supervised_list", "") in views
    assert ("sara", "supervised_transcript", ids[0]) in views
    assert "hemlig" not in str(entries) and "svar-1" not in str(entries)


async def test_a_supervisor_joins_an_active_chat_beside_its_holder(
    app, client, session, queue_session, sign_in, sign_in_as
):
    handoff_id = await queue_session(session)
    supervisor, _ = await sign_in_as("sara", Role.SUPERVISOR)
    joined = await client.post(
        f"{LIST}/{handoff_id}/messages",
        json={"text": "Jag är här också"},
        headers=supervisor.headers,
    )
    assert joined.status_code == 409  # queued: a supervisor claims it like anyone
    alice = await sign_in("alice")
    await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=alice.headers)
    body = {"text": "Jag är här också", "msg_id": "supervisor-msg-1"}
    sent = await client.post(f"{LIST}/{handoff_id}/messages", json=body, headers=supervisor.headers)
    again = await client.post(
        f"{LIST}/{handoff_id}/messages", json=body, headers=supervisor.headers
    )
    assert sent.status_code == 201 and again.json()["id"] == sent.json()["id"]

    person = await client.get(f"/api/v1/sessions/{session.id}/events", headers=session.headers)
    from_staff = [e for e in person.json()["events"] if e["kind"] == "text"]
    assert [(e["from"], e["text"]) for e in from_staff] == [("staff", "Jag är här också")]
    holder = await client.get(f"/api/v1/handoffs/{handoff_id}/events", headers=alice.headers)
    marked = [e for e in holder.json() if e["kind"] == "text"]
    assert [(e["from"], e["flags"]) for e in marked] == [("staff", ["supervisor"])]
    entries = await app.state.audit.recent()
    wrote = [e for e in entries if e["action"] == "supervisor_wrote"]
    assert [(e["who"], e["handoff"]) for e in wrote] == [("sara", handoff_id)]
    assert "Jag är här" not in str(entries)
    # The holder keeps the chat.
    mine = await client.get("/api/v1/handoffs?state=active", headers=alice.headers)
    assert [h["handoff_id"] for h in mine.json()] == [handoff_id]


async def test_a_supervisor_ends_any_open_chat_with_the_wrap_up(
    app, client, new_session, queue_session, sign_in, sign_in_as, redis_client
):
    alice = await sign_in("alice")
    supervisor, _ = await sign_in_as("sara", Role.SUPERVISOR)
    held, waiting = await new_session(), await new_session()
    held_id, waiting_id = await queue_session(held), await queue_session(waiting)
    await client.post(f"/api/v1/handoffs/{held_id}/claim", headers=alice.headers)

    refused = await client.post(
        f"{LIST}/{held_id}/close",
        json={"categories": [], "outcome": "other"},
        headers=supervisor.headers,
    )
    assert refused.status_code == 422
    for handoff_id in (held_id, waiting_id):
        closed = await client.post(
            f"{LIST}/{handoff_id}/close", json=WRAP_UP, headers=supervisor.headers
        )
        assert closed.status_code == 200, closed.text
        assert closed.json()["state"] == "closed"
    assert redis_client.smembers("hrv:staff:claims:alice") == set()
    assert redis_client.lrange("hrv:handoff:queue", 0, -1) == []
    assert redis_client.zrange("hrv:handoff:leases", 0, -1) == []
    events = await client.get(f"/api/v1/handoffs/{held_id}/events", headers=alice.headers)
    assert events.status_code == 409  # ended: her console shows it so
    person = await client.get(f"/api/v1/sessions/{held.id}/events", headers=held.headers)
    assert person.json()["events"][-1]["kind"] == "closed"
    assert person.json()["handoff"] == "none"
    again = await client.post(f"{LIST}/{held_id}/close", json=WRAP_UP, headers=supervisor.headers)
    assert again.status_code == 409
    actions = [(e["who"], e["action"]) for e in await app.state.audit.recent()]
    assert actions.count(("sara", "closed_by_supervisor")) == 2
    [day] = redis_client.keys("hrv:stats:day:*")
    counted = redis_client.hgetall(day)
    assert counted["how:closed"] == "2" and counted["outcome:information_given"] == "2"
    assert counted["handled:count"] == "1" and counted["waited_unanswered:count"] == "1"
