"""What every staff route shares: who is calling (renewing the idle timeout or not), the
audit of refused calls, and the handoff id as a path parameter."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Path, Request, Response
from fastapi.routing import APIRoute

from bot.errors import Forbidden
from bot.routes.deps import (
    StaffAuthDep,
    TokenDep,
)
from bot.staff.audit import AuditLog
from bot.staff.auth import StaffMember


class AuditRefusals(APIRoute):
    """Audits a 403 (a conversation that is not the caller's) with the staff name and handoff id;
    refused session tokens (401) are audited in bot/staff/auth.py, where the name is known."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def audited(request: Request) -> Response:
            try:
                return await handler(request)
            except Forbidden:
                member = getattr(request.state, "staff", None)
                # Once per account and repeat interval, whatever the id: a signed-in console
                # could otherwise write refusals fast enough to push real entries out of the
                # capped log (500 in 2 s). The first id is kept.
                await request.app.state.audit.record(
                    member.name if member else "?",
                    "refused_forbidden",
                    str(request.path_params.get("handoff_id", ""))[:64],
                    at_most_every=request.app.state.settings.audit_repeat_seconds,
                    any_handoff=True,
                )
                raise

        return audited


async def get_audit(request: Request) -> AuditLog:
    """The audit log."""
    return request.app.state.audit


async def acting_staff(request: Request, auth: StaffAuthDep, token: TokenDep) -> StaffMember:
    """A signed-in staff member doing something at the console: renews the idle timeout."""
    request.state.staff = await auth.authenticate(token, renew=True)
    return request.state.staff


async def polling_staff(request: Request, auth: StaffAuthDep, token: TokenDep) -> StaffMember:
    """A signed-in staff member's console polling on a timer: does not renew the idle timeout."""
    request.state.staff = await auth.authenticate(token, renew=False)
    return request.state.staff


async def acting_supervisor(staff: Annotated[StaffMember, Depends(acting_staff)]) -> StaffMember:
    """A signed-in supervisor doing something at the console; 403 (audited) for staff."""
    if not staff.is_supervisor:
        raise Forbidden("Only a supervisor may do this.")
    return staff


async def polling_supervisor(
    staff: Annotated[StaffMember, Depends(polling_staff)],
) -> StaffMember:
    """A supervisor's console polling on a timer (no idle renewal); 403 (audited) for staff."""
    if not staff.is_supervisor:
        raise Forbidden("Only a supervisor may do this.")
    return staff


StaffDep = Annotated[StaffMember, Depends(acting_staff)]
PollingStaffDep = Annotated[StaffMember, Depends(polling_staff)]
SupervisorDep = Annotated[StaffMember, Depends(acting_supervisor)]
PollingSupervisorDep = Annotated[StaffMember, Depends(polling_supervisor)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]

HandoffId = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
AUTH_ERRORS: dict[int | str, dict] = {401: {}, 403: {}, 404: {}, 409: {}}
