"""`make bench` (safety part): time the safety layer alone on every message of the risk corpus
and the NLU data (all languages, both splits), as the gateway calls it: patterns and model.

Prints p50/p95/p99/max per message in microseconds. CPU only, in this process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.config import Settings  # noqa: E402
from bot.languages import load_codes  # noqa: E402
from bot.safety import SafetyLayer  # noqa: E402
from bot.safety.corpus import load_split, nlu_examples  # noqa: E402


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


def main() -> None:
    """Warm up, then time `assess` once per message, `--rounds` times over."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = Settings()
    codes = load_codes(settings.languages_file)
    layer = SafetyLayer.from_settings(settings, codes)
    texts = messages(settings, codes)
    for text in texts[:200]:
        layer.assess(text)
    timings: list[float] = []
    for _ in range(args.rounds):
        for text in texts:
            started = time.perf_counter()
            layer.assess(text)
            timings.append((time.perf_counter() - started) * 1e6)
    timings.sort()
    q = statistics.quantiles(timings, n=100)
    print(
        f"safety layer: {len(texts)} messages x {args.rounds}: p50 {q[49]:.0f} µs, "
        f"p95 {q[94]:.0f} µs, p99 {q[98]:.0f} µs, max {timings[-1]:.0f} µs per message"
    )


if __name__ == "__main__":
    main()
