"""Join nlu/domain.yml and the per-language response files into the domain Rasa trains on.

Why a build step: Rasa merges domain files key by key, so one response cannot be split across
files. Keeping each language in its own file (nlu/responses/<code>.yml) lets a translator work on
one file, makes "adding a language" a data change, and lets this script check that every language
has every response with the same {placeholders} and buttons before Rasa ever sees them.

Usage: python scripts/build_domain.py [--nlu-dir nlu] [--out build/domain.yml]
Exit status 1 with a list of problems when the files disagree.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
REVIEW_STATES = ("draft", "reviewed")
VARIATION_KEYS = {"text", "buttons"}
BUTTON_KEYS = {"title", "payload"}


def load_yaml(path: Path) -> Any:
    """Parse one YAML file."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def language_codes(nlu_dir: Path) -> list[str]:
    """The ordered list in nlu/languages.yml; the first is the default."""
    codes = load_yaml(nlu_dir / "languages.yml")["languages"]
    if not codes or len(set(codes)) != len(codes):
        raise SystemExit("nlu/languages.yml: the list is empty or has duplicates")
    return codes


def check_language(
    code: str, raw: dict[str, Any], reference: dict[str, list[dict[str, Any]]] | None
) -> list[str]:
    """Problems in one language's response file, compared with the default language's."""
    where = f"nlu/responses/{code}.yml"
    problems: list[str] = []
    if raw.get("language") != code:
        problems.append(f"{where}: `language` must be {code!r}")
    if raw.get("review") not in REVIEW_STATES:
        problems.append(f"{where}: `review` must be one of {REVIEW_STATES}")
    responses = raw.get("responses") or {}
    for name, variations in responses.items():
        if not name.startswith("utter_") or not isinstance(variations, list) or not variations:
            problems.append(f"{where}: {name}: must be utter_* with a list of variations")
            continue
        for variation in variations:
            if set(variation) - VARIATION_KEYS or not str(variation.get("text", "")).strip():
                problems.append(f"{where}: {name}: only `text` (non-empty) and `buttons` allowed")
            for button in variation.get("buttons") or []:
                if set(button) != BUTTON_KEYS or not str(button["payload"]).startswith("/"):
                    problems.append(f"{where}: {name}: a button needs title and /payload")
    if reference is None:
        return problems
    missing = sorted(set(reference) - set(responses))
    extra = sorted(set(responses) - set(reference))
    if missing:
        problems.append(f"{where}: missing responses {missing}")
    if extra:
        problems.append(f"{where}: responses the default language lacks {extra}")
    for name in sorted(set(reference) & set(responses)):
        want, have = reference[name][0], responses[name][0]
        if set(PLACEHOLDER.findall(want["text"])) != set(PLACEHOLDER.findall(have["text"])):
            problems.append(f"{where}: {name}: placeholders differ from the default language")
        want_payloads = [b["payload"] for b in want.get("buttons") or []]
        have_payloads = [b["payload"] for b in have.get("buttons") or []]
        if want_payloads != have_payloads:
            problems.append(f"{where}: {name}: button payloads differ from the default language")
    return problems


REVIEW_COMMENT = re.compile(r"^#\s*review:\s*(\w+)", re.MULTILINE)


def training_review(path: Path) -> str | None:
    """The `# review: <state>` comment in a training or test data file's first lines (Rasa
    refuses unknown keys, so the status is a comment there)."""
    head = "\n".join(path.read_text(encoding="utf-8").splitlines()[:8])
    match = REVIEW_COMMENT.search(head)
    return match.group(1) if match else None


def check_training_data(nlu_dir: Path, code: str, intents: list[str]) -> list[str]:
    """Problems in nlu/data/nlu_<code>.yml: missing, no review comment, an intent without
    examples in that language."""
    path = nlu_dir / "data" / f"nlu_{code}.yml"
    where = f"nlu/data/nlu_{code}.yml"
    if not path.exists():
        return [f"{where}: missing"]
    problems = []
    if training_review(path) not in REVIEW_STATES:
        problems.append(f"{where}: needs a `# review: draft` (or reviewed) comment at the top")
    covered = {
        item["intent"]
        for item in (load_yaml(path) or {}).get("nlu") or []
        if "intent" in item and str(item.get("examples", "")).strip()
    }
    if missing := [intent for intent in intents if intent not in covered]:
        problems.append(f"{where}: no examples for intents {missing}")
    return problems


def build(nlu_dir: Path) -> tuple[dict[str, Any], list[str]]:
    """The full domain and the list of problems found (empty when all is well)."""
    domain = load_yaml(nlu_dir / "domain.yml")
    if "responses" in domain:
        return domain, ["nlu/domain.yml: responses belong in nlu/responses/<code>.yml"]
    codes = language_codes(nlu_dir)
    problems: list[str] = []
    per_language: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for code in codes:
        path = nlu_dir / "responses" / f"{code}.yml"
        if not path.exists():
            problems.append(f"{path.relative_to(nlu_dir.parent)}: missing")
            continue
        raw = load_yaml(path) or {}
        reference = per_language.get(codes[0])
        problems += check_language(code, raw, reference)
        problems += check_training_data(nlu_dir, code, domain.get("intents") or [])
        per_language[code] = raw.get("responses") or {}
    default = per_language.get(codes[0], {})
    responses: dict[str, list[dict[str, Any]]] = {}
    for name, default_variations in default.items():
        variations: list[dict[str, Any]] = []
        for code in codes:
            for variation in per_language.get(code, {}).get(name, []):
                condition = [{"type": "slot", "name": "language", "value": code}]
                variations.append({"condition": condition, **variation})
        variations += [dict(variation) for variation in default_variations]
        responses[name] = variations
    domain["responses"] = responses
    return domain, problems


def main() -> None:
    """Write the joined domain, or list the problems and exit 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nlu-dir", type=Path, default=REPO_ROOT / "nlu")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "domain.yml")
    args = parser.parse_args()
    domain, problems = build(args.nlu_dir)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise SystemExit(1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    header = "# Generated by scripts/build_domain.py from nlu/: do not edit.\n"
    body = yaml.safe_dump(domain, allow_unicode=True, sort_keys=False, width=1000)
    args.out.write_text(header + body, encoding="utf-8")


if __name__ == "__main__":
    main()
