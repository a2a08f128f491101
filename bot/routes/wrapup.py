"""The wrap-up of a close: what the body of `POST .../close` carries, and the choices the
console shows (`GET /api/v1/staff/wrap-up`). The ids and labels are data (bot/data/wrapup.yml)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from bot.routes.staff_access import AuditRefusals, PollingStaffDep
from bot.staff.wrapup import WrapUp

router = APIRouter(tags=["staff"], route_class=AuditRefusals)

WrapUpId = Annotated[str, Field(min_length=1, max_length=32)]


class WrapUpIn(BaseModel):
    """How a chat ended: one or more categories and exactly one outcome (ids of
    `GET /api/v1/staff/wrap-up`); anything else is 422 and nothing changes."""

    categories: list[WrapUpId] = Field(min_length=1, max_length=20)
    outcome: WrapUpId


class ChoiceOut(BaseModel):
    """One category or outcome with its label in each console language."""

    id: str
    labels: dict[str, str]


class WrapUpOut(BaseModel):
    """The choices of the wrap-up dialog."""

    categories: list[ChoiceOut]
    outcomes: list[ChoiceOut]


async def get_wrapup(request: Request) -> WrapUp:
    """The wrap-up choices read at start-up."""
    return request.app.state.wrapup


WrapUpDep = Annotated[WrapUp, Depends(get_wrapup)]


@router.get("/api/v1/staff/wrap-up", response_model=WrapUpOut, responses={401: {}})
async def wrapup_choices(staff: PollingStaffDep, wrapup: WrapUpDep) -> WrapUpOut:
    """The categories and outcomes to choose from when closing a chat."""
    return WrapUpOut.model_validate(wrapup.as_json())
