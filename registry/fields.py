"""How each field of the data files is checked (sources, dates, phone numbers, addresses,
shapes), noting every problem with the file and entry it came from instead of stopping at one."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml

# A public page, or one of the project's stored source documents (shared/seeds/).
_SOURCE = re.compile(r"^(https?://\S+|shared/seeds/\S+)")
# Swedish numbers as people dial them: 0NN-NNN NN NN (8-10 digits), service numbers, +46.
_NATIONAL = re.compile(r"^0\d{1,3}-\d{2,3}(?: \d{2,3}){1,3}$")
_SERVICE = re.compile(r"^(?:112|114 14|116 \d{3}|1177|9\d{4})$")  # 9NNNN: helplines' short numbers
_INTERNATIONAL = re.compile(r"^\+46 \d{1,3} \d{2,3}(?: \d{2,3}){1,3}$")
# A line's opening hours as a machine reads them: "mon-fri 09:00-16:00; sat 10:00-14:00".
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)"
_CLOCK = r"(?:[01]\d|2[0-3]):[0-5]\d"
_OPEN_RULE = re.compile(rf"^{_DAY}(?:-{_DAY})? {_CLOCK}-(?:{_CLOCK}|24:00)$")


class RegistryError(ValueError):
    """The data files are missing, malformed or inconsistent; `problems` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the registry data: " + "; ".join(problems))
        self.problems = problems


def valid_phone(number: str) -> bool:
    """Whether `number` is written as a valid Swedish phone number."""
    digits = re.sub(r"\D", "", number)
    if _SERVICE.match(number):
        return True
    if _NATIONAL.match(number):
        return 8 <= len(digits) <= 10
    if _INTERNATIONAL.match(number):
        return 9 <= len(digits) <= 11
    return False


class FieldReader:
    """Reads one field at a time; a field that fails its check adds a problem and reads as empty."""

    def __init__(self, data_dir: Path, today: date) -> None:
        self.data_dir = data_dir
        self.today = today
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def yaml(self, name: str) -> Any:
        path = self.data_dir / name
        try:
            with path.open(encoding="utf-8") as handle:
                return yaml.safe_load(handle)
        except (OSError, yaml.YAMLError) as error:
            self.problem(name, f"cannot be read ({type(error).__name__})")
            return None

    def sources(self, where: str, raw: Any) -> tuple[str, ...]:
        items = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        if not items:
            self.problem(where, "has no source")
            return ()
        for item in items:
            if not isinstance(item, str) or not _SOURCE.match(item.strip()):
                self.problem(where, f"source is not a public address or a seed file: {item!r}")
        return tuple(str(item).strip() for item in items)

    def day(self, where: str, raw: Any, *, required: bool = True) -> date | None:
        if raw is None:
            if required:
                self.problem(where, "has no date")
            return None
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            self.problem(where, f"is not a date (YYYY-MM-DD): {raw!r}")
            return None

    def checked(self, where: str, raw: Any) -> date:
        day = self.day(f"{where} checked", raw)
        if day and day > self.today:
            self.problem(where, f"checked date {day} is in the future")
        return day or date.min

    def phone(self, where: str, number: Any) -> str:
        if not isinstance(number, str) or not valid_phone(number):
            self.problem(where, f"phone number is not in a valid Swedish format: {number!r}")
        return str(number)

    def web(self, where: str, address: Any) -> str:
        if not isinstance(address, str) or not address.startswith(("http://", "https://")):
            self.problem(where, f"web is not an address: {address!r}")
        return str(address)

    def open_hours(self, where: str, raw: Any) -> str | None:
        """A line's `open` (machine-readable hours), or None when it has none."""
        if raw is None:
            return None
        rules = [part.strip() for part in str(raw).split(";")]
        if not all(_OPEN_RULE.match(rule) for rule in rules):
            self.problem(where, f"open {raw!r} is not like 'mon-fri 09:00-16:00; sat 10:00-14:00'")
            return None
        return "; ".join(rules)

    def mapping(self, where: str, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.problem(where, "must be a mapping")
            return {}
        return raw

    def listing(self, where: str, raw: Any) -> list[Any]:
        if not isinstance(raw, list):
            self.problem(where, "must be a list")
            return []
        return raw
