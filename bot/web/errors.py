"""The one place that turns errors into HTTP responses: no stack trace and no echo of the
input ever reaches a client."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.errors import Ambiguous, ApiError, TooManyRequests, error_body

logger = logging.getLogger(__name__)


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
