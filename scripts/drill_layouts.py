"""What the failure drill runs against: `make cluster`'s layout (bot/ops/cluster.py), or, where
that is not available, the single-process stack on a Redis of its own (labelled as such in
every printout). Both give the same handles: an address, processes by name to kill and bring
back, and Redis clients that follow the primary (through the sentinels in the cluster).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import redis
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel

from bot.config import Settings
from bot.ops.launcher import Stack, free_port, redis_reachable, redis_server_executable


class Layout(Protocol):
    """The processes under the drill."""

    label: str  # printed with every result: which layout was measured
    url: str  # where people and staff connect (nginx in the cluster)
    settings: Settings
    env: dict[str, str]  # the processes' environment (`hrv-guide staff add` runs in it)

    def names(self) -> list[str]: ...
    def primary(self) -> str: ...
    def kill(self, name: str) -> None: ...
    def restart(self, name: str, timeout: float = 180) -> None: ...
    def stop(self) -> None: ...
    def redis(self) -> redis.Redis: ...
    def async_redis(self) -> AsyncRedis: ...


def first(layout: Layout, kind: str) -> str:
    """The first process of a kind ("gateway" -> "gateway-1" in the cluster, "gateway" alone)."""
    return next(name for name in layout.names() if name.split("-")[0] == kind)


class OwnRedis:
    """redis-server with AOF fsync'ed on every write (as production runs it), to kill and start
    again: the single stack's stand-in for the Redis primary."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        command = [
            redis_server_executable(),
            *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)),
            *("--save", "", "--appendonly", "yes", "--appendfsync", "always"),
        ]
        with (self.dir / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while not redis_reachable(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.dir}/redis.log")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class SingleStack:
    """`make run`'s processes (one gateway, Rasa, action server) on an AOF Redis of their own."""

    label = "single stack (1 gateway, 1 Rasa, 1 action server, 1 Redis with AOF; no nginx)"

    def __init__(self, log_dir: Path, overrides: dict[str, str]) -> None:
        self.own = OwnRedis(log_dir / "redis")
        self.settings = Settings(
            redis_url=self.own.url,
            port=free_port(),
            rasa_port=free_port(),
            actions_port=free_port(),
        )
        self.stack = Stack(self.settings, log_dir=log_dir, env_overrides=overrides)
        self.url = self.stack.gateway_url

    @property
    def env(self) -> dict[str, str]:
        return self.stack.env

    def start(self) -> None:
        self.own.start()
        try:
            self.stack.start()
        except BaseException:
            self.own.kill()
            raise

    def names(self) -> list[str]:
        return ["gateway", "rasa", "actions", "redis"]

    def primary(self) -> str:
        return "redis"

    def kill(self, name: str) -> None:
        if name == "redis":
            self.own.kill()
        else:
            self.stack.kill(name)

    def restart(self, name: str, timeout: float = 180) -> None:
        if name == "redis":
            self.own.start(timeout)
        else:
            self.stack.restart(name, timeout)

    def stop(self) -> None:
        self.stack.stop()
        self.own.kill()

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.own.url, decode_responses=True, socket_timeout=3)

    def async_redis(self) -> AsyncRedis:
        return AsyncRedis.from_url(self.own.url, decode_responses=True, socket_timeout=3)


class ClusterLayout:
    """`make cluster`'s layout: nginx, 2 gateways, 2 Rasa, 2 action servers, Redis primary and
    replica, 3 sentinels."""

    label = (
        "cluster (nginx, 2 gateways, 2 Rasa, 2 action servers, Redis primary + replica, "
        "3 sentinels)"
    )

    def __init__(self, log_dir: Path, overrides: dict[str, str]) -> None:
        from bot.ops.cluster import Cluster  # the cluster's module, where it exists

        self.settings = Settings()
        self.cluster = Cluster(self.settings, log_dir, env_overrides=overrides)
        self.overrides = overrides
        self.url = ""
        self.env: dict[str, str] = {}

    def start(self) -> None:
        self.cluster.start()
        self.url = self.cluster.url
        hosts = ",".join(f"{host}:{port}" for host, port in self.cluster.sentinels)
        own_env = getattr(self.cluster, "env", None)
        self.env = (
            dict(own_env)
            if isinstance(own_env, dict)
            else {
                **os.environ,
                **self.overrides,
                "HRV_REDIS_URL": self.cluster.redis_url,
                "HRV_REDIS_SENTINELS": hosts,
                "HRV_REDIS_SENTINEL_SERVICE": self.cluster.sentinel_service,
            }
        )

    def names(self) -> list[str]:
        return self.cluster.names()

    def primary(self) -> str:
        return self.cluster.primary()

    def kill(self, name: str) -> None:
        self.cluster.kill(name)

    def restart(self, name: str, timeout: float = 180) -> None:
        self.cluster.restart(name, timeout)

    def stop(self) -> None:
        self.cluster.stop()

    def _db(self) -> tuple[int, str | None]:
        parsed = urlparse(self.cluster.redis_url)
        return int(parsed.path.lstrip("/") or 0), parsed.password

    def redis(self) -> redis.Redis:
        db, password = self._db()
        sentinel = Sentinel(self.cluster.sentinels, socket_timeout=3)
        return sentinel.master_for(
            self.cluster.sentinel_service, db=db, password=password, decode_responses=True
        )

    def async_redis(self) -> AsyncRedis:
        db, password = self._db()
        sentinel = AsyncSentinel(self.cluster.sentinels, socket_timeout=3)
        return sentinel.master_for(
            self.cluster.sentinel_service, db=db, password=password, decode_responses=True
        )


def cluster_available() -> bool:
    """Whether this checkout has the cluster's module (bot/ops/cluster.py)."""
    try:
        import bot.ops.cluster  # noqa: F401
    except ImportError:
        return False
    return True


def make_layout(kind: str, log_dir: Path, overrides: dict[str, str]) -> SingleStack | ClusterLayout:
    """ "cluster", "single", or "auto" (the cluster where this checkout has it)."""
    if kind == "cluster" or (kind == "auto" and cluster_available()):
        return ClusterLayout(log_dir, overrides)
    return SingleStack(log_dir, overrides)


def keys_without_expiry(client: redis.Redis) -> dict[str, int]:
    """Every key with no TTL (-1), counted by its prefix (the part before the first ':'):
    the gateway's, Rasa's tracker and lock stores', whatever else wrote there."""
    found: dict[str, int] = {}
    batch: list[str] = []

    def check() -> None:
        pipe = client.pipeline(transaction=False)
        for key in batch:
            pipe.ttl(key)
        for key, ttl in zip(batch, pipe.execute(), strict=True):
            if ttl == -1:
                prefix = str(key).split(":", 1)[0]
                found[prefix] = found.get(prefix, 0) + 1
        batch.clear()

    for key in client.scan_iter(count=1000):
        batch.append(key)
        if len(batch) >= 500:
            check()
    if batch:
        check()
    return found


def count_keys(client: redis.Redis) -> int:
    return int(client.dbsize())
