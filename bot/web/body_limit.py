"""Refuse request bodies above a size before anything parses them (413, the one error shape).

A pure ASGI middleware: a declared Content-Length above the limit is refused without reading;
otherwise the body is read up to the limit (so a chunked body cannot slip past) and handed on
unchanged. Everything after the body (a client disconnecting from an event stream) passes
through as it comes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.errors import error_body

logger = logging.getLogger(__name__)


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """413 for bodies over `max_bytes` (or a larger limit for a listed path)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, path_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self._max = max_bytes
        self._paths = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, read the body up to the limit, then call the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._paths.get(scope.get("path", ""), self._max)
        if _declared_length(scope) > limit:
            await _refuse(send, limit)
            return
        try:
            first = await _read_body(receive, limit)
        except _TooLarge:
            await _refuse(send, limit)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return first
            return await receive()

        await self.app(scope, replay, send)


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # the server refuses a malformed length itself; the body is counted
    return 0


async def _read_body(receive: Receive, limit: int) -> Message:
    """The whole body as one message; _TooLarge once it passes `limit`.

    A disconnect before the end is handed on as it is: the app sees the client went away.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return message
        body = message.get("body", b"")
        size += len(body)
        if size > limit:
            raise _TooLarge
        chunks.append(body)
        if not message.get("more_body", False):
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}


async def _refuse(send: Send, limit: int) -> None:
    logger.info("request_too_large limit=%d", limit)
    body = json.dumps(
        error_body("too_large", f"The request is too large (at most {limit} bytes).")
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
