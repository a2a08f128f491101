"""What a supervisor does beside the staff: sees every open chat (queued and active, and who
holds it) and reads any transcript without claiming it, joins an active chat by writing into it
beside its holder, and closes any open chat with the same wrap-up as staff. Staff get 403
(audited, as every refusal) on all of it.

Every view is audited without content: the list at most once per HRV_AUDIT_REPEAT_SECONDS per
supervisor (the console polls it), each chat's transcript once per chat and interval. A queued
chat is joined by claiming it like any staff member (`POST /api/v1/handoffs/{id}/claim`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bot.errors import Conflict
from bot.handoff.delivery import valid_cursor
from bot.handoff.service import Handoffs
from bot.handoff.states import OPEN_STATES, Handoff, Side
from bot.routes.deps import EventsDep, HandoffsDep, SettingsDep
from bot.routes.handoffs import HandoffOut, MessageSentOut, StaffMessageIn
from bot.routes.schemas import EventOut
from bot.routes.staff_access import (
    AUTH_ERRORS,
    AuditDep,
    AuditRefusals,
    HandoffId,
    PollingSupervisorDep,
    SupervisorDep,
)
from bot.routes.wrapup import WrapUpDep, WrapUpIn

router = APIRouter(tags=["supervision"], route_class=AuditRefusals)


class SupervisedOut(HandoffOut):
    """An open chat as a supervisor sees it: also who holds it (empty while queued)."""

    claimed_by: str = Field(default="", description="The staff account holding it, or empty")


class SupervisedTranscriptOut(BaseModel):
    """A chat's transcript (both sides, oldest first) after `after`, read-only."""

    handoff: SupervisedOut
    messages: list[EventOut]


def _out(handoff: Handoff, handoffs: Handoffs) -> SupervisedOut:
    return SupervisedOut(
        handoff_id=handoff.id,
        state=handoff.state,
        lang=handoff.lang,
        reason=handoff.reason,
        risk=handoff.risk,
        channel=handoff.channel,
        queued_at=handoff.queued_at / 1000,
        waiting_seconds=max(0, (handoffs.now_ms() - handoff.queued_at) // 1000),
        claimed_at=handoff.claimed_at / 1000 if handoff.claimed_at else None,
        claimed_by=handoff.claimed_by,
    )


@router.get(
    "/api/v1/supervision/handoffs", response_model=list[SupervisedOut], responses={401: {}, 403: {}}
)
async def open_chats(
    supervisor: PollingSupervisorDep,
    handoffs: HandoffsDep,
    audit: AuditDep,
    settings: SettingsDep,
) -> list[SupervisedOut]:
    """Every open chat: the queue first in line first, then the active ones with their holder.
    Polled by the console: no idle renewal; audited at most once per repeat interval."""
    found = await handoffs.open_handoffs()
    await audit.record(
        supervisor.name, "supervised_list", at_most_every=settings.audit_repeat_seconds
    )
    return [_out(handoff, handoffs) for handoff in found]


@router.get(
    "/api/v1/supervision/handoffs/{handoff_id}/messages",
    response_model=SupervisedTranscriptOut,
    responses=AUTH_ERRORS,
)
async def watch(
    handoff_id: HandoffId,
    supervisor: PollingSupervisorDep,
    handoffs: HandoffsDep,
    reader: EventsDep,
    audit: AuditDep,
    settings: SettingsDep,
    after: Annotated[str | None, Query(max_length=41)] = None,
) -> SupervisedTranscriptOut:
    """An open chat's transcript without claiming it (everything, or after the stream id
    `after`: the console polls it); 409 once the chat has ended. Audited per chat, at most once
    per repeat interval."""
    handoff = await handoffs.get(handoff_id)
    if handoff.state not in OPEN_STATES:
        raise Conflict("This conversation has ended.")
    events = await reader.backlog(handoff_id, Side.STAFF, valid_cursor(after), include_own=True)
    await audit.record(
        supervisor.name,
        "supervised_transcript",
        handoff_id,
        at_most_every=settings.audit_repeat_seconds,
    )
    return SupervisedTranscriptOut(
        handoff=_out(handoff, handoffs),
        messages=[EventOut.model_validate(event.as_dict()) for event in events],
    )


@router.post(
    "/api/v1/supervision/handoffs/{handoff_id}/messages",
    status_code=201,
    response_model=MessageSentOut,
    responses=AUTH_ERRORS,
)
async def join(
    handoff_id: HandoffId, body: StaffMessageIn, supervisor: SupervisorDep, handoffs: HandoffsDep
) -> MessageSentOut:
    """Join an active chat: the message reaches the person as a staff member's and the holder's
    console marked as the supervisor's; the holder keeps the chat. Audited per message, without
    its text. 409 unless the chat is active (a queued one is claimed instead)."""
    stream_id = await handoffs.post_as_supervisor(
        handoff_id, supervisor.name, body.text, body.msg_id
    )
    return MessageSentOut(id=stream_id)


@router.post(
    "/api/v1/supervision/handoffs/{handoff_id}/close",
    response_model=SupervisedOut,
    responses={**AUTH_ERRORS, 422: {}},
)
async def close_any(
    handoff_id: HandoffId,
    body: WrapUpIn,
    supervisor: SupervisorDep,
    handoffs: HandoffsDep,
    wrapup: WrapUpDep,
) -> SupervisedOut:
    """End any open chat (queued, or held by anyone) with the same wrap-up as a close by staff;
    the holder's console and the person are told it ended. Audited (`closed_by_supervisor`)."""
    categories, outcome = wrapup.check(body.categories, body.outcome)
    handoff = await handoffs.close(
        handoff_id, supervisor.name, categories, outcome, as_supervisor=True
    )
    return _out(handoff, handoffs)
