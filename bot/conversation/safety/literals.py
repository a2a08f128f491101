"""Which of many short strings occur in a message, found in one pass over its three-letter pieces.

The danger patterns each need one of a few literal strings (patterns.required_literals); asking
every pattern `part in text` for each of its parts cost more than the regular expressions
themselves (about 2,300 strings over 395 patterns). A string of three or more characters that
occurs in the text starts with one of the text's trigrams, so looking the text's trigrams up
finds every candidate at once; the few shorter strings are tried directly. The answer is exact:
the same set `{s for s in strings if s in text}` gives.
"""

from __future__ import annotations

from collections.abc import Iterable

GRAM = 3


class LiteralIndex:
    """The strings, indexed by their first three characters."""

    def __init__(self, strings: Iterable[str]) -> None:
        self._by_gram: dict[str, list[str]] = {}
        self._short: list[str] = []
        for string in sorted(set(strings)):
            if len(string) < GRAM:
                self._short.append(string)
            else:
                self._by_gram.setdefault(string[:GRAM], []).append(string)

    def present(self, text: str) -> set[str]:
        """Every indexed string that occurs in `text`."""
        found = {string for string in self._short if string in text}
        by_gram = self._by_gram
        for gram in {text[i : i + GRAM] for i in range(len(text) - GRAM + 1)}:
            for string in by_gram.get(gram, ()):
                if string in text:
                    found.add(string)
        return found
