"""A real HTTP server on a loopback port that answers every request with one fixed response, or
holds it without answering: for the transports that must meet real sockets."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class HttpStub:
    """Answers `status` and `answer` (as JSON) to each request; `silent` reads it and says
    nothing. `seen` holds each request's first line and body."""

    answer: Any = field(default_factory=lambda: [{"text": "Hej"}])
    status: int = 200
    silent: bool = False
    seen: list[tuple[str, bytes]] = field(default_factory=list)
    url: str = ""
    _server: asyncio.Server | None = None

    async def start(self) -> HttpStub:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                length = next(
                    (
                        int(line.split(":", 1)[1])
                        for line in lines
                        if line.lower().startswith("content-length:")
                    ),
                    0,
                )
                body = await reader.readexactly(length)
                self.seen.append((lines[0], body))
                if self.silent:
                    await asyncio.sleep(3600)
                payload = json.dumps(self.answer).encode()
                writer.write(
                    f"HTTP/1.1 {self.status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()
