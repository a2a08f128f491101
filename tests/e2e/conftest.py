"""The whole stack for end-to-end tests: real Redis, the trained model, Rasa, actions, gateway."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
import yaml

from bot.config import Settings
from bot.ops.launcher import Stack, free_port, redis_reachable
from bot.staff import totp

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
    # bot/limits/abuse.py and of staff sign-in would count every test together (they have their own
    # tests in tests/bot).
    with pytest.MonkeyPatch.context() as env:
        for name in (
            "HRV_RATE_CLIENT_MESSAGES_PER_MINUTE",
            "HRV_RATE_CLIENT_SESSIONS_PER_HOUR",
            "HRV_STAFF_LOGIN_CLIENT_ATTEMPTS",
        ):
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
def empty_queue(redis_url: str) -> None:
    """No chat that earlier tests left waiting, and no lease that would put a held one back in
    line: for tests that count the queue or read places in it (the stack is shared)."""
    redis.Redis.from_url(redis_url).delete("hrv:handoff:queue", "hrv:handoff:leases")


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
def gateway_reply() -> Callable[[str, str], str]:
    """A reply of the gateway's own in a language (bot/texts/<lang>.yml `replies`)."""

    def text(key: str, lang: str) -> str:
        path = REPO_ROOT / "bot/texts" / f"{lang}.yml"
        return str(yaml.safe_load(path.read_text(encoding="utf-8"))["replies"][key])

    return text


@pytest.fixture(scope="session")
def registry_labels() -> dict[str, dict[str, str]]:
    """The contact labels per language (data/contacts.yml), to compare the registry's lines."""
    raw = yaml.safe_load((REPO_ROOT / "data/contacts.yml").read_text(encoding="utf-8"))
    return raw["labels"]


@pytest.fixture(scope="session")
def safety_openings() -> Callable[[str], list[str]]:
    """The texts the safety layer opens an answer with in a language (bot/texts/<lang>.yml):
    the reply of each kind of danger and the unsure question."""

    def texts(lang: str) -> list[str]:
        policy = yaml.safe_load((REPO_ROOT / "bot/data/safety/policy.yml").read_text("utf-8"))
        path = REPO_ROOT / "bot/texts" / f"{lang}.yml"
        replies = yaml.safe_load(path.read_text(encoding="utf-8"))["replies"]
        keys = {*policy["replies"].values(), policy["unsure_reply"]}
        return [replies[key] for key in sorted(keys)]

    return texts


@dataclass(frozen=True)
class StaffAccount:
    """What `hrv-guide staff add` printed: the account token and the TOTP key."""

    name: str
    token: str
    totp_secret: str

    def code(self, at: float | None = None) -> str:
        """The authenticator app's code now (or at `at`); each is accepted once."""
        return totp.code_at(totp.from_base32(self.totp_secret), time.time() if at is None else at)

    def login(self, at: float | None = None) -> dict[str, str]:
        """The body of `POST /api/v1/staff/login`."""
        return {"token": self.token, "code": self.code(at)}


def parse_staff_add(output: str) -> dict[str, str]:
    """The `token: `, `totp_secret: ` and `totp_uri: ` lines of `hrv-guide staff add`."""
    return dict(re.findall(r"^(token|totp_secret|totp_uri): (\S+)$", output, re.MULTILINE))


@pytest.fixture(scope="session")
def add_staff(stack: Stack) -> Callable[[str], StaffAccount]:
    """Create a staff account with `hrv-guide staff add NAME` against the stack's Redis; returns
    the token and TOTP key the command printed."""

    def add(name: str) -> StaffAccount:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "staff", "add", name],
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        printed = parse_staff_add(done.stdout)
        return StaffAccount(name, printed["token"], printed["totp_secret"])

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
