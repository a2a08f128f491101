"""`hrv-guide registry check`: validate data/ and summarise who gets a dedicated centre."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from registry.load import read_registry
from registry.model import Registry

# A fact read longer ago than this is due for a new look at its page.
STALE_AFTER = timedelta(days=365)
# Addresses of news items: they show that something happened, never how to reach anyone now.
_NEWS = re.compile(
    r"/(?:nyheter|nyhet|nyhetsarkiv|news|pressmeddelanden|pressrum|artikel)[-/._]"
    r"|//(?:www\.)?(?:8sidor|svt|sverigesradio|vartgoteborg|vimmerbytidning|aftonbladet|dn|gp"
    r"|expressen|svd|mynewsdesk|lidkopingsextra|marsta)\.(?:se|nu|com)/",
    re.IGNORECASE,
)


@dataclass
class Report:
    """The problems found (none = valid), a human-readable coverage summary, and what is due
    for a re-check (facts read over a year ago, news items used as a contact)."""

    problems: list[str]
    summary: list[str] = field(default_factory=list)
    dedicated: int = 0
    due: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the data passed every check."""
        return not self.problems


def check(data_dir: Path, today: date | None = None) -> Report:
    """Run every check on `data_dir`; summarise coverage on `today` when the data is valid."""
    today = today or date.today()
    registry, problems = read_registry(data_dir, today)
    if registry is None:
        return Report(problems)
    covered = {name for names in _served(registry, today).values() for name in names}
    return Report([], summarise(registry, today), len(covered), due_for_recheck(registry, today))


def is_news_item(address: str) -> bool:
    """Whether an address is a news article rather than a service's own page."""
    return bool(_NEWS.search(address))


def due_for_recheck(registry: Registry, on: date) -> list[str]:
    """Facts last checked over a year before `on`, and contacts that are news articles."""
    checked: list[tuple[str, date]] = [(f"line {line.id}", line.checked) for line in registry.lines]
    for centre in registry.centres.values():
        checked += [(f"centre {centre.id} {key}", f.checked) for key, f in centre.facts().items()]
    for services in registry.social_services.values():
        for part, route in (("day", services.day), ("night", services.night)):
            if route is not None:
                checked.append((f"social services {services.municipality} {part}", route.checked))
    checked.append(("fallback", registry.fallback.checked))
    due = [f"{where}: checked {day}" for where, day in checked if on - day > STALE_AFTER]
    contacts = [(f"line {line.id} web", line.web) for line in registry.lines if line.web]
    contacts += [(f"centre {c.id} web", str(c.web.value)) for c in registry.centres.values()]
    contacts += [
        (f"social services {s.municipality} {part}", route.page)
        for s in registry.social_services.values()
        for part, route in (("day", s.day),)
        if route is not None and route.usable and not route.phone
    ]
    due += [
        f"{where}: a news item is its contact ({address})"
        for where, address in contacts
        if address and is_news_item(address)
    ]
    return due


def _served(registry: Registry, on: date) -> dict[str, list[str]]:
    served: dict[str, list[str]] = {}
    for name in registry.municipalities:
        for centre in registry.centres_for(name, on):
            served.setdefault(centre.id, []).append(name)
    return served


def summarise(registry: Registry, on: date) -> list[str]:
    """Counts and lists a reviewer needs: dedicated centre vs fallback, and the gaps."""
    served = _served(registry, on)
    covered = {name for names in served.values() for name in names}
    total = len(registry.municipalities)
    counties = sorted({m.county for m in registry.municipalities.values()})
    lines = [
        f"{total} municipalities in {len(counties)} counties, {len(registry.localities)} "
        f"localities, {len(registry.aliases)} other spellings, {len(registry.centres)} centres, "
        f"{len(registry.coverage)} dated coverage spans.",
        f"On {on}: {len(covered)} municipalities have a dedicated centre; {total - len(covered)} "
        "get the fallback (their own social services and the national lines).",
    ]
    for centre_id, names in sorted(served.items()):
        centre = registry.centres[centre_id]
        lines.append(
            f"  {centre_id} ({centre.name.value}): {len(names)}: {', '.join(sorted(names))}"
        )
    idle = sorted(set(registry.centres) - set(served))
    if idle:
        lines.append(f"Centres serving no municipality on {on}: {', '.join(idle)}")
    no_phone = sorted(c.id for c in registry.centres.values() if c.phone is None)
    if no_phone:
        lines.append(
            "Centres without a sourced phone number (shown with name and web page only): "
            + ", ".join(no_phone)
        )
    services = [registry.social_services.get(name) for name in registry.municipalities]
    day = [s.day for s in services if s and s.day and s.day.usable]
    night = [s.night for s in services if s and s.night and s.night.usable]
    held = sum(1 for s in services if s for r in (s.day, s.night) if r and not r.usable)
    lines.append(
        f"Social services, by day: {sum(1 for r in day if r.phone)} with a number, "
        f"{sum(1 for r in day if not r.phone)} with a page only; at night: "
        f"{sum(1 for r in night if r.phone)} with the on-call's own number, the rest the rule "
        f"(112, ask for the socialjour); {held} routes held for a re-check; "
        f"{sum(1 for s in services if not s or not (s.day or s.night))} with no page found."
    )
    uncovered = [
        county
        for county in counties
        if not any(
            m.county == county and m.name in covered for m in registry.municipalities.values()
        )
    ]
    lines.append(
        f"Counties with no dedicated centre on {on} ({len(uncovered)}): {', '.join(uncovered)}"
    )
    return lines


def render(report: Report, data_dir: Path) -> str:
    """The command's output."""
    if not report.ok:
        head = f"registry check FAILED for {data_dir}: {len(report.problems)} problem(s)"
        return "\n".join([head, *(f"  - {p}" for p in report.problems)])
    due = [f"Due for a re-check ({len(report.due)}):", *(f"  - {d}" for d in report.due)]
    return "\n".join(
        [f"registry check passed for {data_dir}", *report.summary, *(due if report.due else [])]
    )
