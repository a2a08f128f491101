"""How the Rasa client's requests travel: aiohttp in the gateway, httpx where a test answers for
Rasa in process.

aiohttp writes a request in one go and parses the answer in C: against a stand-in Rasa, the
gateway's CPU per message fell from 3.29 to 2.23 ms with it (docs/BENCHMARKS.md). Both transports
tell in the same two errors whether a request left or not, which is all the Rasa client needs to
know to choose between trying the next replica and giving the safe reply
(bot/conversation/rasa_client.py says why).
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import aiohttp
import httpx

# Idle connections are dropped before Rasa drops them (Sanic's keep-alive; Rasa sets 120 s): a
# request written on a connection the server is closing at that moment is lost after sending.
KEEPALIVE_SECONDS = 4.0


class NotSent(Exception):
    """No connection could be made, so the request never left: another replica may take it.
    `timed_out` when the host did not answer at all (a refused port answers at once)."""

    def __init__(self, kind: str, timed_out: bool) -> None:
        super().__init__(kind)
        self.kind = kind
        self.timed_out = timed_out


class Failed(Exception):
    """The request may have reached Rasa, but no usable answer came back."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class RasaTransport(Protocol):
    """One HTTP request to Rasa and its JSON answer; NotSent or Failed otherwise."""

    async def request(
        self, method: str, url: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any: ...

    async def aclose(self) -> None: ...


class AiohttpTransport:
    """The gateway's way to Rasa: at most `max_connections` requests at once on keep-alive
    connections, timed as the httpx client before it was: `timeout` to wait for a free
    connection and for each read of the answer, `connect_timeout` for the connect."""

    def __init__(self, max_connections: int, timeout: float, connect_timeout: float) -> None:
        self._max_connections = max_connections
        self._pool_timeout = timeout
        # The pool's wait is ours (below): aiohttp would report it as a connect timeout, which
        # here means a host that does not answer.
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=None, sock_connect=connect_timeout, sock_read=timeout
        )
        self._free: asyncio.Semaphore | None = None
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> tuple[asyncio.Semaphore, aiohttp.ClientSession]:
        """The pool, made on first use: aiohttp wants it inside the running loop."""
        if self._session is None or self._free is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, keepalive_timeout=KEEPALIVE_SECONDS
            )
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
            self._free = asyncio.Semaphore(self._max_connections)
        return self._free, self._session

    async def request(
        self, method: str, url: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        free, session = self._open()
        try:
            async with asyncio.timeout(self._pool_timeout):
                await free.acquire()
        except TimeoutError as error:
            raise Failed("PoolTimeout") from error
        try:
            async with session.request(method, url, json=body, params=params) as response:
                if response.status >= 400:
                    raise Failed("HTTPStatusError")
                return await response.json(content_type=None)
        except aiohttp.ConnectionTimeoutError as error:
            raise NotSent("ConnectTimeout", timed_out=True) from error
        except aiohttp.ClientConnectorError as error:
            raise NotSent("ConnectError", timed_out=False) from error
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise Failed(type(error).__name__) from error
        finally:
            free.release()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class HttpxTransport:
    """Requests through an httpx client, whose transport a test may give (httpx.MockTransport)."""

    def __init__(self, http: httpx.AsyncClient, timeout: float, connect_timeout: float) -> None:
        self._http = http
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout)

    async def request(
        self, method: str, url: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        try:
            response = await self._http.request(
                method, url, json=body, params=params, timeout=self._timeout
            )
        except httpx.ConnectTimeout as error:
            raise NotSent("ConnectTimeout", timed_out=True) from error
        except httpx.ConnectError as error:
            raise NotSent("ConnectError", timed_out=False) from error
        except httpx.HTTPError as error:
            raise Failed(type(error).__name__) from error
        try:
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise Failed(type(error).__name__) from error

    async def aclose(self) -> None:
        """The httpx client belongs to whoever made it."""
