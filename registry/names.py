"""Every way a place name is written: the official names, their spellings without å/ä/ö, other
names and localities. Rasa's lookup table is generated from it (scripts/build_municipality_nlu.py)
and the gateway reads the same names from it, never from the generated file."""

from __future__ import annotations

from registry.model import Registry
from registry.resolve import Resolver
from textnorm import strip_marks


def without_marks(name: str) -> str:
    """The name as written without å/ä/ö, keeping case and punctuation ('Malung-Salen')."""
    return strip_marks(name, lookalikes=False)


def written_forms(registry: Registry) -> list[tuple[str, str | None]]:
    """(written form, official name it normalises to or None) in a stable order."""
    forms: list[tuple[str, str | None]] = []
    for name in registry.municipalities:
        forms.append((name, None))
        forms.append((without_marks(name), name))
    for written, name in registry.aliases.items():
        forms.append((written, name))
        forms.append((without_marks(written), name))
    for locality in registry.localities:
        forms.append((locality.name, None))
        forms.append((without_marks(locality.name), locality.name))
    seen: set[str] = set()
    unique: list[tuple[str, str | None]] = []
    for written, target in forms:
        if written not in seen:
            seen.add(written)
            unique.append((written, None if target == written else target))
    return unique


def place_forms(registry: Registry) -> list[tuple[str, str | None]]:
    """The written forms that are not also everyday words (Vara, Mark, Are for Åre): those would
    be taken for places in any sentence."""
    resolver = Resolver(registry)
    return [(w, t) for w, t in written_forms(registry) if not resolver.is_everyday(w)]


def place_names(registry: Registry) -> list[str]:
    """The names of `place_forms`, as Rasa's lookup table lists them."""
    return [written for written, _ in place_forms(registry)]
