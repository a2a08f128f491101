"""Which of our languages a message is written in, restricted to the listed languages.

Script first: a message in Ethiopic letters can only be Tigrinya, one in Arabic letters only
Arabic, Persian or Sorani. Inside a script, each language's marker file
(`bot/data/language_markers/<code>.yml`) gives distinctive letters and common words, and a
model trained on our own messages in every listed language (the safety layer's language part)
scores them. Why not a general detector such as lingua: ours was as accurate or more in every
language on the held-out messages and holds no models of its own (lingua's took 174 MB in each
gateway); see docs/LANGUAGES.md. Without a model, the markers and the script decide alone.

Sticky: the session keeps its language unless a message is clearly in another one (another
script, or a confident guess on a message of at least two words), so "ok" or "Borås" never
switches the language.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.languages import LanguageDataError, read_language_file, string_list
from textnorm import clean, fold, normalise, script_of

SCRIPTS = ("latin", "arabic", "ethiopic")
# A guess replaces a settled language (same script) only when at least this confident, on two
# or more words with a marker. Measured on the held-out messages of all nine languages: 0.6
# switched for 92-100% of them from another settled language and never switched a message away
# from its own language; 0.8 switched for only 66% of the Kurmanji ones (see docs/LANGUAGES.md).
SWITCH_CONFIDENCE = 0.6
# Enough while the language is only the default, or when the message is in another script.
UNSETTLED_CONFIDENCE = 0.5
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# A message's probability per language code, from a model trained on our own messages.
LanguageScores = Callable[[str], Mapping[str, float]]


def word_key(word: str) -> str:
    """How marker words and message words are compared: Latin words as written (lower case),
    so English "for" is not Swedish "för"; other scripts folded (ي = ی, ك = ک, no ZWNJ)."""
    word = normalise(word)
    return word if any(script_of(ch) == "latin" for ch in word) else fold(word)


@dataclass(frozen=True)
class Markers:
    """One language's markers: its script, distinctive letters, common words, NLU spelling."""

    language: str
    review: str
    script: str
    letters: frozenset[str]
    words: frozenset[str]
    nlu_replace: dict[str, str]

    @classmethod
    def load(cls, path: Path, code: str) -> Markers:
        """Read and check `bot/data/language_markers/<code>.yml`."""
        raw = read_language_file(path, code)
        if raw.get("script") not in SCRIPTS:
            raise LanguageDataError(f"{path}: `script` must be one of {SCRIPTS}")
        letters = raw.get("letters") or ""
        if not isinstance(letters, str) or " " in letters:
            raise LanguageDataError(f"{path}: `letters` must be one string of letters, no spaces")
        replace = raw.get("nlu_replace") or {}
        if not isinstance(replace, dict) or not all(
            isinstance(k, str) and len(k) == 1 and isinstance(v, str) for k, v in replace.items()
        ):
            raise LanguageDataError(f"{path}: `nlu_replace` maps single letters to letters")
        words = string_list(raw, "words", path)
        allowed = (None, raw["script"])
        if wrong := sorted({w for w in words for ch in w if script_of(ch) not in allowed}):
            raise LanguageDataError(f"{path}: words not in {raw['script']} script: {wrong[:5]}")
        return cls(
            language=code,
            review=raw["review"],
            script=raw["script"],
            letters=frozenset(normalise(letters)),
            words=frozenset(word_key(w) for w in words),
            nlu_replace=dict(replace),
        )


@dataclass(frozen=True)
class Guess:
    """The most likely language of one message, how sure, and how much evidence it rests on."""

    language: str
    confidence: float
    script: str
    words: int
    word_hits: int
    letter_hits: int

    def has_evidence(self) -> bool:
        """A lone word must itself be a marker word ("hej", not "Borås"); longer messages need
        at least one marker word or distinctive letter of the guessed language."""
        if self.words <= 1:
            return self.word_hits >= 1
        return self.word_hits + self.letter_hits >= 1


class LanguageDetector:
    """Script, then markers and the model's scores among the languages of that script."""

    def __init__(
        self,
        markers: list[Markers],
        place_names: Iterable[str] = (),
        scores: LanguageScores | None = None,
    ) -> None:
        self.markers = {item.language: item for item in markers}
        # Swedish place names say nothing about the language a message is in ("I live in
        # Alingsås"); their words are left out before any scoring.
        self._place_words = frozenset(
            word_key(word) for name in place_names for word in _WORD.findall(normalise(name))
        )
        self._scores = scores

    @classmethod
    def load(
        cls,
        markers_dir: Path,
        codes: list[str],
        place_names: Iterable[str] = (),
        scores: LanguageScores | None = None,
    ) -> LanguageDetector:
        """One marker file per listed language; a missing or malformed file stops the start.

        `place_names`: the registry's (registry.names.place_names), left out before scoring;
        `scores`: the model's probabilities per language (`SafetyModel.language_scores`)."""
        markers = [Markers.load(markers_dir / f"{code}.yml", code) for code in codes]
        return cls(markers, place_names, scores)

    def script(self, text: str) -> str | None:
        """The script most letters of `text` are in, or None when it has no letters."""
        counts = Counter(s for ch in clean(text) if (s := script_of(ch)) is not None)
        return counts.most_common(1)[0][0] if counts else None

    def foreign_script(self, text: str) -> bool:
        """Whether `text` is mostly in letters none of our languages uses (Cyrillic, Chinese):
        then nothing the NLU learnt applies, whatever intent it would guess."""
        script = self.script(text)
        return script is not None and all(m.script != script for m in self.markers.values())

    def guess(self, text: str) -> Guess | None:
        """The most likely listed language, or None (no letters but place names and numbers,
        or a script we do not have)."""
        words = [w for w in _WORD.findall(clean(text)) if word_key(w) not in self._place_words]
        text = " ".join(words)
        script = self.script(text)
        candidates = [code for code, m in self.markers.items() if m.script == script]
        if script is None or not candidates:
            return None
        lowered = normalise(text)
        tokens = [word_key(w) for w in _WORD.findall(lowered)]
        word_hits = {
            code: sum(token in self.markers[code].words for token in tokens) for code in candidates
        }
        letter_hits = {code: len(self.markers[code].letters & set(lowered)) for code in candidates}

        def result(code: str, confidence: float) -> Guess:
            # The only language of its script: the script itself is a distinctive letter.
            letters = max(letter_hits[code], 1) if len(candidates) == 1 else letter_hits[code]
            return Guess(code, confidence, script, len(tokens), word_hits[code], letters)

        if len(candidates) == 1:
            return result(candidates[0], 1.0)
        hits = {code: word_hits[code] + letter_hits[code] for code in candidates}
        confidences = self._confidences(text, candidates)
        if not confidences:
            # No model: the language whose markers clearly outnumber every other's.
            best = max(candidates, key=lambda code: hits[code])
            if hits[best] > max(hits[code] for code in candidates if code != best):
                return result(best, hits[best] / sum(hits.values()))
            return None
        # The model is unsure on a few words; each marker word or letter adds weight.
        weighted = {code: value * (1 + hits[code]) for code, value in confidences.items()}
        total = sum(weighted.values())
        if not total:
            return None
        best = max(weighted, key=lambda code: weighted[code])
        return result(best, weighted[best] / total)

    def detect(self, text: str, current: str, settled: bool = True, hint: str | None = None) -> str:
        """The message's language if it is clearly another than `current`, else `current`.

        `settled` is False while the session's language is only the default (nobody picked it
        and no message confirmed it): then a weaker guess is enough to switch. `hint` is a
        language the model is sure of. It decides what the script and the markers cannot tell, a
        language written in another script than its own (Arabic or Persian in Latin letters),
        and, while the language is not settled, a message the markers find no evidence in. A
        settled session keeps its language then: the model is overconfident on text unlike
        anything it learnt (pasted code, say).
        """
        guess = self.guess(text)
        if hint in self.markers and hint != current and len(_WORD.findall(text)) >= 2:
            transliterated = self.markers[hint].script != self.script(text)
            unknown = guess is None or not guess.has_evidence()
            if transliterated or (unknown and not settled):
                return hint
        if guess is None or guess.language == current:
            return current
        current_markers = self.markers.get(current)
        if not guess.has_evidence():
            return current
        if current_markers is None or current_markers.script != guess.script:
            # No usable language yet, or another script: that is itself a clear sign.
            return guess.language if guess.confidence >= UNSETTLED_CONFIDENCE else current
        if not settled:
            return guess.language if guess.confidence >= UNSETTLED_CONFIDENCE else current
        # A settled language changes only for a confident guess on more than one word.
        if guess.words >= 2 and guess.confidence >= SWITCH_CONFIDENCE:
            return guess.language
        return current

    def confirms(self, text: str, language: str) -> bool:
        """Whether `text` is clearly in `language` (settles a session's default language)."""
        guess = self.guess(text)
        return guess is not None and guess.language == language and guess.has_evidence()

    def for_nlu(self, text: str, language: str) -> str:
        """The message as the NLU's training data spells it (e.g. Persian ی for Arabic ي)."""
        markers = self.markers.get(language)
        text = clean(text)
        if not markers:
            return text
        table: dict[str, str | int | None] = dict(markers.nlu_replace)
        return text.translate(str.maketrans(table))

    def _confidences(self, text: str, codes: list[str]) -> dict[str, float]:
        """The model's probability of each of `codes`, renormalised over them ({} without a
        model or when it finds nothing it knows in the message)."""
        if self._scores is None:
            return {}
        scores = self._scores(text)
        found = {code: scores.get(code, 0.0) for code in codes}
        total = sum(found.values())
        return {code: value / total for code, value in found.items()} if total else {}
