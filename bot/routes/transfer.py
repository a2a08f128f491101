"""Handing a held chat on: to a named colleague or back to the queue, with a note for staff only,
and the colleagues on duty a console may choose from (with how many chats each holds).

All checks (only the holder, the colleague on duty and under HRV_STAFF_MAX_OPEN_CHATS) happen in
the service's one atomic script; the audit entry (who, to whom) is written there, never the note.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from bot.handoff.states import HandoffState
from bot.routes.deps import HandoffsDep
from bot.routes.staff_access import AUTH_ERRORS, AuditRefusals, HandoffId, PollingStaffDep, StaffDep
from bot.staff.auth import NAME
from textnorm import readable_text

router = APIRouter(tags=["staff"], route_class=AuditRefusals)

# As long as a message may be (bot/routes/schemas.py's TextIn).
NOTE_MAX_CHARS = 2000


class TransferIn(BaseModel):
    """Where the chat goes: a colleague's account name, or null for the front of the queue."""

    to: str | None = Field(
        max_length=32,
        pattern=NAME.pattern,
        description="A colleague's account name, or null: back to the queue",
    )
    note: str = Field(
        default="",
        max_length=NOTE_MAX_CHARS,
        description="For the next holder only; the person never sees it",
    )

    @field_validator("note")
    @classmethod
    def _readable_note(cls, value: str) -> str:
        return readable_text(value) if value.strip() else ""


class TransferredOut(BaseModel):
    """Where the chat is now: active with the colleague, or queued."""

    handoff_id: str
    state: HandoffState
    to: str | None


class ColleagueOut(BaseModel):
    """A colleague on duty now."""

    name: str
    open_chats: int
    at_capacity: bool


class ColleaguesOut(BaseModel):
    """Who a chat can go to, and the limit of chats per account (0 = none)."""

    max_open_chats: int
    colleagues: list[ColleagueOut]


@router.post(
    "/api/v1/handoffs/{handoff_id}/transfer",
    response_model=TransferredOut,
    responses={**AUTH_ERRORS, 422: {}},
)
async def transfer(
    handoff_id: HandoffId, body: TransferIn, staff: StaffDep, handoffs: HandoffsDep
) -> TransferredOut:
    """Hand the chat to `to` (theirs at once) or, with null, back to the front of the queue.
    Only its holder may (403); 404 for an unknown colleague, 409 for one off duty or at the
    limit (`at_capacity`), 422 for yourself: a refusal changes nothing."""
    handoff = await handoffs.transfer(handoff_id, staff.name, body.to, body.note)
    return TransferredOut(handoff_id=handoff.id, state=handoff.state, to=handoff.claimed_by or None)


@router.get("/api/v1/staff/colleagues", response_model=ColleaguesOut, responses={401: {}})
async def colleagues(staff: PollingStaffDep, handoffs: HandoffsDep) -> ColleaguesOut:
    """The other accounts on duty now and how many chats each holds (the console's transfer
    choices; it asks when the form opens, so it does not renew the idle timeout)."""
    limit = handoffs.max_open_chats
    found = []
    for name in await handoffs.on_duty_names():
        if name == staff.name:
            continue
        held = len(await handoffs.active_for(name))
        found.append(ColleagueOut(name=name, open_chats=held, at_capacity=0 < limit <= held))
    return ColleaguesOut(max_open_chats=limit, colleagues=found)
