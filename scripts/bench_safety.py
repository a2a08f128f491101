"""`make bench` (safety part): time the safety layer alone on every message of the risk corpus
and the NLU data (all languages, both splits), as the gateway calls it: patterns and model.

Prints p50/p95/p99/max per message in microseconds. CPU only, in this process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.config import Settings  # noqa: E402
from bot.conversation.safety import SafetyLayer  # noqa: E402
from bot.conversation.safety.corpus import load_split, nlu_examples  # noqa: E402
from bot.languages import load_codes  # noqa: E402


def messages(settings: Settings, codes: list[str]) -> list[str]:
    """Every corpus and NLU message of every language."""
    found: list[str] = []
    for split in (settings.risk_corpus_dir, REPO_ROOT / "tests/risk"):
        for corpus in load_split(split, codes).values():
            found += [text for text, _ in corpus.labelled()]
    nlu_files = ((settings.nlu_data_dir, "nlu_{}.yml"), (REPO_ROOT / "tests/nlu", "{}.yml"))
    for folder, pattern in nlu_files:
        for code in codes:
            found += [t for ts in nlu_examples(folder / pattern.format(code)).values() for t in ts]
    return found


def timed(step: Callable[[str], object], texts: list[str], rounds: int) -> list[float]:
    """Microseconds per call of `step`, `rounds` times over `texts`, after a warm-up."""
    for text in texts[:200]:
        step(text)
    timings = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            step(text)
            timings.append((time.perf_counter() - started) * 1e6)
    return sorted(timings)


def report(name: str, count: int, rounds: int, timings: list[float]) -> None:
    """One line: p50, p95, p99 and max in microseconds."""
    q = statistics.quantiles(timings, n=100)
    print(
        f"{name}: {count} texts x {rounds}: p50 {q[49]:.0f} µs, p95 {q[94]:.0f} µs, "
        f"p99 {q[98]:.0f} µs, max {timings[-1]:.0f} µs"
    )


def main() -> None:
    """Warm up, then time `assess` once per message, `--rounds` times over."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = Settings()
    codes = load_codes(settings.languages_file)
    layer = SafetyLayer.from_settings(settings, codes)
    texts = messages(settings, codes)
    report("safety layer", len(texts), args.rounds, timed(layer.assess, texts, args.rounds))


if __name__ == "__main__":
    main()
