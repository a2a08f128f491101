"""The rules of redaction (bot/data/redaction/rules.yml): their schema, checked when loaded, and
the compiled patterns the finders use (bot/conversation/redaction.py).

The schema is a pydantic model: an unknown or missing key, an empty list, a regular expression
that does not compile, a placeholder with digits or for an unknown type, an unknown phone
region: each stops the gateway with the file's name, before any message is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import phonenumbers
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

RULES_FILE = Path(__file__).resolve().parents[1] / "data" / "redaction" / "rules.yml"
TYPES = ("personnummer", "samordningsnummer", "telefonnummer", "e-post", "adress", "postnummer")


class RedactionRulesError(ValueError):
    """The rules file is missing or does not follow its schema."""


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"not a regular expression: {error}") from error
    return pattern


Regex = Annotated[str, Field(min_length=1), AfterValidator(_compiles)]
Words = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _region(code: str) -> str:
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{code!r} is not a region code")
    return code


class PhoneSchema(_Strict):
    """Phone numbers: the region's metadata, how a number starts, the public lines left as is."""

    region: Annotated[str, AfterValidator(_region)]
    prefixes: Words
    public_numbers: Words


class AddressSchema(_Strict):
    """Street addresses: the endings of street names, and what a house number looks like."""

    suffixes: Words
    capitalised_suffixes: Words
    street_words: Words
    house_number: Regex


class PostcodeSchema(_Strict):
    """Postcodes: the number, the words that announce one, words that are no place."""

    number: Regex
    keywords: Words
    not_places: Words


def _placeholders(value: dict[str, str]) -> dict[str, str]:
    if set(value) != set(TYPES):
        raise ValueError(f"needs exactly {list(TYPES)}")
    if any(re.search(r"\d", placeholder) for placeholder in value.values()):
        raise ValueError("a placeholder must be a text without digits")
    return value


class RulesSchema(_Strict):
    """rules.yml as written."""

    placeholders: Annotated[dict[str, str], AfterValidator(_placeholders)]
    identity_number: Regex
    phone: PhoneSchema
    email: Regex
    address: AddressSchema
    postcode: PostcodeSchema


def _alternation(words: Iterable[str]) -> str:
    """Longest first, so `gatan` wins over `gata`."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@dataclass(frozen=True)
class RedactionRules:
    """The checked rules, compiled for the finders."""

    placeholders: dict[str, str]
    identity_number: re.Pattern[str]
    phone_region: str
    phone_prefixes: tuple[str, ...]
    public_numbers: frozenset[str]
    email: re.Pattern[str]
    address: re.Pattern[str]
    postcode: re.Pattern[str]
    postcode_keyword: re.Pattern[str]
    not_places: frozenset[str]

    @classmethod
    def load(cls, path: Path = RULES_FILE) -> RedactionRules:
        """Read and check the rules; any problem is a RedactionRulesError naming the file."""
        if not path.is_file():
            raise RedactionRulesError(f"{path}: missing")
        try:
            rules = RulesSchema.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (ValidationError, yaml.YAMLError) as error:
            raise RedactionRulesError(f"{path}: {error}") from error
        return cls.compile(rules)

    @classmethod
    def compile(cls, rules: RulesSchema) -> RedactionRules:
        """The patterns the finders use."""
        address = rules.address
        letter = r"[^\W\d_]"
        street = (
            rf"\b(?P<name>{letter}{{2,60}}(?i:{_alternation(address.suffixes)})"  # storgatan
            rf"|[A-ZÅÄÖÉ]{letter}{{1,60}}(?:{_alternation(address.capitalised_suffixes)})"
            rf"|[A-ZÅÄÖÉ]{letter}{{1,60}}\s(?i:{_alternation(address.street_words)}))"
            rf"\s?(?:{address.house_number})(?![^\W_])"
        )
        keywords = _alternation(rules.postcode.keywords)
        return cls(
            placeholders=dict(rules.placeholders),
            identity_number=re.compile(rules.identity_number),
            phone_region=rules.phone.region,
            phone_prefixes=tuple(rules.phone.prefixes),
            # The public lines are written in ASCII in the file: their digits alone.
            public_numbers=frozenset(re.sub(r"\D", "", n) for n in rules.phone.public_numbers),
            email=re.compile(rules.email),
            address=re.compile(street),
            postcode=re.compile(rules.postcode.number),
            postcode_keyword=re.compile(rf"(?i:\b(?:{keywords}))\s*:?\s*$"),
            not_places=frozenset(w.casefold() for w in rules.postcode.not_places),
        )
