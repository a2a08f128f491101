"""The handoff service publishes each change after it happens; listeners do the side effects."""

from __future__ import annotations

import pytest

from bot.handoff.events import HandoffChanged, HandoffEvents, Transition
from tests.bot.conftest import WRAP_UP


async def test_a_change_reaches_only_its_listeners_and_a_failing_one_stops_none() -> None:
    events = HandoffEvents()
    heard: list[tuple[str, Transition]] = []

    async def broken(change: HandoffChanged) -> None:
        raise RuntimeError("listener down")

    async def ends(change: HandoffChanged) -> None:
        heard.append(("ends", change.transition))

    async def claims(change: HandoffChanged) -> None:
        heard.append(("claims", change.transition))

    events.subscribe(broken, frozenset(Transition))
    events.subscribe(ends, frozenset({Transition.RELEASED, Transition.LEFT}))
    events.subscribe(claims, frozenset({Transition.CLAIMED}))
    for transition in (Transition.CLAIMED, Transition.RELEASED, Transition.REQUEUED):
        await events.publish(HandoffChanged(transition, "h", "s"))
    assert heard == [("claims", Transition.CLAIMED), ("ends", Transition.RELEASED)]


@pytest.fixture
def recorded(app) -> list[HandoffChanged]:
    """Every change the app's handoff service publishes."""
    changes: list[HandoffChanged] = []

    async def record(change: HandoffChanged) -> None:
        changes.append(change)

    app.state.handoffs.events.subscribe(record, frozenset(Transition))
    return changes


async def test_every_transition_is_published_once_with_its_session_and_staff(
    app, client, session, new_session, queue_session, sign_in, clock, recorded
):
    staff = await sign_in("alice")
    first = await queue_session(session)
    await client.post(f"/api/v1/handoffs/{first}/claim", headers=staff.headers)
    clock.advance(app.state.settings.handoff_lease_seconds + 1)
    await app.state.handoffs.sweep()  # alice's console went silent: back in the queue
    await client.post(f"/api/v1/handoffs/{first}/claim", headers=staff.headers)
    await client.post(f"/api/v1/handoffs/{first}/close", json=WRAP_UP, headers=staff.headers)
    await client.post(
        f"/api/v1/handoffs/{first}/close", json=WRAP_UP, headers=staff.headers
    )  # a repeat: 409
    other = await new_session()
    second = await queue_session(other)
    for _ in range(2):  # leaving twice changes once
        await client.post(f"/api/v1/sessions/{other.id}/handoff/leave", headers=other.headers)
    assert [(c.transition, c.handoff_id, c.session_id, c.staff) for c in recorded] == [
        (Transition.ENQUEUED, first, session.id, ""),
        (Transition.CLAIMED, first, session.id, "alice"),
        (Transition.REQUEUED, first, session.id, ""),
        (Transition.CLAIMED, first, session.id, "alice"),
        (Transition.CLOSED, first, session.id, "alice"),
        (Transition.ENQUEUED, second, other.id, ""),
        (Transition.LEFT, second, other.id, ""),
    ]


async def test_leaving_the_queue_wakes_the_bot_through_its_listener(
    client, session, queue_session, fake_rasa
):
    await queue_session(session)
    left = await client.post(
        f"/api/v1/sessions/{session.id}/handoff/leave", headers=session.headers
    )
    assert left.status_code == 200 and left.json()["handoff"] == "none"
    assert [e for _, e in fake_rasa.events if e["event"] in ("pause", "resume")] == [
        {"event": "resume"}
    ]
