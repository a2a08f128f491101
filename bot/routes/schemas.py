"""Wire types that the widget's and the console's routes share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from textnorm import readable_text

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


class TextIn(BaseModel):
    """A message someone types (the person or a staff member): readable text, and a
    client-chosen id so a retry is stored once."""

    text: str = Field(min_length=1, max_length=2000)
    msg_id: MessageId = None

    @field_validator("text")
    @classmethod
    def _readable_text(cls, value: str) -> str:
        return readable_text(value)
