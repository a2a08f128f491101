"""The registry and its words as the actions read them: loaded once per process, lazily, so
importing an action module reads no files."""

from __future__ import annotations

from actions.settings import ActionSettings
from registry import Registry, load_registry

DEFAULT_LANGUAGE = "sv"


def registry_from_settings() -> Registry:
    """data/ as the action server's settings point to it (read once: load_registry caches)."""
    return load_registry(ActionSettings.from_env().data_dir)


def words_in(labels: dict[str, dict[str, str]], language: str) -> dict[str, str]:
    """The contact labels of `language`, else of the default language."""
    return labels.get(language, labels[DEFAULT_LANGUAGE])
