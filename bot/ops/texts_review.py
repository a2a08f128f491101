"""`hrv-guide texts status`: each language's review status per file.

Honesty about translation: a text nobody fluent has checked is marked `draft` in its file, and
this lists them, so nobody mistakes a careful draft for a checked translation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.languages import REVIEW_STATES, LanguageDataError, load_codes, read_yaml

MISSING = "missing"
_REVIEW_COMMENT = re.compile(r"^#\s*review:\s*(\w+)", re.MULTILINE)


def _key_status(path: Path) -> str:
    """The `review:` key of a YAML data file."""
    if not path.is_file():
        return MISSING
    try:
        raw = read_yaml(path)
    except (LanguageDataError, ValueError):
        return "unreadable"
    return str(raw.get("review")) if isinstance(raw, dict) else "unreadable"


def _comment_status(path: Path) -> str:
    """The `# review:` comment at the top of a Rasa data file (Rasa refuses unknown keys)."""
    if not path.is_file():
        return MISSING
    head = "\n".join(path.read_text(encoding="utf-8").splitlines()[:8])
    match = _REVIEW_COMMENT.search(head)
    return match.group(1) if match else "no status"


@dataclass(frozen=True)
class Kind:
    """One kind of per-language file and how to read its status."""

    label: str
    path: Callable[[Settings, str], Path]
    status: Callable[[Path], str]


KINDS = (
    Kind("responses", lambda s, c: s.languages_file.parent / "responses" / f"{c}.yml", _key_status),
    Kind("widget texts", lambda s, c: s.texts_dir / f"{c}.yml", _key_status),
    Kind(
        "training data",
        lambda s, c: s.languages_file.parent / "data" / f"nlu_{c}.yml",
        _comment_status,
    ),
    Kind("danger patterns", lambda s, c: s.danger_dir / f"{c}.yml", _key_status),
    Kind("risk corpus", lambda s, c: s.risk_corpus_dir / f"{c}.yml", _key_status),
    Kind("language markers", lambda s, c: s.language_markers_dir / f"{c}.yml", _key_status),
    Kind("concept words", lambda s, c: s.safety_concepts_dir / f"{c}.yml", _key_status),
)


def statuses(settings: Settings) -> dict[str, dict[str, str]]:
    """language -> file kind -> status, for the listed languages and then any language that
    has files but is not listed yet."""
    codes = load_codes(settings.languages_file)
    unlisted = sorted({p.stem for p in settings.texts_dir.glob("*.yml")} - set(codes))
    return {
        code: {kind.label: kind.status(kind.path(settings, code)) for kind in KINDS}
        for code in [*codes, *unlisted]
    }


def report(settings: Settings) -> tuple[str, bool]:
    """The printed table and the list of drafts; False when a listed language has a file
    missing or without a known status."""
    table = statuses(settings)
    listed = set(load_codes(settings.languages_file))
    labels = [kind.label for kind in KINDS]
    widths = [max(len("language"), *(len(c) + 13 for c in table))] + [len(x) for x in labels]
    widths = [max(w, len(MISSING)) for w in widths]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(["language", *labels], widths, strict=True)).rstrip()
    ]
    ok = True
    drafts = []
    for code, row in table.items():
        name = code if code in listed else f"{code} (not listed)"
        cells = [row[label] for label in labels]
        cells_line = "  ".join(c.ljust(w) for c, w in zip([name, *cells], widths, strict=True))
        lines.append(cells_line.rstrip())
        if code in listed and any(cell not in REVIEW_STATES for cell in cells):
            ok = False
        if draft := [label for label in labels if row[label] == "draft"]:
            drafts.append(f"  {name}: {', '.join(draft)}")
    lines.append("")
    if drafts:
        lines.append("Draft, not yet checked by a native speaker:")
        lines += drafts
    else:
        lines.append("Every file has been checked by a native speaker.")
    return "\n".join(lines), ok
