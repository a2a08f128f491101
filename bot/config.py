"""The gateway's one settings object, read from the environment (HRV_*; REDIS_URL)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.handoff.hours import OpeningHours

PACKAGE_DIR = Path(__file__).resolve().parent
_PLACEHOLDER_PREFIX = "dev-"


# https, a host of letters, digits and hyphens (a leading "*." allows its subdomains, with at
# least two labels after it, so "*.se" is refused), an optional port, nothing after.
_ORIGIN = re.compile(
    r"https://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:[0-9]{1,5})?"
)


def parse_frame_ancestors(value: str) -> tuple[str, ...]:
    """The origins allowed to frame the widget; () for 'none'. ValueError for anything else.

    Accepted: `'none'`, `'self'`, and https origins (`https://www.example.se`, with a port if
    needed, or `https://*.example.se` for every subdomain). Refused: http, bare `*`, schemes
    alone, paths, and `'none'` mixed with origins.
    """
    items = [item for item in re.split(r"[\s,]+", value.strip().lower()) if item]
    if not items or items == ["'none'"]:
        return ()
    for item in items:
        if item == "'self'":
            continue
        if not _ORIGIN.fullmatch(item):
            raise ValueError(
                "HRV_FRAME_ANCESTORS: 'none', 'self' or https origins such as "
                f"https://www.example.se (a leading *. for subdomains); not {item[:80]!r}"
            )
    return tuple(dict.fromkeys(items))


class Settings(BaseSettings):
    """Safe local defaults; production refuses the development secrets."""

    model_config = SettingsConfigDict(env_prefix="HRV_", env_file=".env", extra="ignore")

    # ---- The service and where it runs
    # `production` refuses the development secrets; `test` is for the test suites.
    environment: Literal["development", "test", "production"] = "development"
    # The one Redis for everything stored (sessions, handoffs, staff, Rasa's trackers).
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("HRV_REDIS_URL", "REDIS_URL"),
    )
    # Redis connections one gateway process holds at most. A request waits for a free one (up
    # to HRV_REDIS_POOL_TIMEOUT_SECONDS) instead of being refused: a burst queues, it does not
    # fail. Every live event stream holds one while it waits for an event (a blocking read), so
    # keep this above HRV_MAX_LIVE_STREAMS; the 100 more serve the requests (a command takes
    # well under a millisecond on loopback: 100 serve thousands of requests a second).
    redis_max_connections: int = Field(default=600, ge=2)
    # How long a request waits for a free Redis connection before it gets 503 with the safe
    # reply: above what a burst's queue needs (the pool does not serve waiters in order, so
    # under a saturated CPU one can wait seconds), below a proxy's 60 s and a person's patience.
    redis_pool_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Each Redis command's socket timeout: an outage or a dead primary becomes an error in
    # seconds, not a hang (with Sentinel the next command then goes to the new primary).
    redis_socket_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    # Redis Sentinel: `host:port,host:port,...` of the sentinels (empty: HRV_REDIS_URL alone).
    # With sentinels the primary's address comes from them; the db number and password still
    # come from HRV_REDIS_URL.
    redis_sentinels: str = Field(default="", pattern=r"^\s*([^\s,:]+:[0-9]{1,5}\s*(,\s*|$))*$")
    # The name under which the sentinels monitor the primary.
    redis_sentinel_service: str = "hrvguide"
    # Replicas that must have a person's or staff member's handoff message before the API
    # acknowledges it (Redis WAIT after the write; 0: off). With asynchronous replication an
    # acknowledged message not yet on a replica is lost when the primary dies. Not confirmed in
    # time while a replica is connected: 503 with the safe reply (a resend with the same message
    # id is stored once); no replica connected: acknowledged (bot/store.py ReplicaWait).
    redis_wait_replicas: int = Field(default=0, ge=0, le=5)
    # How long a handoff message waits for the replicas' confirmation.
    redis_wait_timeout_ms: int = Field(default=500, ge=1, le=10_000)
    # HTTP connections to Rasa one gateway process holds at most; a turn waits for a free one.
    # The Rasa client gives up (the person gets the safe reply, never an error) only when no
    # connection came free for HRV_RASA_TIMEOUT_SECONDS.
    rasa_max_connections: int = Field(default=100, ge=1)
    # Starts every key the gateway writes, so it can share a Redis with other programs.
    key_prefix: str = "hrv"
    # A conversation, its handoff and its transcript are erased this long after the last message.
    session_ttl_seconds: int = Field(default=4 * 3600, ge=60)
    # Rasa's HTTP API, on loopback.
    rasa_url: str = "http://127.0.0.1:5005"
    # Several Rasa servers on the same Redis, comma-separated addresses like HRV_RASA_URL's;
    # empty: HRV_RASA_URL alone. Each conversation goes to one of them, chosen
    # by its session id (rendezvous hashing), and to its next choice only while that one refuses
    # connections. Every gateway must list the same addresses; their order does not matter.
    rasa_urls: str = ""
    # Connecting to Rasa takes milliseconds; a replica that has not accepted the connection by
    # then counts as down and the turn goes to the next one (at most HRV_RASA_TIMEOUT_SECONDS).
    rasa_connect_timeout_seconds: float = Field(default=1.0, gt=0)
    # A replica whose connect timed out is skipped this long, then tried again, so a host that
    # does not answer costs one connect timeout per period, not one per turn (a refused port
    # costs nothing and is simply tried each time).
    rasa_down_seconds: float = Field(default=5.0, ge=0, le=300)
    # The token Rasa's HTTP API requires (`hrv-guide run` starts Rasa with it).
    rasa_token: SecretStr = SecretStr("dev-rasa-token")
    # A normal turn takes 0.05-0.25 s here (the fault tests); past this the person gets the safe
    # reply with 112 rather than waiting on a stuck Rasa.
    rasa_timeout_seconds: float = Field(default=5.0, gt=0)
    # Must equal the tracker store's key_prefix in endpoints.yml (letters and digits only).
    rasa_tracker_key_prefix: str = Field(default="hrvguide", pattern=r"^[A-Za-z0-9]+$")
    # The language of a new session; empty means the first in nlu/languages.yml.
    default_lang: str = ""
    # A neutral page without personalised content for the quick exit (a weather service).
    exit_url: str = "https://www.smhi.se/"
    # Where `hrv-guide serve` listens.
    host: str = "127.0.0.1"
    # The gateway's port (the widget's address).
    port: int = 8000
    # The port `hrv-guide run` gives Rasa.
    rasa_port: int = 5005
    # The port `hrv-guide run` gives the action server.
    actions_port: int = 5055
    # The trained Rasa model `hrv-guide run` starts Rasa with (`make train` writes it).
    model_path: Path = PACKAGE_DIR.parent / "models" / "current.tar.gz"

    # ---- Content: languages, texts, the safety layer's data (bot/conversation/)
    # The one list of languages (also read by scripts/build_domain.py).
    languages_file: Path = PACKAGE_DIR.parent / "nlu" / "languages.yml"
    # The widget's and the gateway's texts, one file per language.
    texts_dir: Path = PACKAGE_DIR / "texts"
    # The staff console's texts, one file per language.
    console_texts_dir: Path = PACKAGE_DIR / "texts" / "console"
    # Saved answers staff insert into a reply, one file per language (same ids as sv.yml, no
    # number but 112; checked at start).
    saved_answers_dir: Path = PACKAGE_DIR / "data" / "saved_answers"
    # The safety layer's high-precision patterns, one file per language.
    danger_dir: Path = PACKAGE_DIR / "data" / "danger"
    # The safety layer's policy: thresholds, and which reply answers which kind of danger.
    safety_policy_file: Path = PACKAGE_DIR / "data" / "safety" / "policy.yml"
    # The concepts the safety classifier reads (time words, places, family, ...).
    safety_concepts_file: Path = PACKAGE_DIR / "data" / "safety" / "concepts.yml"
    # The concepts' words, one file per language.
    safety_concepts_dir: Path = PACKAGE_DIR / "data" / "safety" / "concepts"
    # The risk corpus: danger messages and hard negatives per language, with its splits.
    risk_corpus_dir: Path = PACKAGE_DIR / "data" / "risk"
    # Rasa's training data, which the safety classifier also learns the harmless questions from.
    nlu_data_dir: Path = PACKAGE_DIR.parent / "nlu" / "data"
    # Where the safety classifier is saved after training (retrained when its data changes).
    safety_model_dir: Path = PACKAGE_DIR.parent / "build" / "safety"
    # Words that mark a language, one file per language, for language detection.
    language_markers_dir: Path = PACKAGE_DIR / "data" / "language_markers"
    # The registry's data files (municipalities, centres, coverage): shared with the actions.
    data_dir: Path = PACKAGE_DIR.parent / "data"
    # What is hidden before anything is stored (bot/conversation/redaction.py).
    redaction_rules_file: Path = PACKAGE_DIR / "data" / "redaction" / "rules.yml"

    # ---- Human handoff (bot/handoff/service.py)
    # Opening hours of the staffed chat, in HRV_HANDOFF_TIMEZONE: empty means no fixed hours
    # (whether someone answers depends on staff being signed in), else e.g.
    # "mon-fri 09:00-16:00; sat 10:00-14:00". No hours are ever shown to people.
    handoff_hours: str = ""
    # The time zone of the opening hours.
    handoff_timezone: str = "Europe/Stockholm"
    # After this long without a claim the person is told honestly and may keep the place or leave.
    handoff_wait_seconds: int = Field(default=180, ge=10)
    # A claim holds a lease renewed by the console's heartbeat; a lapsed one requeues the chat.
    handoff_lease_seconds: int = Field(default=45, ge=5)
    # How often every gateway looks for lapsed leases and long waits.
    handoff_sweep_seconds: float = Field(default=2.0, gt=0)
    # A waiting widget person whose page has neither streamed nor polled for this long is shown
    # to staff as away (bot/handoff/waiting.py); Telegram never counts as away.
    handoff_away_seconds: int = Field(default=120, ge=5)
    # After this long quiet (longer than the away time) the person leaves the list staff see
    # and nobody counts them in their place; back before the handoff expires, they have it again.
    handoff_gone_seconds: int = Field(default=600, ge=10)
    # Handoffs waiting in the queue; one more is refused and the person is told honestly.
    max_queued_handoffs: int = Field(default=50, ge=1)
    # Entries kept per handoff transcript (XADD MAXLEN ~, trimmed oldest first): a real chat
    # stays far below it; a flood cannot grow memory without bound.
    handoff_stream_maxlen: int = Field(default=1000, ge=100)
    # Context on takeover: the last messages of the conversation with the bot (Rasa's tracker,
    # redacted as stored there) copied into a new handoff's transcript for staff only, each cut
    # at 1,000 characters (0: none).
    handoff_bot_history_messages: int = Field(default=20, ge=0, le=100)

    # ---- Staff accounts, sign-in and audit (bot/staff/)
    # A console session ends after this long without use.
    staff_session_idle_seconds: int = Field(default=30 * 60, ge=60)
    # A console session ends after this long in any case.
    staff_session_absolute_seconds: int = Field(default=12 * 3600, ge=300)
    # An account not used for this long expires (every key expires; dormant accounts too).
    staff_account_ttl_seconds: int = Field(default=90 * 24 * 3600, ge=3600)
    # Wrong second-factor codes after a right account token, per account and window, before
    # sign-in is refused for the rest of the window (someone who only knows a staff name cannot
    # lock that person out).
    staff_login_max_failures: int = Field(default=5, ge=1)
    # The window of HRV_STAFF_LOGIN_MAX_FAILURES.
    staff_login_window_seconds: int = Field(default=15 * 60, ge=10)
    # Sign-in attempts per client (a keyed hash of its address, counted in Redis for all
    # gateways) per window: an office behind one address still gets in; a guesser is slowed.
    staff_login_client_attempts: int = Field(default=20, ge=1)
    # The window of HRV_STAFF_LOGIN_CLIENT_ATTEMPTS.
    staff_login_client_window_seconds: int = Field(default=15 * 60, ge=10)
    # All clients together, per minute across all gateways: bounds the CPU and memory that
    # sign-in (scrypt, ~16 MiB each) can be made to use; consoles already signed in are unaffected.
    staff_login_global_per_minute: int = Field(default=30, ge=1)
    # Password checks running at once per process; more wait their turn.
    staff_login_concurrent_checks: int = Field(default=2, ge=1, le=16)
    # A staff member counts as on duty while their console's heartbeat is this recent.
    staff_on_duty_seconds: int = Field(default=30, ge=5)
    # Chats one staff account may hold at once (0 = no limit): a claim or a transfer beyond it
    # is refused. Three: a trained worker can follow two or three slow text chats at a time
    # with care; more and the answers to someone in danger slow down.
    staff_max_open_chats: int = Field(default=3, ge=0)
    # How long the audit log keeps an entry.
    audit_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=3600)
    # A refused call without a valid session (someone probing) is audited at most this often per
    # process, so a flood of bad tokens cannot push real entries out of the capped audit log;
    # listing the queue (polled by every console) likewise.
    audit_repeat_seconds: int = Field(default=300, ge=1)

    # ---- Wrap-up and statistics without content (bot/staff/wrapup.py, bot/handoff/counters.py)
    # The categories and outcomes a staff member chooses when closing a chat (ids and labels).
    wrapup_file: Path = PACKAGE_DIR / "data" / "wrapup.yml"
    # How many days each day's counters of ended chats are kept after the day (counts only: no
    # ids, names or text); /api/v1/staff/stats answers for this period.
    stats_retention_days: int = Field(default=400, ge=1, le=3660)

    # ---- Abuse limits and security headers (bot/limits/, bot/web/security_headers.py)
    # Rate limits count in Redis, shared by every gateway, keyed by a keyed hash of the session id
    # or of the client address (never the id or address itself); each count expires with its
    # window. Behind this many trusted reverse proxies the address comes from X-Forwarded-For;
    # 0 = the socket peer.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)
    # Keys the hashes of client addresses and session ids, the same on every gateway (set it
    # alike on all of them). The key in use is derived from it per UTC day, so it rotates daily;
    # it is never written to Redis, so a copy of Redis alone cannot be turned back into addresses.
    rate_limit_secret: SecretStr = SecretStr("dev-rate-limit-secret")

    # Messages per session and minute: one person types far fewer; a flood script types more.
    rate_session_messages_per_minute: int = Field(default=20, ge=1)
    # Per client address: generous, because a school or a shelter may share one address.
    rate_client_messages_per_minute: int = Field(default=120, ge=1)
    # New sessions per client address and hour (a reload or a quick exit starts a new one; a
    # class trying the chat together shares one address): 60 stops a script, not a class.
    rate_client_sessions_per_hour: int = Field(default=60, ge=1)
    # Open sessions in all (widget and Telegram); a new widget session beyond it gets 503 with
    # the safe reply, so a flood of sessions cannot fill Redis.
    max_open_sessions: int = Field(default=5000, ge=1)
    # Live event streams (SSE) open at once per conversation (a person's session, a staff
    # member's handoff). Each holds a client socket and a Redis connection; over a cap the client
    # gets 429 and the widget and console poll instead (bot/handoff/live_streams.py).
    max_live_streams_per_conversation: int = Field(default=4, ge=1)
    # Live event streams open at once in this process; keep it well under the process's
    # open-file limit / 2.
    max_live_streams: int = Field(default=500, ge=1)
    # Largest request body, checked before parsing (413). 2000 characters as JSON take at most
    # 12 bytes each (\ud83d\ude00 escapes), so 32 KiB lets every legal message through.
    max_body_bytes: int = Field(default=32 * 1024, ge=1024, le=1024 * 1024)
    # Who may show the widget page `/` in a frame: 'none' (default), or https origins separated
    # by spaces or commas (a leading "*." label for subdomains is the one wildcard allowed).
    # The staff console and the API are never framed.
    frame_ancestors: str = "'none'"
    # HSTS max-age sent in production only (TLS is terminated at the reverse proxy in front);
    # 0 turns it off.
    hsts_max_age_seconds: int = Field(default=365 * 24 * 3600, ge=0)

    # ---- Telegram (bot/channels/). No token: no Telegram, nothing else changes.
    # The bot's token from BotFather.
    telegram_token: SecretStr = SecretStr("")
    # The gateway's public https address; the webhook is <this>/api/v1/telegram/webhook.
    # Empty in "auto" mode: the gateway polls Telegram instead (development, `hrv-guide run`).
    telegram_webhook_url: str = ""
    # "auto": a webhook when HRV_TELEGRAM_WEBHOOK_URL is set, else polling.
    telegram_mode: Literal["auto", "webhook", "polling"] = "auto"
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token on every webhook call.
    # 1-256 of A-Z, a-z, 0-9, _ and - (Telegram's rule).
    telegram_webhook_secret: SecretStr = SecretStr("dev-telegram-webhook-secret")
    # Keys the hash that turns a chat into an anonymous session id, and the encryption of the
    # chat id kept so staff replies can be delivered. Changing it starts every chat afresh.
    telegram_id_secret: SecretStr = SecretStr("dev-telegram-id-secret")
    # Telegram's Bot API (a test server in the tests).
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    # Telegram retries a webhook call it saw no answer to: an update id is handled once.
    telegram_dedupe_seconds: int = Field(default=24 * 3600, ge=60)

    # ---- Faults (bot/web/health.py, bot/conversation/rasa_client.py)
    # The action server's base address, for /readyz.
    actions_url: str = "http://127.0.0.1:5055"
    # Each part /readyz asks must answer within this, so an orchestrator's probe never hangs.
    readyz_timeout_seconds: float = Field(default=2.0, gt=0, le=10)
    # /readyz is public and unthrottled: one result serves all calls for this long (0 = none).
    readyz_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    # After each call to Rasa the gateway checks that Rasa refreshed the conversation's tracker
    # in Redis (Rasa 3.6 can fall back to memory silently); off only where no real Rasa writes.
    rasa_tracker_check: bool = True

    @property
    def rasa_replica_urls(self) -> tuple[str, ...]:
        """The Rasa servers to route conversations over (HRV_RASA_URLS, else HRV_RASA_URL)."""
        listed = [url.strip().rstrip("/") for url in self.rasa_urls.split(",") if url.strip()]
        return tuple(dict.fromkeys(listed)) or (self.rasa_url.rstrip("/"),)

    @property
    def telegram_enabled(self) -> bool:
        """Whether a bot token is configured."""
        return bool(self.telegram_token.get_secret_value())

    @property
    def telegram_uses_webhook(self) -> bool:
        """Webhook when asked, or in "auto" mode when a public address is set; else polling."""
        if self.telegram_mode == "auto":
            return bool(self.telegram_webhook_url)
        return self.telegram_mode == "webhook"

    @model_validator(mode="after")
    def _check_opening_hours(self) -> Settings:
        OpeningHours.parse(self.handoff_hours, self.handoff_timezone)
        return self

    @model_validator(mode="after")
    def _check_away_before_gone(self) -> Settings:
        if self.handoff_gone_seconds <= self.handoff_away_seconds:
            raise ValueError("HRV_HANDOFF_GONE_SECONDS must be longer than the AWAY_SECONDS")
        return self

    @model_validator(mode="after")
    def _check_redis_sizes(self) -> Settings:
        # Each live event stream holds a Redis connection while it waits: streams alone must
        # never take the whole pool, or every request waits out the pool timeout.
        if self.redis_max_connections <= self.max_live_streams:
            raise ValueError("HRV_REDIS_MAX_CONNECTIONS must be more than HRV_MAX_LIVE_STREAMS")
        # A WAIT longer than the socket timeout would end as a timeout, retried, then an error.
        if self.redis_wait_timeout_ms >= self.redis_socket_timeout_seconds * 1000:
            raise ValueError(
                "HRV_REDIS_WAIT_TIMEOUT_MS must be shorter than HRV_REDIS_SOCKET_TIMEOUT_SECONDS"
            )
        return self

    @model_validator(mode="after")
    def _check_rasa_urls(self) -> Settings:
        for url in self.rasa_replica_urls:
            if not re.fullmatch(r"https?://[^\s/?#,]+(/[^\s?#,]*)?", url):
                raise ValueError(f"HRV_RASA_URLS: http(s) addresses, comma-separated; not {url!r}")
        return self

    @model_validator(mode="after")
    def _check_frame_ancestors(self) -> Settings:
        parse_frame_ancestors(self.frame_ancestors)
        return self

    @model_validator(mode="after")
    def _check_telegram_secret(self) -> Settings:
        secret = self.telegram_webhook_secret.get_secret_value()
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ValueError("HRV_TELEGRAM_WEBHOOK_SECRET: 1-256 of A-Z, a-z, 0-9, _ and -")
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment == "production":
            if self.rasa_token.get_secret_value().startswith(_PLACEHOLDER_PREFIX):
                raise ValueError("HRV_RASA_TOKEN must be set to a real secret")
            if self.rate_limit_secret.get_secret_value().startswith(_PLACEHOLDER_PREFIX):
                raise ValueError("HRV_RATE_LIMIT_SECRET must be set to a real secret")
            if self.telegram_enabled:
                for name in ("telegram_webhook_secret", "telegram_id_secret"):
                    if getattr(self, name).get_secret_value().startswith(_PLACEHOLDER_PREFIX):
                        raise ValueError(f"HRV_{name.upper()} must be set to a real secret")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
