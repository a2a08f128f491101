"""What the bot says in one turn, whatever the channel: texts with their suggested replies."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    """A suggested reply: show `title`, send `payload`."""

    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One message to the person."""

    text: str
    buttons: tuple[Button, ...] = ()
