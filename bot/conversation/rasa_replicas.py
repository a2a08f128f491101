"""Which Rasa replica serves a conversation: rendezvous (highest random weight) hashing.

Why one replica per conversation: Rasa Open Source's Redis lock store does not stop two Rasa
servers from taking the same sender at once (fixed only in Rasa Pro), so two replicas working on
one conversation could interleave or lose tracker events. Each gateway therefore sends every call
of a conversation to one replica, the same one in every gateway process, with no shared state.

Why rendezvous hashing rather than a ring with virtual nodes: each replica scores the key with a
stable hash and the highest score wins. The whole order of scores is the conversation's order of
fallbacks, so when its replica is down the conversation goes to its second choice, and the
conversations of a dead replica spread evenly over the others instead of all landing on one ring
neighbour. Removing a replica moves only its own conversations, adding one moves about 1/(N+1);
the order of HRV_RASA_URLS does not matter; no virtual nodes to tune. Scoring N replicas per call
costs N small hashes, nothing next to an HTTP call for the handful of replicas a deployment has.

A replica whose connect timed out (a host that is off or cut off) is skipped for `down_seconds`,
then tried again, so it costs one connect timeout per period, not one per turn. A refused port
fails in well under a millisecond and is not marked (see rasa_client.py). When every replica is
marked down they are all tried anyway, in the conversation's order.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable, Sequence


def score(replica: str, key: str) -> int:
    """The replica's stable weight for a key (the same in every process and on every run)."""
    digest = hashlib.blake2b(f"{replica}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def rendezvous_order(replicas: Sequence[str], key: str) -> list[str]:
    """The replicas from the key's first choice to its last."""
    return sorted(replicas, key=lambda replica: (score(replica, key), replica), reverse=True)


class Replicas:
    """The Rasa replicas of one gateway process, and which of them could not be reached lately."""

    def __init__(
        self,
        urls: Sequence[str],
        down_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.urls = tuple(dict.fromkeys(url.rstrip("/") for url in urls))
        if not self.urls:
            raise ValueError("at least one Rasa URL is needed")
        self._down_seconds = down_seconds
        self._clock = clock
        self._down_until: dict[str, float] = {}
        self._turn = itertools.count()

    def for_key(self, key: str) -> list[str]:
        """The replicas to try for a conversation, in order: its own first, unless it is
        marked down."""
        return self._up_first(rendezvous_order(self.urls, key))

    def any(self) -> list[str]:
        """The replicas to try for a call without a conversation (round robin)."""
        start = next(self._turn) % len(self.urls)
        return self._up_first([*self.urls[start:], *self.urls[:start]])

    def mark_down(self, url: str) -> None:
        """The replica did not accept a connection in time: skip it for a while."""
        self._down_until[url] = self._clock() + self._down_seconds

    def mark_up(self, url: str) -> None:
        """The replica answered."""
        self._down_until.pop(url, None)

    def is_down(self, url: str) -> bool:
        """Whether the replica was marked down within the last `down_seconds`."""
        return self._down_until.get(url, 0.0) > self._clock()

    def _up_first(self, order: list[str]) -> list[str]:
        return [u for u in order if not self.is_down(u)] + [u for u in order if self.is_down(u)]
