"""`hrv-guide registry check`: validate data/ and summarise who gets a dedicated centre."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from registry.load import read_registry
from registry.model import Registry


@dataclass
class Report:
    """The problems found (none = valid) and a human-readable coverage summary."""

    problems: list[str]
    summary: list[str] = field(default_factory=list)
    dedicated: int = 0

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
    return Report([], summarise(registry, today), len(covered))


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
    return "\n".join([f"registry check passed for {data_dir}", *report.summary])
