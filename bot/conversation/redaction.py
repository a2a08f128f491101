"""Hide personal identifiers in a person's message before anything stores it.

A young person may type their personnummer, phone number or address in a panic. Rasa keeps every
message in its tracker (in Redis) and a handoff keeps a transcript, so the gateway replaces each
identifier by a typed placeholder (`[personnummer]`, `[telefonnummer]` ...) first; the safety
layer and language detection still read the original, in memory only.

Works offline: `python-stdnum` checks personnummer (Luhn digit and date, plus our own rule for
samordningsnummer: day + 60), `phonenumbers` finds phone numbers with the metadata in its wheel.
The lists and patterns are data (bot/data/redaction/rules.yml), checked against their schema
(bot/conversation/redaction_rules.py) when loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
from stdnum import luhn
from stdnum.se import personnummer

from bot.conversation.redaction_rules import (
    RULES_FILE,
    RedactionRules,
)
from textnorm import ascii_digits, view

_MASK = "_"  # stands for an identifier already found, so later finders do not see its digits
# Digits, spaces, dashes and brackets starting like a phone number (no dots or slashes: dates).
_NUMBER_RUN = re.compile(r"(?<![\w+])(?:\+|0)[\d \t()-]{5,}\d")
_TOKEN = re.compile(r"\S+")
_ANY_CLUE = re.compile(r"[\d@]")
_INTERNATIONAL = (
    phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN,
    phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD,
)
# A UUID's groups ("-0602-4585-") look like a phone number; ids are never personal data.
_UUID = re.compile(r"\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")


@dataclass(frozen=True)
class Hit:
    """One identifier found: where it is and of which type (never its value)."""

    start: int
    end: int
    type: str


@dataclass(frozen=True)
class Redaction:
    """The message as it may be stored, and the types that were hidden (first seen first)."""

    text: str
    types: tuple[str, ...]


def _written(name: str) -> bool:
    """Words as people write them (storgatan, Storgatan, STORGATAN), not a token's mixed case
    ("fTSTiG" in base64)."""
    return all(w.islower() or w.isupper() or w[1:].islower() for w in name.split())


def _isolated(text: str, start: int, end: int) -> bool:
    """Not glued to letters or digits: "b0470123456e" inside a hex or base64 token is no
    phone number."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or after.isalnum())


def _masked(text: str, hits: Iterable[Hit]) -> str:
    for hit in hits:
        text = text[: hit.start] + _MASK * (hit.end - hit.start) + text[hit.end :]
    return text


def _digits(text: str) -> str:
    return re.sub(r"\D", "", ascii_digits(text))


def identity_type(candidate: str) -> str | None:
    """`personnummer`, `samordningsnummer` or None: Luhn digit and birth date both right
    (12 digits: born 1800-2099)."""
    digits = _digits(candidate)
    if len(digits) == 12 and digits[:2] not in ("18", "19", "20"):
        return None
    if personnummer.is_valid(candidate):
        return "personnummer"
    date_at = 4 if len(digits) == 10 else 6
    day = int(digits[date_at : date_at + 2]) if len(digits) in (10, 12) else 0
    if not 61 <= day <= 91 or not luhn.is_valid(digits[-10:]):
        return None
    birth = f"{digits[:date_at]}{day - 60:02d}{digits[date_at + 2 :]}"
    separator = "+" if "+" in candidate else "-"
    try:
        personnummer.get_birth_date(f"{birth[:-4]}{separator}{birth[-4:]}")
    except Exception:  # stdnum raises its own ValidationError subclasses for a bad date
        return None
    return "samordningsnummer"


class Redactor:
    """Finds identifiers and replaces them by placeholders."""

    def __init__(
        self,
        rules: RedactionRules,
        public_numbers: Iterable[str] = (),
        place_names: Iterable[str] = (),
    ) -> None:
        self.rules = rules
        self._public = rules.public_numbers | {_digits(n) for n in public_numbers if _digits(n)}
        # "Mölndal 5 år", "Falkenberg 12": a place name and a number, not a street address.
        self._places = frozenset(name.casefold() for name in place_names)

    @classmethod
    def load(
        cls,
        path: Path = RULES_FILE,
        public_numbers: Iterable[str] = (),
        place_names: Iterable[str] = (),
    ) -> Redactor:
        """`public_numbers`: more numbers anyone may quote (the registry's centres);
        `place_names`: the registry's municipalities and localities (registry.names.place_names),
        names that end like a street but are not one."""
        return cls(RedactionRules.load(path), public_numbers, place_names)

    def redact(self, text: str) -> Redaction:
        """The text with every identifier replaced, and which types were hidden. Found in the
        text's `textnorm.view`, replaced in the text as written (the rest stays as typed)."""
        hits = self.find(text)
        parts: list[str] = []
        at = 0
        for hit in hits:
            parts += [text[at : hit.start], self.rules.placeholders[hit.type]]
            at = hit.end
        parts.append(text[at:])
        return Redaction("".join(parts), tuple(dict.fromkeys(hit.type for hit in hits)))

    def may_hide(self, text: str) -> bool:
        """Whether the text could hold an identifier (each has a digit or an @): cheap, and
        never False for a text `redact` would change."""
        return bool(_ANY_CLUE.search(view(text)[0]))

    def find(self, text: str) -> list[Hit]:
        """Every identifier in the text, in order, none overlapping; positions in `text`.

        The finders read `textnorm.view(text)`: phones add invisible marks and people paste
        fullwidth text, so "070\u200e-123 45 67" or "sara＠gmail.com" must be found like the
        plain forms, and the hidden span must cover the original characters, marks included.
        E-mail first (its digits are not a phone number), then identity numbers, phone numbers,
        addresses and postcodes; each finder sees the earlier ones' finds masked out.
        """
        seen, origin = view(text)
        return [
            Hit(origin[hit.start], origin[hit.end - 1] + 1, hit.type) for hit in self._find(seen)
        ]

    def _find(self, text: str) -> list[Hit]:
        """`find` on text already normalised; positions in it."""
        if not _ANY_CLUE.search(text):
            return []  # every identifier has a digit or an @: most texts need no more look
        work = _UUID.sub(lambda m: _MASK * len(m.group()), text)
        hits: list[Hit] = []
        for finder in (
            self._emails,
            self._identity_numbers,
            self._phones,
            self._addresses,
            self._postcodes,
        ):
            found = finder(work, hits)
            hits += found
            work = _masked(work, found)
        return sorted(hits, key=lambda hit: hit.start)

    def _emails(self, text: str, _: list[Hit]) -> list[Hit]:
        return [Hit(m.start(), m.end(), "e-post") for m in self.rules.email.finditer(text)]

    def _identity_numbers(self, text: str, _: list[Hit]) -> list[Hit]:
        hits = []
        for match in self.rules.identity_number.finditer(text):
            kind = identity_type(match.group())
            if kind and not self._looks_like_phone(match.group()):
                hits.append(Hit(match.start(), match.end(), kind))
        return hits

    def _looks_like_phone(self, candidate: str) -> bool:
        """0701234567 written without a separator is a mobile number as much as a personnummer
        of someone born 2007; call it a phone number (hidden either way)."""
        if not candidate.isdigit() or len(candidate) != 10 or not candidate.startswith("0"):
            return False
        number = phonenumbers.parse(candidate, self.rules.phone_region)
        return phonenumbers.is_valid_number(number)

    def _phones(self, text: str, _: list[Hit]) -> list[Hit]:
        matcher = phonenumbers.PhoneNumberMatcher(
            text, self.rules.phone_region, leniency=phonenumbers.Leniency.POSSIBLE
        )
        hits = [
            Hit(m.start, m.end, "telefonnummer")
            for m in matcher
            if _isolated(text, m.start, m.end) and self._phone(m.raw_string, m.number) == "private"
        ]
        # The matcher reads numbers written side by side ("070-123 45 67 073-987 65 43") as one
        # invalid number and gives up: split such runs at spaces, longest valid number first.
        masked = _masked(text, hits)
        for run in _NUMBER_RUN.finditer(masked):
            hits += self._split_run(masked, run.start(), run.end())
        return hits

    def _split_run(self, text: str, start: int, end: int) -> list[Hit]:
        tokens = [(start + m.start(), start + m.end()) for m in _TOKEN.finditer(text[start:end])]
        hits, i = [], 0
        while i < len(tokens):
            best, kind = None, None
            for j in range(i, min(i + 6, len(tokens))):
                candidate = text[tokens[i][0] : tokens[j][1]]
                try:
                    number = phonenumbers.parse(candidate, self.rules.phone_region)
                except phonenumbers.NumberParseException:
                    continue
                if found := self._phone(candidate, number):
                    best, kind = j, found
            if best is None:
                i += 1
                continue
            if kind == "private" and _isolated(text, tokens[i][0], tokens[best][1]):
                hits.append(Hit(tokens[i][0], tokens[best][1], "telefonnummer"))
            i = best + 1
        return hits

    def _phone(self, raw: str, number: phonenumbers.PhoneNumber) -> str | None:
        """ "private", "public" (a helpline or centre anyone may quote) or None (not a phone
        number written as one). Valid, or written with + or 00 of a possible length: metadata
        of new ranges abroad lags behind."""
        raw = raw.lstrip("(")
        if not raw.startswith(self.rules.phone_prefixes):
            return None  # an order or case number, not written as a phone number
        try:  # how it was written: with + or an international prefix, or nationally
            source = phonenumbers.parse(raw, self.rules.phone_region, keep_raw_input=True)
        except phonenumbers.NumberParseException:
            return None
        international = source.country_code_source in _INTERNATIONAL
        if international and not phonenumbers.is_possible_number(number):
            return None
        if not international and not phonenumbers.is_valid_number(number):
            return None  # 0 and digits: only a number the region's plan holds
        national = str(number.national_number)
        return "public" if {_digits(raw), national, "0" + national} & self._public else "private"

    def _addresses(self, text: str, _: list[Hit]) -> list[Hit]:
        return [
            Hit(m.start(), m.end(), "adress")
            for m in self.rules.address.finditer(text)
            if m.group("name").casefold() not in self._places and _written(m.group("name"))
        ]

    def _postcodes(self, text: str, found: list[Hit]) -> list[Hit]:
        hits = []
        address_ends = {hit.end for hit in found if hit.type == "adress"}
        for match in self.rules.postcode.finditer(text):
            before = text[: match.start()]
            after = text[match.end() :]
            place = re.match(r"\s+([A-ZÅÄÖÉ][^\W\d_]+)", after)
            after_address = any(
                end <= match.start() and re.fullmatch(r"[\s,]*", text[end : match.start()])
                for end in address_ends
            )
            if (
                self.rules.postcode_keyword.search(before)
                or after_address
                or (place and place.group(1).casefold() not in self.rules.not_places)
            ):
                hits.append(Hit(match.start(), match.end(), "postnummer"))
        return hits
