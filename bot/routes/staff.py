"""The staff console (/staff) and its API: sign in, the queue, claim, chat, release, close.

Every call but sign-in carries `Authorization: Bearer <console session token>`. A staff member
sees the queue and only the conversations they hold; all checks happen in bot/handoff.py's
atomic scripts, so two consoles on two gateway processes see the same truth.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, field_validator

from bot.config import PACKAGE_DIR
from bot.conversation import Conversation
from bot.deps import (
    ConversationDep,
    EventsDep,
    HandoffsDep,
    SettingsDep,
    StaffAuthDep,
    StaffDep,
)
from bot.handoff import CLOSED, QUEUED, RELEASED, STAFF, Handoff, Handoffs
from bot.routes.streaming import cursor_of, event_stream, wants_stream
from bot.routes.widget import EventOut, MessageId, readable_text

router = APIRouter(tags=["staff"])

HandoffId = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
_AUTH_ERRORS: dict[int | str, dict] = {401: {}, 403: {}, 404: {}, 409: {}}


class SignInIn(BaseModel):
    """The account token printed by `hrv-guide staff add`."""

    token: str = Field(min_length=1, max_length=200)


class SignInOut(BaseModel):
    """A console session: keep the token in memory only."""

    name: str
    token: str
    idle_timeout_seconds: int
    heartbeat_seconds: int


class HeartbeatOut(BaseModel):
    """Leases renewed, and whether anyone can answer right now."""

    leases_renewed: int
    open_now: bool
    staff_on_duty: int
    queued: int


class HandoffOut(BaseModel):
    """A handoff as the console lists it; the reason is an intent name, never a guess."""

    handoff_id: str
    session_id: str
    state: Literal["queued", "active", "released", "closed"]
    lang: str
    reason: str
    channel: str
    queued_at: float = Field(description="Unix time in seconds")
    waiting_seconds: int = Field(description="Since queued_at, by the server's clock")
    claimed_at: float | None = None


class TranscriptOut(BaseModel):
    """The conversation so far, oldest first."""

    handoff: HandoffOut
    messages: list[EventOut]


class StaffMessageIn(BaseModel):
    """A message from the staff member to the person."""

    text: str = Field(min_length=1, max_length=2000)
    msg_id: MessageId = None

    @field_validator("text")
    @classmethod
    def _readable_text(cls, value: str) -> str:
        return readable_text(value)


class MessageSentOut(BaseModel):
    """Where the message is in the transcript (the same id when a retry was a duplicate)."""

    id: str


def _out(handoff: Handoff, handoffs: Handoffs) -> HandoffOut:
    return HandoffOut(
        handoff_id=handoff.id,
        session_id=handoff.session_id,
        state=handoff.state,  # type: ignore[arg-type]
        lang=handoff.lang,
        reason=handoff.reason,
        channel=handoff.channel,
        queued_at=handoff.queued_at / 1000,
        waiting_seconds=max(0, (handoffs.now_ms() - handoff.queued_at) // 1000),
        claimed_at=handoff.claimed_at / 1000 if handoff.claimed_at else None,
    )


@router.get("/staff", include_in_schema=False)
async def console_page() -> FileResponse:
    """The staff console (plain HTML; script and styles from /static)."""
    return FileResponse(PACKAGE_DIR / "static" / "staff.html", media_type="text/html")


@router.post("/api/v1/staff/login", response_model=SignInOut, responses={401: {}, 422: {}, 429: {}})
async def sign_in(body: SignInIn, auth: StaffAuthDep, settings: SettingsDep) -> SignInOut:
    """Exchange the account token for a console session token (throttled per name)."""
    signed_in = await auth.sign_in(body.token)
    return SignInOut(
        name=signed_in.name,
        token=signed_in.token,
        idle_timeout_seconds=auth.idle_seconds,
        heartbeat_seconds=max(1, min(10, settings.handoff_lease_seconds // 4)),
    )


@router.post("/api/v1/staff/logout", status_code=204, response_class=Response, responses={401: {}})
async def sign_out(staff: StaffDep, auth: StaffAuthDep, handoffs: HandoffsDep) -> Response:
    """End this console session; conversations still held go back to the front of the queue."""
    await auth.sign_out(staff)
    await handoffs.sign_off(staff.name)
    return Response(status_code=204)


@router.post("/api/v1/staff/heartbeat", response_model=HeartbeatOut, responses={401: {}})
async def heartbeat(staff: StaffDep, handoffs: HandoffsDep) -> HeartbeatOut:
    """Keep the console's claims (leases) and session alive; mark the staff member on duty."""
    renewed = await handoffs.heartbeat(staff.name)
    return HeartbeatOut(
        leases_renewed=renewed,
        open_now=handoffs.open_now(),
        staff_on_duty=await handoffs.staff_on_duty(),
        queued=len(await handoffs.queued()),
    )


@router.get("/api/v1/handoffs", response_model=list[HandoffOut], responses={401: {}, 422: {}})
async def list_handoffs(
    staff: StaffDep,
    handoffs: HandoffsDep,
    state: Annotated[Literal["queued", "active"], Query()] = QUEUED,
) -> list[HandoffOut]:
    """The queue (first in line first), or the conversations this staff member holds."""
    found = await handoffs.queued() if state == QUEUED else await handoffs.active_for(staff.name)
    return [_out(handoff, handoffs) for handoff in found]


@router.post(
    "/api/v1/handoffs/{handoff_id}/claim", response_model=HandoffOut, responses=_AUTH_ERRORS
)
async def claim(handoff_id: HandoffId, staff: StaffDep, handoffs: HandoffsDep) -> HandoffOut:
    """Take a queued conversation. Of concurrent claims exactly one wins; the others get 409."""
    return _out(await handoffs.claim(handoff_id, staff.name), handoffs)


@router.get(
    "/api/v1/handoffs/{handoff_id}/messages", response_model=TranscriptOut, responses=_AUTH_ERRORS
)
async def transcript(
    handoff_id: HandoffId, staff: StaffDep, handoffs: HandoffsDep, reader: EventsDep
) -> TranscriptOut:
    """Everything in the conversation since it was queued (only while you hold it)."""
    handoff = await handoffs.held_by(handoff_id, staff.name)
    events = await reader.backlog(handoff_id, STAFF, None, include_own=True)
    return TranscriptOut(
        handoff=_out(handoff, handoffs),
        messages=[EventOut(**event.as_dict()) for event in events],
    )


@router.post(
    "/api/v1/handoffs/{handoff_id}/messages",
    status_code=201,
    response_model=MessageSentOut,
    responses=_AUTH_ERRORS,
)
async def send_message(
    handoff_id: HandoffId, body: StaffMessageIn, staff: StaffDep, handoffs: HandoffsDep
) -> MessageSentOut:
    """Write to the person (409 once the conversation has ended)."""
    stream_id = await handoffs.post_from_staff(handoff_id, staff.name, body.text, body.msg_id)
    return MessageSentOut(id=stream_id)


async def _end(
    handoff_id: str, staff: str, new_state: str, handoffs: Handoffs, conversation: Conversation
) -> HandoffOut:
    handoff = await handoffs.end(handoff_id, staff, new_state)
    await conversation.resume_bot(handoff.session_id)
    return _out(handoff, handoffs)


@router.post(
    "/api/v1/handoffs/{handoff_id}/release", response_model=HandoffOut, responses=_AUTH_ERRORS
)
async def release(
    handoff_id: HandoffId, staff: StaffDep, handoffs: HandoffsDep, conversation: ConversationDep
) -> HandoffOut:
    """Hand the conversation back to the bot; the person is told so."""
    return await _end(handoff_id, staff.name, RELEASED, handoffs, conversation)


@router.post(
    "/api/v1/handoffs/{handoff_id}/close", response_model=HandoffOut, responses=_AUTH_ERRORS
)
async def close(
    handoff_id: HandoffId, staff: StaffDep, handoffs: HandoffsDep, conversation: ConversationDep
) -> HandoffOut:
    """End the conversation with a person; the bot answers if the person writes again."""
    return await _end(handoff_id, staff.name, CLOSED, handoffs, conversation)


@router.get(
    "/api/v1/handoffs/{handoff_id}/events",
    response_model=list[EventOut],
    responses={200: {"content": {"text/event-stream": {}}}, **_AUTH_ERRORS},
)
async def handoff_events(
    handoff_id: HandoffId,
    request: Request,
    staff: StaffDep,
    handoffs: HandoffsDep,
    reader: EventsDep,
    after: Annotated[str | None, Query(max_length=41)] = None,
):  # type: ignore[no-untyped-def]
    """The person's new messages and changes of state, live (SSE, resume with `Last-Event-ID`)
    or, without `Accept: text/event-stream`, as JSON after `after` (polling)."""
    await handoffs.held_by(handoff_id, staff.name)
    cursor = cursor_of(request, after)
    if wants_stream(request):
        return event_stream(reader, handoff_id, STAFF, cursor)
    return [EventOut(**e.as_dict()) for e in await reader.backlog(handoff_id, STAFF, cursor)]
