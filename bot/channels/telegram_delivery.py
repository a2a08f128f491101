"""Delivering a Telegram handoff's events (staff messages, joined, closed …) to the chat.

Every gateway process runs this loop. The person side of each open Telegram handoff is read
through the handoff stream's `person` consumer group (as the widget's live reader does), so an
entry goes to one process only, and is acknowledged only after Telegram accepted the message: a
failed send stays pending and is tried again. Ids of these handoffs sit in one Redis set; an id
leaves it when the handoff ends for the person or is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.channels.telegram import TelegramChannel
from bot.conversation.texts import Texts
from bot.handoff.delivery import Event, _event
from bot.handoff.states import Side
from bot.store import Keys

logger = logging.getLogger(__name__)

BATCH = 50
# A process that read an entry and died leaves it pending; another takes it after this long.
CLAIM_IDLE_MS = 30_000
_NOTICES = {
    "joined",
    "released",
    "closed",
    "left",
    "requeued",
    "no_staff",
    "wait_long",
    "transferred",
    "transferred_to_queue",
}


class TelegramDelivery:
    """The loop that brings a handoff's person-side events to the Telegram chat."""

    def __init__(
        self, channel: TelegramChannel, redis: Redis, keys: Keys, texts: Texts, block_ms: int = 1000
    ) -> None:
        self._channel = channel
        self._redis = redis
        self._keys = keys
        self._texts = texts
        self._block_ms = block_ms
        self._consumer = "telegram-" + secrets.token_urlsafe(6)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; Redis or Telegram trouble is logged and retried."""
        await self._channel.ready.wait()
        while not stop.is_set():
            try:
                if not await self.deliver_once():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self._block_ms / 1000)
            except (RedisError, TelegramError) as error:
                logger.warning("telegram_delivery_failed kind=%s", type(error).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)

    async def deliver_once(self) -> bool:
        """One round; False when there was no open Telegram handoff to read."""
        streams: dict[str, str] = {}
        for handoff_id in await self._redis.smembers(self._keys.telegram_handoffs()):
            if await self._redis.exists(self._keys.handoff(handoff_id)):
                streams[handoff_id] = self._keys.handoff_stream(handoff_id)
            else:
                await self._redis.srem(self._keys.telegram_handoffs(), handoff_id)
        if not streams:
            return False
        for handoff_id, stream in streams.items():
            try:  # our own pending entries first (a failed send), then those of a dead process
                mine = await self._read({stream: "0"}, block=None)
                claimed = await self._redis.xautoclaim(
                    stream, Side.PERSON, self._consumer, CLAIM_IDLE_MS, "0-0", count=BATCH
                )
            except ResponseError:  # erased between the check and the read
                continue
            pending = [*(entry for _, items in mine for entry in items), *claimed[1]]
            entries = list(dict(pending).items())  # an entry can be in both lists
            await self._deliver(handoff_id, stream, entries)
        try:
            fresh = await self._read({s: ">" for s in streams.values()}, block=self._block_ms)
        except ResponseError:
            return True
        by_stream = {s: h for h, s in streams.items()}
        for stream, items in fresh:
            await self._deliver(by_stream[stream], stream, list(items))
        return True

    async def _read(
        self, streams: dict[str, str], block: int | None
    ) -> list[tuple[str, list[tuple[str, dict[str, str] | None]]]]:
        reply = await self._redis.xreadgroup(
            Side.PERSON, self._consumer, streams, count=BATCH, block=block
        )
        return list(reply or [])

    async def _deliver(
        self, handoff_id: str, stream: str, entries: list[tuple[str, dict[str, str] | None]]
    ) -> None:
        if not entries:
            return
        session_id = await self._redis.hget(self._keys.handoff(handoff_id), "session_id")
        chat_id = await self._channel.chat_of(session_id) if session_id else None
        lang = (await self._redis.hget(self._keys.session(session_id or ""), "lang")) or ""
        for stream_id, fields in entries:
            event = _event(stream_id, fields, Side.PERSON)
            if event and chat_id is not None:
                await self._send(chat_id, event, lang)  # raises: stays pending, tried again
            await self._redis.xack(stream, Side.PERSON, stream_id)
            if event and event.ends(Side.PERSON):
                await self._redis.srem(self._keys.telegram_handoffs(), handoff_id)

    async def _send(self, chat_id: int, event: Event, lang: str) -> None:
        bot = self._channel.application.bot
        if event.kind == "text":
            label = self._texts.widget_text("staff", lang)
            await bot.send_message(chat_id, f"{label}: {event.text}")
        elif event.kind in _NOTICES:
            markup = None
            if event.kind in ("no_staff", "wait_long"):
                markup = InlineKeyboardMarkup(
                    [
                        [
                            InlineKeyboardButton(
                                self._texts.widget_text("handoff_keep", lang),
                                callback_data="handoff:keep",
                            )
                        ],
                        [
                            InlineKeyboardButton(
                                self._texts.widget_text("handoff_leave", lang),
                                callback_data="handoff:leave",
                            )
                        ],
                    ]
                )
            text = self._texts.widget_text(f"handoff_{event.kind}", lang)
            await self._channel.send(chat_id, text, markup)
