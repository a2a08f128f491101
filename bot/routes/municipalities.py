"""Which help applies to a municipality on a day, with every fact's public source.

For staff and integrations: no session and no staff sign-in, because it returns only public
facts (the same ones the bot shows) and nothing about any conversation.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from bot.errors import Ambiguous, BadInput, NotFound
from bot.routes.deps import RegistryDep, ResolverDep, TextsDep
from registry import Centre, CoverageSpan, Fact, Municipality, Resolver, Route
from registry.describe import help_text
from registry.resolve import Candidate, Resolution

router = APIRouter(prefix="/api/v1/municipalities", tags=["municipalities"])

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FactOut(BaseModel):
    """A fact (a text, a list, or one text per language) and where it was read."""

    value: Any
    sources: list[str]
    checked: date


class MunicipalityOut(BaseModel):
    """SCB's code, the name and the county."""

    code: str
    name: str
    county: str


class MatchOut(BaseModel):
    """How the name in the address was read: which written form, and by which rule."""

    written: str
    kind: str
    how: str


class CoverageOut(BaseModel):
    """The dated span that makes this centre the one for the municipality on the day."""

    valid_from: date
    valid_to: date | None
    sources: list[str]
    note: str | None


class CentreOut(BaseModel):
    """A centre with its sourced facts; phone and hours only where a page gave them."""

    id: str
    name: FactOut
    organisation: FactOut
    serves: FactOut
    about: FactOut
    web: FactOut
    phone: FactOut | None
    hours: FactOut | None
    coverage: CoverageOut


class LineOut(BaseModel):
    """A national line, always part of the answer."""

    id: str
    name: dict[str, str]
    phone: str
    hours: str | None
    sources: list[str]
    checked: date


class FallbackOut(BaseModel):
    """The person's own social services and the national lines (with or without a centre)."""

    rule: str
    sources: list[str]
    checked: date
    lines: list[LineOut]


class RouteOut(BaseModel):
    """One way to reach the municipality's social services, as its page gives it."""

    name: str
    phone: str | None
    via_112: bool
    sources: list[str]
    checked: date


class SocialServicesOut(BaseModel):
    """By day and in the evening and at night; None where no page was found (or the route is
    held for a re-check): then the rule applies (112, ask for the social services' on-call)."""

    day: RouteOut | None
    night: RouteOut | None


class HelpOut(BaseModel):
    """The answer: the municipality, the centre(s) on the day, its social services, and the
    fallback."""

    date: date
    municipality: MunicipalityOut
    matched: MatchOut
    centres: list[CentreOut]
    social_services: SocialServicesOut
    fallback: FallbackOut


def _route(route: Route | None) -> RouteOut | None:
    if route is None or not route.usable:
        return None
    return RouteOut(
        name=route.name,
        phone=route.phone,
        via_112=route.via_112,
        sources=list(route.sources),
        checked=route.checked,
    )


def _fact(fact: Fact) -> FactOut:
    return FactOut(value=fact.value, sources=list(fact.sources), checked=fact.checked)


def _municipality(municipality: Municipality) -> MunicipalityOut:
    return MunicipalityOut(
        code=municipality.code, name=municipality.name, county=municipality.county
    )


def _centre(centre: Centre, span: CoverageSpan) -> CentreOut:
    facts = {key: _fact(fact) for key, fact in centre.facts().items() if fact is not None}
    return CentreOut(
        id=centre.id,
        # The registry's check at start requires these five of every centre.
        name=facts["name"],
        organisation=facts["organisation"],
        serves=facts["serves"],
        about=facts["about"],
        web=facts["web"],
        phone=facts.get("phone"),
        hours=facts.get("hours"),
        coverage=CoverageOut(
            valid_from=span.valid_from,
            valid_to=span.valid_to,
            sources=list(span.sources),
            note=span.note,
        ),
    )


def _day(raw: str | None) -> date:
    if raw is None:
        return date.today()
    try:
        if not _DATE.match(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput("date must be a real day written YYYY-MM-DD.") from None


class HelpTextOut(BaseModel):
    """The help in a municipality as the bot words it in one language, for staff to insert into
    a reply (every number from data/)."""

    date: date
    lang: str
    municipality: MunicipalityOut
    text: str


def _one(resolver: Resolver, name_or_code: str) -> tuple[Resolution, Candidate]:
    """What a name or code resolved to and its one match: 409 with the choices, 404 for none."""
    resolution = resolver.resolve(name_or_code)
    if resolution.ambiguous:
        raise Ambiguous(
            "The name fits more than one municipality; ask again with one of the codes.",
            [_municipality(m).model_dump() for m in resolution.municipalities],
        )
    candidate = resolution.candidate
    if candidate is None:
        raise NotFound("No Swedish municipality matches that name or code.")
    return resolution, candidate


def _resolved(resolver: Resolver, name_or_code: str) -> Municipality:
    """The one municipality a name or code means (`_one`'s errors)."""
    return _one(resolver, name_or_code)[1].municipality


@router.get("", response_model=list[MunicipalityOut])
async def municipalities(registry: RegistryDep) -> list[MunicipalityOut]:
    """Every municipality by name (for a search as one types)."""
    return [_municipality(m) for m in sorted(registry.municipalities.values(), key=_by_name)]


def _by_name(municipality: Municipality) -> str:
    return municipality.name.casefold()


@router.get(
    "/{name_or_code}/help-text",
    response_model=HelpTextOut,
    responses={404: {}, 409: {}, 422: {}},
)
async def municipality_help_text(
    name_or_code: Annotated[str, Path(min_length=1, max_length=100)],
    registry: RegistryDep,
    resolver: ResolverDep,
    texts: TextsDep,
    lang: Annotated[str, Query(min_length=2, max_length=8)],
    day: Annotated[str | None, Query(alias="date", max_length=10)] = None,
) -> HelpTextOut:
    """The centre(s), the social services and the national lines for people, worded as the bot
    gives them in `lang` (one of the bot's languages), on a day (default today)."""
    if not texts.supports(lang):
        raise BadInput("lang must be one of the bot's languages.")
    on = _day(day)
    municipality = _resolved(resolver, name_or_code)
    return HelpTextOut(
        date=on,
        lang=lang,
        municipality=_municipality(municipality),
        text=help_text(registry, municipality, lang, on),
    )


@router.get(
    "/{name_or_code}/help",
    response_model=HelpOut,
    responses={404: {}, 409: {}, 422: {}},
)
async def municipality_help(
    name_or_code: Annotated[str, Path(min_length=1, max_length=100)],
    registry: RegistryDep,
    resolver: ResolverDep,
    day: Annotated[str | None, Query(alias="date", max_length=10)] = None,
) -> HelpOut:
    """The centre(s) serving a municipality (name, locality, other spelling or SCB code) on a
    day (default today), with every fact's source, and the fallback that always applies."""
    on = _day(day)
    resolution, candidate = _one(resolver, name_or_code)
    municipality = candidate.municipality
    spans = registry.spans_for(municipality.name, on)
    services = registry.social_services.get(municipality.name)
    return HelpOut(
        date=on,
        municipality=_municipality(municipality),
        matched=MatchOut(written=candidate.written, kind=candidate.kind, how=resolution.how),
        centres=[_centre(registry.centres[span.centre_id], span) for span in spans],
        social_services=SocialServicesOut(
            day=_route(services.day if services else None),
            night=_route(services.night if services else None),
        ),
        fallback=FallbackOut(
            rule=registry.fallback.rule,
            sources=list(registry.fallback.sources),
            checked=registry.fallback.checked,
            lines=[
                LineOut(
                    id=line.id,
                    name=line.name,
                    phone=line.phone,
                    hours=line.hours,
                    sources=list(line.sources),
                    checked=line.checked,
                )
                for line in registry.lines
            ],
        ),
    )
