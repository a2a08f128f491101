"""Telegram ids never stored in clear: a keyed hash names the session, and the chat id needed to
deliver staff replies is kept only encrypted (AES-GCM, bound to the session id)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SESSION_PREFIX = "tg-"


def _subkey(secret: str, purpose: str) -> bytes:
    """Separate keys per use from one server secret (HMAC as a key-derivation function)."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class ChatIds:
    """Derive session ids from chat ids, and seal/open the chat id for delivery."""

    def __init__(self, secret: str) -> None:
        self._hash_key = _subkey(secret, "hrv-guide telegram session id v1")
        self._update_key = _subkey(secret, "hrv-guide telegram update id v1")
        self._aead = AESGCM(_subkey(secret, "hrv-guide telegram chat id encryption v1"))

    def session_id(self, chat_id: int) -> str:
        """The same anonymous id for the same chat; without the secret it leads nowhere."""
        digest = hmac.new(self._hash_key, str(chat_id).encode(), hashlib.sha256).digest()
        return SESSION_PREFIX + _b64(digest)[:32]

    def update_key(self, update_id: int) -> str:
        """A name for an update id (for deduplication) that does not show the id."""
        return _b64(hmac.new(self._update_key, str(update_id).encode(), hashlib.sha256).digest())

    def seal(self, chat_id: int, session_id: str) -> str:
        """The chat id encrypted, bound to its session (a random nonce each time)."""
        nonce = os.urandom(12)
        return _b64(nonce + self._aead.encrypt(nonce, str(chat_id).encode(), session_id.encode()))

    def open(self, sealed: str, session_id: str) -> int | None:
        """The chat id, or None when the value was not sealed for this session with our key."""
        try:
            raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
            return int(self._aead.decrypt(raw[:12], raw[12:], session_id.encode()))
        except (InvalidTag, ValueError):
            return None
