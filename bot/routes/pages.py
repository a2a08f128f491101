"""The widget page and the health endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse

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
