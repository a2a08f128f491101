"""Read data/ into a `Registry`, collecting every schema problem instead of stopping at one."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from registry.fields import FieldReader, RegistryError
from registry.model import (
    AUDIENCES,
    LINE_AUDIENCES,
    Centre,
    CoverageSpan,
    Fact,
    Fallback,
    Line,
    Locality,
    Municipality,
    Registry,
    Route,
    SocialServices,
)

EXPECTED_MUNICIPALITIES = 290
LANGUAGES_REQUIRED = ("sv", "en")
# The words of a centre's contact lines and of the ways to reach social services.
LABEL_KEYS = (
    "phone",
    "web",
    "hours",
    "day_phone",
    "day_page",
    "night_phone",
    "night_112",
    "lines_question",
    *(f"audience_{audience}" for audience in LINE_AUDIENCES),
    "lines_intro",
    "no_line",
)
MUNICIPALITY_COLUMNS = ["kommunkod", "kommun", "lanskod", "lan"]
FILES = (
    "municipalities.csv",
    "localities.yml",
    "aliases.yml",
    "contacts.yml",
    "coverage.yml",
    "social_services.yml",
    "names_by_language.yml",
)


class _Reader(FieldReader):
    """Parses the files into the registry's model."""

    def municipalities(self) -> dict[str, Municipality]:
        where = "municipalities.csv"
        try:
            with (self.data_dir / where).open(encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                header = reader.fieldnames
                rows = list(reader)
        except OSError as error:
            self.problem(where, f"cannot be read ({type(error).__name__})")
            return {}
        if header != MUNICIPALITY_COLUMNS:
            self.problem(where, f"header must be {','.join(MUNICIPALITY_COLUMNS)}")
            return {}
        result: dict[str, Municipality] = {}
        codes: dict[str, str] = {}
        for line, row in enumerate(rows, start=2):
            code, name = (row["kommunkod"] or "").strip(), (row["kommun"] or "").strip()
            county_code, county = (row["lanskod"] or "").strip(), (row["lan"] or "").strip()
            here = f"{where} line {line}"
            if not re.fullmatch(r"\d{4}", code) or county_code != code[:2]:
                self.problem(here, f"code {code!r} must be 4 digits starting with the county code")
            if not name or not county:
                self.problem(here, "name and county are required")
                continue
            if name in result:
                self.problem(here, f"{name} is listed more than once")
            if code in codes:
                self.problem(here, f"code {code} is used by both {codes[code]} and {name}")
            codes[code] = name
            result[name] = Municipality(code, name, county)
        if len(result) != EXPECTED_MUNICIPALITIES:
            self.problem(
                where, f"has {len(result)} municipalities, expected {EXPECTED_MUNICIPALITIES}"
            )
        return result

    def localities(self, known: dict[str, Municipality]) -> list[Locality]:
        result: list[Locality] = []
        for index, group in enumerate(self.listing("localities.yml", self.yaml("localities.yml"))):
            where = f"localities.yml entry {index + 1}"
            group = self.mapping(where, group)
            municipality = group.get("municipality")
            if municipality not in known:
                self.problem(where, f"unknown municipality {municipality!r}")
                continue
            sources = self.sources(where, group.get("source"))
            self.checked(where, group.get("checked"))
            names = self.listing(f"{where} names", group.get("names"))
            if not names:
                self.problem(where, "lists no names")
            for name in names:
                if not isinstance(name, str) or not name.strip():
                    self.problem(where, f"bad locality name {name!r}")
                    continue
                result.append(Locality(name.strip(), municipality, sources))
        return result

    def aliases(
        self, known: dict[str, Municipality]
    ) -> tuple[dict[str, str], frozenset[str], frozenset[str]]:
        raw = self.mapping("aliases.yml", self.yaml("aliases.yml"))
        aliases = self.mapping("aliases.yml aliases", raw.get("aliases") or {})
        for written, name in aliases.items():
            if name not in known:
                self.problem("aliases.yml", f"{written!r} points to unknown municipality {name!r}")
        everyday = self.listing("aliases.yml everyday_words", raw.get("everyday_words") or [])
        ignored = self.listing("aliases.yml ignored_words", raw.get("ignored_words") or [])
        return (
            {str(k): str(v) for k, v in aliases.items()},
            frozenset(str(w) for w in everyday),
            frozenset(str(w) for w in ignored),
        )

    def other_names(
        self, known: dict[str, Municipality]
    ) -> tuple[dict[str, tuple[str, ...]], set[str], set[str]]:
        """Names per language (written form -> municipalities) and each language's words around
        a name and everyday words that are also names."""
        raw = self.mapping("names_by_language.yml", self.yaml(FILES[6]))
        names: dict[str, list[str]] = {}
        tables = self.mapping("names_by_language.yml names", raw.get("names") or {})
        for language, table in tables.items():
            where = f"names_by_language.yml names {language}"
            for municipality, forms in self.mapping(where, table).items():
                if municipality not in known:
                    self.problem(where, f"unknown municipality {municipality!r}")
                    continue
                for form in self.listing(f"{where} {municipality}", forms):
                    if not isinstance(form, str) or not form.strip():
                        self.problem(where, f"bad name {form!r} for {municipality}")
                    elif municipality not in names.setdefault(form.strip(), []):
                        names[form.strip()].append(municipality)
        words: dict[str, set[str]] = {"ignored_words": set(), "everyday_words": set()}
        for key, found in words.items():
            per_language = self.mapping(f"names_by_language.yml {key}", raw.get(key) or {})
            for language, listed in per_language.items():
                items = self.listing(f"names_by_language.yml {key} {language}", listed)
                found |= {str(word) for word in items}
        return (
            {written: tuple(found) for written, found in names.items()},
            words["ignored_words"],
            words["everyday_words"],
        )

    def fact(self, where: str, raw: Any, *, per_language: bool = False) -> Fact | None:
        raw = self.mapping(where, raw)
        if not raw:
            return None
        sources = self.sources(where, raw.get("source"))
        checked = self.checked(where, raw.get("checked"))
        if per_language:
            value: Any = {k: v for k, v in raw.items() if k not in ("source", "checked")}
            for language in LANGUAGES_REQUIRED:
                if not isinstance(value.get(language), str) or not value[language].strip():
                    self.problem(where, f"has no text in {language}")
        else:
            value = raw.get("value")
            if value in (None, "", []):
                self.problem(where, "has no value")
        return Fact(value, sources, checked)

    def centres(self, raw: Any) -> dict[str, Centre]:
        result: dict[str, Centre] = {}
        for index, item in enumerate(self.listing("contacts.yml centres", raw)):
            item = self.mapping(f"contacts.yml centre {index + 1}", item)
            centre_id = str(item.get("id") or f"#{index + 1}")
            where = f"contacts.yml centre {centre_id}"
            if centre_id in result:
                self.problem(where, "id is used twice")
            facts = {
                key: self.fact(
                    f"{where} {key}", item.get(key), per_language=key in ("about", "hours")
                )
                if key in item
                else None
                for key in ("name", "organisation", "serves", "about", "web", "phone", "hours")
            }
            missing = [
                k for k in ("name", "organisation", "serves", "about", "web") if not facts[k]
            ]
            if missing:
                self.problem(where, f"missing sourced facts: {', '.join(missing)}")
                continue
            serves = facts["serves"].value if facts["serves"] else []
            unknown = sorted(set(serves if isinstance(serves, list) else [serves]) - set(AUDIENCES))
            if unknown:
                self.problem(where, f"serves unknown audiences {unknown}; use {list(AUDIENCES)}")
            if facts["phone"]:
                self.phone(f"{where} phone", facts["phone"].value)
            web = facts["web"].value if facts["web"] else ""
            if not isinstance(web, str) or not web.startswith(("http://", "https://")):
                self.problem(where, f"web is not an address: {web!r}")
            result[centre_id] = Centre(
                id=centre_id,
                name=facts["name"],  # type: ignore[arg-type]
                organisation=facts["organisation"],  # type: ignore[arg-type]
                serves=facts["serves"],  # type: ignore[arg-type]
                about=facts["about"],  # type: ignore[arg-type]
                web=facts["web"],  # type: ignore[arg-type]
                phone=facts["phone"],
                hours=facts["hours"],
                note=item.get("note"),
            )
        return result

    def lines(self, raw: dict[str, Any]) -> list[Line]:
        result: list[Line] = []
        for group in ("national", "professionals"):
            for item in self.listing(f"contacts.yml {group}", raw.get(group) or []):
                item = self.mapping(f"contacts.yml {group}", item)
                where = f"contacts.yml {group} {item.get('id')}"
                name = self.mapping(f"{where} name", item.get("name"))
                for language in LANGUAGES_REQUIRED:
                    if not name.get(language):
                        self.problem(where, f"has no name in {language}")
                fits = tuple(str(a) for a in self.listing(f"{where} fits", item.get("fits") or []))
                if set(fits) - set(LINE_AUDIENCES):
                    self.problem(where, f"fits unknown audiences; use {list(LINE_AUDIENCES)}")
                about = self.mapping(f"{where} about", item.get("about") or {})
                if fits and not all(about.get(language) for language in LANGUAGES_REQUIRED):
                    self.problem(where, "fits someone but has no about text in sv and en")
                result.append(
                    Line(
                        id=str(item.get("id")),
                        name={str(k): str(v) for k, v in name.items()},
                        phone=self.phone(where, item.get("phone")),
                        sources=self.sources(where, item.get("source")),
                        checked=self.checked(where, item.get("checked")),
                        hours=item.get("hours"),
                        audience=item.get("for"),
                        web=self.web(where, item["web"]) if item.get("web") else None,
                        fits=fits,
                        about={str(k): str(v) for k, v in about.items()},
                        open_hours=self.open_hours(where, item.get("open")),
                    )
                )
        return result

    def social_services(self, known: dict[str, Municipality]) -> dict[str, SocialServices]:
        result: dict[str, SocialServices] = {}
        for index, item in enumerate(self.listing("social_services.yml", self.yaml(FILES[5]))):
            item = self.mapping(f"social_services.yml entry {index + 1}", item)
            name = str(item.get("municipality"))
            where = f"social_services.yml {name}"
            if name not in known:
                self.problem(where, "names an unknown municipality")
            elif name in result:
                self.problem(where, "is listed twice")
            routes = {
                part: self.route(f"{where} {part}", item[part], night=part == "night")
                for part in ("day", "night")
                if part in item
            }
            result[name] = SocialServices(name, routes.get("day"), routes.get("night"))
        return result

    def route(self, where: str, raw: Any, *, night: bool) -> Route:
        raw = self.mapping(where, raw)
        phone = raw.get("phone")
        via = raw.get("via")
        if via is not None and (not night or str(via) != "112"):
            self.problem(where, f'via must be "112" and only on a night route: {via!r}')
        if not raw.get("quote"):
            self.problem(where, "has no quote from its page")
        return Route(
            name=str(raw.get("name") or ""),
            sources=self.sources(where, raw.get("source")),
            checked=self.checked(where, raw.get("checked")),
            phone=self.phone(where, phone) if phone is not None else None,
            via_112=via is not None,
            hold=raw.get("hold"),
        )

    def fallback(self, raw: Any) -> Fallback:
        raw = self.mapping("contacts.yml fallback", raw)
        if not raw.get("rule"):
            self.problem("contacts.yml fallback", "has no rule")
        return Fallback(
            rule=str(raw.get("rule", "")),
            sources=self.sources("contacts.yml fallback", raw.get("source")),
            checked=self.checked("contacts.yml fallback", raw.get("checked")),
        )

    def labels(self, raw: Any) -> dict[str, dict[str, str]]:
        labels = self.mapping("contacts.yml labels", raw)
        for language in LANGUAGES_REQUIRED:
            words = self.mapping(f"contacts.yml labels {language}", labels.get(language))
            for key in LABEL_KEYS:
                if not words.get(key):
                    self.problem(f"contacts.yml labels {language}", f"has no {key!r}")
        return labels

    def coverage(
        self, known: dict[str, Municipality], centres: dict[str, Centre]
    ) -> list[CoverageSpan]:
        spans: list[CoverageSpan] = []
        for index, entry in enumerate(self.listing("coverage.yml", self.yaml("coverage.yml"))):
            where = f"coverage.yml entry {index + 1}"
            entry = self.mapping(where, entry)
            centre = entry.get("centre")
            if centre not in centres:
                self.problem(where, f"unknown centre {centre!r}")
            start = self.day(f"{where} valid_from", entry.get("valid_from"))
            end = self.day(f"{where} valid_to", entry.get("valid_to"), required=False)
            if start and end and end < start:
                self.problem(where, f"valid_to {end} is before valid_from {start}")
            sources = self.sources(where, entry.get("source"))
            names = self.listing(f"{where} municipalities", entry.get("municipalities"))
            for name in names:
                if name not in known:
                    self.problem(where, f"unknown municipality {name!r}")
                elif start:
                    spans.append(
                        CoverageSpan(str(centre), name, start, end, sources, entry.get("note"))
                    )
        for first, second in _pairs(spans):
            if first.municipality == second.municipality and first.overlaps(second):
                self.problem(
                    "coverage.yml",
                    f"{first.municipality}: {first.centre_id} {first.valid_from}..{first.valid_to}"
                    f" overlaps {second.centre_id} {second.valid_from}..{second.valid_to}",
                )
        return spans


def _pairs(spans: list[CoverageSpan]) -> Iterable[tuple[CoverageSpan, CoverageSpan]]:
    for index, first in enumerate(spans):
        for second in spans[index + 1 :]:
            yield first, second


def read_registry(data_dir: Path, today: date | None = None) -> tuple[Registry | None, list[str]]:
    """Parse and validate every file; the registry is None when any problem was found."""
    reader = _Reader(data_dir, today or date.today())
    municipalities = reader.municipalities()
    localities = reader.localities(municipalities)
    aliases, everyday, ignored = reader.aliases(municipalities)
    other_names, other_ignored, other_everyday = reader.other_names(municipalities)
    contacts = reader.mapping("contacts.yml", reader.yaml("contacts.yml"))
    centres = reader.centres(contacts.get("centres"))
    lines = reader.lines(contacts)
    fallback = reader.fallback(contacts.get("fallback"))
    labels = reader.labels(contacts.get("labels"))
    coverage = reader.coverage(municipalities, centres)
    social_services = reader.social_services(municipalities)
    if reader.problems:
        return None, reader.problems
    registry = Registry(
        municipalities=municipalities,
        localities=localities,
        aliases=aliases,
        everyday_words=everyday | other_everyday,
        ignored_words=ignored | other_ignored,
        centres=centres,
        coverage=coverage,
        lines=lines,
        fallback=fallback,
        labels=labels,
        social_services=social_services,
        other_names=other_names,
    )
    return registry, []


@lru_cache(maxsize=4)
def load_registry(data_dir: Path) -> Registry:
    """Read data/ once per process (the files change only with a deployment); fail loudly."""
    registry, problems = read_registry(data_dir)
    if registry is None:
        raise RegistryError(problems)
    return registry
