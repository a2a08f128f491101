"""The staff console's page (/staff) and its session: sign in, sign out, heartbeat, "I am still
here".

Every call but sign-in carries `Authorization: Bearer <console session token>`. Only what a
person at the console does renews the session's idle timeout ("I am still here", and the
handoff actions in bot/routes/handoffs.py); the console's timers (heartbeat, list refresh, event
stream or polling) do not, so an unattended console signs out.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from bot.routes.deps import (
    HandoffsDep,
    SettingsDep,
    StaffAuthDep,
)
from bot.routes.staff_access import AuditRefusals, PollingStaffDep, StaffDep

router = APIRouter(tags=["staff"], route_class=AuditRefusals)


class SignInIn(BaseModel):
    """The account token printed by `hrv-guide staff add` and the authenticator app's code."""

    token: str = Field(min_length=1, max_length=200)
    code: str = Field(
        min_length=1, max_length=16, description="The 6-digit TOTP code (spaces are ignored)"
    )


class SignInOut(BaseModel):
    """A console session: keep the token in memory only."""

    name: str
    token: str
    idle_timeout_seconds: int
    heartbeat_seconds: int
    role: str = Field(description="staff, or supervisor (the console then shows its views)")


class HeartbeatOut(BaseModel):
    """Leases renewed, and whether anyone can answer right now."""

    leases_renewed: int
    open_now: bool
    staff_on_duty: int
    queued: int
    idle_seconds_left: int = Field(
        description="Until this session ends unless the staff member does something"
    )


class StillHereOut(BaseModel):
    """The idle timeout was renewed."""

    idle_seconds_left: int


@router.get("/staff", include_in_schema=False)
async def console_page(request: Request) -> HTMLResponse:
    """The staff console (plain HTML with its texts as data; script and styles from /static)."""
    return HTMLResponse(request.app.state.console_page)


@router.post("/api/v1/staff/login", response_model=SignInOut, responses={401: {}, 422: {}, 429: {}})
async def sign_in(
    body: SignInIn, request: Request, auth: StaffAuthDep, settings: SettingsDep
) -> SignInOut:
    """Exchange the account token and a TOTP code for a new console session token. 401 says
    only that something was wrong; 429 (with Retry-After) after too many attempts."""
    client = auth.throttle.client_of(request) if auth.throttle else ""
    signed_in = await auth.sign_in(body.token, body.code, client)
    return SignInOut(
        name=signed_in.name,
        token=signed_in.token,
        idle_timeout_seconds=auth.idle_seconds,
        heartbeat_seconds=max(1, min(10, settings.handoff_lease_seconds // 4)),
        role=signed_in.role,
    )


@router.post("/api/v1/staff/logout", status_code=204, response_class=Response, responses={401: {}})
async def sign_out(staff: PollingStaffDep, auth: StaffAuthDep, handoffs: HandoffsDep) -> Response:
    """End this console session. Conversations the account holds go back to the front of the
    queue only when this was its last console: claims belong to the account, and its other
    consoles show and keep them (their heartbeats renew the leases)."""
    if not await auth.sign_out(staff):
        await handoffs.sign_off(staff.name)
    return Response(status_code=204)


@router.post("/api/v1/staff/heartbeat", response_model=HeartbeatOut, responses={401: {}})
async def heartbeat(
    staff: PollingStaffDep, handoffs: HandoffsDep, settings: SettingsDep
) -> HeartbeatOut:
    """Keep the account's claims (leases) alive and mark it on duty. Sent by the console on a
    timer, so it does not renew the session's idle timeout."""
    renewed = await handoffs.heartbeat(staff.name)
    return HeartbeatOut(
        leases_renewed=renewed,
        open_now=handoffs.open_now(),
        staff_on_duty=await handoffs.staff_on_duty(),
        queued=len(await handoffs.queued()),
        idle_seconds_left=max(0, int(staff.idle_until - handoffs.now_ms() / 1000)),
    )


@router.post("/api/v1/staff/still-here", response_model=StillHereOut, responses={401: {}})
async def still_here(staff: StaffDep, handoffs: HandoffsDep) -> StillHereOut:
    """The staff member is at the console (a click or key press, or "I am still here"):
    renew the idle timeout."""
    return StillHereOut(idle_seconds_left=max(0, int(staff.idle_until - handoffs.now_ms() / 1000)))
