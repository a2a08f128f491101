"""The one place that talks to Rasa, over HTTP: the REST webhook and the tracker events API."""

from __future__ import annotations

import logging
from typing import Any

import httpx

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error."""


def _reply(message: dict[str, Any]) -> dict[str, Any] | None:
    text = message.get("text")
    if not text:
        return None
    reply: dict[str, Any] = {"text": text}
    buttons = [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in message.get("buttons") or []
        if b.get("title") and b.get("payload")
    ]
    if buttons:
        reply["buttons"] = buttons
    return reply


class RasaClient:
    """Send a person's message to Rasa and set slots; errors become `RasaUnavailable`."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str, timeout: float) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """The bot's replies to one message."""
        body = {"sender": sender, "message": text, "metadata": metadata}
        data = await self._post("/webhooks/rest/webhook", body)
        if not isinstance(data, list):
            raise RasaUnavailable("unexpected webhook response")
        return [reply for reply in map(_reply, data) if reply]

    async def set_slot(self, sender: str, name: str, value: str) -> None:
        """Append a `slot` event to the conversation's tracker (used for the language)."""
        event = {"event": "slot", "name": name, "value": value}
        await self._post(f"/conversations/{sender}/tracker/events", event, authenticated=True)

    async def pause(self, sender: str) -> None:
        """Record in Rasa's tracker that a human has the conversation (no bot actions run)."""
        await self._post(f"/conversations/{sender}/tracker/events", {"event": "pause"}, True, True)

    async def resume(self, sender: str) -> None:
        """Record in Rasa's tracker that the bot has the conversation again."""
        await self._post(f"/conversations/{sender}/tracker/events", {"event": "resume"}, True, True)

    async def _post(
        self, path: str, body: Any, authenticated: bool = False, no_events: bool = False
    ) -> Any:
        params: dict[str, str] | None = {"token": self._token} if authenticated else None
        if params is not None and no_events:
            params["include_events"] = "NONE"  # the answer would otherwise hold the whole tracker
        try:
            response = await self._http.post(
                self._base + path, json=body, params=params, timeout=self._timeout
            )
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as error:
            logger.warning("rasa_unavailable kind=%s", type(error).__name__)
            raise RasaUnavailable(type(error).__name__) from error
