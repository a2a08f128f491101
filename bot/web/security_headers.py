"""Headers on every response: no caching, no referrer, a strict CSP, no third-party anything.

Set by a pure ASGI middleware, so errors (404, 413, 422, 503), static files and event streams
get them too. Only the widget page `/` may be framed, and only by the origins in
HRV_FRAME_ANCESTORS; the staff console and the API are never framed. HSTS is sent in production
only: TLS is terminated at the reverse proxy in front of the gateway, which must redirect http.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The pages that may be framed by an allowed origin: the widget alone.
FRAMEABLE_PATHS = frozenset({"/"})

# Everything a chat page never needs, denied to the page and anything it embeds. Only features
# Chromium knows are listed (an unknown one is a console error there); `interest-cohort` is gone
# from browsers and `browsing-topics` replaced it.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)

# No inline script or style, nothing from another origin; forms are sent by script only (a
# native submit would put the typed text in the address), so `form-action 'none'`.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors {ancestors}"
)

BASE_HEADERS = {
    "cache-control": "no-store",
    "pragma": "no-cache",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": PERMISSIONS_POLICY,
}


def _encode(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value.encode("latin-1")) for name, value in headers.items()]


def header_sets(
    frame_ancestors: tuple[str, ...] = (), hsts_max_age: int = 0
) -> tuple[dict[str, str], dict[str, str]]:
    """(headers for every path, headers for the frameable widget page)."""
    strict = {**BASE_HEADERS, "x-frame-options": "DENY"}
    strict["content-security-policy"] = _CSP.format(ancestors="'none'")
    if hsts_max_age > 0:
        strict["strict-transport-security"] = f"max-age={hsts_max_age}"
    if not frame_ancestors:
        return strict, strict
    # X-Frame-Options cannot name origins: leave it out where the CSP allows some.
    framed = {k: v for k, v in strict.items() if k != "x-frame-options"}
    framed["content-security-policy"] = _CSP.format(ancestors=" ".join(frame_ancestors))
    return strict, framed


class SecurityHeaders:
    """Pure ASGI middleware (no body buffering) that sets the headers above."""

    def __init__(
        self, app: ASGIApp, frame_ancestors: tuple[str, ...] = (), hsts_max_age: int = 0
    ) -> None:
        self.app = app
        strict, framed = header_sets(frame_ancestors, hsts_max_age)
        self._strict = _encode(strict)
        self._framed = _encode(framed)
        self._names = {name for name, _ in self._strict} | {name for name, _ in self._framed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to every HTTP response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ours = self._framed if scope.get("path") in FRAMEABLE_PATHS else self._strict

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in self._names
                ]
                message["headers"] = headers + ours
            await send(message)

        await self.app(scope, receive, send_with_headers)
