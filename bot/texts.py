"""The gateway's fixed texts per language (bot/texts/<code>.yml): widget labels and safe replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

REQUIRED_REPLIES = ("danger", "safe_fallback")


@dataclass(frozen=True)
class Language:
    """A language the widget offers."""

    code: str
    name: str
    dir: str
    review: str
    widget: dict[str, str]
    replies: dict[str, str]
    # Telegram's own texts (welcome, privacy, commands); a missing one falls back to default.
    telegram: dict[str, str] = field(default_factory=dict)


class Texts:
    """All languages' texts, loaded once at start-up; adding a language is adding a file."""

    def __init__(self, languages: dict[str, Language], default: str) -> None:
        if default not in languages:
            raise ValueError(f"default language {default!r} has no texts file")
        # The default language first: the widget's picker lists them in this order.
        self.languages = dict(sorted(languages.items(), key=lambda item: item[0] != default))
        self.default = default

    @classmethod
    def load(cls, texts_dir: Path, default: str) -> Texts:
        """Read every `<code>.yml` in `texts_dir` and check each has the required replies."""
        languages: dict[str, Language] = {}
        for path in sorted(texts_dir.glob("*.yml")):
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            missing = [key for key in REQUIRED_REPLIES if not raw.get("replies", {}).get(key)]
            if missing or raw.get("code") != path.stem:
                raise ValueError(f"{path.name}: bad code or missing replies {missing}")
            languages[path.stem] = Language(
                code=raw["code"],
                name=raw["name"],
                dir=raw.get("dir", "ltr"),
                review=raw.get("review", "draft"),
                widget=raw.get("widget", {}),
                replies=raw["replies"],
                telegram=raw.get("telegram", {}),
            )
        return cls(languages, default)

    def supports(self, code: str | None) -> bool:
        """Whether `code` is one of our languages."""
        return code in self.languages

    def reply(self, key: str, lang: str) -> str:
        """A fixed reply in `lang`, or in the default language when `lang` lacks it."""
        language = self.languages.get(lang) or self.languages[self.default]
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
