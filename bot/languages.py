"""The one list of languages (nlu/languages.yml), read by the gateway and by the domain build.

Adding a language is data: its files (see docs/LANGUAGES.md "Adding a language") and one line
in the list.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REVIEW_STATES = ("draft", "reviewed")
_CODE = re.compile(r"^[a-z]{2,3}$")


class LanguageDataError(ValueError):
    """A language data file is missing or does not follow its schema."""


def load_codes(path: Path) -> list[str]:
    """The ordered language codes; the first is the default. Fails on an empty or bad list."""
    raw = read_yaml(path)
    codes = raw.get("languages") if isinstance(raw, dict) else None
    if not isinstance(codes, list) or not codes:
        raise LanguageDataError(f"{path}: needs a non-empty list `languages`")
    bad = [code for code in codes if not isinstance(code, str) or not _CODE.match(code)]
    if bad or len(set(codes)) != len(codes):
        raise LanguageDataError(f"{path}: codes must be unique ISO 639 codes, got {codes}")
    return codes


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (YAML would keep the last one
    silently, so a text added twice by two people would hide one of them)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise LanguageDataError(f"line {key_node.start_mark.line + 1}: `{key}` twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; a missing file or a key written twice is a LanguageDataError."""
    if not path.is_file():
        raise LanguageDataError(f"{path}: missing")
    try:
        # A SafeLoader subclass: no arbitrary objects, as with yaml.safe_load.
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except LanguageDataError as error:
        raise LanguageDataError(f"{path}: {error}") from error


def read_language_file(path: Path, code: str) -> dict[str, Any]:
    """A per-language mapping whose `language` is `code` and whose `review` is known."""
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise LanguageDataError(f"{path}: must be a mapping")
    if raw.get("language") != code:
        raise LanguageDataError(f"{path}: `language` must be {code!r}")
    if raw.get("review") not in REVIEW_STATES:
        raise LanguageDataError(f"{path}: `review` must be one of {REVIEW_STATES}")
    return raw


def string_list(raw: dict[str, Any], key: str, where: Path, required: bool = True) -> list[str]:
    """raw[key] as a list of non-empty strings (an empty list when optional and absent)."""
    value = raw.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not value:
        raise LanguageDataError(f"{where}: `{key}` must be a non-empty list")
    if not all(isinstance(item, str) and item.strip() for item in value):
        raise LanguageDataError(f"{where}: every item of `{key}` must be a non-empty string")
    return value
