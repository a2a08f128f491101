"""Telegram's webhook: checks the secret header, then hands the update to the Application."""

from __future__ import annotations

import hmac
import json
from typing import Annotated

from fastapi import APIRouter, Header, Request

from bot.channels.telegram import WEBHOOK_PATH, TelegramChannel
from bot.errors import BadInput, Forbidden, NotFound, ServiceUnavailable

router = APIRouter(tags=["telegram"])
MAX_BODY_BYTES = 1_000_000


@router.post(WEBHOOK_PATH, include_in_schema=False)
async def telegram_webhook(
    request: Request,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> dict[str, bool]:
    """One update from Telegram, handled before the answer. 403 for a wrong or missing secret;
    an update handled before is answered 200 and dropped (Telegram retries until it gets a 200);
    one that another gateway is handling right now 503, so Telegram retries it later."""
    channel: TelegramChannel | None = getattr(request.app.state, "telegram", None)
    if channel is None or not channel.settings.telegram_uses_webhook:
        raise NotFound("Telegram is not configured here.")
    expected = channel.settings.telegram_webhook_secret.get_secret_value().encode()
    if not secret or not hmac.compare_digest(secret.encode(), expected):
        raise Forbidden("Wrong or missing secret token.")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise BadInput("The update is too large.")
    try:
        data = json.loads(body)
    except ValueError:
        raise BadInput("The update is not JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise BadInput("The update has no update_id.")
    if not channel.ready.is_set():
        raise ServiceUnavailable("Telegram is starting; try again.")
    try:
        handled = await channel.handle(data)
    except ValueError:
        raise BadInput("The update cannot be read.") from None
    if handled is None:
        raise ServiceUnavailable("This update is being handled; try again.")
    return {"ok": True, "queued": handled}
