"""The one place that talks to Rasa, over HTTP: the REST webhook and the tracker events API.

With several Rasa replicas every call of a conversation goes to the replica its session id
chooses (bot/conversation/rasa_replicas.py). A call moves on to the conversation's next replica
only when the connection could not be made (refused, or no answer to connect within the connect
timeout): then the request was never sent, so no replica has seen the message. Any failure after
the request went out (a read timeout, a dropped connection, an error status) is *not* tried
elsewhere: the first replica may have processed the message, or may still be processing it, and
a second replica would then work on the same conversation at once (the race this routing
avoids) or record the message twice. The person gets the safe reply for that message instead, and
the next message finds a refused port and moves on.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.conversation.rasa_http import Failed, NotSent, RasaTransport
from bot.conversation.rasa_replicas import Replicas
from bot.conversation.replies import Button, Reply
from bot.store import Keys

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error."""


def _reply(message: dict[str, Any]) -> Reply | None:
    text = message.get("text")
    if not text:
        return None
    buttons = tuple(
        Button(str(b["title"]), str(b["payload"]))
        for b in message.get("buttons") or []
        if isinstance(b, dict) and b.get("title") and b.get("payload")
    )
    return Reply(str(text), buttons)


# The key of the custom payload by which `action_request_human` asks for a person, and the shape of
# the reason it gives (an intent name); anything else is read as a plain request.
HANDOFF_SIGNAL = "handoff"
_REASON = re.compile(r"^[a-z_]{1,64}$")
ASKED_FOR_HUMAN = "asked_for_human"


def _handoff_reason(message: dict[str, Any]) -> str | None:
    """The reason of a handoff signal in one message of Rasa's reply, or None."""
    custom = message.get("custom")
    if not isinstance(custom, dict) or not isinstance(custom.get(HANDOFF_SIGNAL), dict):
        return None
    reason = custom[HANDOFF_SIGNAL].get("reason")
    return reason if isinstance(reason, str) and _REASON.match(reason) else ASKED_FOR_HUMAN


# A button's payload: an intent and, optionally, its entities as one JSON object.
_PAYLOAD = re.compile(r"^(/[a-z_]{1,64})(\{.*\})?$")
LANGUAGE_ENTITY = "language"


def with_language(message: str, lang: str) -> str:
    """The message as sent to Rasa: a payload gets the language among its entities (Rasa
    replaces a payload's entities with its own, so the metadata cannot carry it there)."""
    match = _PAYLOAD.match(message)
    if match is None:
        return message
    try:
        entities = json.loads(match.group(2)) if match.group(2) else {}
    except ValueError:
        return message
    if not isinstance(entities, dict):
        return message
    entities[LANGUAGE_ENTITY] = lang
    return match.group(1) + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class BotTurn:
    """Rasa's answer to one message: the replies to show, and the reason when its action asked
    to hand the conversation to a person (Rasa has then paused the conversation itself)."""

    replies: list[Reply] = field(default_factory=list)
    handoff_reason: str | None = None
    # When the message was sent (time.monotonic()): Rasa must have stored its tracker since.
    sent_at: float | None = None


# Redis counts expiry in whole milliseconds; a save this close before a call also passes.
_CLOCK_SLACK_MS = 3


@dataclass(frozen=True)
class TrackerCheck:
    """Whether Rasa stored the conversation in Redis during a call that just returned.

    Rasa 3.6 answers normally even when its tracker store failed (it falls back to memory, or
    to nothing with rasa_plugins.stores), and a wrong store module path in endpoints.yml makes
    it keep every conversation in memory with only a warning. Each call to Rasa saves the
    tracker with `SET ... EX ttl`, so right after a call the key's remaining lifetime must be
    more than `ttl - duration of the call`; a key saved before the call, or none, means this
    turn was not stored. One PTTL per call.
    """

    redis: Redis
    keys: Keys
    ttl_seconds: int

    async def stored_since(self, sender: str, started: float) -> bool:
        """True when the tracker key was (re)written after `started` (time.monotonic())."""
        try:
            remaining_ms = await self.redis.pttl(self.keys.rasa_tracker(sender))
        except RedisError:
            return False
        return self.saved_since(remaining_ms, started)

    def saved_since(self, remaining_ms: int, started: float) -> bool:
        """Whether a tracker key with `remaining_ms` to live (its PTTL, read just now) was saved
        after `started` (time.monotonic())."""
        elapsed_ms = (time.monotonic() - started) * 1000
        return remaining_ms > self.ttl_seconds * 1000 - elapsed_ms - _CLOCK_SLACK_MS


class RasaClient:
    """Send a person's message to Rasa and set slots; errors become `RasaUnavailable`.

    With a `TrackerCheck`, a call after which Rasa's tracker was not stored in Redis is an
    error too, so the person gets the safe reply rather than a bot that forgets. For a message
    (`send`) the caller reads the tracker's lifetime in its own last write and asks
    `tracker_saved`: the check then costs the turn no round trip of its own.
    `base_url` is one Rasa or a list of replicas (see the module's docstring).
    """

    def __init__(
        self,
        transport: RasaTransport,
        base_url: str | Sequence[str],
        token: str,
        tracker_check: TrackerCheck | None = None,
        down_seconds: float = 5.0,
    ) -> None:
        self._transport = transport
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        self.replicas = Replicas(urls, down_seconds)
        self._token = token
        self._tracker_check = tracker_check

    async def send(self, sender: str, text: str, lang: str) -> BotTurn:
        """The bot's replies to one message in `lang`, and its handoff signal if it gave one.

        The language travels with the message, so one call sets the slot every response is
        conditioned on: as metadata (rasa_plugins.language makes it an entity) and, for a
        payload, among its entities."""
        body = {"sender": sender, "message": with_language(text, lang), "metadata": {"lang": lang}}
        started = time.monotonic()
        data = await self._call(sender, "POST", "/webhooks/rest/webhook", body)
        if not isinstance(data, list):
            raise RasaUnavailable("unexpected webhook response")
        messages = [message for message in data if isinstance(message, dict)]
        replies = [reply for reply in map(_reply, messages) if reply]
        reasons = [reason for reason in map(_handoff_reason, messages) if reason]
        # Rasa's REST channel answers 200 with the messages so far even when the turn raised
        # (rasa/core/channels/rest.py:175-180), and nothing when the tracker could not be read
        # (rasa_plugins.stores): every turn of this bot says something or asks for a person,
        # so a turn with neither is a failure.
        if not replies and not reasons:
            logger.warning("rasa_unavailable kind=no_reply")
            raise RasaUnavailable("no reply")
        return BotTurn(replies, reasons[0] if reasons else None, started)

    def tracker_saved(self, turn: BotTurn, remaining_ms: int) -> bool:
        """Whether Rasa stored the tracker during `turn`, given the tracker's PTTL read after it
        (always True without a TrackerCheck, or for a turn that sent nothing)."""
        if self._tracker_check is None or turn.sent_at is None:
            return True
        if self._tracker_check.saved_since(remaining_ms, turn.sent_at):
            return True
        logger.error("rasa_tracker_not_stored")
        return False

    async def intent(self, text: str) -> tuple[str, float]:
        """The NLU's intent and confidence for a text, without a turn (nothing is stored), from
        any replica that answers."""
        data = await self._call(None, "POST", "/model/parse", {"text": text}, auth=True)
        intent = data.get("intent") if isinstance(data, dict) else None
        if not isinstance(intent, dict) or not isinstance(intent.get("name"), str):
            raise RasaUnavailable("unexpected parse response")
        return intent["name"], float(intent.get("confidence") or 0.0)

    async def pause(self, sender: str) -> None:
        """Record in Rasa's tracker that a human has the conversation (no bot actions run)."""
        await self._tracker_event(sender, "pause")

    async def resume(self, sender: str) -> None:
        """Record in Rasa's tracker that the bot has the conversation again."""
        await self._tracker_event(sender, "resume")

    async def tracker_events(self, sender: str) -> list[dict[str, Any]]:
        """The events of a conversation's tracker since its last restart, oldest first (read
        only: nothing is written). The texts in them are what the gateway sent (redacted)."""
        data = await self._call(
            sender,
            "GET",
            f"/conversations/{sender}/tracker",
            auth=True,
            params={"include_events": "AFTER_RESTART"},
        )
        events = data.get("events") if isinstance(data, dict) else None
        if not isinstance(events, list):
            raise RasaUnavailable("unexpected tracker response")
        return [event for event in events if isinstance(event, dict)]

    async def _tracker_event(self, sender: str, event: str) -> None:
        started = time.monotonic()
        await self._call(
            sender,
            "POST",
            f"/conversations/{sender}/tracker/events",
            {"event": event},
            auth=True,
            # the answer would otherwise hold the whole tracker
            params={"include_events": "NONE"},
        )
        await self._check_stored(sender, started)

    async def _check_stored(self, sender: str, started: float) -> None:
        if self._tracker_check is None or await self._tracker_check.stored_since(sender, started):
            return
        logger.error("rasa_tracker_not_stored")
        raise RasaUnavailable("tracker not stored")

    async def _call(
        self,
        sender: str | None,
        method: str,
        path: str,
        body: Any = None,
        auth: bool = False,
        params: dict[str, str] | None = None,
    ) -> Any:
        """One request to the conversation's replica (any replica without a sender), moving on
        to the next only while a connection cannot be made; the answer's JSON."""
        query = {**(params or {}), **({"token": self._token} if auth else {})} or None
        order = self.replicas.for_key(sender) if sender is not None else self.replicas.any()
        for place, base in enumerate(order):
            try:
                data = await self._transport.request(method, base + path, body, query)
            except NotSent as error:
                # Not sent: safe to try the next replica (see the module's docstring). A refused
                # port costs nothing to try again, so only a connect timeout marks it down:
                # the moment it is back every gateway sends its conversations there again.
                if error.timed_out:
                    self.replicas.mark_down(base)
                logger.warning("rasa_replica_unreachable kind=%s choice=%d", error.kind, place + 1)
                continue
            except Failed as error:
                logger.warning("rasa_unavailable kind=%s", error.kind)
                raise RasaUnavailable(error.kind) from error
            self.replicas.mark_up(base)
            if place:
                logger.info("rasa_replica_fallback choice=%d", place + 1)
            return data
        logger.warning("rasa_unavailable kind=no_replica_reachable")
        raise RasaUnavailable("no replica reachable")
