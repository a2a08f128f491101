"""Fixtures for the registry's tests: the real data files, and a copy of them to break."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from registry import Registry, Resolver, load_registry

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The registry loaded from data/."""
    return load_registry(DATA_DIR)


@pytest.fixture(scope="session")
def resolver(registry: Registry) -> Resolver:
    """The name index over the real data."""
    return Resolver(registry)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of data/ that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.fixture
def edit(data_copy: Path) -> Callable[[str, str, str], None]:
    """Replace `old` (which must occur) by `new` in one file of the copy."""

    def replace(name: str, old: str, new: str) -> None:
        path = data_copy / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return replace
