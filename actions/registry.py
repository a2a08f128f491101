"""Municipalities, centres and dated coverage, loaded from data/ and resolved from free text."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

# Words around a place name that are not part of it ("jag bor i Borås", "Marks kommun").
_SUFFIX_WORDS = ("kommun", "kommune", "stad", "municipality", "city")


def simplify(text: str) -> str:
    """Lower-case and spaces for punctuation: 'Upplands-Bro' == 'upplands bro'."""
    return " ".join(re.sub(r"[^\w]+", " ", unicodedata.normalize("NFC", text.casefold())).split())


def fold(text: str) -> str:
    """`simplify` and drop diacritics, so 'Borås' == 'boras' (but 'Håbo' == 'Habo' too)."""
    decomposed = unicodedata.normalize("NFKD", simplify(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Municipality:
    """One of Sweden's 290 municipalities."""

    code: str
    name: str
    county: str


@dataclass(frozen=True)
class Centre:
    """A support centre; `phone` only when a public page was found for it."""

    id: str
    name: str
    about: dict[str, str]
    web: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class CoverageSpan:
    """A centre serving a municipality from `valid_from` to `valid_to` (inclusive, None = open)."""

    centre_id: str
    municipality: str
    valid_from: date
    valid_to: date | None

    def covers(self, day: date) -> bool:
        """Whether this span applies on `day`."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass
class Registry:
    """The loaded data and an index from folded names to municipality names."""

    municipalities: dict[str, Municipality]
    centres: dict[str, Centre]
    coverage: list[CoverageSpan]
    labels: dict[str, dict[str, str]]
    exact: dict[str, str] = field(default_factory=dict)
    folded: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._add_names((name, name) for name in self.municipalities)

    def add_aliases(self, aliases: dict[str, str]) -> None:
        """Map other spellings to a municipality that must exist."""
        unknown = sorted(set(aliases.values()) - set(self.municipalities))
        if unknown:
            raise ValueError(f"aliases point to unknown municipalities: {unknown}")
        self._add_names(aliases.items())

    def _add_names(self, pairs: Iterable[tuple[str, str]]) -> None:
        for written, name in pairs:
            self.exact[simplify(written)] = name
        candidates: dict[str, set[str]] = {}
        for written, name in self.exact.items():
            candidates.setdefault(fold(written), set()).add(name)
        # A folded spelling that fits two municipalities ("habo": Habo, Håbo) is not guessed.
        self.folded = {key: names.pop() for key, names in candidates.items() if len(names) == 1}

    def resolve(self, text: str) -> Municipality | None:
        """Find the municipality a person named, trying the longest word groups first."""
        return self._resolve(simplify(text), self.exact) or self._resolve(fold(text), self.folded)

    def _resolve(self, text: str, index: dict[str, str]) -> Municipality | None:
        words = text.split()
        for size in range(min(4, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                found = _lookup(index, words[start : start + size], words[start + size :])
                if found:
                    return self.municipalities[found]
        return None

    def centres_for(self, municipality: str, on: date) -> list[Centre]:
        """The centres serving `municipality` on `on`; empty means use the fallback."""
        return [
            self.centres[span.centre_id]
            for span in self.coverage
            if span.municipality == municipality and span.covers(on)
        ]


def _lookup(index: dict[str, str], group: list[str], following: list[str]) -> str | None:
    candidate = " ".join(group)
    if candidate in index:
        return index[candidate]
    # Genitive before "kommun": "Marks kommun" -> "Mark".
    if following[:1] and following[0] in _SUFFIX_WORDS and candidate.endswith("s"):
        return index.get(candidate[:-1])
    return None


def _read_yaml(path: Path) -> object:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _centres(raw: Iterable[dict]) -> dict[str, Centre]:
    return {
        item["id"]: Centre(
            id=item["id"],
            name=item["name"],
            about=item["about"],
            web=item.get("web"),
            phone=item.get("phone"),
        )
        for item in raw
    }


@lru_cache(maxsize=4)
def load_registry(data_dir: Path) -> Registry:
    """Read data/ once per process; the files change only with a deployment."""
    with (data_dir / "municipalities.csv").open(encoding="utf-8") as handle:
        municipalities = {
            row["kommun"]: Municipality(row["kommunkod"], row["kommun"], row["lan"])
            for row in csv.DictReader(handle)
        }
    contacts = _read_yaml(data_dir / "contacts.yml")
    coverage = [
        CoverageSpan(entry["centre"], name, entry["valid_from"], entry["valid_to"])
        for entry in _read_yaml(data_dir / "coverage.yml")
        for name in entry["municipalities"]
    ]
    registry = Registry(municipalities, _centres(contacts["centres"]), coverage, contacts["labels"])
    registry.add_aliases(_read_yaml(data_dir / "aliases.yml") or {})
    return registry
