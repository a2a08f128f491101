"""Phone numbers and web addresses in the bot's replies, as links a person can tap.

Only the numbers and addresses that data/ holds are linked, and each link is built from the
data's own value: a number a person wrote, echoed back in a reply, never becomes a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# What people put between the digits of one number ("020-50 50 50", "116 111", "+46 (0)8 …").
_GAP = r"[ \u00a0\u202f\-\u2010\u2011\u2013.]?"


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


def _digits_pattern(digits: str) -> str:
    return _GAP.join(re.escape(d) for d in digits)


def _phone_pattern(number: str) -> str:
    """The number as it may be written in a reply; +46 numbers also in their 0… form."""
    digits = re.sub(r"\D", "", number)
    if number.strip().startswith("+46"):
        national = digits[2:]
        written = rf"\+46{_GAP}(?:\(0\){_GAP})?{_digits_pattern(national)}"
        return rf"(?:{written}|{_digits_pattern('0' + national)})"
    return _digits_pattern(digits)


def _web_pattern(address: str) -> str:
    """The address itself; a site's front page also by its host name ("mind.se", "bris.se")."""
    whole = rf"{re.escape(address.rstrip('/'))}/?(?![\w/-])(?!\.\w)"
    host, _, path = re.sub(r"^https?://(?:www\.)?", "", address).partition("/")
    if path.strip("/"):
        return whole
    return rf"(?:{whole}|(?:https?://)?(?:www\.)?{re.escape(host)}(?![\w/-])(?!\.\w))"


class ContactLinks:
    """Finds the registry's numbers and addresses in a reply's text."""

    def __init__(self, phones: Iterable[str], webs: Iterable[str]) -> None:
        self._targets: dict[str, str] = {}  # group name -> href
        parts: list[str] = []
        # Longer first, so that one number is never read as the start of another.
        unique_phones = sorted(set(phones), key=lambda n: -len(re.sub(r"\D", "", n)))
        for index, number in enumerate(unique_phones):
            name = f"p{index}"
            self._targets[name] = dial_uri(number)
            parts.append(rf"(?<![\d+])(?P<{name}>{_phone_pattern(number)})(?!\d)")
        unique_webs = sorted({w for w in webs if w.startswith(("https://", "http://"))}, key=len)
        for index, address in enumerate(reversed(unique_webs)):
            name = f"w{index}"
            self._targets[name] = address
            parts.append(rf"(?<![\w./@-])(?P<{name}>{_web_pattern(address)})")
        self._pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None

    @classmethod
    def from_registry(cls, registry: Any) -> ContactLinks:
        """Every number and address of a `registry.Registry`."""
        return cls(registry.public_phones(), registry.public_webs())

    def find(self, text: str) -> list[Link]:
        """The links in `text`, in order of appearance."""
        return [Link(text[start:end], href) for start, end, href in self.spans(text)]

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, href) of each link in `text`, for channels that mark offsets."""
        if self._pattern is None:
            return []
        return [
            (match.start(), match.end(), self._targets[match.lastgroup])
            for match in self._pattern.finditer(text)
            if match.lastgroup is not None
        ]

    def annotate(self, reply: dict[str, Any]) -> dict[str, Any]:
        """`reply` with its `links` (text and href), when it has any."""
        links = self.find(str(reply.get("text", "")))
        if not links:
            return reply
        return {**reply, "links": [{"text": link.text, "href": link.href} for link in links]}
