"""The gateway's few named errors and the one place that turns them into HTTP responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


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


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """The one error body shape."""
    return {"error": {"code": code, "message": message}}


def _field(location: tuple) -> str:
    """'text' for ('body', 'text'); 'body' when the body itself is wrong (not JSON)."""
    names = [str(part) for part in location[1:] if isinstance(part, str)]
    return ".".join(names) or "body"


def install_error_handlers(app: FastAPI, safe_replies: list[dict[str, str]]) -> None:
    """Register handlers: no stack trace and no echo of the input ever reaches a client."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        body: dict[str, object] = error_body(error.code, error.message)
        if isinstance(error, Ambiguous):
            body["choices"] = error.choices
        headers = None
        if isinstance(error, TooManyRequests) and error.retry_after_seconds:
            headers = {"Retry-After": str(error.retry_after_seconds)}
        return JSONResponse(body, status_code=error.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = sorted({f"{_field(e.get('loc', ()))}: {e.get('msg')}" for e in error.errors()})
        return JSONResponse(
            error_body("invalid_input", "; ".join(problems)[:500]),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(error.detail)),
            status_code=error.status_code,
            headers=error.headers,
        )

    @app.exception_handler(RedisError)
    async def _redis(_: Request, error: RedisError) -> JSONResponse:
        logger.error("redis_error kind=%s", type(error).__name__)
        body: dict[str, object] = error_body(
            "unavailable", "The service is busy. Please try again."
        )
        body["replies"] = safe_replies
        return JSONResponse(body, status_code=503)
