"""`make eval`: per language, intent accuracy and macro-F1 of the trained model on the held-out
test messages (tests/nlu/<code>.yml, never trained on), and the language detector's accuracy on
the same messages.

Runs in the gateway's venv (the detector lives there) and calls `rasa test nlu` from the Rasa
venv once over all languages' messages, then splits its per-message predictions by language.
Each message is spelt as the gateway would pass it to Rasa (`LanguageDetector.for_nlu`).
Detection is scored on each message alone, as the first message of a new session
(`LanguageDetector.guess`): no stickiness helps it.

Usage: python scripts/eval.py [--model models/current.tar.gz] [--per-intent N]
       [--min-f1 0.9 --min-detection 0.95]   (exit 1 when a language is below)
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.config import Settings  # noqa: E402
from bot.conversation.language import LanguageDetector  # noqa: E402
from bot.conversation.safety import SafetyLayer  # noqa: E402
from bot.languages import load_codes  # noqa: E402
from registry import load_registry  # noqa: E402
from registry.names import place_names  # noqa: E402

ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
BAR_F1 = 0.90
BAR_DETECTION = 0.95


@dataclass(frozen=True)
class Example:
    """One held-out message: its intent, the line as annotated, and the plain text."""

    intent: str
    annotated: str
    text: str


def read_examples(path: Path) -> list[Example]:
    """The intent examples of a Rasa NLU file (entity annotations removed for `text`)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples = []
    for item in raw.get("nlu") or []:
        if "intent" not in item:
            continue
        for line in str(item.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- ") and line[2:].strip():
                annotated = line[2:].strip()
                examples.append(
                    Example(item["intent"], annotated, ANNOTATION.sub(r"\1", annotated))
                )
    return examples


def first_per_intent(examples: list[Example], limit: int | None) -> list[Example]:
    """At most `limit` examples per intent, in file order (all when `limit` is None)."""
    if limit is None:
        return examples
    seen: dict[str, int] = defaultdict(int)
    kept = []
    for example in examples:
        if seen[example.intent] < limit:
            seen[example.intent] += 1
            kept.append(example)
    return kept


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    """Unweighted mean F1 over every label in truth or prediction (sklearn's macro avg, which
    `rasa test nlu` reports); a label never predicted, or predicted but absent, scores 0."""
    labels = sorted(set(truth) | set(predicted))
    scores = []
    for label in labels:
        tp = sum(t == label and p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != label and p == label for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label and p != label for t, p in zip(truth, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def write_rasa_test_file(path: Path, examples: list[Example]) -> None:
    """One Rasa NLU file with every language's examples, grouped by intent."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for example in examples:
        by_intent[example.intent].append(example.annotated)
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in by_intent.items():
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in texts]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_rasa_test(rasa: Path, model: Path, test_file: Path, out: Path) -> dict[str, str]:
    """`rasa test nlu` on `test_file`; returns the predicted intent of every message text."""
    command = [
        str(rasa), "test", "nlu", "--model", str(model), "--nlu", str(test_file),
        "--out", str(out), "--successes", "--no-plot", "--quiet",
    ]  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    log = out / "rasa.log"
    with log.open("w", encoding="utf-8") as sink:
        done = subprocess.run(command, cwd=REPO_ROOT, stdout=sink, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        print(log.read_text(encoding="utf-8")[-3000:], file=sys.stderr)
        raise SystemExit(f"rasa test nlu failed (exit {done.returncode}); log: {log}")
    predictions: dict[str, str] = {}
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        if path.exists():
            for item in json.loads(path.read_text(encoding="utf-8")):
                predictions[item["text"]] = (item.get("intent_prediction") or {}).get("name") or ""
    return predictions


def main() -> int:
    """Score every listed language; print the table; exit 1 below the given minimums."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO_ROOT / "models/current.tar.gz")
    parser.add_argument("--rasa", type=Path, default=REPO_ROOT / ".venv-rasa/bin/rasa")
    parser.add_argument("--tests-dir", type=Path, default=REPO_ROOT / "tests/nlu")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results/eval")
    parser.add_argument("--languages", nargs="*", help="default: every language in the list")
    parser.add_argument("--per-intent", type=int, help="only the first N messages per intent")
    parser.add_argument("--min-f1", type=float, default=0.0)
    parser.add_argument("--min-detection", type=float, default=0.0)
    args = parser.parse_args()

    settings = Settings()
    codes = load_codes(settings.languages_file)
    # The gateway's detector: markers and the safety layer's language model.
    detector = LanguageDetector.load(
        settings.language_markers_dir,
        codes,
        place_names(load_registry(settings.data_dir)),
        SafetyLayer.from_settings(settings, codes).model.language_scores,
    )
    chosen = args.languages or codes
    examples = {
        code: first_per_intent(read_examples(args.tests_dir / f"{code}.yml"), args.per_intent)
        for code in chosen
    }
    # The NLU sees what the gateway sends it: the language's spelling of the message.
    as_sent = {
        code: [
            Example(e.intent, detector.for_nlu(e.annotated, code), detector.for_nlu(e.text, code))
            for e in items
        ]
        for code, items in examples.items()
    }
    test_file = args.out / "test_nlu.yml"
    write_rasa_test_file(test_file, [e for items in as_sent.values() for e in items])
    predictions = run_rasa_test(args.rasa, args.model, test_file, args.out / "rasa")

    rows = []
    for code in chosen:
        truth = [e.intent for e in as_sent[code]]
        predicted = [predictions.get(e.text, "") for e in as_sent[code]]
        missing = sum(not p for p in predicted)
        if missing:
            print(f"{code}: {missing} messages have no prediction from rasa", file=sys.stderr)
        guesses = [detector.guess(e.text) for e in examples[code]]
        detected = sum(g is not None and g.language == code for g in guesses)
        n = len(truth)
        rows.append(
            {
                "language": code,
                "messages": n,
                "intent_accuracy": sum(t == p for t, p in zip(truth, predicted, strict=True)) / n,
                "intent_macro_f1": macro_f1(truth, predicted),
                "detection_accuracy": detected / n,
                "detected_as": dict(
                    sorted(Counter(g.language if g else "none" for g in guesses).items())
                ),
            }
        )
    (args.out / "summary.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")

    print("\n| language | messages | intent accuracy | intent macro-F1 | detection accuracy |")
    print("|---|---|---|---|---|")
    below = []
    for row in rows:
        flag = ""
        if row["intent_macro_f1"] < BAR_F1 or row["detection_accuracy"] < BAR_DETECTION:
            flag = " (below the bar)"
        print(
            f"| {row['language']} | {row['messages']} | {row['intent_accuracy']:.3f} | "
            f"{row['intent_macro_f1']:.3f} | {row['detection_accuracy']:.3f}{flag} |"
        )
        if row["intent_macro_f1"] < args.min_f1 or row["detection_accuracy"] < args.min_detection:
            below.append(row["language"])
    print(f"\nbar: macro-F1 >= {BAR_F1}, detection >= {BAR_DETECTION}; details: {args.out}")
    if below:
        print(f"below the minimums given: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
