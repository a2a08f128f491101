"""From what a person wrote to a municipality: exact, folded, inflected, localities, typos.

A name is never guessed between two municipalities: the result is then ambiguous and the bot
asks back.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from registry.model import Municipality, Registry
from registry.text import fold, simplify, words
from textnorm import has_marks, unify_arabic

MAX_QUERY_CHARS = 300
MAX_WINDOW = 4
MIN_TYPO_LENGTH = 5
# One Arabic letter written onto a name: b- "in", l- "to", w- "and", f- "in" (long words only).
_PROCLITIC = re.compile(r"^[بلوف](?=[\u0600-\u06ff]{4,})")
# The scripts of names_by_language.yml: Arabic (with Persian and Sorani letters) and Ethiopic.
_NON_LATIN = re.compile("[\u0600-\u06ff\u1200-\u139f]")
# Words after a name that are not part of it ("Marks kommun", "Göteborgs stad").
SUFFIX_WORDS = frozenset({"kommun", "kommune", "stad", "municipality", "city"})

Kind = Literal["municipality", "alias", "locality", "code"]
How = Literal["exact", "folded", "typo", "code", "none"]


@dataclass(frozen=True)
class Candidate:
    """A municipality a written name can mean, and the name in our data that matched."""

    municipality: Municipality
    written: str
    kind: Kind


@dataclass(frozen=True)
class Resolution:
    """The outcome: one municipality, several (ask back), or none (honest fallback)."""

    query: str
    matched: str
    how: How
    candidates: tuple[Candidate, ...]
    # Where the name stands among the message's words: (first word, number of words).
    span: tuple[int, int] | None = None

    @property
    def municipalities(self) -> list[Municipality]:
        """The distinct municipalities the name can mean, in a stable order."""
        seen: dict[str, Municipality] = {}
        for candidate in self.candidates:
            seen.setdefault(candidate.municipality.code, candidate.municipality)
        return sorted(seen.values(), key=lambda m: m.name)

    @property
    def municipality(self) -> Municipality | None:
        """The municipality when exactly one fits."""
        found = self.municipalities
        return found[0] if len(found) == 1 else None

    @property
    def ambiguous(self) -> bool:
        """Whether the person must choose."""
        return len(self.municipalities) > 1

    @property
    def candidate(self) -> Candidate | None:
        """The best candidate when resolved: the municipality's own name before a locality."""
        if self.municipality is None:
            return None
        order = {"code": 0, "municipality": 1, "alias": 2, "locality": 3}
        return min(self.candidates, key=lambda c: order[c.kind])


def max_edits(name: str) -> int:
    """One typo for names of 5-7 letters, two from 8 letters; none for shorter names."""
    length = len(name.replace(" ", ""))
    if length < MIN_TYPO_LENGTH:
        return 0
    return 1 if length < 8 else 2


@dataclass(frozen=True)
class _Hit:
    start: int
    size: int
    candidates: tuple[Candidate, ...]
    how: How
    weak: bool


class Resolver:
    """Indexes every written form in the registry once; `resolve` is then cheap."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.exact: dict[str, list[Candidate]] = defaultdict(list)
        self.folded: dict[str, list[Candidate]] = defaultdict(list)
        for name, municipality in registry.municipalities.items():
            self._add(name, Candidate(municipality, name, "municipality"))
        for written, name in registry.aliases.items():
            self._add(written, Candidate(registry.municipalities[name], written, "alias"))
        for locality in registry.localities:
            municipality = registry.municipalities[locality.municipality]
            self._add(locality.name, Candidate(municipality, locality.name, "locality"))
        for written, names in registry.other_names.items():
            for name in names:
                self._add(written, Candidate(registry.municipalities[name], written, "alias"))
        self.other_forms = {simplify(written) for written in registry.other_names}
        # Most messages hold none of those names: a cheap look first spares them the search.
        self._other_latin_words = {
            word for form in self.other_forms if form.isascii() for word in form.split()
        }
        self.everyday = {fold(w) for w in registry.everyday_words}
        self.everyday_written = {simplify(w) for w in registry.everyday_words}
        self.ignored = {fold(w) for w in registry.ignored_words} | set(SUFFIX_WORDS)
        self.longest = max(len(key) for key in self.folded)
        # The names a typo may stand for; an everyday word is never corrected into a name.
        self.typo_names = [k for k in self.folded if max_edits(k) and k not in self.everyday]

    def _add(self, written: str, candidate: Candidate) -> None:
        for index, key in ((self.exact, simplify(written)), (self.folded, fold(written))):
            if candidate not in index[key]:
                index[key].append(candidate)

    def resolve(self, text: str) -> Resolution:
        """Find the municipality a message names, trying the longest word groups first."""
        text = text[:MAX_QUERY_CHARS]
        query = simplify(text)
        if re.fullmatch(r"\d{4}", query):
            municipality = self.registry.by_code.get(query)
            if municipality:
                return Resolution(text, query, "code", (Candidate(municipality, query, "code"),))
            return Resolution(text, query, "none", ())
        written = words(text)
        lowered = _lowered(written)
        hit = self._best_hit(written, lowered) or self._typo_hit(written, lowered)
        if hit is None:
            return Resolution(text, "", "none", ())
        matched = " ".join(written[hit.start : hit.start + hit.size])
        return Resolution(text, matched, hit.how, hit.candidates, (hit.start, hit.size))

    def _best_hit(self, written: list[str], lowered: list[str]) -> _Hit | None:
        weak: _Hit | None = None
        for size in range(min(MAX_WINDOW, len(lowered)), 0, -1):
            for start in range(len(lowered) - size + 1):
                hit = self._lookup(lowered, start, size)
                if hit is None:
                    continue
                if not hit.weak:
                    return hit
                if weak is None and self._counts_as_name(written, lowered, hit):
                    weak = hit
        return weak

    def _lookup(self, lowered: list[str], start: int, size: int) -> _Hit | None:
        group = lowered[start : start + size]
        following = lowered[start + size : start + size + 1]
        key = " ".join(group)
        keys = [key]
        # Genitive before "kommun": "Marks kommun" -> "Mark".
        if following and following[0] in SUFFIX_WORDS and key.endswith("s"):
            keys.append(key[:-1])
        # Arabic writes "in"/"to"/"and" onto the next word: "بمالمو" is "in Malmö".
        if _PROCLITIC.match(group[0]):
            keys.append(" ".join([group[0][1:], *group[1:]]))
        for candidate_key in keys:
            folded_key = fold(candidate_key)
            exact = self.exact.get(candidate_key, [])
            folded = self.folded.get(folded_key, [])
            if exact:
                # Written without å/ä/ö, 'habo' may just as well mean Håbo: add those too.
                found = exact if has_marks(candidate_key) else _merge(exact, folded)
                return _Hit(start, size, tuple(found), "exact", self.is_everyday(candidate_key))
            # Folding is for people who leave out å/ä/ö, not for other words: 'skära' != Skara.
            if folded and not has_marks(candidate_key):
                return _Hit(start, size, tuple(folded), "folded", self.is_everyday(candidate_key))
        return None

    def only_a_place(self, text: str) -> Municipality | None:
        """The municipality when a message is little more than one of the names the NLU does
        not know (another script, a far-off spelling): then it is the answer to "where do you
        live?" whatever words the model would see in it."""
        if not _NON_LATIN.search(text) and not (
            set(simplify(text[:MAX_QUERY_CHARS]).split()) & self._other_latin_words
        ):
            return None
        resolution = self.resolve(text)
        municipality = resolution.municipality
        if municipality is None or resolution.how not in ("exact", "folded") or not resolution.span:
            return None
        matched = simplify(resolution.matched)
        stripped = matched[1:] if _PROCLITIC.match(matched) else matched
        if not {matched, stripped} & self.other_forms:
            return None
        lowered = _lowered(words(text[:MAX_QUERY_CHARS]))
        return municipality if self._alone(lowered, *resolution.span) else None

    def frames_a_place(self, text: str) -> bool:
        """Whether the message has the words people put around a place ("I live in", "from"),
        so that a name we do not know was still meant as one."""
        return any(fold(word) in self.ignored for word in words(text[:MAX_QUERY_CHARS]))

    def is_everyday(self, written: str) -> bool:
        """Whether a name as written is also an everyday word ('vara', 'are'; not 'Åre')."""
        key = simplify(written)
        return key in self.everyday_written or (not has_marks(key) and fold(key) in self.everyday)

    def _counts_as_name(self, written: list[str], lowered: list[str], hit: _Hit) -> bool:
        """An everyday word ('vara', 'mark', 'are') is a place only when written like one."""
        return self._alone(lowered, hit.start, hit.size) or written[hit.start][:1].isupper()

    def _alone(self, lowered: list[str], start: int, size: int) -> bool:
        """Whether the rest of the message is only words around a name ('jag bor i ...')."""
        rest = [w for i, w in enumerate(lowered) if not start <= i < start + size]
        return all(fold(w) in self.ignored for w in rest)

    def _typo_hit(self, written: list[str], lowered: list[str]) -> _Hit | None:
        """A misspelt name, only where a name is expected: alone in the message, or capitalised
        inside a sentence ('säger' is not a typo for Säter in 'pappa säger att...')."""
        best: list[tuple[int, int, int, list[Candidate]]] = []
        best_distance = 3
        for size in range(min(3, len(lowered)), 0, -1):
            for start in range(len(lowered) - size + 1):
                group = lowered[start : start + size]
                if any(fold(w) in self.ignored for w in group):
                    continue
                capitalised = start > 0 and written[start][:1].isupper()
                if not (capitalised or self._alone(lowered, start, size)):
                    continue
                key = fold(" ".join(group))
                if not MIN_TYPO_LENGTH <= len(key.replace(" ", "")) <= self.longest + 2:
                    continue
                for name, distance in self._typos(key):
                    if distance > best_distance:
                        continue
                    if distance < best_distance:
                        best, best_distance = [], distance
                    best.append((start, size, distance, self.folded[name]))
        if not best:
            return None
        start, size = best[0][0], best[0][1]
        merged: list[Candidate] = []
        for _, _, _, candidates in best:
            merged = _merge(merged, candidates)
        return _Hit(start, size, tuple(merged), "typo", False)

    def _typos(self, key: str) -> list[tuple[str, int]]:
        """The names `key` is a typo of, each within its `max_edits`, with the distance.

        Optimal string alignment: a swap of two letters is one edit, as typos on a phone are
        mostly one wrong, missing, extra or swapped letter."""
        found = process.extract_iter(key, self.typo_names, scorer=OSA.distance, score_cutoff=2)
        return [(name, distance) for name, distance, _ in found if distance <= max_edits(name)]


def _lowered(written: list[str]) -> list[str]:
    return [unify_arabic(word).casefold() for word in written]


def _merge(first: list[Candidate], second: list[Candidate]) -> list[Candidate]:
    merged = list(first)
    for candidate in second:
        if candidate not in merged:
            merged.append(candidate)
    return merged
