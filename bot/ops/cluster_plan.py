"""The processes of `make cluster`: each one's command line and how to tell it answers.

The commands are those of `hrv-guide run` (bot/ops/launcher.py), each on its own port.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from bot.ops.launcher import REPO_ROOT, redis_server_executable

NGINX = "/usr/sbin/nginx"
ENDPOINTS = REPO_ROOT / "endpoints.yml"
RASA_VENV = REPO_ROOT / ".venv-rasa"


@dataclass
class Member:
    """One process of the cluster: how to start it and how to know it answers."""

    name: str
    command: list[str]
    env: dict[str, str]
    ready: Callable[[], bool]
    process: subprocess.Popen[bytes] | None = None

    @property
    def kind(self) -> str:
        """ "gateway", "rasa", "actions", "redis", "sentinel" or "nginx"."""
        return self.name.rsplit("-", 1)[0]


def http_ready(url: str) -> Callable[[], bool]:
    """Answers 200 at `url`."""

    def ready() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    return ready


def redis_ready(port: int, password: str | None = None) -> Callable[[], bool]:
    """Answers PING on the loopback `port` (a Redis server or a sentinel)."""

    def ready() -> bool:
        try:
            with redis.Redis(
                port=port, password=password, socket_timeout=1, socket_connect_timeout=1
            ) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    return ready


def redis_command(conf: Path) -> list[str]:
    """A Redis server with its file."""
    return [redis_server_executable(), str(conf)]


def sentinel_command(conf: Path) -> list[str]:
    """Debian's redis-sentinel, else redis-server in sentinel mode (the same program)."""
    found = shutil.which("redis-sentinel")
    return [found, str(conf)] if found else [redis_server_executable(), str(conf), "--sentinel"]


def actions_command(port: int) -> list[str]:
    """The Rasa SDK action server."""
    return [
        str(RASA_VENV / "bin/python"),
        *["-m", "rasa_sdk", "--actions", "actions", "--port"],
        str(port),
    ]


def rasa_command(port: int, token: str, model: Path) -> list[str]:
    """Rasa with its HTTP API (token-protected, loopback only) and the repository's endpoints."""
    return [
        str(RASA_VENV / "bin/rasa"),
        *["run", "--enable-api", "--interface", "127.0.0.1"],
        f"--auth-token={token}",  # one argument: a token may start with "-"
        *("--port", str(port), "--model", str(model), "--endpoints", str(ENDPOINTS)),
        *("--credentials", str(REPO_ROOT / "credentials.yml")),
    ]


def gateway_command() -> list[str]:
    """The gateway (its port comes from HRV_PORT)."""
    return [sys.executable, "-m", "bot.cli", "serve"]


def nginx_command(run_dir: Path) -> list[str]:
    """Debian's nginx as this user, in the foreground, with everything it writes in `run_dir`."""
    return [
        NGINX,
        *("-p", str(run_dir), "-c", str(run_dir / "nginx.conf")),
        *("-e", str(run_dir / "error.log"), "-g", "daemon off;"),
    ]
