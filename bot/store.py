"""Redis connection and the gateway's key names: everything under one prefix, everything expires."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from redis.asyncio import Redis

LUA_DIR = Path(__file__).resolve().parent / "lua"

_ID = "\x00"  # stands for a handoff id in key templates; never part of a real id


def connect(url: str) -> Redis:
    """A client with short timeouts, so a Redis outage becomes an error in seconds, not a hang."""
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=3,
        socket_connect_timeout=3,
        health_check_interval=15,
        retry_on_timeout=True,
    )


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
