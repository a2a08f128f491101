"""`make compare-models`: one multilingual NLU model or one per language, measured.

Trains one NLU model per listed language (its nlu/data/nlu_<code>.yml plus the files that
belong to no single language, same config.yml), scores each on its language's
held-out split with scripts/eval.py, scores the multilingual model (models/current.tar.gz) on
the same splits, and prints both side by side. Slow: one training per language.

Usage: python scripts/compare_models.py [--languages sv en]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.config import Settings  # noqa: E402
from bot.languages import load_codes  # noqa: E402

RASA = REPO_ROOT / ".venv-rasa/bin/rasa"
OUT = REPO_ROOT / "results/compare"


def evaluate(model: Path, codes: list[str], out: Path) -> dict[str, dict]:
    """scripts/eval.py on `codes` with `model`; its rows by language."""
    command = [sys.executable, str(REPO_ROOT / "scripts/eval.py"), "--model", str(model)]
    command += ["--out", str(out), "--languages", *codes]
    subprocess.run(command, check=True, cwd=REPO_ROOT)
    rows = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {row["language"]: row for row in rows}


def train_one(code: str, codes: list[str]) -> tuple[Path, float]:
    """An NLU-only model on one language's file plus the files of no single language
    (municipalities, lookup, mixed files); returns its path and training seconds."""
    data = REPO_ROOT / "build/compare" / code
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    others = {f"nlu_{other}.yml" for other in codes if other != code}
    for path in sorted((REPO_ROOT / "nlu/data").glob("*.yml")):
        if path.name not in others:
            shutil.copy(path, data / path.name)
    started = time.monotonic()
    command = [str(RASA), "train", "nlu", "--config", "config.yml", "--nlu", str(data)]
    command += ["--out", "models/compare", "--fixed-model-name", f"nlu-{code}", "--quiet"]
    subprocess.run(command, check=True, cwd=REPO_ROOT)
    return REPO_ROOT / f"models/compare/nlu-{code}.tar.gz", time.monotonic() - started


def main() -> int:
    """Train, score and print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", nargs="*")
    args = parser.parse_args()
    codes = args.languages or load_codes(Settings().languages_file)
    joint = evaluate(REPO_ROOT / "models/current.tar.gz", codes, OUT / "multilingual")
    single: dict[str, dict] = {}
    seconds: dict[str, float] = {}
    for code in codes:
        model, seconds[code] = train_one(code, load_codes(Settings().languages_file))
        single[code] = evaluate(model, [code], OUT / f"nlu-{code}")[code]
    print("\n| language | multilingual acc | multilingual F1 | own model acc | own model F1 |"
          " own model training s |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for code in codes:
        a, b = joint[code], single[code]
        print(
            f"| {code} | {a['intent_accuracy']:.3f} | {a['intent_macro_f1']:.3f} | "
            f"{b['intent_accuracy']:.3f} | {b['intent_macro_f1']:.3f} | {seconds[code]:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
