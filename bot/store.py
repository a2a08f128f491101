"""Redis connection and the gateway's key names: everything under one prefix, everything expires."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis


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


@dataclass(frozen=True)
class Keys:
    """Key names; Rasa's tracker key is listed so erasing a session can remove it too."""

    prefix: str
    rasa_tracker_prefix: str

    def session(self, session_id: str) -> str:
        """Hash: token hash, language, handoff state."""
        return f"{self.prefix}:session:{session_id}"

    def handoff(self, handoff_id: str) -> str:
        """Hash: one handoff request."""
        return f"{self.prefix}:handoff:{handoff_id}"

    def handoff_queue(self) -> str:
        """List of queued handoff ids, oldest first."""
        return f"{self.prefix}:handoff:queue"

    def rasa_tracker(self, session_id: str) -> str:
        """Rasa's RedisTrackerStore key for this conversation."""
        return f"{self.rasa_tracker_prefix}:tracker:{session_id}"
