"""Phone numbers and web addresses in the bot's replies, as links a person can tap.

Only the numbers and addresses that data/ holds are linked, and each link is built from the
data's own value: a number a person wrote, echoed back in a reply, never becomes a link.
A reply is scanned once for anything shaped like a number or an address, and each candidate is
looked up by its digits (or its address) in a table of the registry's contacts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# A run of digits with what people put between them ("020-50 50 50", "+46 (0)8 405 50 05").
_NUMBER_RUN = re.compile(r"(?<![\w+])\+?\d(?:[ \u00a0\u202f\-\u2010\u2011\u2013.()]{0,3}\d)*(?!\w)")
_DIGIT_GROUP = re.compile(r"\d+")
# An address, with or without its scheme; trailing punctuation is the sentence's, not its own.
_ADDRESS = re.compile(
    r"(?<![\w./@-])(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/[^\s\u2069]*)?", re.IGNORECASE
)
_TRAILING = ".,;:!?)»”'\""


@dataclass(frozen=True)
class Link:
    """`text` as it stands in the reply, and where tapping it goes."""

    text: str
    href: str


def dial_uri(number: str) -> str:
    """A `tel:` address: short numbers as they are, others with Sweden's country code."""
    digits = re.sub(r"[^\d+]", "", number)
    if digits.startswith("0"):
        digits = "+46" + digits[1:]
    return "tel:" + digits


def _national_digits(written: str) -> str:
    """The digits as dialled inside Sweden: +46 (0)8 … and 08 … are one number."""
    digits = re.sub(r"\D", "", written)
    if written.lstrip().startswith("+46"):
        rest = digits[2:]
        return rest if rest.startswith("0") else "0" + rest
    return digits


def _address_key(address: str) -> str:
    """An address without scheme, "www." and a closing slash, lower-cased."""
    bare = re.sub(r"^https?://(?:www\.)?|^www\.", "", address.strip(), flags=re.IGNORECASE)
    return bare.rstrip("/").lower()


class ContactLinks:
    """Finds the registry's numbers and addresses in a reply's text."""

    def __init__(self, phones: Iterable[str], webs: Iterable[str]) -> None:
        self._phones = {_national_digits(number): dial_uri(number) for number in phones}
        self._longest = max((len(d) for d in self._phones), default=0)
        self._webs: dict[str, str] = {}
        for address in webs:
            if address.startswith(("https://", "http://")):
                self._webs.setdefault(_address_key(address), address)

    @classmethod
    def from_registry(cls, registry: Any) -> ContactLinks:
        """Every number and address of a `registry.Registry`."""
        return cls(registry.public_phones(), registry.public_webs())

    def find(self, text: str) -> list[Link]:
        """The links in `text`, in order of appearance."""
        return [Link(text[start:end], href) for start, end, href in self.spans(text)]

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, href) of each link in `text`, for channels that mark offsets."""
        found = self._number_spans(text) + self._address_spans(text)
        return sorted(found)

    def _number_spans(self, text: str) -> list[tuple[int, int, str]]:
        spans = []
        for run in _NUMBER_RUN.finditer(text):
            groups = list(_DIGIT_GROUP.finditer(run.group()))
            plus = run.group().startswith("+")
            first = 0
            # Numbers side by side ("112 116 111") are read one after the other; a run that
            # does not start with a known number is someone else's number, left whole.
            while first < len(groups):
                hit = self._longest_number(run.group(), groups, first, plus and first == 0)
                if hit is None:
                    break
                last, href = hit
                start = run.start() + (0 if plus and first == 0 else groups[first].start())
                spans.append((start, run.start() + groups[last].end(), href))
                first = last + 1
        return spans

    def _longest_number(
        self, run: str, groups: list[re.Match[str]], first: int, plus: bool
    ) -> tuple[int, str] | None:
        """The longest known number made of digit groups first..last of one run."""
        best = None
        digits = ""
        for last in range(first, len(groups)):
            digits += groups[last].group()
            if len(digits) > self._longest + 2:
                break
            written = ("+" if plus else "") + run[groups[first].start() : groups[last].end()]
            href = self._phones.get(_national_digits(written))
            if href is not None:
                best = (last, href)
        return best

    def _address_spans(self, text: str) -> list[tuple[int, int, str]]:
        spans = []
        for match in _ADDRESS.finditer(text):
            written = match.group().rstrip(_TRAILING)
            href = self._webs.get(_address_key(written))
            if href is not None:
                spans.append((match.start(), match.start() + len(written), href))
        return spans

    def annotate(self, reply: dict[str, Any]) -> dict[str, Any]:
        """`reply` with its `links` (text and href), when it has any."""
        links = self.find(str(reply.get("text", "")))
        if not links:
            return reply
        return {**reply, "links": [{"text": link.text, "href": link.href} for link in links]}
