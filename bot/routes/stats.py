"""`GET /api/v1/staff/stats`: the figures without content, for supervisors (403 for staff).

JSON by default; `Accept: text/csv` gives the same figures as CSV, one row per day and a total.
From the day counters (bot/handoff/counters.py) only, never from transcripts.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from bot.handoff.counters import day_of
from bot.routes.deps import HandoffsDep
from bot.routes.staff_access import AuditDep, AuditRefusals, SupervisorDep
from bot.staff.stats import StatsReport

router = APIRouter(tags=["supervision"], route_class=AuditRefusals)


@router.get(
    "/api/v1/staff/stats",
    responses={
        200: {"content": {"application/json": {}, "text/csv": {}}},
        401: {},
        403: {},
        422: {},
    },
)
async def stats(
    request: Request,
    supervisor: SupervisorDep,
    handoffs: HandoffsDep,
    audit: AuditDep,
    first: Annotated[str, Query(alias="from", min_length=10, max_length=10)],
    last: Annotated[str, Query(alias="to", min_length=10, max_length=10)],
) -> Any:
    """Chats ended per UTC day from `from` to `to` (both included) and in total: how they
    ended, per language, channel, danger kind, category and outcome, and waiting and handling
    times (sum, count, buckets, the median's bucket). 422 for a day that is not YYYY-MM-DD, an
    end before the start or after today, or a start older than HRV_STATS_RETENTION_DAYS."""
    report: StatsReport = request.app.state.stats_report
    counters = handoffs.counters
    now = handoffs.now_ms()
    today = day_of(now)
    start, end = report.days_asked(first, last, today, counters.oldest_kept(now))
    counted = await counters.read(request.app.state.redis, start, end)
    built = report.build(counted, counters.retention_days)
    await audit.record(supervisor.name, "viewed_stats")
    if "text/csv" in request.headers.get("accept", ""):
        return Response(
            report.csv(built),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="hrv-stats-{start}-{end}.csv"'},
        )
    return built
