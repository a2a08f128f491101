"""Redis connection and the gateway's key names: everything under one prefix, everything expires.

The client's pool waits for a free connection (up to a timeout) rather than refusing one, so a
burst queues instead of failing; with Sentinel it finds the primary through the sentinels and
retries a command that met a dead connection, so after a failover the next commands reach the
new primary without a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

LUA_DIR = Path(__file__).resolve().parent / "lua"

_ID = "\x00"  # stands for a handoff id in key templates; never part of a real id

# A command that met a broken connection (a restarted Redis, a primary that died) is tried again
# three times within about 0.7 s on a fresh connection, found through the sentinels when there
# are some: short enough that a request still ends in seconds, long enough to ride over a
# reconnect. Sentinel needs about its down-after time (plus an election) to promote a replica;
# requests in that window get the safe reply, and the next ones reach the new primary.
_RETRIES = 3


def _retry() -> dict[str, Any]:
    return {
        "retry": Retry(ExponentialBackoff(cap=0.4, base=0.1), _RETRIES),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }


class _WaitingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """The primary's address from the sentinels, and a wait for a free connection (redis-py's
    sentinel pool refuses at its limit like the plain one)."""


def parse_sentinels(value: str) -> list[tuple[str, int]]:
    """`host:port,host:port` as (host, port) pairs; [] when empty."""
    pairs = []
    for item in value.split(","):
        if item.strip():
            host, _, port = item.strip().rpartition(":")
            pairs.append((host, int(port)))
    return pairs


def connect(
    url: str,
    *,
    sentinels: str = "",
    service: str = "hrvguide",
    max_connections: int = 600,
    pool_timeout: float = 10.0,
    socket_timeout: float = 3.0,
    decode_responses: bool = True,
) -> Redis:
    """A client with short timeouts, so a Redis outage becomes an error in seconds, not a hang,
    and a pool that waits up to `pool_timeout` for a free connection (then ConnectionError:
    503 with the safe reply, as any Redis error). With `sentinels`, the primary of `service`
    is asked of them; db, username and password still come from `url`."""
    options: dict[str, Any] = {
        "decode_responses": decode_responses,
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": min(socket_timeout, 1.0),
        "health_check_interval": 15,
        **_retry(),
    }
    if not sentinels.strip():
        pool = BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=pool_timeout, **options
        )
        return Redis.from_pool(pool)
    parsed = parse_url(url)
    sentinel = Sentinel(
        parse_sentinels(sentinels),
        # Asking the sentinels must be quick too; each is tried in turn.
        sentinel_kwargs={"socket_timeout": 1.0, "socket_connect_timeout": 1.0},
    )
    return sentinel.master_for(
        service,
        connection_pool_class=_WaitingSentinelPool,
        max_connections=max_connections,
        timeout=pool_timeout,
        db=parsed.get("db", 0),
        username=parsed.get("username"),
        password=parsed.get("password"),
        **options,
    )


class RedisSettings(Protocol):
    """The settings `connect_from` reads (bot.config.Settings has them; this layer is below it)."""

    redis_url: str
    redis_sentinels: str
    redis_sentinel_service: str
    redis_max_connections: int
    redis_pool_timeout_seconds: float
    redis_socket_timeout_seconds: float


def connect_from(
    settings: RedisSettings, *, decode_responses: bool = True, socket_timeout: float | None = None
) -> Redis:
    """The gateway's and the CLI's client, as the settings say (a scan of the whole database
    may ask for raw bytes and a longer timeout)."""
    return connect(
        settings.redis_url,
        sentinels=settings.redis_sentinels,
        service=settings.redis_sentinel_service,
        max_connections=settings.redis_max_connections,
        pool_timeout=settings.redis_pool_timeout_seconds,
        socket_timeout=socket_timeout or settings.redis_socket_timeout_seconds,
        decode_responses=decode_responses,
    )


class ReplicationUnconfirmed(RedisError):
    """A write the replicas did not confirm in time while one was connected: answered like any
    Redis error (503 with the safe reply); the client sends again with the same message id
    and the write is stored once."""


@dataclass(frozen=True)
class ReplicaWait:
    """Whether an acknowledged write waits until `replicas` replicas have it (Redis WAIT).

    Redis replicates asynchronously: a write the primary answered can be lost if the primary
    dies before a replica has it, and Sentinel then promotes a replica without it. WAIT after
    the write, on the same connection, closes that gap for the writes worth it.

    When fewer replicas confirm in time:
    - a replica is connected (it lags, or the primary is failing): ReplicationUnconfirmed, so
      the API does not acknowledge what a failover could still lose; the retry with the same
      message id is deduplicated by the script and waits again;
    - no replica is connected and in sync (it is down, or copying the whole data set after it
      came back or after a failover: it cannot confirm anything until that is done): the
      write is acknowledged and logged. Refusing then would turn losing the replica into
      losing the chat, and the write is as safe as every other one until the replica is back.
    """

    replicas: int = 0
    timeout_ms: int = 500

    async def run(
        self,
        redis: Redis,
        script: Callable[..., Awaitable[Any]],
        keys: Sequence[str],
        args: Sequence[Any],
        touch: tuple[str, int],
    ) -> Any:
        """The script's result, after the replicas confirmed it (or none is connected).

        `touch` (a key the script keeps, its TTL) is expired again after the script: a retry
        that the script answers as a duplicate writes nothing, and WAIT only waits for this
        connection's own writes; the touch makes it wait for the original write too (a
        replica that has a later write has every earlier one)."""
        if self.replicas <= 0:
            return await script(keys=keys, args=args)
        async with redis.pipeline(transaction=False) as pipe:
            await script(keys=keys, args=args, client=pipe)
            pipe.expire(touch[0], touch[1])
            pipe.wait(self.replicas, self.timeout_ms)
            result, _, confirmed = await pipe.execute()
        if int(confirmed) >= self.replicas:
            return result
        connected = online_replicas(await redis.info("replication"))
        logger.warning("replica_wait_unconfirmed confirmed=%s connected=%s", confirmed, connected)
        # Waiting for more replicas than are there to answer would refuse every message while
        # one of them is down; every replica that is there must have it.
        if int(confirmed) < min(self.replicas, connected):
            raise ReplicationUnconfirmed("the replicas did not confirm the write in time")
        return result


# A replica acknowledges the primary's stream every second; one silent for longer has most
# likely lost its host or network (the primary itself notices only after repl-timeout, 60 s).
REPLICA_SILENT_SECONDS = 2


def online_replicas(replication: dict[str, Any]) -> int:
    """How many replicas in the primary's INFO replication are streaming its writes (state
    `online`, acknowledged within REPLICA_SILENT_SECONDS), leaving out those still loading the
    full copy (`wait_bgsave`, `send_bulk`) and those gone quiet."""
    return sum(
        1
        for name, replica in replication.items()
        if name.startswith("slave")
        and isinstance(replica, dict)
        and replica.get("state") == "online"
        and int(replica.get("lag", 0)) <= REPLICA_SILENT_SECONDS
    )


@dataclass(frozen=True)
class WindowLimit:
    """A moving-window rate limit (bot/lua/lib/moving_window.lua): at most `limit` hits in any
    `window_seconds` on the list of hit times at `key`."""

    key: str
    limit: int
    window_seconds: int


@cache
def lua_script(name: str, *libraries: str) -> str:
    """A script of bot/lua/ (`handoff/claim`) after the library functions it calls
    (`lib/append_audit`), read once. Why files: Lua is read, reviewed and linted as Lua, and
    each atomic step of the gateway is one script with its KEYS and ARGV written at its top."""
    return "".join(
        (LUA_DIR / f"{part}.lua").read_text(encoding="utf-8") for part in (*libraries, name)
    )


@dataclass(frozen=True)
class Keys:
    """Key names; Rasa's tracker key is listed so erasing a session can remove it too."""

    prefix: str
    rasa_tracker_prefix: str

    def session(self, session_id: str) -> str:
        """Hash: token hash, language, handoff state, whether Rasa's tracker is paused."""
        return f"{self.prefix}:session:{session_id}"

    def open_sessions(self) -> str:
        """Sorted set: open session ids scored by when they expire (ms), to cap their number."""
        return f"{self.prefix}:sessions:open"

    def handoff(self, handoff_id: str) -> str:
        """Hash: one handoff request."""
        return f"{self.prefix}:handoff:{handoff_id}"

    def handoff_queue(self) -> str:
        """List of queued handoff ids, oldest first."""
        return f"{self.prefix}:handoff:queue"

    def handoff_stream(self, handoff_id: str) -> str:
        """Stream: the handoff's messages both ways and its system events (the transcript)."""
        return f"{self.prefix}:handoff:{handoff_id}:stream"

    def handoff_sent(self, handoff_id: str) -> str:
        """Hash: client message id -> stream id, so a retried message is stored once."""
        return f"{self.prefix}:handoff:{handoff_id}:sent"

    def handoff_reader(self, handoff_id: str, side: str) -> str:
        """String: the live connection that currently reads this side's events."""
        return f"{self.prefix}:handoff:{handoff_id}:reader:{side}"

    def handoff_leases(self) -> str:
        """Sorted set: claimed handoff ids scored by when their lease runs out (ms)."""
        return f"{self.prefix}:handoff:leases"

    # ---- The waiting line (bot/handoff/waiting.py)
    def handoff_seen(self) -> str:
        """Sorted set: queued handoff ids scored by when the person's page last asked (ms)."""
        return f"{self.prefix}:handoff:seen"

    def handoff_claim_waits(self) -> str:
        """Sorted set: the last hour's claims, "<seconds waited>:<nonce>" scored by when (ms);
        no ids, no text."""
        return f"{self.prefix}:handoff:claim_waits"

    def staff_claims(self, name: str) -> str:
        """Set: the handoff ids a staff member holds, renewed together by the heartbeat."""
        return f"{self.prefix}:staff:claims:{name}"

    def staff_account(self, name: str) -> str:
        """Hash: a staff account (the token's scrypt hash and salt, never the token)."""
        return f"{self.prefix}:staff:account:{name}"

    def staff_account_sessions(self, name: str) -> str:
        """Set: the hashes of the account's sign-in sessions, revoked with the account."""
        return f"{self.prefix}:staff:account:{name}:sessions"

    def staff_session(self, token_hash: str) -> str:
        """Hash: one signed-in console (name, absolute expiry); the key expires when idle."""
        return f"{self.prefix}:staff:session:{token_hash}"

    def staff_on_duty(self) -> str:
        """Sorted set: staff names scored by their console's last heartbeat (ms)."""
        return f"{self.prefix}:staff:on_duty"

    def staff_login_failures(self, name: str) -> str:
        """Counter of failed sign-ins for a name in the current window."""
        return f"{self.prefix}:staff:login_failures:{name}"

    def telegram_handoffs(self) -> str:
        """Set: Telegram handoffs whose events still need delivering to their chat."""
        return f"{self.prefix}:telegram:handoffs"

    def telegram_update(self, update_key: str) -> str:
        """String: a Telegram update already handled (its id keyed-hashed), for deduplication."""
        return f"{self.prefix}:telegram:update:{update_key}"

    def stats_day(self, day: str) -> str:
        """Hash: one UTC day's counters of ended chats (YYYY-MM-DD); never an id, name or text."""
        return f"{self.prefix}:stats:day:{day}"

    def audit(self) -> str:
        """Stream: who claimed, released, closed, signed in, and when; never message content."""
        return f"{self.prefix}:audit"

    def handoff_key_parts(self) -> list[str]:
        """Every per-handoff key and the staff claims set as (before id, after id) pairs,
        flattened: for Lua scripts that learn a handoff id only inside Redis (erasing a session,
        replacing an ended handoff), so key names stay defined here alone."""
        templates = (
            self.handoff(_ID),
            self.handoff_stream(_ID),
            self.handoff_sent(_ID),
            self.handoff_reader(_ID, "person"),
            self.handoff_reader(_ID, "staff"),
            self.staff_claims(_ID),
        )
        parts: list[str] = []
        for template in templates:
            before, _, after = template.partition(_ID)
            parts += [before, after]
        return parts

    def rasa_tracker(self, session_id: str) -> str:
        """Rasa's RedisTrackerStore key for this conversation."""
        return f"{self.rasa_tracker_prefix}:tracker:{session_id}"
