"""What kind of outcome each request of the failure drill had: a normal answer, the safe reply
with a 200, a 503 with the safe reply, another 5xx, a 4xx, a timeout or no connection."""

from __future__ import annotations

import httpx
import load
import yaml

from bot.ops.launcher import REPO_ROOT

OK, FALLBACK = "ok", "200 safe reply"
SAFE_503, OTHER_5XX, CLIENT_4XX = "503 safe reply", "other 5xx", "4xx"
TIMEOUT, CONNECTION = "timeout", "connection error"
FAILED = (SAFE_503, OTHER_5XX, CLIENT_4XX, TIMEOUT, CONNECTION)
# A failed request the bar accepts during a fault: the person got the safe reply or a clear
# refusal to connect (the widget retries), never a hang, a 500 or a wrong 4xx.
ACCEPTED = (SAFE_503, CONNECTION)
SAFE_REPLIES = frozenset(
    yaml.safe_load(path.read_text(encoding="utf-8"))["replies"]["safe_fallback"]
    for path in (REPO_ROOT / "bot/texts").glob("*.yml")
)


def classify(response: httpx.Response | None, error: Exception | None) -> str:
    """One request's outcome as one of the kinds above."""
    if response is None:
        return TIMEOUT if isinstance(error, httpx.TimeoutException) else CONNECTION
    code = response.status_code
    if code < 300:
        if response.request.method == "POST" and response.request.url.path.endswith("/messages"):
            try:
                said = {reply.get("text") for reply in response.json().get("replies", [])}
            except ValueError:
                return OTHER_5XX
            if said and said <= SAFE_REPLIES:
                return FALLBACK
        return OK
    if code >= 500:
        # The gateway's 503 carries the safe reply in every language; nginx's own (a gateway
        # that died mid-request) names 112 in its message, and the widget shows its safe text.
        try:
            body = response.json()
            texts = [reply.get("text", "") for reply in body.get("replies") or []]
            texts.append(str((body.get("error") or {}).get("message", "")))
        except (ValueError, AttributeError):
            texts = []
        safe = code == 503 and any("112" in text for text in texts)
        return SAFE_503 if safe else OTHER_5XX
    if code == 429 or (code == 409 and "/handoffs/" in response.request.url.path):
        return OK  # a documented limit, or another console claimed first: not a failure
    return CLIENT_4XX


def describe(response: httpx.Response | None, error: Exception | None) -> str:
    """A failure as status (or error) and route, ids left out: "502 POST /sessions/*/messages"."""
    try:
        request = response.request if response is not None else error.request  # type: ignore[union-attr]
    except (AttributeError, RuntimeError):  # httpx raises when an error has no request
        request = None
    route = ""
    if request is not None:
        parts = request.url.path.removeprefix(load.API).split("/")
        route = f" {request.method} " + "/".join("*" if len(part) >= 16 else part for part in parts)
    return f"{response.status_code if response is not None else type(error).__name__}{route}"
