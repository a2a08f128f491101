"""FastAPI dependencies: the app's shared objects and the bearer-token checks.

All `async def`, though none awaits: FastAPI runs a plain `def` dependency in its thread pool,
and a thread hop for each of a request's half-dozen lookups cost more than the lookups."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from bot.config import Settings
from bot.conversation.contact_links import ContactLinks
from bot.conversation.sessions import SessionStore
from bot.conversation.texts import Texts
from bot.conversation.turn import Conversation
from bot.handoff.delivery import EventReader
from bot.handoff.live_streams import LiveStreams
from bot.handoff.open_lines import OpenLines
from bot.handoff.service import Handoffs
from bot.handoff.waiting import WaitingLine
from bot.staff.auth import StaffAuth
from registry import Registry, Resolver


async def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def app_settings(request: Request) -> Settings:
    """The settings this app was made with (a test's app has its own, not the process's)."""
    return request.app.state.settings


async def get_sessions(request: Request) -> SessionStore:
    """The session store."""
    return request.app.state.sessions


async def get_conversation(request: Request) -> Conversation:
    """The conversation path."""
    return request.app.state.conversation


async def get_handoffs(request: Request) -> Handoffs:
    """The handoff state machine."""
    return request.app.state.handoffs


async def get_waiting_line(request: Request) -> WaitingLine:
    """Places in the queue, rough waits and who is still there."""
    return request.app.state.waiting_line


async def get_open_lines(request: Request) -> OpenLines:
    """The registry's lines and their hours, to tell a waiting person which are open."""
    return request.app.state.open_lines


async def get_events(request: Request) -> EventReader:
    """The reader of handoff streams."""
    return request.app.state.events


async def get_live_streams(request: Request) -> LiveStreams:
    """The count of open live event streams."""
    return request.app.state.live_streams


async def get_staff_auth(request: Request) -> StaffAuth:
    """Staff accounts and console sessions."""
    return request.app.state.staff_auth


async def get_texts(request: Request) -> Texts:
    """The fixed texts."""
    return request.app.state.texts


async def get_registry(request: Request) -> Registry:
    """The municipalities, centres and coverage read at start-up."""
    return request.app.state.registry


async def get_contact_links(request: Request) -> ContactLinks:
    """The registry's numbers and addresses, to make them tappable in replies."""
    return request.app.state.contact_links


async def get_resolver(request: Request) -> Resolver:
    """The index that turns a written name into a municipality."""
    return request.app.state.resolver


TokenDep = Annotated[str | None, Depends(bearer_token)]
SettingsDep = Annotated[Settings, Depends(app_settings)]
SessionsDep = Annotated[SessionStore, Depends(get_sessions)]
ConversationDep = Annotated[Conversation, Depends(get_conversation)]
HandoffsDep = Annotated[Handoffs, Depends(get_handoffs)]
EventsDep = Annotated[EventReader, Depends(get_events)]
WaitingLineDep = Annotated[WaitingLine, Depends(get_waiting_line)]
OpenLinesDep = Annotated[OpenLines, Depends(get_open_lines)]
LiveStreamsDep = Annotated[LiveStreams, Depends(get_live_streams)]
StaffAuthDep = Annotated[StaffAuth, Depends(get_staff_auth)]
TextsDep = Annotated[Texts, Depends(get_texts)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
ResolverDep = Annotated[Resolver, Depends(get_resolver)]
ContactLinksDep = Annotated[ContactLinks, Depends(get_contact_links)]
