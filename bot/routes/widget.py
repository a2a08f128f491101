"""The widget's API: anonymous sessions and messages (contract in docs/ARCHITECTURE.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from bot.conversation.contact_links import ContactLinks
from bot.conversation.replies import Reply
from bot.conversation.sessions import SessionsFull
from bot.conversation.texts import Direction, Texts
from bot.errors import BadInput
from bot.handoff.open_lines import OpenLines
from bot.handoff.states import OPEN_STATES, HandoffState, Side
from bot.handoff.waiting import WaitingLine
from bot.limits.abuse import AbuseLimits, get_limits
from bot.routes.deps import (
    ContactLinksDep,
    ConversationDep,
    EventsDep,
    HandoffsDep,
    LiveStreamsDep,
    OpenLinesDep,
    SessionsDep,
    SettingsDep,
    TextsDep,
    TokenDep,
    WaitingLineDep,
)
from bot.routes.schemas import EventOut, TextIn
from bot.routes.streaming import Updates, cursor_of, event_stream, wants_stream

router = APIRouter(prefix="/api/v1", tags=["widget"])

LimitsDep = Annotated[AbuseLimits, Depends(get_limits)]
SessionId = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class LanguageOut(BaseModel):
    """A language the widget offers."""

    code: str
    name: str
    dir: Direction


class Link(BaseModel):
    """A number or address in a text (`text`, as written there) and where it goes."""

    text: str
    href: str


class LineOut(BaseModel):
    """A national line described in one language (its hours in words), with its numbers."""

    text: str
    links: list[Link]


class WidgetConfig(BaseModel):
    """Everything the widget needs to draw itself; `links`: per language and text key, the
    registry's numbers in that text (the banner's 112), to draw as links; `lines`: per
    language and line id, the lines a waiting person may be told are open now."""

    default_lang: str
    languages: list[LanguageOut]
    exit_url: str
    texts: dict[str, dict[str, str]]
    links: dict[str, dict[str, list[Link]]]
    lines: dict[str, dict[str, LineOut]] = Field(default_factory=dict)


class SessionIn(BaseModel):
    """Optional first language; nothing about the client is asked or stored."""

    lang: str | None = Field(default=None, max_length=8)


class SessionOut(BaseModel):
    """A new anonymous session. Keep the token in memory only."""

    session_id: str
    token: str


class MessageIn(TextIn):
    """One message from the person, in the language the widget shows (if chosen)."""

    lang: str | None = Field(default=None, max_length=8)


class ButtonOut(BaseModel):
    """A suggested reply: show `title`, send `payload`."""

    title: str
    payload: str


class ReplyOut(BaseModel):
    """One bot message; `links` are the registry's numbers and addresses found in its text."""

    text: str
    buttons: list[ButtonOut] | None = None
    links: list[Link] | None = None

    @classmethod
    def of(cls, reply: Reply, links: ContactLinks) -> ReplyOut:
        """The reply as the widget gets it, with the links in its text."""
        found = links.find(reply.text)
        return cls(
            text=reply.text,
            buttons=[ButtonOut(title=b.title, payload=b.payload) for b in reply.buttons] or None,
            links=[Link(text=link.text, href=link.href) for link in found] or None,
        )


class MessageOut(BaseModel):
    """The bot's answer to one message."""

    replies: list[ReplyOut]
    lang: str
    handoff: HandoffState


class QueueOut(BaseModel):
    """The waiting person's place in line (1 = next) and a rough wait from the last hour's
    claims: null when there were none or nobody is on duty (`staffed` false), never a guess;
    `lines_open`: the ids of the national lines open now (texts in the widget config)."""

    position: int
    estimated_wait_seconds: int | None
    staffed: bool
    lines_open: list[str]


class EventsOut(BaseModel):
    """Events after the cursor (polling), the handoff's state now, and while queued the
    person's place in line (`queue`, null otherwise)."""

    events: list[EventOut]
    handoff: HandoffState
    queue: QueueOut | None = None


class HandoffStateOut(BaseModel):
    """The handoff's state after the person's request."""

    handoff: HandoffState


@router.get("/widget/config", response_model=WidgetConfig)
async def widget_config(
    request: Request,
    settings: SettingsDep,
    texts: TextsDep,
    links: ContactLinksDep,
    open_lines: OpenLinesDep,
) -> WidgetConfig:
    """Languages, labels and the quick-exit address; the same for the app's whole life, so
    built (and its links found) on the first request only."""
    built: WidgetConfig | None = getattr(request.app.state, "widget_config", None)
    if built is None:
        built = _build_config(settings.exit_url, texts, links, open_lines)
        request.app.state.widget_config = built
    return built


def _build_config(
    exit_url: str, texts: Texts, links: ContactLinks, open_lines: OpenLines
) -> WidgetConfig:
    return WidgetConfig(
        default_lang=texts.default,
        languages=[
            LanguageOut(code=lang.code, name=lang.name, dir=lang.dir)
            for lang in texts.languages.values()
        ],
        exit_url=exit_url,
        texts={code: lang.widget for code, lang in texts.languages.items()},
        links={
            code: {
                key: [Link(text=link.text, href=link.href) for link in found]
                for key, text in lang.widget.items()
                if (found := links.find(text))
            }
            for code, lang in texts.languages.items()
        },
        lines={
            code: {
                line_id: LineOut(
                    text=about,
                    links=[Link(text=link.text, href=link.href) for link in links.find(about)],
                )
                for line_id, about in open_lines.about(code, texts.default).items()
            }
            for code in texts.languages
        },
    )


@router.post("/sessions", status_code=201, response_model=SessionOut, responses={429: {}, 503: {}})
async def create_session(
    request: Request,
    sessions: SessionsDep,
    texts: TextsDep,
    limits: LimitsDep,
    body: SessionIn | None = None,
) -> SessionOut:
    """Start an anonymous conversation (429 when one address starts too many, 503 when full)."""
    lang = body.lang if body and body.lang else texts.default
    if not texts.supports(lang):
        raise BadInput(f"Unknown language. Use one of: {', '.join(texts.languages)}.")
    await limits.new_session(request, lang)
    try:
        session_id, token = await sessions.create(lang, settled=bool(body and body.lang))
    except SessionsFull:
        raise limits.full(lang) from None
    return SessionOut(session_id=session_id, token=token)


@router.post(
    "/sessions/{session_id}/messages",
    response_model=MessageOut,
    response_model_exclude_none=True,
    responses={401: {}, 404: {}, 422: {}, 429: {}, 503: {}},
)
async def post_message(
    session_id: SessionId,
    body: MessageIn,
    request: Request,
    token: TokenDep,
    sessions: SessionsDep,
    conversation: ConversationDep,
    texts: TextsDep,
    limits: LimitsDep,
    links: ContactLinksDep,
) -> MessageOut:
    """Send a message and get the bot's replies (429 when sent too fast, but never for danger)."""
    if body.lang is not None and not texts.supports(body.lang):
        raise BadInput(f"Unknown language. Use one of: {', '.join(texts.languages)}.")
    admitted = await limits.admit_message(sessions, request, session_id, token)
    session = admitted.session
    if admitted.refused_by is not None:
        lang = body.lang or session.lang
        replies = limits.over_limit(body.text, lang, admitted.retry_after)  # 429 unless danger
        handoff = session.handoff if session.handoff in OPEN_STATES else HandoffState.NONE
        return MessageOut(
            replies=[ReplyOut.of(reply, links) for reply in replies],
            lang=lang,
            handoff=handoff,
        )
    result = await conversation.turn(session, body.text, body.lang, body.msg_id)
    return MessageOut(
        replies=[ReplyOut.of(reply, links) for reply in result.replies],
        lang=result.lang,
        handoff=result.handoff,
    )


@router.delete(
    "/sessions/{session_id}", status_code=204, response_class=Response, responses={401: {}, 404: {}}
)
async def delete_session(session_id: SessionId, token: TokenDep, sessions: SessionsDep) -> Response:
    """Erase everything about the conversation now (the quick exit calls this)."""
    await sessions.authenticate(session_id, token)
    await sessions.erase(session_id)
    return Response(status_code=204)


@router.get(
    "/sessions/{session_id}/events",
    response_model=EventsOut,
    responses={
        200: {"content": {"text/event-stream": {}}},
        401: {},
        404: {},
        429: {},
    },
)
async def session_events(
    session_id: SessionId,
    request: Request,
    token: TokenDep,
    sessions: SessionsDep,
    reader: EventsDep,
    streams: LiveStreamsDep,
    waiting: WaitingLineDep,
    open_lines: OpenLinesDep,
    after: Annotated[str | None, Query(max_length=41)] = None,
):
    """The handoff's events for the person: staff messages and changes of state.

    With `Accept: text/event-stream` a live stream (resume with `Last-Event-ID`); otherwise
    JSON with the events after `after` (the polling fallback). The token goes in the
    Authorization header, never in the address. 429 when the session has too many streams open
    (bot/handoff/live_streams.py): the widget then polls. While queued the JSON carries the
    person's place (`queue`), and the stream sends a `queue` event (no id) whenever it changes;
    both count as the person being there (bot/handoff/waiting.py).
    """
    session = await sessions.authenticate(session_id, token)
    cursor = cursor_of(request, after)
    handoff_id = session.handoff_id or None
    if wants_stream(request):
        holder = f"session:{session_id}"
        streams.acquire(holder)
        updates = _queue_updates(handoff_id, waiting, open_lines) if handoff_id else None
        stream = event_stream(reader, handoff_id, Side.PERSON, cursor, updates=updates)
        return streams.counted(stream, holder)
    events = await reader.backlog(handoff_id, Side.PERSON, cursor) if handoff_id else []
    queue = None
    if handoff_id and session.handoff == HandoffState.QUEUED:
        queue = await _queue_of(handoff_id, waiting, open_lines, known_queued=True)
    return EventsOut(
        events=[EventOut.model_validate(event.as_dict()) for event in events],
        handoff=session.handoff,
        queue=queue,
    )


async def _queue_of(
    handoff_id: str, waiting: WaitingLine, lines: OpenLines, known_queued: bool = False
) -> QueueOut | None:
    """The person is there: their place now, or None when they are not in line."""
    status = await waiting.person_here(handoff_id, known_queued)
    if status is None:
        return None
    return QueueOut(
        position=status.position,
        estimated_wait_seconds=status.estimated_wait_seconds,
        staffed=status.staffed,
        lines_open=lines.open_at(status.at_ms / 1000),
    )


def _queue_updates(handoff_id: str, waiting: WaitingLine, lines: OpenLines) -> Updates:
    """For a live stream: note the person is there, and send their place when it changed
    (asked every couple of seconds; the queue's view is shared by all streams of a process)."""
    sent: list[QueueOut | None] = []

    async def changed() -> dict[str, object] | None:
        queue = await _queue_of(handoff_id, waiting, lines)
        if (sent and sent[-1] == queue) or (not sent and queue is None):
            return None
        sent[:] = [queue]
        return {"kind": "queue", "queue": queue.model_dump() if queue else None}

    return changed


@router.post(
    "/sessions/{session_id}/handoff/leave",
    response_model=HandoffStateOut,
    responses={401: {}, 404: {}},
)
async def leave_handoff(
    session_id: SessionId,
    token: TokenDep,
    sessions: SessionsDep,
    handoffs: HandoffsDep,
) -> HandoffStateOut:
    """Leave the queue (or the chat with a person) and go back to the bot; safe to repeat."""
    session = await sessions.authenticate(session_id, token)
    if session.handoff in OPEN_STATES:
        await handoffs.leave(session.handoff_id, session.id)
    return HandoffStateOut(handoff=await sessions.handoff_state(session.id))
