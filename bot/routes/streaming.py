"""Server-Sent Events over a handoff stream, shared by the widget's and the console's routes.

sse-starlette's response does the transport: keep-alive comments from their own task (so
proxies do not time out an idle chat), a timeout on each send (a client that stopped reading
does not hold a stream and a Redis reader), and ending every stream when the server shuts down,
so a restart is not held up and the client reconnects at once with its cursor.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import Request
from redis.exceptions import RedisError
from sse_starlette import EventSourceResponse, ServerSentEvent

from bot.errors import BadInput
from bot.handoff.delivery import EventReader, valid_cursor
from bot.handoff.states import Side

logger = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15
# How long the client waits before reconnecting after a stream ends.
RETRY_MS = 2000
# A send that takes longer means the client stopped reading: end the stream.
SEND_TIMEOUT_SECONDS = 30.0


def wants_stream(request: Request) -> bool:
    """SSE when the client asks for text/event-stream; JSON (polling) otherwise."""
    return "text/event-stream" in request.headers.get("accept", "")


def cursor_of(request: Request, after: str | None) -> str | None:
    """The client's cursor: the SSE `Last-Event-ID` header, else the `after` query value;
    422 when the one given is not a stream id (ids come from us, so it was altered)."""
    given = request.headers.get("last-event-id") or after
    if not given:
        return None
    cursor = valid_cursor(given)
    if cursor is None:
        raise BadInput("The cursor is not an event id like '1700000000000-0'.")
    return cursor


# Something the stream may add now and then besides the transcript (the waiting person's place
# in line): an event without an id, so the client's cursor stays on the transcript; None: nothing.
Updates = Callable[[], Awaitable[dict[str, object] | None]]


def event_stream(
    reader: EventReader,
    handoff_id: str | None,
    side: Side,
    cursor: str | None,
    may_go_on: Callable[[], Awaitable[bool]] | None = None,
    updates: Updates | None = None,
) -> EventSourceResponse:
    """Stream `side`'s events until the handoff ends for it, or until `may_go_on` (asked before
    each event and every couple of seconds while nothing happens) says no; `updates` is asked
    as often. When Redis fails mid-stream the stream just ends: the client reconnects with its
    cursor and loses nothing."""

    async def update() -> ServerSentEvent | None:
        found = await updates() if updates is not None else None
        if found is None:
            return None
        return ServerSentEvent(data=json.dumps(found), event=str(found["kind"]), sep="\n")

    async def events() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(comment="open", retry=RETRY_MS, sep="\n")
        if not handoff_id:
            return
        try:
            if first := await update():
                yield first
            async for event in reader.live(handoff_id, side, cursor):
                if may_go_on is not None and not await may_go_on():
                    return
                if event is not None:  # None: nothing new yet (the pings keep the line alive)
                    yield ServerSentEvent(
                        data=json.dumps(event.as_dict()),
                        event=event.kind,
                        id=event.id or None,
                        sep="\n",
                    )
                if extra := await update():
                    yield extra
        except RedisError as error:
            logger.warning("event_stream_redis_error kind=%s", type(error).__name__)

    return EventSourceResponse(
        events(),
        ping=KEEPALIVE_SECONDS,
        send_timeout=SEND_TIMEOUT_SECONDS,
        ping_message_factory=lambda: ServerSentEvent(comment="keepalive", sep="\n"),
        # Plain line feeds, as the browser scripts' stream readers split on them.
        sep="\n",
    )
