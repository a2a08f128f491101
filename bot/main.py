"""The app factory: settings, one Redis client and one HTTP client per app, routers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bot.channels.telegram import WEBHOOK_PATH, TelegramChannel
from bot.channels.telegram_delivery import TelegramDelivery
from bot.config import PACKAGE_DIR, Settings, get_settings, parse_frame_ancestors
from bot.conversation.bot_history import BotHistory
from bot.conversation.contact_links import ContactLinks
from bot.conversation.language import LanguageDetector
from bot.conversation.rasa_client import RasaClient, TrackerCheck
from bot.conversation.rasa_http import AiohttpTransport, HttpxTransport, RasaTransport
from bot.conversation.redaction import Redactor
from bot.conversation.safety import SafetyLayer
from bot.conversation.safety.kinds import KINDS
from bot.conversation.sessions import SessionStore
from bot.conversation.texts import Texts
from bot.conversation.turn import Conversation
from bot.handoff.delivery import EventReader
from bot.handoff.events import BACK_TO_BOT, Transition
from bot.handoff.hours import OpeningHours
from bot.handoff.live_streams import LiveStreams
from bot.handoff.open_lines import OpenLines
from bot.handoff.service import Handoffs
from bot.handoff.waiting import WaitingLine
from bot.languages import load_codes
from bot.limits.abuse import AbuseLimits, install_refusal_handler
from bot.routes import (
    answers,
    municipalities,
    pages,
    staff,
    stats,
    supervision,
    telegram,
    transfer,
    widget,
    wrapup,
)
from bot.routes import handoffs as handoff_routes
from bot.staff.audit import AuditLog
from bot.staff.auth import StaffAuth
from bot.staff.console_texts import load_console_texts, page_with_texts
from bot.staff.saved_answers import SavedAnswers
from bot.staff.stats import StatsReport
from bot.staff.wrapup import WrapUp
from bot.store import Keys, ReplicaWait, connect_from
from bot.web.body_limit import BodySizeLimit
from bot.web.errors import install_error_handlers
from bot.web.health import Readiness
from bot.web.safe_errors import SafeErrors
from bot.web.security_headers import SecurityHeaders
from registry import Resolver, load_registry
from registry.names import place_names

logger = logging.getLogger(__name__)


async def _sweep_forever(handoffs: Handoffs, every_seconds: float, stop: asyncio.Event) -> None:
    """Requeue lapsed leases and tell long waiters, in every gateway process (atomic steps)."""
    while not stop.is_set():
        try:
            await handoffs.sweep()
        except Exception as error:  # never let the timers die; the type only, no message text
            logger.warning("handoff_sweep_failed kind=%s", type(error).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_seconds)


def create_app(
    settings: Settings | None = None,
    rasa_transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.time,
    stand_in_stores_trackers: bool = False,
) -> FastAPI:
    """Build the gateway; nothing connects until the lifespan starts.

    `rasa_transport` lets unit tests answer for Rasa without a model (such a stand-in stores
    no tracker unless `stand_in_stores_trackers` says so); `clock` lets them move time for
    leases, waiting limits and opening hours.
    """
    settings = settings or get_settings()
    # Every listed language's data is read and checked here: a missing file stops the start.
    codes = load_codes(settings.languages_file)
    texts = Texts.load(settings.texts_dir, codes, settings.default_lang)
    console_languages = load_console_texts(settings.console_texts_dir)
    console_page = page_with_texts(
        (PACKAGE_DIR / "static" / "staff.html").read_text(encoding="utf-8"), console_languages
    )
    # The wrap-up's choices, with a label in every console language; and what the report lists.
    wrap_up = WrapUp.load(settings.wrapup_file, console_languages)
    stats_report = StatsReport(
        languages=tuple(codes),
        risk_kinds=KINDS,
        categories=tuple(c.id for c in wrap_up.categories),
        outcomes=tuple(c.id for c in wrap_up.outcomes),
    )
    saved_answers = SavedAnswers.load(settings.saved_answers_dir, codes)
    # Trained on our own data when no saved model fits it (seconds, once per data change).
    safety = SafetyLayer.from_settings(settings, codes)
    texts.require_replies(safety.policy.opening_numbers)
    texts.require_number(safety.policy.suicide_line_replies, safety.policy.suicide_line)
    # Files only, no connection: a broken data file stops the gateway here, not mid-request.
    registry = load_registry(settings.data_dir)
    resolver = Resolver(registry)
    links = ContactLinks.from_registry(registry)
    open_lines = OpenLines.from_registry(registry)
    places = place_names(registry)
    detector = LanguageDetector.load(
        settings.language_markers_dir, codes, places, safety.model.language_scores
    )
    # Privacy: identifiers are hidden before storage; public numbers (helplines, centres) stay.
    redactor = Redactor.load(settings.redaction_rules_file, registry.public_phones(), places)
    hours = OpeningHours.parse(settings.handoff_hours, settings.handoff_timezone)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = connect_from(settings)
        # A turn waits for a free connection to Rasa (within the Rasa client's timeout, which
        # covers the pool too) rather than failing; idle ones are kept for the next burst.
        # Turns go through aiohttp (bot/conversation/rasa_http.py); this client asks the parts
        # whether they are ready, and carries a test's stand-in for Rasa.
        pool = settings.rasa_max_connections
        http = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
            transport=rasa_transport,
        )
        keys = Keys(settings.key_prefix, settings.rasa_tracker_key_prefix)
        sessions = SessionStore(
            redis,
            keys,
            settings.session_ttl_seconds,
            settings.max_open_sessions,
            clock,
            stats_retention_days=settings.stats_retention_days,
        )
        # A test double for Rasa writes no tracker, so there is nothing to check then.
        check = settings.rasa_tracker_check and (rasa_transport is None or stand_in_stores_trackers)
        timeout = settings.rasa_timeout_seconds
        connect_timeout = min(settings.rasa_connect_timeout_seconds, timeout)
        rasa_requests: RasaTransport = (
            AiohttpTransport(pool, timeout, connect_timeout)
            if rasa_transport is None
            else HttpxTransport(http, timeout, connect_timeout)
        )
        rasa = RasaClient(
            rasa_requests,
            settings.rasa_replica_urls,
            settings.rasa_token.get_secret_value(),
            TrackerCheck(redis, keys, settings.session_ttl_seconds) if check else None,
            down_seconds=settings.rasa_down_seconds,
        )
        app.state.settings = settings
        app.state.readiness = Readiness(
            redis,
            http,
            keys,
            settings.rasa_replica_urls,
            settings.rasa_token.get_secret_value(),
            settings.actions_url,
            settings.session_ttl_seconds,
            settings.readyz_timeout_seconds,
            settings.readyz_cache_seconds,
        )
        app.state.texts = texts
        app.state.console_page = console_page
        app.state.saved_answers = saved_answers
        app.state.wrapup = wrap_up
        app.state.stats_report = stats_report
        app.state.safety = safety
        app.state.registry = registry
        app.state.resolver = resolver
        app.state.contact_links = links
        app.state.redis = redis
        app.state.sessions = sessions
        handoffs = Handoffs(
            redis,
            keys,
            settings.session_ttl_seconds,
            hours=hours,
            wait_seconds=settings.handoff_wait_seconds,
            lease_seconds=settings.handoff_lease_seconds,
            on_duty_seconds=settings.staff_on_duty_seconds,
            audit_ttl_seconds=settings.audit_ttl_seconds,
            clock=clock,
            max_queued=settings.max_queued_handoffs,
            stream_maxlen=settings.handoff_stream_maxlen,
            max_open_chats=settings.staff_max_open_chats,
            stats_retention_days=settings.stats_retention_days,
            replica_wait=ReplicaWait(settings.redis_wait_replicas, settings.redis_wait_timeout_ms),
        )
        audit = AuditLog(redis, keys, settings.audit_ttl_seconds, clock)
        app.state.handoffs = handoffs
        app.state.open_lines = open_lines
        app.state.waiting_line = WaitingLine(
            redis,
            keys,
            settings.session_ttl_seconds,
            staffed=handoffs.available,
            away_seconds=settings.handoff_away_seconds,
            gone_seconds=settings.handoff_gone_seconds,
            clock=clock,
        )
        handoffs.events.subscribe(app.state.waiting_line.on_changed, frozenset(Transition))
        app.state.events = EventReader(redis, keys)
        app.state.live_streams = LiveStreams(
            settings.max_live_streams_per_conversation, settings.max_live_streams
        )
        app.state.audit = audit
        app.state.staff_auth = StaffAuth.from_settings(redis, keys, audit, settings, clock)
        app.state.limits = AbuseLimits.from_settings(texts, safety, redis, settings, clock)
        app.state.conversation = Conversation(
            sessions, rasa, safety, detector, texts, handoffs, redactor, resolver
        )
        handoffs.events.subscribe(app.state.conversation.on_back_to_bot, BACK_TO_BOT)
        bot_history = BotHistory(rasa, handoffs, settings.handoff_bot_history_messages)
        handoffs.events.subscribe(bot_history.copy, frozenset({Transition.ENQUEUED}))
        stop = asyncio.Event()
        tasks = {
            asyncio.create_task(_sweep_forever(handoffs, settings.handoff_sweep_seconds, stop))
        }
        channel = None
        if settings.telegram_enabled:  # no token: no Telegram, nothing else changes
            channel = TelegramChannel(
                settings,
                app.state.conversation,
                sessions,
                handoffs,
                texts,
                redis,
                keys,
                limits=app.state.limits,
                links=links,
            )
            channel.start()
            tasks.add(asyncio.create_task(TelegramDelivery(channel, redis, keys, texts).run(stop)))
        app.state.telegram = channel
        try:
            yield
        finally:
            # A flag, not only cancel(): redis-py can swallow a cancellation mid-command.
            stop.set()
            if channel is not None:
                await channel.stop()
            await asyncio.wait(tasks, timeout=5)
            for task in tasks:
                task.cancel()
            await rasa_requests.aclose()
            await http.aclose()
            await redis.aclose()

    app = FastAPI(
        title="HRV Guide gateway",
        version="0.1.0",
        description="Anonymous first-line guidance about honour-related violence and oppression.",
        lifespan=lifespan,
    )
    safe_replies = [links.annotate(reply) for reply in texts.safe_replies_all()]
    install_error_handlers(app, safe_replies)
    install_refusal_handler(app)

    app.add_middleware(SafeErrors, replies=safe_replies)
    # Outermost last: the size check runs before anything reads a body, and every response,
    # its 413 included, gets the security headers.
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        path_limits={WEBHOOK_PATH: telegram.MAX_BODY_BYTES},  # Telegram's updates are larger
    )
    app.add_middleware(
        SecurityHeaders,
        frame_ancestors=parse_frame_ancestors(settings.frame_ancestors),
        hsts_max_age=settings.hsts_max_age_seconds if settings.environment == "production" else 0,
    )
    app.include_router(widget.router)
    app.include_router(staff.router)
    app.include_router(handoff_routes.router)
    app.include_router(transfer.router)
    app.include_router(wrapup.router)
    app.include_router(supervision.router)
    app.include_router(stats.router)
    app.include_router(municipalities.router)
    app.include_router(answers.router)
    app.include_router(telegram.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    return app
