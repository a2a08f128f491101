"""Abuse limits of the widget API: message rates per session and per client, new sessions per
client, and the refusals people see (429 and 503 with a friendly text in their language).

Counting is in Redis, shared by every gateway (bot/limits/rates.py): sessions and clients by a
keyed hash of their id or address; no id or address is stored with a count or logged. A danger
message is never turned away: the route answers it with the danger reply (112) even when the
sender is over a limit. When Redis cannot be reached a new session is let through by its limit
(and then refused with the safe reply by the store), and a message gets the safe reply (112 and
the national lines), since its session cannot be read either.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.asyncio import Redis

from bot.config import Settings
from bot.conversation.replies import Reply
from bot.conversation.safety import SafetyLayer
from bot.conversation.sessions import Admitted, SessionStore
from bot.conversation.texts import Texts
from bot.errors import ApiError, error_body
from bot.limits.rates import ClientKeys, RateLimiter

logger = logging.getLogger(__name__)

MINUTE, HOUR = 60, 3600
# The danger intent sent as a payload (the "Yes" under "Are you in danger right now?").
DANGER_PAYLOAD = "/immediate_danger"
# Seconds a client is asked to wait after a 503 because the service is full.
FULL_RETRY_SECONDS = 60


class Refused(ApiError):
    """A refusal that carries replies for the person (shown by the widget as a bot message)."""

    def __init__(
        self, message: str, replies: list[dict[str, str]], retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.replies = replies
        self.retry_after = retry_after


class RateLimited(Refused):
    """Too many messages or new sessions in a short time."""

    status_code = 429
    code = "rate_limited"


class Full(Refused):
    """The service holds as many open conversations as it may (HRV_MAX_OPEN_SESSIONS)."""

    status_code = 503
    code = "full"


def replies_in(texts: Texts, key: str, lang: str | None) -> list[dict[str, str]]:
    """A fixed reply in `lang` and in the default language: the widget shows the one that
    matches its own language (see safeReplyFrom in bot/static/widget/composer.js)."""
    codes = dict.fromkeys(c for c in (lang, texts.default) if c and texts.supports(c))
    return [{"text": texts.reply(key, code), "lang": code} for code in codes]


class AbuseLimits:
    """The widget's and Telegram's rate limits, with their settings; one per app."""

    def __init__(
        self,
        texts: Texts,
        safety: SafetyLayer,
        limiter: RateLimiter,
        clients: ClientKeys,
        *,
        session_messages_per_minute: int,
        client_messages_per_minute: int,
        client_sessions_per_hour: int,
    ) -> None:
        self._texts = texts
        self._safety = safety
        self._limiter = limiter
        self._clients = clients
        self._session_rate = session_messages_per_minute
        self._client_rate = client_messages_per_minute
        self._new_session_rate = client_sessions_per_hour

    @classmethod
    def from_settings(
        cls,
        texts: Texts,
        safety: SafetyLayer,
        redis: Redis,
        settings: Settings,
        clock: Callable[[], float] = time.time,
    ) -> AbuseLimits:
        """The limits on the gateway's Redis, under its key prefix."""
        return cls(
            texts,
            safety,
            RateLimiter(redis, settings.key_prefix, clock),
            ClientKeys(
                settings.rate_limit_secret.get_secret_value().encode(),
                settings.trusted_proxy_hops,
                clock,
            ),
            session_messages_per_minute=settings.rate_session_messages_per_minute,
            client_messages_per_minute=settings.rate_client_messages_per_minute,
            client_sessions_per_hour=settings.rate_client_sessions_per_hour,
        )

    async def new_session(self, request: Request, lang: str | None) -> None:
        """Count a new session for the client; RateLimited when it started too many."""
        retry = await self._limiter.hit(
            "client_sessions", self._clients.of(request), self._new_session_rate, HOUR
        )
        if retry is not None:
            logger.info("rate_limited kind=client_sessions")
            raise self.too_fast(lang, retry)

    async def admit_message(
        self, sessions: SessionStore, request: Request, session_id: str, token: str | None
    ) -> Admitted:
        """The message's session, authenticated, with the message counted: per session first,
        then per client (address), in the same round trip as the session's read.

        The session is counted first: one session typing too fast is refused before it counts
        against its address, so it cannot use up the allowance of others sharing that address.
        """
        limits = [
            ("session_messages", self._clients.of_session(session_id), self._session_rate),
            ("client_messages", self._clients.of(request), self._client_rate),
        ]
        admitted = await sessions.admit(
            session_id,
            token,
            [self._limiter.window(kind, subject, rate, MINUTE) for kind, subject, rate in limits],
        )
        if admitted.refused_by is not None:
            logger.info("rate_limited kind=%s", limits[admitted.refused_by][0])
        return admitted

    async def session_message(self, session_id: str) -> int | None:
        """Count a message of a session alone (a Telegram chat's session has no address)."""
        key = self._clients.of_session(session_id)
        retry = await self._limiter.hit("session_messages", key, self._session_rate, MINUTE)
        if retry is not None:
            logger.info("rate_limited kind=session_messages")
        return retry

    async def tell_once(self, session_id: str) -> bool:
        """Whether to tell a chat it writes too fast: once a minute, so a flood of messages does
        not become a flood of answers (a channel that pushes messages, e.g. Telegram)."""
        key = self._clients.of_session(session_id)
        return await self._limiter.hit("told", key, 1, MINUTE) is None

    def over_limit(self, text: str, lang: str, retry_after: int) -> list[Reply]:
        """The answer to a message over a limit: RateLimited, unless the safety layer raises the
        alarm; then its reply (112 first) and the slow-down text, with nothing stored or passed
        on (no Rasa turn, no handoff message), so a flood cannot use danger words to get by."""
        if text.strip() == DANGER_PAYLOAD:
            key = self._safety.policy.replies["violence"]
        else:
            assessment = self._safety.assess(text)
            if not assessment.alarm:
                raise self.too_fast(lang, retry_after)
            # No question when unsure: its buttons would reach nothing now.
            key = self._safety.danger_reply_key(assessment)
        logger.info("rate_limited_danger_answered")
        return [Reply(self._texts.reply(key, lang)), Reply(self._texts.reply("rate_limited", lang))]

    def too_fast(self, lang: str | None, retry_after: int) -> RateLimited:
        """The 429 for `lang`: a friendly text that also names 112."""
        return RateLimited(
            "Too many messages in a short time. Wait a moment and try again.",
            replies_in(self._texts, "rate_limited", lang),
            retry_after,
        )

    def full(self, lang: str | None) -> Full:
        """The 503 when no more sessions fit: the safe reply (112, national lines)."""
        return Full(
            "The chat is full right now. Please try again in a while.",
            replies_in(self._texts, "safe_fallback", lang),
            FULL_RETRY_SECONDS,
        )


def install_refusal_handler(app: FastAPI) -> None:
    """Answer Refused errors with the one error body plus `replies` and Retry-After."""

    @app.exception_handler(Refused)
    async def _refused(request: Request, error: Refused) -> JSONResponse:
        body: dict[str, object] = error_body(error.code, error.message)
        links = getattr(request.app.state, "contact_links", None)
        body["replies"] = [links.annotate(r) for r in error.replies] if links else error.replies
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
        return JSONResponse(body, status_code=error.status_code, headers=headers)


async def get_limits(request: Request) -> AbuseLimits:
    """The app's abuse limits (a FastAPI dependency)."""
    return request.app.state.limits
