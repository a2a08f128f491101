"""Time-based one-time passwords (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps), by pyotp.

The second factor of the staff sign-in: the code an authenticator app shows. pyotp computes the
codes and the `otpauth://` URI; this module adds what its `verify` does not say: which step
matched, so the caller can remember the last accepted step per account and refuse a code used
twice (RFC 6238 section 5.2). The window is the current step and one either side (clock drift).
"""

from __future__ import annotations

import base64
import secrets

import pyotp
from pyotp.utils import strings_equal

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits, the length RFC 4226 recommends for HMAC-SHA-1
ISSUER = "HRV Guide"


def new_secret() -> bytes:
    """A fresh random TOTP key."""
    return secrets.token_bytes(SECRET_BYTES)


def to_base32(secret: bytes) -> str:
    """The key as authenticator apps take it: base32 without padding."""
    return base64.b32encode(secret).decode().rstrip("=")


def from_base32(text: str) -> bytes:
    """The key back from its base32 form (spaces, case and missing padding tolerated)."""
    cleaned = text.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def _totp(secret: bytes, digits: int = DIGITS) -> pyotp.TOTP:
    return pyotp.TOTP(to_base32(secret), digits=digits, interval=STEP_SECONDS)


def step_at(unix_time: float) -> int:
    """The 30-second step a moment falls in (T0 = 0)."""
    return int(unix_time // STEP_SECONDS)


def code_at(secret: bytes, unix_time: float, digits: int = DIGITS) -> str:
    """The code an authenticator shows at that moment."""
    return _totp(secret, digits).generate_otp(step_at(unix_time))


def matching_step(secret: bytes, code: str, unix_time: float, window: int = 1) -> int | None:
    """The step (now ± `window`) whose code equals `code`, else None; constant-time compares,
    and every step in the window is computed, so the time taken does not tell which matched."""
    candidate = "".join(code.split())
    if len(candidate) != DIGITS or not candidate.isascii() or not candidate.isdigit():
        return None
    totp = _totp(secret)
    now = step_at(unix_time)
    found = None
    for step in range(now - window, now + window + 1):
        if strings_equal(totp.generate_otp(step), candidate):
            found = step
    return found


def provisioning_uri(secret: bytes, account: str, issuer: str = ISSUER) -> str:
    """The `otpauth://` URI an authenticator app reads (also as a QR code)."""
    return _totp(secret).provisioning_uri(name=account, issuer_name=issuer)
