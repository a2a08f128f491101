"""Wire types that the widget's and the console's routes share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

# A client-chosen id per message: a retried message is stored once in a handoff.
MessageId = Annotated[str | None, Field(default=None, pattern=r"^[A-Za-z0-9_-]{8,64}$")]


class EventOut(BaseModel):
    """One event of a handoff: a staff message (`kind` text) or a change (joined, released …)."""

    id: str
    kind: str
    sender: str = Field(alias="from")
    text: str
    flags: list[str]
    at: int
