"""The account's TOTP key as stored: sealed under a one-time pad derived from the account token's
secret, so a copy of Redis alone holds neither sign-in factor (docs/ARCHITECTURE.md "Staff
sign-in")."""

from __future__ import annotations

import hashlib
import hmac


def _pad(secret: str, salt: bytes) -> bytes:
    """A one-time pad for the account's TOTP key, derived from the token's 256-bit secret (an
    HMAC suffices: the secret is random, so there is nothing to slow down a guess of)."""
    return hmac.new(secret.encode(), b"hrv-guide totp key\x00" + salt, hashlib.sha256).digest()


def seal(totp_key: bytes, secret: str, salt: bytes) -> str:
    """The key as stored (hex)."""
    pad = _pad(secret, salt)
    return bytes(a ^ b for a, b in zip(totp_key, pad, strict=False)).hex()


def unseal(sealed: str, secret: str, salt: bytes) -> bytes:
    """The key back, given the account token's secret."""
    return bytes.fromhex(seal(bytes.fromhex(sealed), secret, salt))
