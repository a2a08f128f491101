"""Human handoff in Redis: queued -> active (one staff member, leased) -> released | closed.

Every change of state is one Lua script, so two staff pressing claim at once cannot both win and
the handoff, the queue, the session, the transcript stream and the audit log change together.
Messages both ways and system events go into one Redis Stream per handoff (its transcript);
`bot/handoff/delivery.py` delivers them. Nothing lives in the gateway's memory, so any number of
gateway processes share the work. Times come from an injectable clock, so tests can move it.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.errors import Conflict, Forbidden, NotFound, ServiceUnavailable
from bot.handoff.hours import OpeningHours
from bot.store import Keys

logger = logging.getLogger(__name__)

QUEUED, ACTIVE, RELEASED, CLOSED = "queued", "active", "released", "closed"
OPEN_STATES = (QUEUED, ACTIVE)
PERSON, STAFF, SYSTEM = "person", "staff", "system"
AUDIT_MAXLEN = 100_000

# Fields of a stream entry: kind (text | no_staff | wait_long | joined | requeued | released |
# closed | left), from (person | staff | system), to (person | staff | all), text, flags, at (ms).

# A Lua function that deletes every key of one handoff and its place in the queue, the leases and
# the staff member's claims. Key names come from `Keys.handoff_key_parts()` (12 values) starting
# at ARGV[first]: the handoff id is only known inside Redis, so the names are built there (this
# needs a single Redis, not a cluster, as the rest of the gateway does).
DROP_HANDOFF_LUA = """
local function drop_handoff(id, queue, leases, first)
  local function key(n) return ARGV[first + 2 * n] .. id .. ARGV[first + 2 * n + 1] end
  local claimed = redis.call('HGET', key(0), 'claimed_by')
  if claimed and claimed ~= '' then
    redis.call('SREM', ARGV[first + 10] .. claimed .. ARGV[first + 11], id)
  end
  redis.call('DEL', key(0), key(1), key(2), key(3), key(4))
  redis.call('LREM', queue, 0, id)
  redis.call('ZREM', leases, id)
end
"""

# A Lua function that appends one audit entry and drops the entries older than the audit TTL.
# The TTL of the whole key is only a backstop: every write renews it, so in a service in use it
# would never lapse. Age is read from the stream ids, which are Redis's clock (XADD '*'), and the
# cut-off comes from the id just written: no clock of ours can disagree with it, and the new
# entry is never trimmed. Exact MINID: trimming a few old entries per write is cheap.
AUDIT_APPEND_LUA = """
local function append_audit(key, ttl, maxlen, ...)
  local id = redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', ...)
  local written_ms = tonumber(string.match(id, '^(%d+)'))
  local oldest_ms = written_ms - tonumber(ttl) * 1000
  if oldest_ms > 0 then redis.call('XTRIM', key, 'MINID', string.format('%.0f', oldest_ms)) end
  redis.call('EXPIRE', key, ttl)
end
"""

# KEYS: session, queue, handoff, stream, leases. ARGV: session_id, handoff_id, reason, lang,
# channel, now, ttl, available, the 12 key parts, the most queued (0 = no cap; 'full' before
# anything is written when the queue holds that many). A session asks again after its earlier
# handoff ended: that handoff and its transcript go now, so nothing of it outlives the session's
# id pointing at it (erasing the session finds only the newest handoff). A session the safety
# layer marked (`risk`: the kind of danger, never text) carries the mark to the handoff and goes
# ahead of every unmarked chat in the queue, behind the marked ones already waiting.
_ENQUEUE = (
    DROP_HANDOFF_LUA
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing', ''} end
local state = redis.call('HGET', KEYS[1], 'handoff')
if state == 'queued' or state == 'active' then
  return {'existing', redis.call('HGET', KEYS[1], 'handoff_id')}
end
local max_queued = tonumber(ARGV[21])
if max_queued > 0 and redis.call('LLEN', KEYS[2]) >= max_queued then return {'full', ''} end
local old = redis.call('HGET', KEYS[1], 'handoff_id')
if old and old ~= '' and old ~= ARGV[2] then
  local old_state = redis.call('HGET', ARGV[9] .. old .. ARGV[10], 'state')
  if old_state ~= 'queued' and old_state ~= 'active' then
    drop_handoff(old, KEYS[2], KEYS[5], 9)
  end
end
local ttl = ARGV[7]
local risk = redis.call('HGET', KEYS[1], 'risk') or ''
redis.call('HSET', KEYS[3], 'session_id', ARGV[1], 'state', 'queued', 'reason', ARGV[3],
           'lang', ARGV[4], 'channel', ARGV[5], 'queued_at', ARGV[6], 'claimed_by', '',
           'wait_notified', ARGV[8] == '1' and '0' or '1', 'risk', risk)
redis.call('EXPIRE', KEYS[3], ttl)
redis.call('XGROUP', 'CREATE', KEYS[4], 'person', '0', 'MKSTREAM')
redis.call('XGROUP', 'CREATE', KEYS[4], 'staff', '0', 'MKSTREAM')
if ARGV[8] ~= '1' then
  redis.call('XADD', KEYS[4], '*', 'kind', 'no_staff', 'from', 'system', 'to', 'person',
             'text', '', 'flags', '', 'at', ARGV[6])
end
redis.call('EXPIRE', KEYS[4], ttl)
local ahead_of = nil
if risk ~= '' then
  for _, waiting in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
    local mark = redis.call('HGET', ARGV[9] .. waiting .. ARGV[10], 'risk')
    if not mark or mark == '' then ahead_of = waiting break end
  end
end
if ahead_of then
  redis.call('LINSERT', KEYS[2], 'BEFORE', ahead_of, ARGV[2])
else
  redis.call('RPUSH', KEYS[2], ARGV[2])
end
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('HSET', KEYS[1], 'handoff', 'queued', 'handoff_id', ARGV[2])
redis.call('EXPIRE', KEYS[1], ttl)
return {'queued', ARGV[2]}
"""
)

# KEYS: handoff, session, queue, leases, stream, claims, audit
# ARGV: handoff_id, session_id, staff, now, lease_ms, ttl, audit_ttl, audit_maxlen
_CLAIM = (
    AUDIT_APPEND_LUA
    + """
local h = redis.call('HMGET', KEYS[1], 'state', 'session_id')
if not h[1] or h[2] ~= ARGV[2] then return {'missing', ''} end
if h[1] ~= 'queued' then return {'conflict', h[1]} end
local now, ttl = tonumber(ARGV[4]), ARGV[6]
local until_ms = now + tonumber(ARGV[5])
redis.call('HSET', KEYS[1], 'state', 'active', 'claimed_by', ARGV[3], 'claimed_at', now,
           'lease_until', until_ms)
redis.call('LREM', KEYS[3], 0, ARGV[1])
redis.call('ZADD', KEYS[4], until_ms, ARGV[1])
redis.call('EXPIRE', KEYS[4], ttl)
redis.call('SADD', KEYS[6], ARGV[1])
redis.call('EXPIRE', KEYS[6], ttl)
if redis.call('HGET', KEYS[2], 'handoff_id') == ARGV[1] then
  redis.call('HSET', KEYS[2], 'handoff', 'active')
  redis.call('EXPIRE', KEYS[2], ttl)
end
redis.call('XADD', KEYS[5], '*', 'kind', 'joined', 'from', 'system', 'to', 'all',
           'text', '', 'flags', '', 'at', now)
redis.call('EXPIRE', KEYS[5], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
append_audit(KEYS[7], ARGV[7], ARGV[8], 'at', now, 'who', ARGV[3], 'action', 'claimed',
             'handoff', ARGV[1])
return {'ok', 'active'}
"""
)

# Staff ends a conversation they hold. KEYS: handoff, session, leases, stream, claims, audit
# ARGV: handoff_id, session_id, staff, now, new_state, ttl, audit_ttl, audit_maxlen
_END = (
    AUDIT_APPEND_LUA
    + """
local h = redis.call('HMGET', KEYS[1], 'state', 'session_id', 'claimed_by')
if not h[1] or h[2] ~= ARGV[2] then return {'missing', ''} end
if h[3] ~= ARGV[3] then return {'forbidden', h[1]} end
if h[1] ~= 'active' then return {'conflict', h[1]} end
local ttl = ARGV[6]
redis.call('HSET', KEYS[1], 'state', ARGV[5], 'ended_at', ARGV[4], 'ended_by', 'staff')
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[5], ARGV[1])
if redis.call('HGET', KEYS[2], 'handoff_id') == ARGV[1] then
  redis.call('HSET', KEYS[2], 'handoff', 'none')
  redis.call('EXPIRE', KEYS[2], ttl)
end
redis.call('XADD', KEYS[4], '*', 'kind', ARGV[5], 'from', 'system', 'to', 'all',
           'text', '', 'flags', '', 'at', ARGV[4])
redis.call('EXPIRE', KEYS[4], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
append_audit(KEYS[6], ARGV[7], ARGV[8], 'at', ARGV[4], 'who', ARGV[3], 'action', ARGV[5],
             'handoff', ARGV[1])
return {'ok', ARGV[5]}
"""
)

# The person leaves the queue or the chat. KEYS: handoff, session, queue, leases, stream, audit
# ARGV: handoff_id, session_id, now, ttl, audit_ttl, audit_maxlen
_LEAVE = (
    AUDIT_APPEND_LUA
    + """
local h = redis.call('HMGET', KEYS[1], 'state', 'session_id')
if not h[1] or h[2] ~= ARGV[2] then return {'missing', ''} end
if h[1] ~= 'queued' and h[1] ~= 'active' then return {'conflict', h[1]} end
local ttl = ARGV[4]
redis.call('HSET', KEYS[1], 'state', 'closed', 'ended_at', ARGV[3], 'ended_by', 'person')
redis.call('LREM', KEYS[3], 0, ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if redis.call('HGET', KEYS[2], 'handoff_id') == ARGV[1] then
  redis.call('HSET', KEYS[2], 'handoff', 'none')
  redis.call('EXPIRE', KEYS[2], ttl)
end
redis.call('XADD', KEYS[5], '*', 'kind', 'left', 'from', 'system', 'to', 'all',
           'text', '', 'flags', '', 'at', ARGV[3])
redis.call('EXPIRE', KEYS[5], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
append_audit(KEYS[6], ARGV[5], ARGV[6], 'at', ARGV[3], 'who', 'person', 'action', 'left',
             'handoff', ARGV[1])
return {'ok', 'closed'}
"""
)

# One message into the transcript, once per client message id. The stream keeps about `maxlen`
# entries (MAXLEN ~ trims the oldest whole nodes), and the ids remembered for deduplication are
# forgotten together once there are `maxlen` of them: a flood cannot grow memory without bound.
# KEYS: handoff, stream, sent, session. ARGV: handoff_id, session_id, from, staff, text, msg_id,
# now, ttl, flags, maxlen
_POST = """
local h = redis.call('HMGET', KEYS[1], 'state', 'session_id', 'claimed_by')
if not h[1] or h[2] ~= ARGV[2] then return {'missing', ''} end
local to = 'staff'
if ARGV[3] == 'staff' then
  if h[3] ~= ARGV[4] then return {'forbidden', h[1]} end
  if h[1] ~= 'active' then return {'conflict', h[1]} end
  to = 'person'
elseif h[1] ~= 'queued' and h[1] ~= 'active' then
  return {'conflict', h[1]}
end
local ttl = ARGV[8]
if ARGV[6] ~= '' then
  local existing = redis.call('HGET', KEYS[3], ARGV[6])
  if existing then return {'duplicate', existing, h[1]} end
end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[10], '*', 'kind', 'text',
                      'from', ARGV[3], 'to', to, 'text', ARGV[5], 'flags', ARGV[9], 'at', ARGV[7])
if ARGV[6] ~= '' then
  if redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[10]) then redis.call('DEL', KEYS[3]) end
  redis.call('HSET', KEYS[3], ARGV[6], id)
  redis.call('EXPIRE', KEYS[3], ttl)
end
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[4], ttl)
return {'ok', id, h[1]}
"""

# A lapsed lease puts the chat back at the front of the queue, and out of the claims of whoever
# held it: a later sign-off of theirs must not touch it once someone else has claimed it.
# KEYS: handoff, session, queue, leases, stream, audit. ARGV: handoff_id, now, ttl, audit_ttl,
# audit_maxlen, claims key before and after the staff name (built here: only Redis knows who)
_REQUEUE = (
    AUDIT_APPEND_LUA
    + """
local score = redis.call('ZSCORE', KEYS[4], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[4], ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'state', 'claimed_by')
if h[1] ~= 'active' then return 0 end
if h[2] and h[2] ~= '' then redis.call('SREM', ARGV[6] .. h[2] .. ARGV[7], ARGV[1]) end
local ttl = ARGV[3]
redis.call('HSET', KEYS[1], 'state', 'queued', 'claimed_by', '', 'lease_until', '',
           'requeued_at', ARGV[2])
redis.call('LPUSH', KEYS[3], ARGV[1])
redis.call('EXPIRE', KEYS[3], ttl)
if redis.call('HGET', KEYS[2], 'handoff_id') == ARGV[1] then
  redis.call('HSET', KEYS[2], 'handoff', 'queued')
  redis.call('EXPIRE', KEYS[2], ttl)
end
redis.call('XADD', KEYS[5], '*', 'kind', 'requeued', 'from', 'system', 'to', 'all',
           'text', '', 'flags', '', 'at', ARGV[2])
redis.call('EXPIRE', KEYS[5], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
append_audit(KEYS[6], ARGV[4], ARGV[5], 'at', ARGV[2], 'who', h[2] or '',
             'action', 'lease_lapsed', 'handoff', ARGV[1])
return 1
"""
)

# Tell a person who has waited too long, once. KEYS: handoff, stream. ARGV: now, wait_ms, ttl
_WAIT = """
local h = redis.call('HMGET', KEYS[1], 'state', 'queued_at', 'wait_notified')
if h[1] ~= 'queued' or h[3] == '1' then return 0 end
if tonumber(h[2]) + tonumber(ARGV[2]) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'wait_notified', '1')
redis.call('XADD', KEYS[2], '*', 'kind', 'wait_long', 'from', 'system', 'to', 'person',
           'text', '', 'flags', '', 'at', ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
"""

# The heartbeat renews a lease the staff member still holds. KEYS: handoff, leases, claims
# ARGV: handoff_id, staff, now, lease_ms, ttl (ZADD may recreate the leases set: it gets a TTL)
_RENEW = """
local h = redis.call('HMGET', KEYS[1], 'state', 'claimed_by')
if h[1] ~= 'active' or h[2] ~= ARGV[2] then
  redis.call('SREM', KEYS[3], ARGV[1])
  return 0
end
local until_ms = tonumber(ARGV[3]) + tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'lease_until', until_ms)
redis.call('ZADD', KEYS[2], until_ms, ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1
"""


# A staff account leaves: expire the lease of one chat now, only if the account still holds it
# (after a requeue someone else may). Plain ZADD, not XX: a held chat whose lease entry went
# missing is requeued too. KEYS: handoff, leases, claims. ARGV: handoff_id, staff, ttl
_SIGN_OFF = """
local h = redis.call('HMGET', KEYS[1], 'state', 'claimed_by')
redis.call('SREM', KEYS[3], ARGV[1])
if h[1] ~= 'active' or h[2] ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
"""


class QueueFull(ServiceUnavailable):
    """HRV_MAX_QUEUED_HANDOFFS wait already; nothing was written."""

    code = "queue_full"


@dataclass(frozen=True)
class Enqueued:
    """The result of asking for a human: the handoff id and whether it was already queued."""

    handoff_id: str
    already_queued: bool


@dataclass(frozen=True)
class Handoff:
    """One handoff as stored; times in ms since the epoch."""

    id: str
    session_id: str
    state: str
    reason: str
    lang: str
    channel: str
    queued_at: int
    claimed_by: str
    claimed_at: int | None
    # The kind of danger the safety layer found before the person asked for a human, or "".
    risk: str = ""

    @classmethod
    def from_hash(cls, handoff_id: str, data: dict[str, str]) -> Handoff:
        """Build from the Redis hash."""
        return cls(
            id=handoff_id,
            session_id=data.get("session_id", ""),
            state=data.get("state", ""),
            reason=data.get("reason", ""),
            lang=data.get("lang", ""),
            channel=data.get("channel", "widget"),
            queued_at=int(float(data.get("queued_at") or 0)),
            claimed_by=data.get("claimed_by", ""),
            claimed_at=int(data["claimed_at"]) if data.get("claimed_at") else None,
            risk=data.get("risk", ""),
        )


class Handoffs:
    """First in, first out; the queue in Redis is the single source of truth."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        ttl_seconds: int,
        *,
        hours: OpeningHours | None = None,
        wait_seconds: int = 180,
        lease_seconds: int = 45,
        on_duty_seconds: int = 30,
        audit_ttl_seconds: int = 30 * 24 * 3600,
        clock: Callable[[], float] = time.time,
        max_queued: int = 0,
        stream_maxlen: int = 1000,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_seconds
        self._hours = hours
        self._wait_ms = wait_seconds * 1000
        self._lease_ms = lease_seconds * 1000
        self._on_duty_ms = on_duty_seconds * 1000
        self._audit_ttl = audit_ttl_seconds
        self._clock = clock
        self._max_queued = max_queued
        self._stream_maxlen = stream_maxlen
        self._enqueue = redis.register_script(_ENQUEUE)
        self._claim = redis.register_script(_CLAIM)
        self._end = redis.register_script(_END)
        self._leave = redis.register_script(_LEAVE)
        self._post = redis.register_script(_POST)
        self._requeue = redis.register_script(_REQUEUE)
        self._wait = redis.register_script(_WAIT)
        self._renew = redis.register_script(_RENEW)
        self._sign_off = redis.register_script(_SIGN_OFF)

    def now_ms(self) -> int:
        """The clock in ms (tests move it)."""
        return int(self._clock() * 1000)

    # ---------- availability ----------

    async def staff_on_duty(self) -> int:
        """How many staff consoles sent a heartbeat recently."""
        since = self.now_ms() - self._on_duty_ms
        return int(await self._redis.zcount(self._keys.staff_on_duty(), since, "+inf"))

    def open_now(self) -> bool:
        """Whether it is within the configured opening hours."""
        return self._hours is None or self._hours.is_open(self._clock())

    async def available(self) -> bool:
        """Open now and someone is signed in to the console."""
        return self.open_now() and await self.staff_on_duty() > 0

    # ---------- the person's side ----------

    async def enqueue(self, session_id: str, reason: str, lang: str, channel: str) -> Enqueued:
        """Queue the session for a human, once; 404 when the session no longer exists.

        When no one can answer (outside hours, nobody signed in) the person's stream gets a
        `no_staff` event at once: they are told honestly and may keep the place or leave.
        QueueFull (503) when `max_queued` handoffs wait already: nothing is written, and the
        action server tells the person nobody can answer now (112, the national lines).
        """
        handoff_id = secrets.token_urlsafe(12)
        available = await self.available()
        status, existing_id = await self._enqueue(
            keys=[
                self._keys.session(session_id),
                self._keys.handoff_queue(),
                self._keys.handoff(handoff_id),
                self._keys.handoff_stream(handoff_id),
                self._keys.handoff_leases(),
            ],
            args=[
                session_id,
                handoff_id,
                reason,
                lang,
                channel,
                self.now_ms(),
                self._ttl,
                "1" if available else "0",
                *self._keys.handoff_key_parts(),
                self._max_queued,
            ],
        )
        if status == "missing":
            raise NotFound("This conversation does not exist or has ended.")
        if status == "full":
            logger.warning("handoff_queue_full reason=%s", reason)
            raise QueueFull("The queue is full: nobody can answer now.")
        if status == "queued":
            logger.info("handoff_queued reason=%s available=%s", reason, available)
        return Enqueued(handoff_id=existing_id, already_queued=status == "existing")

    async def post_from_person(
        self, handoff_id: str, session_id: str, text: str, msg_id: str | None, flags: list[str]
    ) -> str | None:
        """Add the person's message to the transcript; the state, or None when it has ended."""
        status, _, state = await self._post_message(
            handoff_id, session_id, PERSON, "", text, msg_id, flags
        )
        return state if status in ("ok", "duplicate") else None

    async def leave(self, handoff_id: str, session_id: str) -> bool:
        """The person leaves the queue or the chat; False when it had already ended."""
        status, _ = await self._leave(
            keys=[
                self._keys.handoff(handoff_id),
                self._keys.session(session_id),
                self._keys.handoff_queue(),
                self._keys.handoff_leases(),
                self._keys.handoff_stream(handoff_id),
                self._keys.audit(),
            ],
            args=[handoff_id, session_id, self.now_ms(), self._ttl, self._audit_ttl, AUDIT_MAXLEN],
        )
        if status == "ok":
            logger.info("handoff_left")
        return status == "ok"

    # ---------- the staff side ----------

    async def get(self, handoff_id: str) -> Handoff:
        """The handoff, or 404."""
        data = await self._redis.hgetall(self._keys.handoff(handoff_id))
        if not data:
            raise NotFound("This conversation does not exist or has ended.")
        return Handoff.from_hash(handoff_id, data)

    async def held_by(self, handoff_id: str, staff: str) -> Handoff:
        """The handoff if `staff` holds it now: 404 unknown, 403 someone else's, 409 ended."""
        handoff = await self.get(handoff_id)
        if handoff.claimed_by != staff:
            raise Forbidden("This conversation is not yours.")
        if handoff.state != ACTIVE:
            raise Conflict("This conversation has ended.")
        return handoff

    async def queued(self) -> list[Handoff]:
        """Queued handoffs, first in line first (entries whose handoff expired are dropped)."""
        ids = await self._redis.lrange(self._keys.handoff_queue(), 0, -1)
        found = await self._many(ids)
        return [h for h in found if h.state == QUEUED]

    async def active_for(self, staff: str) -> list[Handoff]:
        """The conversations `staff` holds now, oldest claim first."""
        ids = await self._redis.smembers(self._keys.staff_claims(staff))
        found = await self._many(sorted(ids))
        mine = [h for h in found if h.state == ACTIVE and h.claimed_by == staff]
        return sorted(mine, key=lambda h: h.claimed_at or 0)

    async def claim(self, handoff_id: str, staff: str) -> Handoff:
        """Take a queued conversation; exactly one of many concurrent claims wins (409 else)."""
        handoff = await self.get(handoff_id)
        status, state = await self._claim(
            keys=[
                self._keys.handoff(handoff_id),
                self._keys.session(handoff.session_id),
                self._keys.handoff_queue(),
                self._keys.handoff_leases(),
                self._keys.handoff_stream(handoff_id),
                self._keys.staff_claims(staff),
                self._keys.audit(),
            ],
            args=[
                handoff_id,
                handoff.session_id,
                staff,
                self.now_ms(),
                self._lease_ms,
                self._ttl,
                self._audit_ttl,
                AUDIT_MAXLEN,
            ],
        )
        if status == "missing":
            raise NotFound("This conversation does not exist or has ended.")
        if status == "conflict":
            raise Conflict(f"This conversation is {state} already.")
        logger.info("handoff_claimed")
        return await self.get(handoff_id)

    async def end(self, handoff_id: str, staff: str, new_state: str) -> Handoff:
        """Release to the bot or close; only the staff member who holds it may."""
        handoff = await self.get(handoff_id)
        status, state = await self._end(
            keys=[
                self._keys.handoff(handoff_id),
                self._keys.session(handoff.session_id),
                self._keys.handoff_leases(),
                self._keys.handoff_stream(handoff_id),
                self._keys.staff_claims(staff),
                self._keys.audit(),
            ],
            args=[
                handoff_id,
                handoff.session_id,
                staff,
                self.now_ms(),
                new_state,
                self._ttl,
                self._audit_ttl,
                AUDIT_MAXLEN,
            ],
        )
        self._raise_for(status, state)
        logger.info("handoff_%s", new_state)
        return await self.get(handoff_id)

    async def post_from_staff(
        self, handoff_id: str, staff: str, text: str, msg_id: str | None
    ) -> str:
        """Add the staff member's message; returns its stream id (the same id on a retry)."""
        handoff = await self.get(handoff_id)
        status, stream_id, state = await self._post_message(
            handoff_id, handoff.session_id, STAFF, staff, text, msg_id, []
        )
        self._raise_for(status, state)
        return stream_id

    async def heartbeat(self, staff: str) -> int:
        """Mark the staff member on duty and renew the leases they hold; how many were renewed."""
        now = self.now_ms()
        on_duty = self._keys.staff_on_duty()
        claims = self._keys.staff_claims(staff)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(on_duty, {staff: now})
            pipe.zremrangebyscore(on_duty, "-inf", now - self._ttl * 1000)
            pipe.expire(on_duty, self._ttl)
            pipe.smembers(claims)
            *_, held = await pipe.execute()
        renewed = 0
        for handoff_id in held:
            renewed += await self._renew(
                keys=[self._keys.handoff(handoff_id), self._keys.handoff_leases(), claims],
                args=[handoff_id, staff, now, self._lease_ms, self._ttl],
            )
        if held:
            await self._redis.expire(claims, self._ttl)
        return renewed

    async def sign_off(self, staff: str) -> None:
        """The account left (its last console signed out, or it was removed): off duty, its
        chats requeued. Not called when another console of the account is still signed in: claims
        belong to the account, and that console's heartbeat keeps them."""
        claims = self._keys.staff_claims(staff)
        held = await self._redis.smembers(claims)
        await self._redis.zrem(self._keys.staff_on_duty(), staff)
        for handoff_id in held:
            # Expire the lease now; the sweep puts the chat back at the front of the queue.
            await self._sign_off(
                keys=[self._keys.handoff(handoff_id), self._keys.handoff_leases(), claims],
                args=[handoff_id, staff, self._ttl],
            )
        await self.sweep()

    # ---------- timers (run by every gateway; each step is atomic, so that is safe) ----------

    async def sweep(self) -> None:
        """Requeue chats whose lease lapsed; tell people who waited too long, once.

        One bad item must not stop the rest: each is tried on its own and a failure is logged by
        its type only (an error's message could quote data).
        """
        now = self.now_ms()
        lapsed = await self._redis.zrangebyscore(self._keys.handoff_leases(), "-inf", now)
        for handoff_id in lapsed:
            try:
                await self._sweep_lease(handoff_id, now)
            except Exception as error:
                logger.warning("handoff_sweep_item_failed kind=%s", type(error).__name__)
        for handoff_id in await self._redis.lrange(self._keys.handoff_queue(), 0, -1):
            try:
                await self._sweep_waiting(handoff_id, now)
            except Exception as error:
                logger.warning("handoff_sweep_item_failed kind=%s", type(error).__name__)

    async def _sweep_lease(self, handoff_id: str, now: int) -> None:
        session_id = await self._redis.hget(self._keys.handoff(handoff_id), "session_id")
        if not session_id:  # erased by the person: forget the lease
            await self._redis.zrem(self._keys.handoff_leases(), handoff_id)
            return
        if await self._requeue(
            keys=[
                self._keys.handoff(handoff_id),
                self._keys.session(session_id),
                self._keys.handoff_queue(),
                self._keys.handoff_leases(),
                self._keys.handoff_stream(handoff_id),
                self._keys.audit(),
            ],
            args=[
                handoff_id,
                now,
                self._ttl,
                self._audit_ttl,
                AUDIT_MAXLEN,
                *self._keys.handoff_key_parts()[10:12],  # the claims key around a staff name
            ],
        ):
            logger.info("handoff_requeued cause=lease_lapsed")

    async def _sweep_waiting(self, handoff_id: str, now: int) -> None:
        if not await self._redis.exists(self._keys.handoff(handoff_id)):
            await self._redis.lrem(self._keys.handoff_queue(), 0, handoff_id)
            return
        if await self._wait(
            keys=[self._keys.handoff(handoff_id), self._keys.handoff_stream(handoff_id)],
            args=[now, self._wait_ms, self._ttl],
        ):
            logger.info("handoff_wait_long")

    # ---------- helpers ----------

    async def _post_message(
        self,
        handoff_id: str,
        session_id: str,
        sender: str,
        staff: str,
        text: str,
        msg_id: str | None,
        flags: list[str],
    ) -> tuple[str, str, str]:
        result = await self._post(
            keys=[
                self._keys.handoff(handoff_id),
                self._keys.handoff_stream(handoff_id),
                self._keys.handoff_sent(handoff_id),
                self._keys.session(session_id),
            ],
            args=[
                handoff_id,
                session_id,
                sender,
                staff,
                text,
                msg_id or "",
                self.now_ms(),
                self._ttl,
                ",".join(flags),
                self._stream_maxlen,
            ],
        )
        status = result[0]
        if status in ("ok", "duplicate"):
            return status, result[1], result[2]
        return status, "", result[1] if len(result) > 1 else ""

    async def _many(self, ids: list[str]) -> list[Handoff]:
        if not ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for handoff_id in ids:
                pipe.hgetall(self._keys.handoff(handoff_id))
            rows = await pipe.execute()
        return [Handoff.from_hash(i, row) for i, row in zip(ids, rows, strict=True) if row]

    @staticmethod
    def _raise_for(status: str, state: str) -> None:
        if status == "missing":
            raise NotFound("This conversation does not exist or has ended.")
        if status == "forbidden":
            raise Forbidden("This conversation is not yours.")
        if status == "conflict":
            raise Conflict(f"This conversation is {state}: it takes no more messages.")
