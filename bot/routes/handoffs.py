"""The staff console's conversations: the queue, claim, transcript, chat, release, close, and
the live events of a held conversation.

A staff member sees the queue and only the conversations they hold; all checks happen in
bot/handoff/service.py's atomic scripts, so two consoles on two gateway processes see the same
truth. Views and refused calls (401, 403) are audited; staff never see a person's session id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from redis.exceptions import RedisError

from bot.handoff.service import Handoffs
from bot.handoff.states import EventKind, Handoff, HandoffState, Side
from bot.handoff.waiting import Place
from bot.routes.deps import (
    EventsDep,
    HandoffsDep,
    LiveStreamsDep,
    SettingsDep,
    StaffAuthDep,
    TokenDep,
    WaitingLineDep,
)
from bot.routes.schemas import EventOut, TextIn
from bot.routes.staff_access import (
    AUTH_ERRORS,
    AuditDep,
    AuditRefusals,
    HandoffId,
    PollingStaffDep,
    StaffDep,
)
from bot.routes.streaming import cursor_of, event_stream, wants_stream
from bot.routes.wrapup import WrapUpDep, WrapUpIn
from bot.staff.auth import StaffAuth

logger = logging.getLogger(__name__)

# A live event stream re-checks its session this often (at its next event or keepalive), so a
# signed-out, removed or idle session stops receiving within about this time plus 15 s.
SESSION_CHECK_SECONDS = 10.0

router = APIRouter(tags=["staff"], route_class=AuditRefusals)


class HandoffOut(BaseModel):
    """A handoff as the console lists it; the reason is an intent name, never a guess."""

    handoff_id: str
    state: HandoffState
    lang: str
    reason: str
    risk: str | None = Field(
        default=None,
        description="The kind of danger the chat began with or a flagged message during the "
        "wait (violence, threat, locked_in, taken_abroad, suicide, runaway), or null; never text",
    )
    position: int | None = Field(
        default=None, description="Place in the queue, 1 = next (queued only; the list's order)"
    )
    away: bool = Field(
        default=False, description="The person's page has been quiet a while (widget only)"
    )
    flagged: int = Field(
        default=0,
        description="How many of the person's messages the safety layer flagged (a count, "
        "never text): the console alerts when it grows in a chat it is not showing",
    )
    channel: str
    queued_at: float = Field(description="Unix time in seconds")
    waiting_seconds: int = Field(description="Since queued_at, by the server's clock")
    claimed_at: float | None = None


class TranscriptOut(BaseModel):
    """The conversation so far, oldest first."""

    handoff: HandoffOut
    messages: list[EventOut]
    bot_history: list[EventOut] = Field(
        default_factory=list,
        description="The conversation with the bot before the handoff (kind bot_history, from "
        "person or bot), apart from the chat with staff; never a live event",
    )


class StaffMessageIn(TextIn):
    """A message from the staff member to the person."""


class MessageSentOut(BaseModel):
    """Where the message is in the transcript (the same id when a retry was a duplicate)."""

    id: str


def _out(handoff: Handoff, handoffs: Handoffs, place: Place | None = None) -> HandoffOut:
    return HandoffOut(
        handoff_id=handoff.id,
        state=handoff.state,
        lang=handoff.lang,
        reason=handoff.reason,
        risk=handoff.risk or None,
        position=place.position if place else None,
        away=place.away if place else False,
        flagged=handoff.flagged,
        channel=handoff.channel,
        queued_at=handoff.queued_at / 1000,
        waiting_seconds=max(0, (handoffs.now_ms() - handoff.queued_at) // 1000),
        claimed_at=handoff.claimed_at / 1000 if handoff.claimed_at else None,
    )


@router.get("/api/v1/handoffs", response_model=list[HandoffOut], responses={401: {}, 422: {}})
async def list_handoffs(
    staff: PollingStaffDep,
    handoffs: HandoffsDep,
    audit: AuditDep,
    settings: SettingsDep,
    waiting: WaitingLineDep,
    state: Annotated[Literal["queued", "active"], Query()] = "queued",
) -> list[HandoffOut]:
    """The queue (first in line first: risk, then waiting time; `position`, `away`), or the
    conversations this staff member holds. The
    console refreshes it on a timer: it does not renew the idle timeout, and the view is audited
    at most once per HRV_AUDIT_REPEAT_SECONDS per staff member and list."""
    action = "viewed_queue" if state == HandoffState.QUEUED else "viewed_own_list"
    if state == HandoffState.QUEUED:
        # In line order (risk first); people gone from their page are not offered.
        places = (await waiting.view(fresh=True)).present()
        await audit.record(staff.name, action, at_most_every=settings.audit_repeat_seconds)
        return [_out(place.handoff, handoffs, place) for place in places]
    found = await handoffs.active_for(staff.name)
    await audit.record(staff.name, action, at_most_every=settings.audit_repeat_seconds)
    return [_out(handoff, handoffs) for handoff in found]


@router.post(
    "/api/v1/handoffs/{handoff_id}/claim", response_model=HandoffOut, responses=AUTH_ERRORS
)
async def claim(
    handoff_id: HandoffId, staff: StaffDep, handoffs: HandoffsDep, waiting: WaitingLineDep
) -> HandoffOut:
    """Take a queued conversation. Of concurrent claims exactly one wins; the others get 409,
    as does a claim of someone gone from their page (bot/handoff/waiting.py)."""
    await waiting.refuse_gone(handoff_id)
    return _out(await handoffs.claim(handoff_id, staff.name), handoffs)


@router.get(
    "/api/v1/handoffs/{handoff_id}/messages", response_model=TranscriptOut, responses=AUTH_ERRORS
)
async def transcript(
    handoff_id: HandoffId,
    staff: StaffDep,
    handoffs: HandoffsDep,
    reader: EventsDep,
    audit: AuditDep,
    settings: SettingsDep,
) -> TranscriptOut:
    """Everything in the conversation since it was queued (only while you hold it; audited once
    per handoff and repeat interval: reloading it cannot flood the capped log)."""
    handoff = await handoffs.held_by(handoff_id, staff.name)
    events = await reader.backlog(handoff_id, Side.STAFF, None, include_own=True, with_history=True)
    await audit.record(
        staff.name, "viewed_transcript", handoff_id, at_most_every=settings.audit_repeat_seconds
    )
    return TranscriptOut(
        handoff=_out(handoff, handoffs),
        messages=[
            EventOut.model_validate(e.as_dict()) for e in events if e.kind != EventKind.BOT_HISTORY
        ],
        bot_history=[
            EventOut.model_validate(e.as_dict()) for e in events if e.kind == EventKind.BOT_HISTORY
        ],
    )


@router.post(
    "/api/v1/handoffs/{handoff_id}/messages",
    status_code=201,
    response_model=MessageSentOut,
    responses=AUTH_ERRORS,
)
async def send_message(
    handoff_id: HandoffId, body: StaffMessageIn, staff: StaffDep, handoffs: HandoffsDep
) -> MessageSentOut:
    """Write to the person (409 once the conversation has ended)."""
    stream_id = await handoffs.post_from_staff(handoff_id, staff.name, body.text, body.msg_id)
    return MessageSentOut(id=stream_id)


@router.post(
    "/api/v1/handoffs/{handoff_id}/release", response_model=HandoffOut, responses=AUTH_ERRORS
)
async def release(handoff_id: HandoffId, staff: StaffDep, handoffs: HandoffsDep) -> HandoffOut:
    """Hand the conversation back to the bot; the person is told so."""
    handoff = await handoffs.release(handoff_id, staff.name)
    return _out(handoff, handoffs)


@router.post(
    "/api/v1/handoffs/{handoff_id}/close",
    response_model=HandoffOut,
    responses={**AUTH_ERRORS, 422: {}},
)
async def close(
    handoff_id: HandoffId,
    body: WrapUpIn,
    staff: StaffDep,
    handoffs: HandoffsDep,
    wrapup: WrapUpDep,
) -> HandoffOut:
    """End the conversation with a person, with its wrap-up (categories and an outcome, counted
    in the day's statistics; 422 and nothing changed for an unknown id or none); the bot
    answers if the person writes again."""
    categories, outcome = wrapup.check(body.categories, body.outcome)
    handoff = await handoffs.close(handoff_id, staff.name, categories, outcome)
    return _out(handoff, handoffs)


@router.get(
    "/api/v1/handoffs/{handoff_id}/events",
    response_model=list[EventOut],
    responses={200: {"content": {"text/event-stream": {}}}, **AUTH_ERRORS, 429: {}},
)
async def handoff_events(
    handoff_id: HandoffId,
    request: Request,
    staff: PollingStaffDep,
    handoffs: HandoffsDep,
    reader: EventsDep,
    streams: LiveStreamsDep,
    auth: StaffAuthDep,
    token: TokenDep,
    after: Annotated[str | None, Query(max_length=41)] = None,
):
    """The person's new messages and changes of state, live (SSE, resume with `Last-Event-ID`)
    or, without `Accept: text/event-stream`, as JSON after `after` (polling). Part of holding
    the conversation (the claim and the transcript read are audited), so not audited per call;
    the console reconnects and polls on timers, so it does not renew the idle timeout. A live
    stream ends once its session was signed out, revoked or timed out. 429 when the handoff
    has too many streams open (bot/handoff/live_streams.py): the console then polls."""
    await handoffs.held_by(handoff_id, staff.name)
    cursor = cursor_of(request, after)
    if wants_stream(request):
        holder = f"handoff:{handoff_id}"
        streams.acquire(holder)
        response = event_stream(
            reader, handoff_id, Side.STAFF, cursor, _while_signed_in(auth, token or "")
        )
        return streams.counted(response, holder)
    return [
        EventOut.model_validate(e.as_dict())
        for e in await reader.backlog(handoff_id, Side.STAFF, cursor)
    ]


def _while_signed_in(auth: StaffAuth, token: str) -> Callable[[], Awaitable[bool]]:
    """Whether a live stream may go on: while its console session lasts, asked of Redis at most
    every SESSION_CHECK_SECONDS. A stream ends (sending nothing more) once the session was
    signed out, revoked or timed out, or cannot be checked because Redis fails: the response
    has started, so an error could only end it with a traceback in the log, and the console
    reconnects with its cursor and loses nothing."""
    checked = time.monotonic()

    async def may_go_on() -> bool:
        nonlocal checked
        if time.monotonic() - checked < SESSION_CHECK_SECONDS:
            return True
        checked = time.monotonic()
        return await _still_signed_in(auth, token)

    return may_go_on


async def _still_signed_in(auth: StaffAuth, token: str) -> bool:
    """Whether the session lasts; False when Redis fails (logged by the error's type only: its
    message could quote an address or a key)."""
    try:
        return await auth.still_signed_in(token)
    except RedisError as error:
        logger.warning("staff_stream_session_check_failed kind=%s", type(error).__name__)
        return False
