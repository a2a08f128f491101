"""The widget page and the health endpoints."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from bot.config import PACKAGE_DIR

router = APIRouter()


@router.get("/", include_in_schema=False)
async def widget_page() -> FileResponse:
    """The chat widget (plain HTML; scripts and styles from /static)."""
    return FileResponse(PACKAGE_DIR / "static" / "index.html", media_type="text/html")


@router.get("/healthz", tags=["health"])
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}
