"""The widget page and the health endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse

from bot.config import PACKAGE_DIR

router = APIRouter()


@router.get("/", include_in_schema=False)
async def widget_page() -> FileResponse:
    """The chat widget (plain HTML; scripts and styles from /static)."""
    return FileResponse(PACKAGE_DIR / "static" / "index.html", media_type="text/html")


@router.get("/favicon.ico", include_in_schema=False, status_code=204)
async def favicon() -> Response:
    """No icon: a neutral tab, and no 404 noise in the browser console."""
    return Response(status_code=204)


@router.get("/healthz", tags=["health"])
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    tags=["health"],
    responses={503: {"description": "A part is down; `checks` names it"}},
)
async def readyz(request: Request) -> JSONResponse:
    """Readiness: Redis, Rasa, the action server, and Rasa storing conversations in Redis.

    200 when all are ready, else 503; `checks` maps each part to "ok" or "failed"
    (bot/web/health.py). Like /healthz, exempt from rate limits: an orchestrator polls it.
    """
    checks = await request.app.state.readiness.check()
    ready = all(checks.values())
    body = {
        "status": "ready" if ready else "unavailable",
        "checks": {name: "ok" if ok else "failed" for name, ok in checks.items()},
    }
    return JSONResponse(body, status_code=200 if ready else 503)
