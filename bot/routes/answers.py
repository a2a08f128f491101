"""The saved answers a staff member inserts into a reply (bot/staff/saved_answers.py), in the
person's language, each with its Swedish meaning. Staff only; nothing about any conversation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from bot.errors import BadInput
from bot.routes.staff_access import AuditRefusals, PollingStaffDep
from bot.staff.saved_answers import SavedAnswers

router = APIRouter(tags=["staff"], route_class=AuditRefusals)


async def get_saved_answers(request: Request) -> SavedAnswers:
    """The saved answers read at start."""
    return request.app.state.saved_answers


SavedAnswersDep = Annotated[SavedAnswers, Depends(get_saved_answers)]


class SavedAnswerOut(BaseModel):
    """One saved answer."""

    id: str
    text: str = Field(description="In the language asked for")
    meaning: str = Field(description="The same answer in Swedish, for staff to check")


class SavedAnswersOut(BaseModel):
    """The saved answers of one language, in the administrator's order."""

    lang: str
    answers: list[SavedAnswerOut]


@router.get(
    "/api/v1/staff/saved-answers", response_model=SavedAnswersOut, responses={401: {}, 422: {}}
)
async def saved_answers(
    staff: PollingStaffDep,
    answers: SavedAnswersDep,
    lang: Annotated[str, Query(min_length=2, max_length=8)],
) -> SavedAnswersOut:
    """The saved answers in `lang` (the person's language, one of the bot's)."""
    if not answers.supports(lang):
        raise BadInput("lang must be one of the bot's languages.")
    return SavedAnswersOut(
        lang=lang,
        answers=[
            SavedAnswerOut(id=a.id, text=a.text, meaning=a.meaning)
            for a in answers.in_language(lang)
        ],
    )
