"""`make eval` (safety part): per language, on the held-out risk split (tests/risk/<code>.yml,
never trained on) and on the blind split (tests/risk_blind/<code>.yml, written without sight of
the corpus or the code): danger recall (answer opens with 112), false alarms on hard negatives,
whether suicidal messages are told of the suicide line, and false alarms on the ordinary
held-out NLU questions (tests/nlu/<code>.yml, intents that describe no danger).

Usage: python scripts/eval_safety.py [--min-recall 0.98] [--max-false-alarms 0.10]
       [--min-suicide-line 1.0] [--blind-min-recall R] [--blind-max-false-alarms F]
       (exit 1 when a language misses a floor of a split)
       python scripts/eval_safety.py --calibrate [--folds 5]
`--calibrate` chooses thresholds without looking at the held-out split: k-fold cross-validation
on the training split (patterns included), recall and false alarms per threshold.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.config import Settings  # noqa: E402
from bot.conversation.language import LanguageDetector  # noqa: E402
from bot.conversation.safety import SafetyLayer  # noqa: E402
from bot.conversation.safety.assess import decisive  # noqa: E402
from bot.conversation.safety.concepts import ConceptLexicon  # noqa: E402
from bot.conversation.safety.corpus import load_split, nlu_examples  # noqa: E402
from bot.conversation.safety.evaluate import Figures, evaluate  # noqa: E402
from bot.conversation.safety.features import features  # noqa: E402
from bot.conversation.safety.kinds import KINDS, NONE  # noqa: E402
from bot.conversation.safety.model import fit_risk, training_examples, vocabulary_of  # noqa: E402
from bot.conversation.safety.patterns import PatternNet  # noqa: E402
from bot.conversation.safety.policy import Policy  # noqa: E402
from bot.languages import load_codes  # noqa: E402
from registry import load_registry  # noqa: E402
from registry.names import place_names  # noqa: E402

# Held-out NLU intents that may describe danger are not "ordinary".
NOT_ORDINARY = {"immediate_danger", "threats_violence", "taken_abroad"}


def table(figures: list[Figures]) -> str:
    """A Markdown table, one row per language."""
    lines = [
        "| language | danger | recall | asked | suicide line | hard negatives | false alarms "
        "| ordinary questions | alarms | own language |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        lines.append(
            f"| {f.language} | {f.danger} | {f.recall:.3f} | {f.alarmed - f.sure} "
            f"| {f.suicide_line}/{f.suicidal} | {f.safe} | {f.false_alarm_rate:.3f} "
            f"| {f.ordinary} | {f.ordinary_alarm_rate:.3f} | {f.language_rate:.3f} |"
        )
    return "\n".join(lines)


def calibrate(settings: Settings, codes: list[str], folds: int) -> None:
    """Cross-validated scores of the training split's corpus messages (the NLU negatives are
    always trained on), and recall / false alarms per language at each threshold."""
    policy = Policy.load(settings.safety_policy_file)
    patterns = PatternNet.load(settings.danger_dir, codes)
    lexicon = ConceptLexicon.load(
        settings.safety_concepts_file, settings.safety_concepts_dir, codes
    )
    risk, _ = training_examples(
        settings.risk_corpus_dir, settings.nlu_data_dir, codes, policy, lexicon
    )
    corpus = [i for i, e in enumerate(risk) if not e.from_nlu]
    # Per language: (P(danger), the message's label, P(kind) per kind) of each held-out message.
    scored: dict[str, list[tuple[float, str, dict[str, float]]]] = {code: [] for code in codes}
    for fold in range(folds):
        held = set(corpus[fold::folds])
        learn = [e for i, e in enumerate(risk) if i not in held]
        vocabulary, rows = vocabulary_of([e.text for e in learn], lexicon)
        model = fit_risk(rows, learn, len(vocabulary), policy.alpha)
        none = model.classes.index("none")
        for i in held:
            example = risk[i]
            found = features(example.text, lexicon)
            indices = [vocabulary[f] for f in found if f in vocabulary]
            hits = decisive(patterns.match(example.text), example.text, lexicon, policy)
            probabilities = model.probabilities(indices)
            score = 1.0 if hits else float(1 - probabilities[none])
            by_kind = {kind: float(probabilities[model.classes.index(kind)]) for kind in KINDS}
            scored[example.language].append((score, example.label, by_kind))
        print(f"fold {fold + 1}/{folds} done", flush=True)
    thresholds = [round(0.2 + 0.05 * i, 2) for i in range(14)]
    print("threshold  " + "  ".join(f"{code:>11}" for code in codes) + "   (recall/false alarms)")
    for threshold in thresholds:
        cells = []
        for code in codes:
            danger = [s for s, label, _ in scored[code] if label != NONE]
            safe = [s for s, label, _ in scored[code] if label == NONE]
            recall = sum(s >= threshold for s in danger) / max(len(danger), 1)
            false = sum(s >= threshold for s in safe) / max(len(safe), 1)
            cells.append(f"{recall:.2f}/{false:.2f}")
        print(f"{threshold:>9}  " + "  ".join(f"{c:>11}" for c in cells))
    # A kind asked about at its own lower threshold (the policy's `kind_unsure`): that kind's
    # recall and the false alarms of all harmless messages, at the policy's unsure_threshold.
    general = policy.unsure_threshold
    for kind in KINDS:
        print(
            f"\n{kind} at its own threshold (and P(danger) >= {general}): "
            "recall of its messages / false alarms"
        )
        for threshold in [round(0.05 + 0.025 * i, 3) for i in range(9)]:
            cells = []
            for code in codes:
                alarmed = [
                    (label, score >= general or by_kind[kind] >= threshold)
                    for score, label, by_kind in scored[code]
                ]
                own = [alarm for label, alarm in alarmed if label == kind]
                safe = [alarm for label, alarm in alarmed if label == NONE]
                cells.append(
                    f"{sum(own) / max(len(own), 1):.2f}/{sum(safe) / max(len(safe), 1):.2f}"
                )
            print(f"{threshold:>9}  " + "  ".join(f"{c:>11}" for c in cells))


def main() -> int:
    """Print the table; exit 1 under a floor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-out", type=Path, default=REPO_ROOT / "tests/risk")
    parser.add_argument("--blind", type=Path, default=REPO_ROOT / "tests/risk_blind")
    parser.add_argument("--nlu-tests", type=Path, default=REPO_ROOT / "tests/nlu")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results/eval-safety")
    parser.add_argument("--min-recall", type=float, default=0.0)
    parser.add_argument("--max-false-alarms", type=float, default=1.0)
    parser.add_argument("--min-suicide-line", type=float, default=0.0)
    parser.add_argument("--blind-min-recall", type=float, default=0.0)
    parser.add_argument("--blind-max-false-alarms", type=float, default=1.0)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()

    settings = Settings()
    codes = load_codes(settings.languages_file)
    if args.calibrate:
        calibrate(settings, codes, args.folds)
        return 0
    layer = SafetyLayer.from_settings(settings, codes)
    detector = LanguageDetector.load(
        settings.language_markers_dir,
        codes,
        place_names(load_registry(settings.data_dir)),
        layer.model.language_scores,
    )
    default = settings.default_lang or codes[0]

    def language_of(text: str, hint: str | None) -> str:
        # The first message of a new session: the default language, not yet settled.
        return detector.detect(text, default, False, hint)

    ordinary = {}
    for code in codes:
        by_intent = nlu_examples(args.nlu_tests / f"{code}.yml")
        ordinary[code] = [t for i, ts in by_intent.items() if i not in NOT_ORDINARY for t in ts]
    splits = {
        "held-out": (args.held_out, args.min_recall, args.max_false_alarms),
        "blind": (args.blind, args.blind_min_recall, args.blind_max_false_alarms),
    }
    report: dict[str, list[dict[str, object]]] = {}
    failed: list[str] = []
    for name, (folder, min_recall, max_false_alarms) in splits.items():
        corpus = load_split(folder, codes)
        figures = [evaluate(layer, corpus[c], ordinary[c], language_of) for c in codes]
        print(
            f"Safety layer on the {name} risk split (recall: the answer opens with 112; asked: "
            'of those, by the question "Are you in danger right now?"; suicide line: suicidal '
            "messages whose answer names 90101; alarms: ordinary held-out NLU questions "
            "answered with 112 first; own language: messages answered in their language as a "
            "new session's first message)"
        )
        print(table(figures))
        report[name] = [asdict(f) for f in figures]
        below = [
            f.language
            for f in figures
            if f.recall < min_recall
            or f.false_alarm_rate > max_false_alarms
            or f.suicide_line_rate < args.min_suicide_line
        ]
        if below:
            print(
                f"{name}: below the floors (recall {min_recall}, false alarms "
                f"{max_false_alarms}, suicide line {args.min_suicide_line}): {below}"
            )
            failed += below
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "figures.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
