"""Time-based one-time passwords (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps).

The second factor of the staff sign-in: the code an authenticator app shows. Standard library
only (hmac), so nothing to pin. Verification accepts the current step and one either side (clock
drift) and says which step matched: the caller remembers the last accepted step per account so a
code cannot be used twice (RFC 6238 section 5.2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import quote, urlencode

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


def hotp(secret: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226's HOTP value for one counter (dynamic truncation), zero-padded."""
    digest = hmac.new(secret, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def step_at(unix_time: float) -> int:
    """The 30-second step a moment falls in (T0 = 0)."""
    return int(unix_time // STEP_SECONDS)


def code_at(secret: bytes, unix_time: float, digits: int = DIGITS) -> str:
    """The code an authenticator shows at that moment."""
    return hotp(secret, step_at(unix_time), digits)


def matching_step(secret: bytes, code: str, unix_time: float, window: int = 1) -> int | None:
    """The step (now ± `window`) whose code equals `code`, else None; constant-time compares,
    and every step in the window is computed, so the time taken does not tell which matched."""
    candidate = "".join(code.split())
    if len(candidate) != DIGITS or not candidate.isascii() or not candidate.isdigit():
        return None
    now = step_at(unix_time)
    found = None
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(hotp(secret, step).encode(), candidate.encode()):
            found = step
    return found


def provisioning_uri(secret: bytes, account: str, issuer: str = ISSUER) -> str:
    """The `otpauth://` URI an authenticator app reads (also as a QR code)."""
    label = quote(f"{issuer}:{account}", safe=":")
    query = urlencode(
        {
            "secret": to_base32(secret),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"
