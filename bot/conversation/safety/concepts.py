"""Concepts: the vocabulary of each phenomenon, per language, as classifier features.

Why: people describe a situation in their own words ("the rope is ready", "we fly to Karachi on
the 2nd", "they packed all my certificates"); a bag of n-grams only knows the words it was
trained on. A concept ("means", "abroad", "soon", "documents") is learned from every message
that holds any of its words, so a word seen in no training message still counts, in any
language. Pairs of concepts in one message ("family" with "kill", "trivial" with "kill") let a
linear model weigh what the words mean together. Each language's words make features of their
own ("sv family", "so kill"): one word list merged for all languages would let a Somali word
fire where it is a different Turkish one (measured: the merged list scored worse).

Data: `bot/data/safety/concepts.yml` names the concepts; `bot/data/safety/concepts/<code>.yml`
lists each one's words in that language. An entry is a word, a stem ending in `*`, or several
of those separated by spaces (consecutive words); all are folded as messages are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from bot.languages import LanguageDataError, read_language_file, read_yaml
from textnorm import fold

MIN_STEM = 3  # a shorter stem matches too many unrelated words
MIN_ENTRIES = 5


Found = tuple[str, str]  # (language, concept)


@dataclass
class _Index:
    """Every language's words, stems and phrases, each mapped to (language, concept): one
    lookup per word whatever the number of languages."""

    words: dict[str, set[Found]] = field(default_factory=dict)
    stems: dict[str, list[tuple[str, Found]]] = field(default_factory=dict)  # by first letters
    # Phrases by their first two words, by their first word when the second is a stem, or by
    # the first letters when the first is a stem ("i want to die": one lookup, not one per "i").
    pairs: dict[tuple[str, str], list[tuple[tuple[str, ...], Found]]] = field(default_factory=dict)
    phrases: dict[str, list[tuple[tuple[str, ...], Found]]] = field(default_factory=dict)
    stem_phrases: dict[str, list[tuple[tuple[str, ...], Found]]] = field(default_factory=dict)
    # Clitics by their first letter: (clitic, the language that writes it), longest first.
    clitics: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, entry: tuple[str, ...], found: Found) -> None:
        if len(entry) > 1 and entry[0].endswith("*"):
            self.stem_phrases.setdefault(entry[0][:MIN_STEM], []).append((entry, found))
        elif len(entry) > 1 and entry[1].endswith("*"):
            self.phrases.setdefault(entry[0], []).append((entry, found))
        elif len(entry) > 1:
            self.pairs.setdefault((entry[0], entry[1]), []).append((entry, found))
        elif entry[0].endswith("*"):
            stem = entry[0][:-1]
            self.stems.setdefault(stem[:MIN_STEM], []).append((stem, found))
        else:
            self.words.setdefault(entry[0], set()).add(found)

    def add_clitic(self, clitic: str, code: str) -> None:
        listed = self.clitics.setdefault(clitic[0], [])
        listed.append((clitic, code))
        listed.sort(key=lambda item: len(item[0]), reverse=True)

    def concepts(self, tokens: list[str]) -> set[Found]:
        found: set[Found] = set()
        for position, token in enumerate(tokens):
            found |= self._at(token, tokens, position)
            # The word less a clitic its language writes before words (Arabic و، ب، ال ...),
            # when enough is left to be a word; only that language's words count then.
            for clitic, code in self.clitics.get(token[:1], ()):
                if token.startswith(clitic) and len(token) - len(clitic) >= 2:
                    bare = self._at(token[len(clitic) :], tokens, position)
                    found |= {item for item in bare if item[0] == code}
        return found

    def _at(self, form: str, tokens: list[str], position: int) -> set[Found]:
        found = set(self.words.get(form, ()))
        for stem, item in self.stems.get(form[:MIN_STEM], ()):
            if form.startswith(stem):
                found.add(item)
        following = tokens[position + 1] if position + 1 < len(tokens) else ""
        for phrases in (
            self.pairs.get((form, following)),
            self.phrases.get(form),
            self.stem_phrases.get(form[:MIN_STEM]),
        ):
            for phrase, item in phrases or ():
                rest = tokens[position + 1 : position + len(phrase)]
                if len(rest) == len(phrase) - 1 and all(
                    _token_matches(p, t) for p, t in zip(phrase, [form, *rest], strict=True)
                ):
                    found.add(item)
        return found


def _token_matches(pattern: str, token: str) -> bool:
    if pattern.endswith("*"):
        return token.startswith(pattern[:-1])
    return token == pattern


class ConceptLexicon:
    """Finds the concepts of a message's words (the tokens of `bot.conversation.safety.features`),
    per language whose word list holds them."""

    def __init__(self, names: tuple[str, ...], index: _Index) -> None:
        self.names = names
        self._index = index

    @classmethod
    def load(cls, names_file: Path, directory: Path, codes: list[str]) -> ConceptLexicon:
        """Read the concept names and every listed language's words; check the schema."""
        raw = read_yaml(names_file)
        if not isinstance(raw, dict) or not isinstance(raw.get("concepts"), dict):
            raise LanguageDataError(f"{names_file}: needs a mapping `concepts`")
        names = tuple(str(name) for name in raw["concepts"])
        index = _Index()
        for code in codes:
            path = directory / f"{code}.yml"
            for concept, entries in _read_language(path, code, names).items():
                for entry in entries:
                    index.add(entry, (code, concept))
            for clitic in _prefixes(read_language_file(path, code), path):
                index.add_clitic(clitic, code)
        return cls(names, index)

    @staticmethod
    def sources(names_file: Path, directory: Path, codes: list[str]) -> list[Path]:
        """The files a lexicon is read from (a trained model depends on them)."""
        return [names_file, *(directory / f"{code}.yml" for code in codes)]

    def concepts(self, tokens: list[str]) -> set[Found]:
        """(language, concept) for every word list that holds one of these folded tokens
        (or consecutive tokens)."""
        return self._index.concepts(tokens)

    def features(self, tokens: list[str]) -> set[str]:
        """One feature per concept found and one per pair of them, per language."""
        by_language: dict[str, list[str]] = {}
        for code, concept in sorted(self.concepts(tokens)):
            by_language.setdefault(code, []).append(concept)
        found: set[str] = set()
        for code, concepts in by_language.items():
            found.update(f"c {code} {name}" for name in concepts)
            found.update(f"cc {code} {a} {b}" for a, b in combinations(concepts, 2))
        return found


def _read_language(
    path: Path, code: str, names: tuple[str, ...]
) -> dict[str, list[tuple[str, ...]]]:
    raw = read_language_file(path, code)
    concepts = raw.get("concepts")
    if not isinstance(concepts, dict) or set(concepts) != set(names):
        missing = sorted(set(names) - set(concepts or {}))
        extra = sorted(set(concepts or {}) - set(names))
        raise LanguageDataError(f"{path}: concepts must be exactly {names}: {missing=} {extra=}")
    parsed: dict[str, list[tuple[str, ...]]] = {}
    for concept, entries in concepts.items():
        if not isinstance(entries, list) or len(entries) < MIN_ENTRIES:
            raise LanguageDataError(f"{path}: `{concept}` needs a list of {MIN_ENTRIES} entries")
        parsed[concept] = [_parse_entry(entry, path, concept) for entry in entries]
    return parsed


def _parse_entry(entry: object, path: Path, concept: str) -> tuple[str, ...]:
    if not isinstance(entry, str) or not entry.strip():
        raise LanguageDataError(f"{path}: `{concept}`: {entry!r} is not a word")
    words = tuple(fold(word) for word in entry.split())
    for word in words:
        letters = word.rstrip("*")
        if not letters or not all(ch.isalnum() for ch in letters) or word.count("*") > 1:
            raise LanguageDataError(f"{path}: `{concept}`: {entry!r}: letters and a final * only")
        if word.endswith("*") and len(letters) < MIN_STEM:
            raise LanguageDataError(f"{path}: `{concept}`: {entry!r}: stems need {MIN_STEM}+")
    return words


def _prefixes(raw: dict[str, object], path: Path) -> list[str]:
    value = raw.get("prefixes", [])
    if not isinstance(value, list) or not all(isinstance(p, str) and p.isalpha() for p in value):
        raise LanguageDataError(f"{path}: `prefixes` must be a list of letters")
    return [fold(p) for p in value]
