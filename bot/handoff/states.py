"""The handoff's vocabulary: its states, the sides of a conversation, and a handoff as stored.

queued -> active (one staff member, leased) -> released | closed; a released or closed handoff
is over. Fields of a stream entry: kind (text | no_staff | wait_long | joined | requeued |
released | closed | left), from (person | staff | system), to (person | staff | all), text,
flags, at (ms).
"""

from __future__ import annotations

from dataclasses import dataclass

QUEUED, ACTIVE, RELEASED, CLOSED = "queued", "active", "released", "closed"
OPEN_STATES = (QUEUED, ACTIVE)
PERSON, STAFF, SYSTEM = "person", "staff", "system"
# The events after which a handoff is over for each side (`gone`: its stream no longer exists).
# The widget gets the person's through its config, the console the staff's in its page.
HANDOFF_ENDS: dict[str, frozenset[str]] = {
    PERSON: frozenset({"released", "closed", "left", "gone"}),
    STAFF: frozenset({"released", "closed", "left", "requeued", "gone"}),
}


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
