"""The handoff's vocabulary: its states, the sides of a conversation, the kinds of event in its
stream, and a handoff as stored.

queued -> active (one staff member, leased) -> released | closed; a released or closed handoff
is over. Fields of a stream entry: kind (an EventKind), from (a Side), to (person | staff | all),
text, flags, at (ms). The browser scripts get the same names from `bot/static/shared/
vocabulary.js`, generated from this module by `scripts/generate_vocabulary.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HandoffState(StrEnum):
    """Where a session's handoff stands (`none`: the person talks with the bot)."""

    NONE = "none"
    QUEUED = "queued"
    ACTIVE = "active"
    RELEASED = "released"
    CLOSED = "closed"


class Side(StrEnum):
    """Who wrote an entry of the stream, and whose view of it is read."""

    PERSON = "person"
    STAFF = "staff"
    SYSTEM = "system"
    # The bot's side of the conversation before the handoff (`bot_history` entries only).
    BOT = "bot"


class EventKind(StrEnum):
    """What an entry of a handoff's stream says (`gone`: the stream no longer exists)."""

    TEXT = "text"
    NO_STAFF = "no_staff"
    WAIT_LONG = "wait_long"
    JOINED = "joined"
    REQUEUED = "requeued"
    RELEASED = "released"
    CLOSED = "closed"
    LEFT = "left"
    GONE = "gone"
    # Transfer: a staff-only note for the next holder, and the two ways a chat changes hands.
    NOTE = "note"
    TRANSFERRED = "transferred"
    TRANSFERRED_TO_QUEUE = "transferred_to_queue"
    # The conversation with the bot before the handoff, copied for staff only (never the person).
    BOT_HISTORY = "bot_history"


OPEN_STATES = frozenset({HandoffState.QUEUED, HandoffState.ACTIVE})
# The events after which a handoff is over for each side; a requeue or a transfer ends it for
# the staff member only (the person keeps waiting, or talks with the colleague).
HANDOFF_ENDS: dict[Side, frozenset[EventKind]] = {
    Side.PERSON: frozenset({EventKind.RELEASED, EventKind.CLOSED, EventKind.LEFT, EventKind.GONE}),
    Side.STAFF: frozenset(
        {
            EventKind.RELEASED,
            EventKind.CLOSED,
            EventKind.LEFT,
            EventKind.REQUEUED,
            EventKind.GONE,
            EventKind.TRANSFERRED,
            EventKind.TRANSFERRED_TO_QUEUE,
        }
    ),
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
    state: HandoffState
    reason: str
    lang: str
    channel: str
    queued_at: int
    claimed_by: str
    claimed_at: int | None
    # The kind of danger the safety layer found before the person asked for a human, or "".
    risk: str = ""
    # How many of the person's messages in the handoff the safety layer flagged.
    flagged: int = 0

    @classmethod
    def from_hash(cls, handoff_id: str, data: dict[str, str]) -> Handoff:
        """Build from the Redis hash."""
        return cls(
            id=handoff_id,
            session_id=data.get("session_id", ""),
            state=HandoffState(data.get("state") or HandoffState.NONE),
            reason=data.get("reason", ""),
            lang=data.get("lang", ""),
            channel=data.get("channel", "widget"),
            queued_at=int(float(data.get("queued_at") or 0)),
            claimed_by=data.get("claimed_by", ""),
            claimed_at=int(data["claimed_at"]) if data.get("claimed_at") else None,
            risk=data.get("risk", ""),
            flagged=int(data.get("flagged") or 0),
        )
