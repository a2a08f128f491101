"""Telegram as a thin adapter over the one conversation path (python-telegram-bot 22).

Updates come from the webhook route (bot/routes/telegram.py), each handled before Telegram gets
its answer (`process_update`; the Application has `.updater(None)`), so that with several gateways
a 200 means the update was handled, and an update that reaches two gateways is handled by one
(`handle`). In development without a public address they come from polling, which only one
process of a bot may do (Telegram answers a second getUpdates with 409 Conflict). Each chat maps to
an anonymous session (bot/channels/telegram_ids.py); text goes through `Conversation.turn` like the
widget's; Rasa's buttons become inline keyboards. Never logged: the token, message text, any
Telegram id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.asyncio import Redis
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.telegram_format import keyboard, link_entities
from bot.channels.telegram_ids import ChatIds
from bot.config import Settings
from bot.conversation.contact_links import ContactLinks
from bot.conversation.sessions import Session, SessionStore
from bot.conversation.texts import Texts
from bot.conversation.turn import Conversation
from bot.handoff.service import Handoffs
from bot.handoff.states import OPEN_STATES
from bot.limits.abuse import AbuseLimits, RateLimited
from bot.store import Keys
from textnorm import readable_text

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/v1/telegram/webhook"
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_TEXT = 2000
START_RETRY_SECONDS = 10.0
# How long a gateway may take over one webhook update (a turn is at most HRV_RASA_TIMEOUT_SECONDS,
# then Telegram's answers) before another may take Telegram's retry of it: also how long the
# message of a person whose gateway died waits at least before another gateway answers it.
CLAIM_SECONDS = 20
_CLAIMED, _DONE = "claimed", "done"


def quiet_loggers() -> None:
    """httpx logs every request URL, and Telegram's URLs hold the bot token; PTB's own debug
    lines hold whole updates (text, ids, names)."""
    for name in ("httpx", "httpcore", "telegram", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _polling_error(error: TelegramError) -> None:
    """Polling failed (PTB retries). A Conflict means another process polls the same bot:
    with several gateways only one may poll (or use webhook mode), and two pollers can each
    receive the same update, which nothing here would catch."""
    if isinstance(error, Conflict):
        logger.error(
            "telegram_polling_conflict: another process polls this bot; with several gateways "
            "use HRV_TELEGRAM_MODE=webhook, or give HRV_TELEGRAM_TOKEN to one gateway only"
        )
    else:
        logger.warning("telegram_polling_failed kind=%s", type(error).__name__)


class TelegramChannel:
    """The PTB Application, its handlers, and its start and stop inside the gateway's lifespan."""

    def __init__(
        self,
        settings: Settings,
        conversation: Conversation,
        sessions: SessionStore,
        handoffs: Handoffs,
        texts: Texts,
        redis: Redis,
        keys: Keys,
        limits: AbuseLimits | None = None,
        links: ContactLinks | None = None,
    ) -> None:
        self.settings = settings
        self._limits = limits
        self._links = links
        self.ids = ChatIds(settings.telegram_id_secret.get_secret_value())
        self._conversation = conversation
        self._sessions = sessions
        self._handoffs = handoffs
        self._texts = texts
        self._redis = redis
        self._keys = keys
        self.ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._starter: asyncio.Task[None] | None = None
        # Updates whose handling failed and whose person could not even be sent the safe reply:
        # answered 503 so Telegram sends them again (python-telegram-bot gives handler errors to
        # _on_error, not to process_update's caller).
        self._unanswered: set[int] = set()
        self.application = self._build()

    def _build(self) -> Application:
        builder = (
            Application.builder()
            .token(self.settings.telegram_token.get_secret_value())
            .base_url(self.settings.telegram_api_base_url)
            .rate_limiter(AIORateLimiter(max_retries=2))
        )
        if self.settings.telegram_uses_webhook:
            builder = builder.updater(None)
        application = builder.build()
        application.add_handler(CommandHandler("start", self._start_command))
        application.add_handler(CommandHandler("help", self._help))
        application.add_handler(CommandHandler("language", self._language))
        application.add_handler(CommandHandler("human", self._human))
        application.add_handler(CommandHandler("forget", self._forget))
        application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self._text))
        application.add_handler(CallbackQueryHandler(self._button))
        application.add_handler(MessageHandler(filters.ALL, self._not_text))
        application.add_error_handler(self._on_error)
        return application

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background: a Telegram outage must not stop the gateway starting."""
        quiet_loggers()
        self._starter = asyncio.create_task(self._start_until_ready())

    async def _start_until_ready(self) -> None:
        while not self._stop.is_set():
            try:
                await self.application.initialize()
                if self.settings.telegram_uses_webhook:
                    if self.settings.telegram_webhook_url:
                        await self.application.bot.set_webhook(
                            self.settings.telegram_webhook_url.rstrip("/") + WEBHOOK_PATH,
                            secret_token=self.settings.telegram_webhook_secret.get_secret_value(),
                            allowed_updates=ALLOWED_UPDATES,
                        )
                    await self.application.start()
                else:
                    await self.application.start()
                    updater = self.application.updater
                    assert updater is not None
                    await updater.start_polling(
                        allowed_updates=ALLOWED_UPDATES, error_callback=_polling_error
                    )
                self.ready.set()
                logger.info(
                    "telegram_ready mode=%s",
                    "webhook" if self.settings.telegram_uses_webhook else "polling",
                )
                return
            except Exception as error:  # any failure: log the kind, try again later
                logger.warning("telegram_start_failed kind=%s", type(error).__name__)
                with contextlib.suppress(Exception):
                    await self.application.shutdown()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), START_RETRY_SECONDS)

    async def stop(self) -> None:
        """Stop polling or the update queue, and close PTB's HTTP clients."""
        self._stop.set()
        if self._starter:
            self._starter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._starter
        with contextlib.suppress(Exception):
            updater = self.application.updater
            if updater is not None and updater.running:
                await updater.stop()
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()

    async def handle(self, data: dict[str, Any]) -> bool | None:
        """Handle one webhook update before Telegram is answered, once whichever gateway it
        reaches: True when handled here, False for one already handled (Telegram retries an
        update it saw no answer to), None while another gateway is still on it or when the person
        could not be answered at all (not even the safe reply): Telegram then sends it again.

        The update is claimed in Redis (SET NX, atomic across gateways) for `CLAIM_SECONDS`,
        handled, then marked done for `telegram_dedupe_seconds`. A gateway that dies mid-update
        leaves only the claim, which runs out, so Telegram's retry is handled elsewhere rather
        than dropped; a failure here releases it at once. A crash after the replies went out but
        before the mark would repeat them: a repeated answer rather than a lost message.
        ValueError for an update python-telegram-bot cannot read.
        """
        update = self._parse(data)
        key = self._keys.telegram_update(self.ids.update_key(update.update_id))
        if not await self._redis.set(key, _CLAIMED, nx=True, ex=CLAIM_SECONDS):
            return False if await self._redis.get(key) == _DONE else None
        try:
            await self.application.process_update(update)
        except BaseException:
            with contextlib.suppress(Exception):
                await self._redis.delete(key)
            raise
        if update.update_id in self._unanswered:
            self._unanswered.discard(update.update_id)
            with contextlib.suppress(Exception):
                await self._redis.delete(key)
            return None
        await self._redis.set(key, _DONE, ex=self.settings.telegram_dedupe_seconds)
        return True

    def _parse(self, data: dict[str, Any]) -> Update:
        try:
            update = Update.de_json(data, self.application.bot)
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            raise ValueError("not an update") from error
        if update is None:
            raise ValueError("not an update")
        return update

    # --- sessions ----------------------------------------------------------------------------

    async def session_for(self, update: Update) -> Session:
        """The chat's anonymous session (created on first contact, in the user's Telegram
        language when we have it)."""
        chat = update.effective_chat
        assert chat is not None
        session_id = self.ids.session_id(chat.id)
        user = update.effective_user
        code = ((user.language_code if user else None) or "").split("-")[0].lower()
        lang = code if self._texts.supports(code) else self._texts.default
        return await self._sessions.open_channel(
            session_id, lang, "telegram", {"tg_chat": self.ids.seal(chat.id, session_id)}
        )

    async def chat_of(self, session_id: str) -> int | None:
        """The Telegram chat of a session, decrypted (for delivering staff messages)."""
        sealed = await self._sessions.field(session_id, "tg_chat")
        return self.ids.open(sealed, session_id) if sealed else None

    def _lang(self, session: Session) -> str:
        return session.lang if self._texts.supports(session.lang) else self._texts.default

    # --- handlers ----------------------------------------------------------------------------

    async def _start_command(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        session = await self.session_for(update)
        lang = self._lang(session)
        text = "\n\n".join(
            self._texts.telegram_text(key, lang) for key in ("welcome", "privacy", "commands")
        )
        await self._send(update, text)

    async def _help(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        session = await self.session_for(update)
        lang = self._lang(session)
        await self._send(
            update,
            self._texts.telegram_text("help", lang)
            + "\n\n"
            + self._texts.telegram_text("commands", lang),
        )

    async def _language(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        session = await self.session_for(update)
        rows = [
            [InlineKeyboardButton(language.name, callback_data=f"lang:{code}")]
            for code, language in self._texts.languages.items()
        ]
        await self._send(
            update,
            self._texts.telegram_text("choose_language", self._lang(session)),
            InlineKeyboardMarkup(rows),
        )

    async def _human(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        session = await self.session_for(update)
        await self._turn(update, session, "/talk_to_human")

    async def _forget(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        session = await self.session_for(update)
        lang = self._lang(session)
        await self._sessions.erase(session.id)
        if session.handoff_id:
            await self._redis.srem(self._keys.telegram_handoffs(), session.handoff_id)
        await self._send(update, self._texts.telegram_text("forgotten", lang))

    async def _text(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        session = await self.session_for(update)
        try:
            text = readable_text(message.text)
        except ValueError:
            await self._send(update, self._texts.telegram_text("unreadable", self._lang(session)))
            return
        if len(text) > MAX_TEXT:
            await self._send(update, self._texts.telegram_text("too_long", self._lang(session)))
            return
        await self._turn(update, session, text, msg_id=f"tg{message.message_id}")

    async def _not_text(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is None or update.effective_message is None:
            return
        session = await self.session_for(update)
        await self._send(update, self._texts.telegram_text("text_only", self._lang(session)))

    async def _button(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        with contextlib.suppress(TelegramError):  # the keyboard has done its job
            await query.edit_message_reply_markup(None)
        session = await self.session_for(update)
        data = query.data or ""
        if data.startswith("lang:") and self._texts.supports(data[5:]):
            await self._sessions.keep(session.id, lang=data[5:], lang_settled="1")
            await self._send(update, self._texts.telegram_text("language_set", data[5:]))
        elif data == "handoff:keep":
            await self._send(update, self._texts.widget_text("handoff_kept", self._lang(session)))
        elif data == "handoff:leave":
            if session.handoff in OPEN_STATES:
                await self._handoffs.leave(session.handoff_id, session.id)
        elif data.startswith("/"):
            await self._turn(update, session, data)

    async def _turn(
        self, update: Update, session: Session, text: str, msg_id: str | None = None
    ) -> None:
        if self._limits is not None:  # per chat: its session id is a keyed hash of the chat
            retry_after = await self._limits.session_message(session.id)
            if retry_after is not None:
                await self._over_limit(update, session, text, retry_after)
                return
        result = await self._conversation.turn(session, text, None, msg_id)
        for reply in result.replies:
            await self._send(update, reply.text, keyboard(reply.buttons))

    async def _over_limit(
        self, update: Update, session: Session, text: str, retry_after: int
    ) -> None:
        """A message over the chat's limit: danger still gets 112 (nothing stored or passed on);
        anything else is dropped, with the slow-down text at most once a minute."""
        assert self._limits is not None
        try:
            answer = self._limits.over_limit(text, self._lang(session), retry_after)
            lines = [reply.text for reply in answer]
        except RateLimited as refused:
            if not await self._limits.tell_once(session.id):
                return
            lines = [str(refused.replies[0]["text"])]
        for line in lines:
            await self._send(update, line)

    async def _send(
        self, update: Update, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        chat = update.effective_chat
        assert chat is not None
        await self.send(chat.id, text, markup)

    async def send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """Send one of our texts, its numbers and addresses tappable; should Telegram refuse
        the marks, the plain text still goes out (the 112 line must never be lost to them)."""
        entities = link_entities(text, self._links)
        if entities:
            try:
                await self.application.bot.send_message(
                    chat_id, text, reply_markup=markup, entities=entities
                )
                return
            except BadRequest:
                logger.warning("telegram_entities_refused")
        await self.application.bot.send_message(chat_id, text, reply_markup=markup)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the kind only; tell the person the safe reply (112 first) when we can."""
        logger.warning("telegram_update_failed kind=%s", type(context.error).__name__)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await self.application.bot.send_message(
                    update.effective_chat.id,
                    self._texts.reply("safe_fallback", self._texts.default),
                )
            except Exception:
                self._unanswered.add(update.update_id)
