"""The staff console's texts per language (bot/texts/console/<code>.yml), as data.

Swedish is the console's default and the reference: every other file has exactly its keys and,
in each text, the same {placeholders}, so no language can miss a text or a number. Checked when
the gateway starts; the console page carries them all (`page_with_texts`), so switching language
needs no request and no text is ever missing while one loads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.languages import REVIEW_STATES, LanguageDataError, read_yaml

DEFAULT = "sv"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Where the page gets the texts: a JSON data block, which a browser never runs as script.
MARKER = "<!-- console texts -->"


@dataclass(frozen=True)
class ConsoleLanguage:
    """One language of the console."""

    code: str
    name: str
    review: str
    texts: dict[str, str]


def _read(path: Path) -> ConsoleLanguage:
    raw = read_yaml(path)
    code = path.stem
    if not isinstance(raw, dict) or raw.get("code") != code:
        raise LanguageDataError(f"{path}: `code` must be {code!r}")
    if not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise LanguageDataError(f"{path}: `name` (the language's own name) is missing")
    if raw.get("review") not in REVIEW_STATES:
        raise LanguageDataError(f"{path}: `review` must be one of {REVIEW_STATES}")
    texts = raw.get("texts")
    if not isinstance(texts, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in texts.items()
    ):
        raise LanguageDataError(f"{path}: `texts` must map names to non-empty texts")
    return ConsoleLanguage(code, raw["name"], raw["review"], texts)


def load_console_texts(directory: Path) -> dict[str, ConsoleLanguage]:
    """Every language of the console, the default first; LanguageDataError on any gap."""
    paths = sorted(directory.glob("*.yml"), key=lambda p: (p.stem != DEFAULT, p.stem))
    if not paths or paths[0].stem != DEFAULT:
        raise LanguageDataError(f"{directory}: `{DEFAULT}.yml` (the console's default) missing")
    languages = {path.stem: _read(path) for path in paths}
    reference = languages[DEFAULT].texts
    for code, language in languages.items():
        if set(language.texts) != set(reference):
            missing = sorted(set(reference) - set(language.texts))
            extra = sorted(set(language.texts) - set(reference))
            raise LanguageDataError(f"console texts {code}: missing {missing}, unknown {extra}")
        for key, text in language.texts.items():
            if set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(reference[key])):
                raise LanguageDataError(f"console texts {code}: `{key}` has other placeholders")
    return languages


def page_with_texts(page: str, languages: dict[str, ConsoleLanguage]) -> str:
    """The console page with every language's texts in its JSON data block."""
    data = {
        "default": DEFAULT,
        "languages": [
            {"code": lang.code, "name": lang.name, "texts": lang.texts}
            for lang in languages.values()
        ],
    }
    # "<" escaped: no text can close the block ("</script>") and become markup.
    encoded = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    block = f'<script id="console-texts" type="application/json">{encoded}</script>'
    if MARKER not in page:
        raise LanguageDataError(f"the console page lacks its texts marker {MARKER!r}")
    return page.replace(MARKER, block)
