"""The gateway's fixed texts per language (bot/texts/<code>.yml): widget labels and safe replies.

Only the languages in nlu/languages.yml are loaded, and each must have a complete file: the same
widget labels and replies as the default language, and 112 in both safe replies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.languages import REVIEW_STATES, LanguageDataError, read_yaml

REQUIRED_REPLIES = ("danger", "safe_fallback")
EMERGENCY_NUMBER = "112"
Direction = Literal["ltr", "rtl"]
DIRECTIONS = ("ltr", "rtl")
# Where a first sentence ends: . ! ? and the Arabic and Ethiopic marks, before a space or the end
# (so "mind.se" and "020-50 50 50" stay inside it).
_SENTENCE_END = re.compile(r"[.!?؟።](?=\s|$)")


def first_sentence(text: str) -> str:
    """The text up to and with its first sentence end."""
    end = _SENTENCE_END.search(text)
    return text[: end.end()] if end else text


@dataclass(frozen=True)
class Language:
    """A language the widget offers."""

    code: str
    name: str
    dir: Direction
    review: str
    widget: dict[str, str]
    replies: dict[str, str]
    # Telegram's own texts (welcome, privacy, commands); a missing one falls back to default.
    telegram: dict[str, str] = field(default_factory=dict)


def _strings(raw: dict[str, Any], key: str, path: Path) -> dict[str, str]:
    value = raw.get(key)
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
    ):
        raise LanguageDataError(f"{path}: `{key}` must map names to non-empty texts")
    return value


def load_language(path: Path, code: str) -> Language:
    """Read and check one `bot/texts/<code>.yml`."""
    raw = read_yaml(path)
    if not isinstance(raw, dict) or raw.get("code") != code:
        raise LanguageDataError(f"{path}: `code` must be {code!r}")
    if not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise LanguageDataError(f"{path}: `name` (the language's own name) is missing")
    if raw.get("dir", "ltr") not in DIRECTIONS:
        raise LanguageDataError(f"{path}: `dir` must be one of {DIRECTIONS}")
    if raw.get("review") not in REVIEW_STATES:
        raise LanguageDataError(f"{path}: `review` must be one of {REVIEW_STATES}")
    replies = _strings(raw, "replies", path)
    for key in REQUIRED_REPLIES:
        if EMERGENCY_NUMBER not in replies.get(key, ""):
            raise LanguageDataError(f"{path}: reply `{key}` must exist and contain 112")
    return Language(
        code=code,
        name=raw["name"].strip(),
        dir="rtl" if raw.get("dir") == "rtl" else "ltr",
        review=raw["review"],
        widget=_strings(raw, "widget", path),
        replies=replies,
        telegram=_strings(raw, "telegram", path) if "telegram" in raw else {},
    )


class Texts:
    """The listed languages' texts, loaded once at start-up, default language first."""

    def __init__(self, languages: dict[str, Language], default: str) -> None:
        if default not in languages:
            raise LanguageDataError(f"default language {default!r} is not in the list")
        reference = languages[default]
        for language in languages.values():
            for part in ("widget", "replies"):
                want, have = set(getattr(reference, part)), set(getattr(language, part))
                if want != have:
                    raise LanguageDataError(
                        f"bot/texts/{language.code}.yml: `{part}` differs from {default}.yml: "
                        f"missing {sorted(want - have)}, extra {sorted(have - want)}"
                    )
        # The default language first: the widget's picker lists them in this order.
        self.languages = dict(sorted(languages.items(), key=lambda item: item[0] != default))
        self.default = default

    @classmethod
    def load(cls, texts_dir: Path, codes: list[str], default: str = "") -> Texts:
        """One `<code>.yml` per listed code (the first is the default unless `default` is set);
        a listed language without a complete file stops the start."""
        languages = {code: load_language(texts_dir / f"{code}.yml", code) for code in codes}
        return cls(languages, default or codes[0])

    def require_replies(self, opening_numbers: dict[str, tuple[str, ...]]) -> None:
        """Every language has these replies, each naming its numbers in the first sentence."""
        for language in self.languages.values():
            for key, numbers in opening_numbers.items():
                opening = first_sentence(language.replies.get(key, ""))
                missing = [n for n in numbers if n not in opening]
                if missing:
                    raise LanguageDataError(
                        f"bot/texts/{language.code}.yml: reply `{key}` must exist and name "
                        f"{', '.join(missing)} in its first sentence"
                    )

    def require_number(self, keys: frozenset[str], number: str) -> None:
        """Every language's replies `keys` name `number` (anywhere in the reply)."""
        for language in self.languages.values():
            for key in sorted(keys):
                if number not in language.replies.get(key, ""):
                    raise LanguageDataError(
                        f"bot/texts/{language.code}.yml: reply `{key}` must name {number}"
                    )

    def supports(self, code: str | None) -> bool:
        """Whether `code` is one of our languages."""
        return code in self.languages

    def reply(self, key: str, lang: str | None) -> str:
        """A fixed reply in `lang`, or in the default language when `lang` is unknown."""
        language = self.languages.get(lang or "") or self.languages[self.default]
        return language.replies.get(key) or self.languages[self.default].replies[key]

    def widget_text(self, key: str, lang: str) -> str:
        """A widget label or handoff notice in `lang` (default language when it lacks it)."""
        language = self.languages.get(lang) or self.languages[self.default]
        return language.widget.get(key) or self.languages[self.default].widget.get(key, "")

    def telegram_text(self, key: str, lang: str) -> str:
        """A Telegram text in `lang` (default language when it lacks it)."""
        language = self.languages.get(lang) or self.languages[self.default]
        return language.telegram.get(key) or self.languages[self.default].telegram[key]

    def safe_replies_all(self) -> list[dict[str, str]]:
        """The safe fallback in every language, for errors before the language is known."""
        return [
            {"text": lang.replies["safe_fallback"], "lang": code}
            for code, lang in self.languages.items()
        ]
