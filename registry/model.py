"""The registry's records: municipalities, centres with sourced facts, dated coverage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Who a centre is for, as the data files name it.
AUDIENCES = ("children", "young_people", "adults", "professionals")
# Whom a national line fits: the choices a person is offered ("I am under 18", ...).
LINE_AUDIENCES = ("under_18", "women", "men", "lgbtqi", "relatives", "professionals")


@dataclass(frozen=True)
class Fact:
    """One fact shown to people, with the public page it was read from and when."""

    value: Any
    sources: tuple[str, ...]
    checked: date

    def text(self, language: str, default_language: str) -> str:
        """A per-language fact (a mapping) in `language`, else in the default language."""
        if isinstance(self.value, dict):
            return str(self.value.get(language) or self.value[default_language])
        return str(self.value)


@dataclass(frozen=True)
class Municipality:
    """One of Sweden's 290 municipalities (SCB's code, name and county)."""

    code: str
    name: str
    county: str


@dataclass(frozen=True)
class Locality:
    """A town or village (a tätort, or a well-known part of one) inside a municipality."""

    name: str
    municipality: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Centre:
    """A support centre; optional facts are None when no public page gave them."""

    id: str
    name: Fact
    organisation: Fact
    serves: Fact
    about: Fact
    web: Fact
    phone: Fact | None = None
    hours: Fact | None = None
    note: str | None = None

    def facts(self) -> dict[str, Fact]:
        """Every fact the centre has, by field name."""
        fields = {
            "name": self.name,
            "organisation": self.organisation,
            "serves": self.serves,
            "about": self.about,
            "web": self.web,
            "phone": self.phone,
            "hours": self.hours,
        }
        return {key: fact for key, fact in fields.items() if fact is not None}


@dataclass(frozen=True)
class CoverageSpan:
    """A centre serving a municipality from `valid_from` to `valid_to` (inclusive; None = still)."""

    centre_id: str
    municipality: str
    valid_from: date
    valid_to: date | None
    sources: tuple[str, ...]
    note: str | None = None

    def covers(self, day: date) -> bool:
        """Whether this span applies on `day`."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def overlaps(self, other: CoverageSpan) -> bool:
        """Whether two spans share at least one day."""
        end = self.valid_to or date.max
        other_end = other.valid_to or date.max
        return self.valid_from <= other_end and other.valid_from <= end


@dataclass(frozen=True)
class Line:
    """A national helpline or the professionals' consultation line."""

    id: str
    name: dict[str, str]
    phone: str
    sources: tuple[str, ...]
    checked: date
    hours: str | None = None
    audience: str | None = None
    web: str | None = None
    fits: tuple[str, ...] = ()
    about: dict[str, str] = field(default_factory=dict)
    # `hours` as a machine reads it, Swedish time ("mon-fri 09:00-16:00; sat 10:00-14:00",
    # "mon-sun 00:00-24:00" for always): to tell whether the line is open now. None: unknown.
    open_hours: str | None = None


@dataclass(frozen=True)
class Route:
    """One way to reach a municipality's social services, as its page gives it."""

    name: str
    sources: tuple[str, ...]
    checked: date
    phone: str | None = None
    via_112: bool = False
    hold: str | None = None  # why it is not shown until someone re-checks it

    @property
    def usable(self) -> bool:
        """Whether the bot may show it."""
        return self.hold is None

    @property
    def page(self) -> str:
        """The page it was read from: shown when there is no number."""
        return self.sources[0]


@dataclass(frozen=True)
class SocialServices:
    """How to reach a municipality's social services by day and in the evening and at night."""

    municipality: str
    day: Route | None = None
    night: Route | None = None


@dataclass(frozen=True)
class Fallback:
    """What a person is told where no centre is known: their own social services."""

    rule: str
    sources: tuple[str, ...]
    checked: date


@dataclass
class Registry:
    """Everything in data/, validated; resolving names is `registry.resolve.Resolver`."""

    municipalities: dict[str, Municipality]
    localities: list[Locality]
    aliases: dict[str, str]
    everyday_words: frozenset[str]
    ignored_words: frozenset[str]
    centres: dict[str, Centre]
    coverage: list[CoverageSpan]
    lines: list[Line]
    fallback: Fallback
    labels: dict[str, dict[str, str]]
    social_services: dict[str, SocialServices] = field(default_factory=dict)
    # Names as people write them in their own script or spelling (names_by_language.yml):
    # written form -> the municipalities it may mean (the NLU's lookup does not hold these).
    other_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_code: dict[str, Municipality] = field(init=False)

    def __post_init__(self) -> None:
        self.by_code = {m.code: m for m in self.municipalities.values()}

    def public_phones(self) -> list[str]:
        """Every phone number the bot may show: the lines' and the centres'."""
        return (
            [line.phone for line in self.lines]
            + [str(centre.phone.value) for centre in self.centres.values() if centre.phone]
            + [route.phone for route in self.routes() if route.phone]
        )

    def public_webs(self) -> list[str]:
        """Every web address the bot may show: the lines' and the centres'."""
        return (
            [line.web for line in self.lines if line.web]
            + [str(centre.web.value) for centre in self.centres.values()]
            + [
                services.day.page
                for services in self.social_services.values()
                if services.day and services.day.usable and not services.day.phone
            ]
        )

    def lines_for(self, audience: str) -> list[Line]:
        """The lines that fit a person of `audience`, in the data's order."""
        return [line for line in self.lines if audience in line.fits]

    def routes(self) -> list[Route]:
        """Every route to social services that the bot may show."""
        found = []
        for services in self.social_services.values():
            found += [r for r in (services.day, services.night) if r is not None and r.usable]
        return found

    def spans_for(self, municipality: str, on: date) -> list[CoverageSpan]:
        """The coverage spans that apply to `municipality` on `on`."""
        return [s for s in self.coverage if s.municipality == municipality and s.covers(on)]

    def centres_for(self, municipality: str, on: date) -> list[Centre]:
        """The centres serving `municipality` on `on`; empty means use the fallback."""
        return [self.centres[span.centre_id] for span in self.spans_for(municipality, on)]
