"""The whole stack for end-to-end tests: real Redis, the trained model, Rasa, actions, gateway."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis
import yaml

from bot.config import Settings
from bot.launcher import Stack, free_port, redis_reachable

REPO_ROOT = Path(__file__).resolve().parents[2]
E2E_REDIS_URL = os.environ.get("HRV_E2E_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Start everything once per test run, as `make run` does, on free ports."""
    ports = {"port": free_port(), "rasa_port": free_port(), "actions_port": free_port()}
    if redis_reachable(E2E_REDIS_URL):
        redis.Redis.from_url(E2E_REDIS_URL).flushdb()
        settings = Settings(environment="test", redis_url=E2E_REDIS_URL, **ports)
    else:  # no Redis on this machine: the launcher starts the embedded one
        settings = Settings(environment="test", **ports)
    running = Stack(settings, log_dir=tmp_path_factory.mktemp("logs"))
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def gateway_url(stack: Stack) -> str:
    """The gateway's base address (the widget is at `/`)."""
    return stack.gateway_url


@pytest.fixture(scope="session")
def redis_url(stack: Stack) -> str:
    """The Redis the stack uses."""
    return stack.redis_url


@pytest.fixture
def api(gateway_url: str) -> Iterator[httpx.Client]:
    """A plain HTTP client for the widget API."""
    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def response_texts() -> Callable[[str, str], list[str]]:
    """The texts of a response in a language (nlu/responses/<lang>.yml), to compare replies."""

    def texts(name: str, lang: str) -> list[str]:
        path = REPO_ROOT / "nlu/responses" / f"{lang}.yml"
        responses = yaml.safe_load(path.read_text(encoding="utf-8"))["responses"]
        return [variation["text"] for variation in responses[name]]

    return texts
