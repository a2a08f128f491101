"""The whole stack for end-to-end tests: real Redis, the trained model, Rasa, actions, gateway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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
    # The whole run is one client (127.0.0.1) of one gateway: the per-client limits of
    # bot/limits.py would count every test together (they have their own tests in tests/bot).
    with pytest.MonkeyPatch.context() as env:
        for name in ("HRV_RATE_CLIENT_MESSAGES_PER_MINUTE", "HRV_RATE_CLIENT_SESSIONS_PER_HOUR"):
            env.setenv(name, os.environ.get(name, "100000"))
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


@pytest.fixture(scope="session")
def add_staff(stack: Stack) -> Callable[[str], str]:
    """Create a staff account with `hrv-guide staff add NAME` against the stack's Redis; returns
    the token the command printed alone on its last line."""

    def add(name: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "staff", "add", name],
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.rstrip("\n").split("\n")[-1]

    return add


class GatewayProcess:
    """One more gateway process (`hrv-guide serve`) on the stack's Redis and Rasa, on its own
    port: what a second machine behind a load balancer would run."""

    def __init__(self, stack: Stack, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {**stack.env, "HRV_PORT": str(self.port)}
        self._log = log_dir / f"gateway-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until it answers."""
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve"],
                cwd=REPO_ROOT,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the second gateway did not start; see {self._log}")

    def kill(self) -> None:
        """Stop it hard, as a crash would (no graceful shutdown)."""
        if self._process and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=15)


@pytest.fixture
def second_gateway(stack: Stack, tmp_path: Path) -> Iterator[GatewayProcess]:
    """A second gateway process on the same Redis, stopped after the test."""
    gateway = GatewayProcess(stack, tmp_path)
    gateway.start()
    yield gateway
    gateway.kill()
