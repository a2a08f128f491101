"""Server-Sent Events over a handoff stream, shared by the widget's and the console's routes."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

from fastapi import Request
from fastapi.responses import StreamingResponse
from redis.exceptions import RedisError

from bot.errors import BadInput
from bot.handoff.delivery import EventReader, valid_cursor

logger = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
RETRY_MS = 2000


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


def event_stream(
    reader: EventReader, handoff_id: str | None, side: str, cursor: str | None
) -> StreamingResponse:
    """Stream `side`'s events until the handoff ends for it; comments keep proxies from timing
    out. When Redis fails mid-stream the stream just ends: the client reconnects with its
    cursor and loses nothing."""

    async def body() -> AsyncIterator[str]:
        yield f"retry: {RETRY_MS}\n: open\n\n"
        if not handoff_id:
            return
        last = time.monotonic()
        try:
            async for event in reader.live(handoff_id, side, cursor):
                if event is not None:
                    yield event.sse()
                    last = time.monotonic()
                elif time.monotonic() - last >= KEEPALIVE_SECONDS:
                    yield ": keepalive\n\n"
                    last = time.monotonic()
        except RedisError as error:
            logger.warning("event_stream_redis_error kind=%s", type(error).__name__)

    return StreamingResponse(
        body(), media_type="text/event-stream", headers={"x-accel-buffering": "no"}
    )
