"""Check concept word lists and show what they find: `python scripts/concepts_of.py so ar`
checks those languages' files (bot/data/safety/concepts/<code>.yml) and prints, for each line of
stdin, the (language:concept) pairs its words belong to."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.config import Settings  # noqa: E402
from bot.conversation.safety.concepts import ConceptLexicon  # noqa: E402
from bot.conversation.safety.features import tokens  # noqa: E402


def main(codes: list[str]) -> int:
    """Exit 0 when every named file passes the schema (the loader raises otherwise)."""
    settings = Settings()
    lexicon = ConceptLexicon.load(
        settings.safety_concepts_file, settings.safety_concepts_dir, codes
    )
    print(f"ok: {', '.join(codes)}", file=sys.stderr)
    if not sys.stdin.isatty():
        for line in sys.stdin:
            found = sorted(f"{code}:{name}" for code, name in lexicon.concepts(tokens(line)))
            print(found, line.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
