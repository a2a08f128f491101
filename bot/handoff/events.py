"""What the handoff service tells the rest of the gateway after each change of state.

Why listeners: the service changes state atomically in Redis and then publishes one
`HandoffChanged`; whatever follows from it (waking the bot again, and later notifying consoles)
is a listener, so no route or channel has to remember to do it. A listener's failure is logged
by its type and never undoes the change, which has already happened. Listeners run in the process
that made the change; whatever must survive that process (the audit entry, the Telegram watch)
is written by the change's own script instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

logger = logging.getLogger(__name__)


class Transition(StrEnum):
    """A change of a handoff's state."""

    ENQUEUED = "enqueued"
    CLAIMED = "claimed"
    RELEASED = "released"
    CLOSED = "closed"
    LEFT = "left"
    REQUEUED = "requeued"
    # To a colleague (`colleague` names them) or, with none, back to the queue.
    TRANSFERRED = "transferred"


# After these the person is back with the bot.
BACK_TO_BOT = frozenset({Transition.RELEASED, Transition.CLOSED, Transition.LEFT})


@dataclass(frozen=True)
class HandoffChanged:
    """One change, after its script committed (`staff`: who made it, when staff did)."""

    transition: Transition
    handoff_id: str
    session_id: str
    staff: str = ""
    colleague: str = ""


Listener = Callable[[HandoffChanged], Awaitable[None]]


class HandoffEvents:
    """The listeners of handoff changes, each for the transitions it asked for."""

    def __init__(self) -> None:
        self._listeners: list[tuple[frozenset[Transition], Listener]] = []

    def subscribe(self, listener: Listener, transitions: frozenset[Transition]) -> None:
        """Call `listener` after every change of one of `transitions`."""
        self._listeners.append((transitions, listener))

    async def publish(self, change: HandoffChanged) -> None:
        """Tell every listener of this transition, one after another; none can stop the rest."""
        for transitions, listener in self._listeners:
            if change.transition not in transitions:
                continue
            try:
                await listener(change)
            except Exception as error:
                logger.warning(
                    "handoff_listener_failed transition=%s kind=%s",
                    change.transition,
                    type(error).__name__,
                )
