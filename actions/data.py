"""The registry and its words as the actions read them: loaded once per process, lazily, so
importing an action module reads no files."""

from __future__ import annotations

from actions.settings import ActionSettings
from registry import Registry, load_registry
from registry.describe import DEFAULT_LANGUAGE, words_in

__all__ = ["DEFAULT_LANGUAGE", "registry_from_settings", "words_in"]


def registry_from_settings() -> Registry:
    """data/ as the action server's settings point to it (read once: load_registry caches)."""
    return load_registry(ActionSettings.from_env().data_dir)
