"""Our replies as Telegram messages: buttons as inline keyboards, numbers and addresses as
tappable entities."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity

from bot.conversation.contact_links import ContactLinks
from bot.conversation.replies import Button

CALLBACK_MAX_BYTES = 64  # Telegram's limit for callback_data


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """The reply's buttons as one inline button per row (a payload too long for Telegram is left
    out rather than cut, since a cut payload would mean something else)."""
    rows = [
        [InlineKeyboardButton(b.title, callback_data=b.payload)]
        for b in buttons
        if len(b.payload.encode()) <= CALLBACK_MAX_BYTES
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def link_entities(text: str, links: ContactLinks | None) -> list[MessageEntity]:
    """The registry's numbers as phone entities and its addresses as links (Telegram counts
    offsets in UTF-16 code units)."""
    if links is None:
        return []
    entities = []
    for start, end, href in links.spans(text):
        offset, length = _utf16_length(text[:start]), _utf16_length(text[start:end])
        if href.startswith("tel:"):
            entities.append(MessageEntity(MessageEntity.PHONE_NUMBER, offset, length))
        else:
            entities.append(MessageEntity(MessageEntity.TEXT_LINK, offset, length, url=href))
    return entities
