"""The gateway's few named errors, each with its HTTP status and stable code, and the one error
body shape; `bot/web/errors.py` turns them into responses (no web framework is imported here)."""

from __future__ import annotations


class ApiError(Exception):
    """An error the client can act on; `code` is stable, `message` is for people."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(ApiError):
    """The request body is empty, too large or malformed."""

    status_code = 422
    code = "invalid_input"


class Unauthorized(ApiError):
    """Missing or wrong bearer token."""

    status_code = 401
    code = "unauthorized"


class NotFound(ApiError):
    """The session (or other object) does not exist or has expired."""

    status_code = 404
    code = "not_found"


class SessionExpired(NotFound):
    """A widget session id that is unknown: expired by TTL, erased, lost in a Redis restart
    without persistence, or never issued. They cannot be told apart without keeping ended ids,
    which would be a record that a conversation happened, so every such id gets this one code;
    the widget tells the person kindly (texts `widget.session_expired`) and starts afresh."""

    code = "session_expired"


class Forbidden(ApiError):
    """Authenticated, but this object belongs to someone else."""

    status_code = 403
    code = "forbidden"


class Conflict(ApiError):
    """The object is not in a state that allows this (claimed already, ended)."""

    status_code = 409
    code = "conflict"


class TooManyRequests(ApiError):
    """Too many attempts; try again later (`Retry-After` when the wait is known)."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after_seconds: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class Ambiguous(ApiError):
    """A name fits several objects (two municipalities); `choices` lists them for the client."""

    status_code = 409
    code = "ambiguous"

    def __init__(self, message: str, choices: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.choices = choices


class ServiceUnavailable(ApiError):
    """A backing service (Redis) failed; the body still carries the helplines."""

    status_code = 503
    code = "unavailable"


def error_body(code: str, message: str) -> dict[str, object]:
    """The one error body shape (some answers add to it: `choices`, the safe `replies`)."""
    return {"error": {"code": code, "message": message}}
