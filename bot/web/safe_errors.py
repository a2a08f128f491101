"""The last line of defence: an error no handler knew becomes a 503 with the safe replies (112
and the national lines), never a stack trace, and is logged by its type only (its message could
quote a person's text).

A pure ASGI middleware rather than Starlette's `@app.middleware("http")`, which runs every request
through an extra task and memory stream (measured: a large share of the gateway's own time per
message). Once a response has started nothing else can be sent: the error is logged and the
connection ends.
"""

from __future__ import annotations

import logging

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.errors import error_body

logger = logging.getLogger(__name__)


class SafeErrors:
    """503 with `replies` for any exception that reaches it before the response starts."""

    def __init__(self, app: ASGIApp, replies: list[dict[str, str]]) -> None:
        self.app = app
        self._replies = replies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Call the app; answer safely when it raises before its response began."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watching)
        except Exception as error:
            logger.error("unexpected_error kind=%s", type(error).__name__)
            if started:
                return
            body: dict[str, object] = error_body(
                "unavailable", "Something went wrong. Please try again."
            )
            body["replies"] = self._replies
            await JSONResponse(body, status_code=503)(scope, receive, send)
