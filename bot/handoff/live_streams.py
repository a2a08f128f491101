"""A cap on live event streams (SSE) open at once, per holder and in all.

Each open stream holds a connection to the client and one to Redis (a blocking XREADGROUP), for
as long as the client keeps it open. Without a cap, one session in a handoff could open
thousands of streams and use up the gateway's file descriptors or Redis's client slots, and then
nobody gets an answer, 112 included. The widget needs one stream per session (a second tab, a
reconnect that overlaps the old stream: a few); over the cap the client gets 429 and the widget
falls back to polling, which holds nothing open.

Counted in this process's memory, like the rate limits: with N gateway processes the total is
at most N times the cap. A stream is released when its response ends for any reason (the
client left, the handoff ended, the process is shutting down), in `CountedStream.__call__`.
"""

from __future__ import annotations

import logging
from collections import Counter

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from bot.errors import TooManyRequests

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before opening another stream.
RETRY_SECONDS = 5


class LiveStreams:
    """How many streams each holder (a person's session, a staff member's handoff) and all
    holders have open."""

    def __init__(self, per_holder: int, total: int) -> None:
        self._per_holder = per_holder
        self._total = total
        self._open: Counter[str] = Counter()

    @property
    def open_in_all(self) -> int:
        return sum(self._open.values())

    def open_for(self, holder: str) -> int:
        return self._open[holder]

    def acquire(self, holder: str) -> None:
        """Count one more stream for `holder`; TooManyRequests (429) when over either cap."""
        if self._open[holder] >= self._per_holder:
            logger.info("live_stream_refused kind=per_holder")
            raise TooManyRequests(
                "Too many live streams for this conversation; poll instead.", RETRY_SECONDS
            )
        if self.open_in_all >= self._total:
            logger.info("live_stream_refused kind=total")
            raise TooManyRequests("Too many live streams open; poll instead.", RETRY_SECONDS)
        self._open[holder] += 1

    def release(self, holder: str) -> None:
        """One stream of `holder` ended."""
        self._open[holder] -= 1
        if self._open[holder] <= 0:
            del self._open[holder]

    def counted(self, response: Response, holder: str) -> Response:
        """`response`, counted against `holder` until it ends (call after `acquire`)."""
        return CountedStream(response, self, holder)


class CountedStream(Response):
    """A streaming response that releases its place when it ends, however it ends: normally,
    by an error, or cancelled when the client disconnects (before or while streaming; a body
    generator that never started would not run its own `finally`)."""

    def __init__(self, inner: Response, streams: LiveStreams, holder: str) -> None:
        # Show the inner response's status and headers to whatever inspects this one.
        self.__dict__.update(inner.__dict__)
        self._inner = inner
        self._streams = streams
        self._holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._inner(scope, receive, send)
        finally:
            self._streams.release(self._holder)
