"""`make bench` (contacts part): time, per message, the two registry steps every turn adds to
the gateway's path: whether a message is only a place in another script
(`Resolver.only_a_place`, on every corpus and NLU message), and marking the registry's numbers
and addresses in a reply (`ContactLinks.find`, on every reply text in every language).

Prints p50/p95/p99/max in microseconds. CPU only, in this process.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "scripts"))

from bench_safety import messages, report, timed  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.conversation.contact_links import ContactLinks  # noqa: E402
from bot.languages import load_codes  # noqa: E402
from registry import Resolver, load_registry  # noqa: E402


def reply_texts(settings: Settings, codes: list[str]) -> list[str]:
    """Every response of the bot and every fixed reply of the gateway, in every language."""
    texts: list[str] = []
    for code in codes:
        path = REPO_ROOT / "nlu/responses" / f"{code}.yml"
        responses = yaml.safe_load(path.read_text(encoding="utf-8"))["responses"]
        texts += [variation["text"] for each in responses.values() for variation in each]
        fixed = yaml.safe_load((settings.texts_dir / f"{code}.yml").read_text(encoding="utf-8"))
        texts += [str(text) for text in fixed["replies"].values()]
    return texts


def main() -> None:
    """Time both steps `--rounds` times over their texts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = Settings()
    codes = load_codes(settings.languages_file)
    registry = load_registry(settings.data_dir)
    resolver = Resolver(registry)
    links = ContactLinks.from_registry(registry)
    texts = messages(settings, codes)
    report("place alone", len(texts), args.rounds, timed(resolver.only_a_place, texts, args.rounds))
    replies = reply_texts(settings, codes)
    report("contact links", len(replies), args.rounds, timed(links.find, replies, args.rounds))


if __name__ == "__main__":
    main()
