"""High-precision patterns: the unmistakable danger, caught whatever the classifier says.

One file per language, `bot/data/danger/<code>.yml`: regular expressions per kind, tried on the
message as written (textnorm.normalise) and, folded the same way as the
pattern, without accents and look-alike letters (å→a, ş→s, ي→ی, ە→ه, ሠ→ሰ), so a hurried spelling
still matches. Precision first: a test runs every pattern over every hard negative of the corpus.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.conversation.safety.kinds import KINDS
from bot.conversation.safety.literals import LiteralIndex
from bot.languages import LanguageDataError, read_language_file, string_list
from textnorm import clean, fold, normalise, script_of, strip_marks

MIN_EXAMPLES = {"danger": 3, "safe": 2}

# The standard library's own regex parser (re._parser, "sre_parse" before 3.11): the same parse
# the pattern gets compiled from, so the literals found are exactly the ones it needs. Private
# modules without type stubs, hence untyped.
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")


def _without_negative_lookarounds(source: str) -> str:
    """The pattern less its (?!...) and (?<!...) groups: what a match must contain."""
    kept, i = [], 0
    while i < len(source):
        if source.startswith(("(?!", "(?<!"), i):
            depth, j = 0, i
            while j < len(source):
                if source[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(source[j], 0)
                j += 1
                if depth == 0:
                    break
            i = j
            continue
        kept.append(source[i])
        i += 1
    return "".join(kept)


def required_scripts(source: str) -> frozenset[str]:
    """The scripts of the letters a match needs; empty when it needs none we can tell (then
    the pattern is tried on every message). A message with no letter of any of them cannot
    match, so the pattern is skipped for it: the layer's cost stays small with ~400 patterns."""
    positive = re.sub(r"\\[a-zA-Z]", "", _without_negative_lookarounds(source))
    return frozenset(s for ch in positive if (s := script_of(ch)) not in (None, "other"))


def _required_literals(sequence: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """Strings one of which every match of this parsed sequence contains; None when none is
    known. Takes the most selective element: a run of literal letters, an alternation whose
    every branch has such strings, a group, or a repeat of at least one."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            candidates.append(frozenset({"".join(run)}))
            run.clear()

    for op, value in sequence:
        if op is _c.LITERAL:
            run.append(chr(value))
            continue
        close_run()
        found: frozenset[str] | None = None
        if op is _c.SUBPATTERN:
            found = _required_literals(value[3])
        elif op is _c.BRANCH:
            branches = [_required_literals(branch) for branch in value[1]]
            known = [strings for strings in branches if strings]
            if branches and len(known) == len(branches):
                found = frozenset[str]().union(*known)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and value[0] >= 1:
            found = _required_literals(value[2])
        elif op is _c.IN and value and all(item_op is _c.LITERAL for item_op, _ in value):
            found = frozenset(chr(code) for _, code in value)
        if found:
            candidates.append(found)
    close_run()
    if not candidates:
        return None
    return max(candidates, key=lambda strings: min(len(text) for text in strings))


def required_literals(compiled: str) -> frozenset[str] | None:
    """Lower-case strings one of which a message (lower case itself) must contain for the
    pattern to match, or None. A cheap `in` test then spares most of ~400 regex searches."""
    try:
        parsed = _parser.parse(compiled, re.IGNORECASE)
        found = _required_literals(list(parsed))
    except (re.error, TypeError, ValueError, IndexError):
        return None
    if not found or any(text.casefold() != text.lower() for text in found):
        return None  # letters whose case folding differs: let the regex decide
    return frozenset(text.lower() for text in found)


def _scans_each_position(sequence: list[tuple[Any, Any]], anchored: bool) -> bool:
    """Whether a lookaround that reads to the end (`(?!.*x)`, `(?=.*x)`) can be tried at every
    position: at the start of an unanchored pattern, or after `.*`. That makes a search
    quadratic in the message's length (a 2000-letter message then costs a tenth of a second
    per pattern); after `^` or a literal it runs once, or once per literal found."""
    after_anything = not anchored  # before the first element: every start position is tried
    for op, value in sequence:
        if op is _c.AT and value is _c.AT_BEGINNING:
            after_anything = False
            continue
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            body = list(value[1])
            reads_on = (
                bool(body)
                and body[0][0] in (_c.MAX_REPEAT, _c.MIN_REPEAT)
                and (body[0][1][1] == _c.MAXREPEAT and list(body[0][1][2])[:1] == [(_c.ANY, None)])
            )
            if reads_on and after_anything:
                return True
            continue
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and list(value[2])[:1] == [(_c.ANY, None)]:
            after_anything = True
            continue
        if op is _c.SUBPATTERN and _scans_each_position(list(value[3]), not after_anything):
            return True
        if op is _c.BRANCH and any(
            _scans_each_position(list(branch), not after_anything) for branch in value[1]
        ):
            return True
        after_anything = False
    return False


def scans_each_position(compiled: str) -> bool:
    """`_scans_each_position` of a whole pattern."""
    return _scans_each_position(list(_parser.parse(compiled, re.IGNORECASE)), anchored=False)


@dataclass(frozen=True)
class Pattern:
    """One pattern, compiled for the message as written and for its folded form."""

    kind: str
    source: str
    plain: re.Pattern[str]
    folded: re.Pattern[str]
    scripts: frozenset[str] = frozenset()
    plain_needs: frozenset[str] | None = None
    folded_needs: frozenset[str] | None = None

    def search(self, normalised: str, folded: str) -> bool:
        """Whether it finds the message in either form (once when both forms are the same)."""
        if _may_match(self.plain_needs, normalised) and self.plain.search(normalised):
            return True
        if folded == normalised and self.folded.pattern == self.plain.pattern:
            return False
        return _may_match(self.folded_needs, folded) and bool(self.folded.search(folded))


def _may_match(needs: frozenset[str] | None, text: str) -> bool:
    return needs is None or any(part in text for part in needs)


@dataclass(frozen=True)
class LanguagePatterns:
    """One language's patterns and the examples its file carries for the tests."""

    language: str
    review: str
    patterns: tuple[Pattern, ...]
    danger_examples: tuple[str, ...]
    safe_examples: tuple[str, ...]

    @classmethod
    def load(cls, path: Path, code: str) -> LanguagePatterns:
        """Read and check `bot/data/danger/<code>.yml`; a bad regex names its file."""
        raw = read_language_file(path, code)
        by_kind = raw.get("patterns")
        if not isinstance(by_kind, dict) or not set(by_kind) <= set(KINDS):
            raise LanguageDataError(f"{path}: `patterns` must map kinds of {KINDS} to lists")
        examples = raw.get("examples")
        if not isinstance(examples, dict):
            raise LanguageDataError(f"{path}: `examples` must have `danger` and `safe` lists")
        lists = {key: string_list(examples, key, path) for key in MIN_EXAMPLES}
        for key, minimum in MIN_EXAMPLES.items():
            if len(lists[key]) < minimum:
                raise LanguageDataError(f"{path}: at least {minimum} `examples.{key}` needed")
        patterns = []
        for kind in by_kind:
            for source in string_list(by_kind, kind, path):
                try:
                    plain = re.compile(clean(source), re.IGNORECASE)
                    folded = re.compile(strip_marks(clean(source)), re.IGNORECASE)
                except re.error as error:
                    raise LanguageDataError(f"{path}: bad pattern {source!r}: {error}") from error
                if scans_each_position(plain.pattern):
                    raise LanguageDataError(
                        f"{path}: pattern {source!r} reads the whole message again at every "
                        "position: put a lookahead with .* right after ^, not after .* or "
                        "at the start of an unanchored pattern"
                    )
                patterns.append(
                    Pattern(
                        kind,
                        source,
                        plain,
                        folded,
                        required_scripts(source),
                        required_literals(plain.pattern),
                        required_literals(folded.pattern),
                    )
                )
        return cls(
            code, raw["review"], tuple(patterns), tuple(lists["danger"]), tuple(lists["safe"])
        )

    def kinds(
        self,
        normalised: str,
        folded: str,
        scripts: frozenset[str],
        among: Iterable[int] | None = None,
    ) -> list[str]:
        """The kinds whose patterns find the message, in file order, each once; `scripts`
        are the scripts of the message's letters; `among`: the only patterns (their places in
        file order) that could find it, when known."""
        found: list[str] = []
        for index in range(len(self.patterns)) if among is None else among:
            pattern = self.patterns[index]
            if pattern.kind in found or (pattern.scripts and not pattern.scripts & scripts):
                continue
            if pattern.search(normalised, folded):
                found.append(pattern.kind)
        return found


class PatternNet:
    """Every listed language's patterns, with the literals they need indexed once (so a message
    is tried only on the patterns whose literals it holds)."""

    def __init__(self, languages: list[LanguagePatterns]) -> None:
        self.languages = {item.language: item for item in languages}
        # Per language: which patterns need each literal (as written, folded), and those that
        # need none and are always tried.
        self._plain_users: dict[str, dict[str, list[int]]] = {}
        self._folded_users: dict[str, dict[str, list[int]]] = {}
        self._always: dict[str, list[int]] = {}
        literals: set[str] = set()
        for code, item in self.languages.items():
            plain: dict[str, list[int]] = {}
            folded: dict[str, list[int]] = {}
            self._plain_users[code], self._folded_users[code] = plain, folded
            self._always[code] = []
            for index, pattern in enumerate(item.patterns):
                if pattern.plain_needs is None or pattern.folded_needs is None:
                    self._always[code].append(index)
                    continue
                for users, needs in ((plain, pattern.plain_needs), (folded, pattern.folded_needs)):
                    for literal in needs:
                        users.setdefault(literal, []).append(index)
                        literals.add(literal)
        self._index = LiteralIndex(literals)

    @classmethod
    def load(cls, directory: Path, codes: list[str]) -> PatternNet:
        """One `<code>.yml` per listed language; a missing or malformed file stops the start."""
        return cls([LanguagePatterns.load(directory / f"{code}.yml", code) for code in codes])

    def match(self, text: str) -> dict[str, list[str]]:
        """Language -> kinds found, for the languages whose patterns found danger in `text`."""
        normalised, folded = normalise(text), fold(text)
        scripts = frozenset(s for ch in folded if (s := script_of(ch)) is not None)
        in_plain = self._index.present(normalised)
        in_folded = in_plain if folded == normalised else self._index.present(folded)
        hits = {}
        for code, item in self.languages.items():
            among = set(self._always[code])
            for present, users in ((in_plain, self._plain_users), (in_folded, self._folded_users)):
                for literal in present:
                    among.update(users[code].get(literal, ()))
            if among and (kinds := item.kinds(normalised, folded, scripts, sorted(among))):
                hits[code] = kinds
        return hits
