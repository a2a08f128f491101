"""Routes for the action server only (service token): putting a conversation in the queue."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from bot.channels.telegram import watch_telegram_handoff
from bot.errors import BadInput
from bot.routes.deps import HandoffsDep, ServiceDep, SessionsDep, SettingsDep, TextsDep
from bot.store import Keys

router = APIRouter(prefix="/api/v1/internal", tags=["internal"])


class HandoffIn(BaseModel):
    """Who asks (the conversation's id), why (an intent name), in which language."""

    session_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    reason: str = Field(default="asked_for_human", pattern=r"^[a-z_]{1,64}$")
    lang: str = Field(default="sv", max_length=8)
    channel: Literal["widget", "telegram"] = "widget"


class HandoffOut(BaseModel):
    """The queued handoff."""

    handoff_id: str
    state: Literal["queued"]
    already_queued: bool


@router.post("/handoffs", status_code=201, response_model=HandoffOut, responses={401: {}, 404: {}})
async def request_handoff(
    body: HandoffIn,
    _: ServiceDep,
    handoffs: HandoffsDep,
    texts: TextsDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    request: Request,
) -> HandoffOut:
    """Queue the conversation for a human (idempotent while it is queued or active).

    The channel is the session's own (a Telegram chat's session says so), so the action server
    need not know which channel a conversation came through.
    """
    if not texts.supports(body.lang):
        raise BadInput("Unknown language.")
    channel = await sessions.field(body.session_id, "channel") or body.channel
    keys = Keys(settings.key_prefix, settings.rasa_tracker_key_prefix)
    ttl = settings.session_ttl_seconds
    result = await handoffs.enqueue(body.session_id, body.reason, body.lang, channel)
    if channel == "telegram":  # from now on the delivery loops bring its events to the chat
        await watch_telegram_handoff(request.app.state.redis, keys, result.handoff_id, ttl)
    return HandoffOut(
        handoff_id=result.handoff_id, state="queued", already_queued=result.already_queued
    )
