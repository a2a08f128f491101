"""`hrv-guide privacy audit`: look through a Redis database for what must not be there.

Every key must expire, and no stored value may hold a personal identifier (the gateway redacts
before storing, bot/conversation/redaction.py; this checks that it did, Rasa's tracker included).
The day counters of the statistics (`<prefix>:stats:day:*`, bot/handoff/counters.py) have a
stricter rule: only counter names and integers, never an id, a name or text, and an expiry no
later than HRV_STATS_RETENTION_DAYS after their day. The rate limits' keys (`<prefix>:limits:*`,
bot/limits/rates.py) hold only the times of the last hits: each entry must be a number (read as
text, one time in a thousand looks like a phone number to the finders: "1796687286.0203984").
The report names keys and the type of identifier, never a value. SCAN, never KEYS: the audit may run
against the live database without blocking it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from bot.config import Settings
from bot.conversation.redaction import Redactor
from bot.handoff.counters import DAY_SECONDS, valid_entry
from bot.store import connect_from

BATCH = 500  # elements per SCAN / range call
CHUNK = 64 * 1024  # characters given to the finders at once (phonenumbers tries a bounded number)
OVERLAP = 256  # characters repeated between chunks, so an identifier across a boundary is seen
WHOLE_STRING_BYTES = 32 * 1024 * 1024  # larger strings are read in ranges, not parsed as JSON


@dataclass
class Finding:
    """One key that breaks a rule: no expiry, or identifiers (their types only) in it."""

    key: str
    kind: str  # Redis type
    no_expiry: bool = False
    identifiers: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)  # the stricter rules of some keys


@dataclass
class AuditReport:
    """What the audit saw."""

    keys: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing found."""
        return not self.findings

    def render(self) -> str:
        """Lines for a person: key names and types, never values."""
        lines = []
        for f in self.findings:
            problems = (
                (["no expiry (TTL -1)"] if f.no_expiry else [])
                + ([f"identifiers: {', '.join(sorted(f.identifiers))}"] if f.identifiers else [])
                + sorted(f.broken)
            )
            lines.append(f"{f.key} ({f.kind}): {'; '.join(problems)}")
        without_ttl = sum(f.no_expiry for f in self.findings)
        with_ids = sum(bool(f.identifiers) for f in self.findings)
        lines.append(
            f"Scanned {self.keys} keys: {without_ttl} without expiry, {with_ids} with identifiers."
        )
        return "\n".join(lines)


def _decode(raw: bytes | str) -> str:
    return raw if isinstance(raw, str) else raw.decode("utf-8", errors="replace")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _chunks(text: str) -> Iterator[str]:
    if len(text) <= CHUNK:
        yield text
        return
    for start in range(0, len(text), CHUNK - OVERLAP):
        yield text[start : start + CHUNK]


def _json_texts(data: Any) -> Iterator[str]:
    """Every string (keys too) and integer in decoded JSON; a string that is JSON itself is
    opened as well. Rasa writes its tracker with \\u escapes, so the raw text would hide
    "Kungsv\\u00e4gen 3" from the patterns."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from _json_texts(value)
    elif isinstance(data, list):
        for item in data:
            yield from _json_texts(item)
    elif isinstance(data, str):
        yield from texts_in(data)
    elif isinstance(data, int) and not isinstance(data, bool):
        yield str(data)


def texts_in(value: bytes | str) -> Iterator[str]:
    """The text to check in one stored value: JSON is opened, anything else read as UTF-8
    (undecodable bytes become U+FFFD, so binary values are read, not refused)."""
    text = _decode(value)
    if text.lstrip()[:1] in ("{", "["):
        try:
            # Opened whole before anything is yielded: a person can send "[[[[…" (stored in
            # Rasa's tracker), nested deeper than Python's recursion limit.
            opened = list(_json_texts(json.loads(text)))
        except (ValueError, RecursionError):
            pass
        else:
            yield from opened
            return
    yield from _chunks(text)


def redactor_for(settings: Settings) -> Redactor:
    """The gateway's redactor: the same rules, public numbers and place names."""
    from registry import load_registry
    from registry.names import place_names

    registry = load_registry(settings.data_dir)
    return Redactor.load(
        settings.redaction_rules_file, registry.public_phones(), place_names(registry)
    )


async def audit(settings: Settings, redis_url: str | None = None, match: str = "*") -> AuditReport:
    """Audit the database at `redis_url` (default: the settings', through the sentinels when
    they are set)."""
    if redis_url:
        redis = Redis.from_url(redis_url, decode_responses=False, socket_timeout=30)
    else:
        redis = connect_from(settings, decode_responses=False, socket_timeout=30)
    try:
        return await PrivacyAudit(
            redis,
            redactor_for(settings),
            stats_prefix=f"{settings.key_prefix}:stats:day:",
            stats_retention_days=settings.stats_retention_days,
            limits_prefix=f"{settings.key_prefix}:limits:",
        ).run(match)
    finally:
        await redis.aclose()


class PrivacyAudit:
    """Scans one Redis database (a client made with decode_responses=False)."""

    def __init__(
        self,
        redis: Redis,
        redactor: Redactor,
        whole_string_bytes: int = WHOLE_STRING_BYTES,
        *,
        stats_prefix: str = "hrv:stats:day:",
        stats_retention_days: int = 400,
        limits_prefix: str = "hrv:limits:",
    ) -> None:
        self._redis = redis
        self._redactor = redactor
        self._whole = whole_string_bytes
        self._stats_prefix = stats_prefix
        self._limits_prefix = limits_prefix
        # A day's counters expire at most this long from now (the day just begun, then kept).
        self._stats_max_ttl = (stats_retention_days + 1) * DAY_SECONDS

    async def run(self, match: str = "*") -> AuditReport:
        """Every key matching `match`: its expiry and its contents."""
        report = AuditReport()
        async for raw_key in self._redis.scan_iter(match=match, count=BATCH):
            kind = _decode(await self._redis.type(raw_key))
            ttl = await self._redis.ttl(raw_key)
            if ttl == -2:  # expired or deleted while we looked
                continue
            report.keys += 1
            key = _decode(raw_key)
            finding = Finding(key=key, kind=kind, no_expiry=ttl == -1)
            finding.identifiers = self._identifiers([key])
            if key.startswith(self._stats_prefix):
                finding.broken = await self._stats_rules(raw_key, kind, ttl)
                if finding.no_expiry or finding.identifiers or finding.broken:
                    report.findings.append(finding)
                continue
            if key.startswith(self._limits_prefix):
                finding.broken = await self._limits_rules(raw_key, kind)
                if finding.no_expiry or finding.identifiers or finding.broken:
                    report.findings.append(finding)
                continue
            async for values in self._values(raw_key, kind):
                finding.identifiers |= self._identifiers(v for raw in values for v in texts_in(raw))
            if finding.no_expiry or finding.identifiers:
                report.findings.append(finding)
        return report

    async def _stats_rules(self, key: bytes, kind: str, ttl: int) -> set[str]:
        """A statistics day: a hash of counter names and integers, expiring within the
        retention. Its values are counts, so they are checked as such, not as text (a sum of
        seconds can look like a phone number to the finders)."""
        if kind != "hash":
            return {f"statistics: a {kind}, not a hash of counters"}
        broken = set()
        if ttl > self._stats_max_ttl:
            broken.add("statistics: kept longer than HRV_STATS_RETENTION_DAYS")
        async for name, value in self._redis.hscan_iter(key, count=BATCH):
            if not valid_entry(_decode(name), _decode(value)):
                broken.add("statistics: a field that is not a counter")
        return broken

    async def _limits_rules(self, key: bytes, kind: str) -> set[str]:
        """A rate limit: a list of the times of the last hits, nothing else."""
        if kind != "list":
            return {f"rate limit: a {kind}, not a list of times"}
        async for values in self._values(key, kind):
            if not all(_is_number(_decode(value)) for value in values):
                return {"rate limit: an entry that is not a time"}
        return set()

    def _identifiers(self, texts: Iterable[str]) -> set[str]:
        return {hit.type for text in texts for hit in self._redactor.find(text)}

    async def _values(self, key: bytes, kind: str) -> AsyncIterator[list[bytes]]:
        """The key's stored bytes, a batch at a time, whatever its type."""
        r = self._redis
        if kind == "string":
            size = await r.strlen(key)
            if size <= self._whole:
                value = await r.get(key)
                yield [value] if value is not None else []
                return
            for start in range(0, size, CHUNK * 4 - OVERLAP):
                yield [await r.getrange(key, start, start + CHUNK * 4 - 1)]
        elif kind == "hash":
            async for name, value in r.hscan_iter(key, count=BATCH):
                yield [name, value]
        elif kind == "list":
            length = await r.llen(key)
            for start in range(0, length, BATCH):
                yield await r.lrange(key, start, start + BATCH - 1)
        elif kind == "set":
            async for member in r.sscan_iter(key, count=BATCH):
                yield [member]
        elif kind == "zset":
            async for member, _ in r.zscan_iter(key, count=BATCH):
                yield [member]
        elif kind == "stream":
            last = "-"
            while True:
                entries = await r.xrange(key, min=last, max="+", count=BATCH)
                if last != "-":
                    entries = entries[1:]  # the first is the last one of the previous batch
                if not entries:
                    return
                # Staff write centre numbers and addresses on purpose and are not redacted
                # (docs/SAFETY_AND_PRIVACY.md, "Privacy: what is stored"): only what people
                # wrote is checked.
                yield [
                    part
                    for _, fields in entries
                    if fields.get(b"from") != b"staff"
                    for pair in fields.items()
                    for part in pair
                ]
                last = _decode(entries[-1][0])
        # Any other type (a Redis module's) cannot be read generically; its expiry still is.
