"""`make cluster`: the high-availability layout on this machine, on loopback ports.

nginx in front of 2 gateways and 2 action servers, 2 Rasa servers, a Redis primary and replica
watched by 3 sentinels: each a process of its own, spawned as `hrv-guide run` spawns its
children (bot/ops/processes.py: they die with this process), each with its log in the run
directory. `Cluster` is also what the failure drill drives (`kill` one as a crash would,
`restart` it, ask who is the Redis primary now).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from bot.config import Settings
from bot.ops import processes
from bot.ops.cluster_configs import RedisAuth, nginx_config, redis_config, sentinel_config
from bot.ops.cluster_plan import (
    ENDPOINTS,
    NGINX,
    Member,
    actions_command,
    gateway_command,
    http_ready,
    nginx_command,
    rasa_command,
    redis_command,
    redis_ready,
    sentinel_command,
)
from bot.ops.cluster_redis import copies_a_primary, sentinel_primary_port, sentinel_sees_all
from bot.ops.launcher import REPO_ROOT, StartupError
from bot.ops.ports import taken_ports
from bot.ops.processes import free_port

# Stopped in this order: the front first, so nothing new arrives at what stops after it.
STOP_ORDER = ("nginx", "gateway", "rasa", "actions", "sentinel", "redis")
STOP_SECONDS = 15.0


def _never() -> bool:
    return False


class Cluster:
    """Every process of the layout on free loopback ports (nginx on `nginx_port` if given)."""

    def __init__(
        self,
        settings: Settings,
        log_dir: Path,
        env_overrides: dict[str, str] | None = None,
        nginx_port: int | None = None,
    ) -> None:
        self.settings = settings
        self.log_dir = log_dir.resolve()
        self.env_overrides = dict(env_overrides or {})
        # The setting arrives with the gateway's Sentinel support; until then its default.
        self.sentinel_service = str(getattr(settings, "redis_sentinel_service", "") or "hrvguide")
        parsed = urlparse(settings.redis_url)
        self._db = parsed.path.lstrip("/") or "0"
        self._auth = RedisAuth(parsed.password or "")
        self._port = {name: free_port() for name in self._all_names()}
        if nginx_port:
            self._port["nginx"] = nginx_port
        self._actions_lb_port = free_port()
        self.url = f"http://127.0.0.1:{self._port['nginx']}"
        self.sentinels = [("127.0.0.1", self._port[f"sentinel-{i}"]) for i in (1, 2, 3)]
        token = settings.rasa_token.get_secret_value()
        self._rasa_token = secrets.token_urlsafe(32) if token.startswith("dev-") else token
        self._members = {member.name: member for member in self._plan()}
        self._stop_requested: Callable[[], bool] = _never

    @staticmethod
    def _all_names() -> list[str]:
        return [
            *(f"{kind}-{i}" for kind in ("gateway", "rasa", "actions", "redis") for i in (1, 2)),
            *(f"sentinel-{i}" for i in (1, 2, 3)),
            "nginx",
        ]

    def names(self) -> list[str]:
        """Every process's name, e.g. "gateway-1", "redis-2", "sentinel-3", "nginx"."""
        return list(self._members)

    # -- addresses ---------------------------------------------------------------------------

    def _redis_url_at(self, port: int) -> str:
        password = f":{self._auth.password}@" if self._auth.password else ""
        return f"redis://{password}127.0.0.1:{port}/{self._db}"

    @property
    def redis_url(self) -> str:
        """The current primary's URL (asks the sentinels; the first primary if none answers)."""
        return self._redis_url_at(self._port[self._primary_or("redis-1")])

    def primary(self) -> str:
        """The name of the Redis server the sentinels call primary now ("redis-1" or "redis-2")."""
        name = self._primary_or("")
        if not name:
            raise StartupError("No sentinel names a primary.")
        return name

    def _primary_or(self, default: str) -> str:
        port = sentinel_primary_port(self.sentinels, self.sentinel_service)
        names = [name for name in ("redis-1", "redis-2") if self._port[name] == port]
        return names[0] if names else default

    # -- the plan ----------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        """What every Python child gets (as bot/ops/launcher.py gives `hrv-guide run`'s)."""
        primary = self._redis_url_at(self._port["redis-1"])
        sentinels = ",".join(f"{host}:{port}" for host, port in self.sentinels)
        rasa_urls = [f"http://127.0.0.1:{self._port[f'rasa-{i}']}" for i in (1, 2)]
        env = dict(os.environ)
        env.update(
            {
                "PYTHONUNBUFFERED": "1",
                "RASA_TELEMETRY_ENABLED": "false",
                "SANIC_HOST": "127.0.0.1",
                "SANIC_ACCESS_LOG": "false",  # no client addresses or paths in the logs
                "LOG_LEVEL": "INFO",  # Rasa logs message texts at DEBUG
                "LOG_LEVEL_LIBRARIES": "ERROR",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                # Rasa's lock on a conversation, held by a replica killed mid-turn, blocks that
                # conversation on every replica until it expires (60 s by default): twice the
                # gateway's Rasa timeout is long enough for any turn it still waits for.
                "TICKET_LOCK_LIFETIME": "10",
                # The db and password; the sentinels name the primary's address.
                "HRV_REDIS_URL": primary,
                "HRV_REDIS_SENTINELS": sentinels,
                "HRV_REDIS_SENTINEL_SERVICE": self.sentinel_service,
                "HRV_RASA_REDIS_HOST": "127.0.0.1",
                "HRV_RASA_REDIS_PORT": str(self._port["redis-1"]),
                "HRV_RASA_REDIS_DB": self._db,
                "HRV_RASA_REDIS_PASSWORD": self._auth.password,
                "HRV_RASA_REDIS_SENTINELS": sentinels,
                "HRV_RASA_REDIS_SENTINEL_SERVICE": self.sentinel_service,
                "HRV_SESSION_TTL_SECONDS": str(self.settings.session_ttl_seconds),
                "HRV_ACTION_URL": f"http://127.0.0.1:{self._actions_lb_port}/webhook",
                "HRV_ACTIONS_URL": f"http://127.0.0.1:{self._actions_lb_port}",
                "HRV_RASA_URL": rasa_urls[0],
                "HRV_RASA_URLS": ",".join(rasa_urls),
                "HRV_RASA_TOKEN": self._rasa_token,
                "HRV_HOST": "127.0.0.1",
                "HRV_ENVIRONMENT": self.settings.environment,
                "HRV_TRUSTED_PROXY_HOPS": "1",
                # A handoff message is acknowledged once the replica has it too: a failover
                # then loses no acknowledged message (docs/OPERATIONS.md, "Sentinel").
                "HRV_REDIS_WAIT_REPLICAS": "1",
            }
        )
        # Every gateway must hash client addresses alike for the shared rate limits: one fresh
        # key per run unless one is given.
        env.setdefault("HRV_RATE_LIMIT_SECRET", secrets.token_urlsafe(32))
        env.update(self.env_overrides)
        missing = sorted(set(re.findall(r"\$\{(\w+)\}", ENDPOINTS.read_text())) - set(env))
        if missing:
            raise StartupError(
                f"endpoints.yml needs {', '.join(missing)}, which the cluster does not set."
            )
        return env

    def _plan(self) -> list[Member]:
        env = self._environment()
        port, conf = self._port, self._dir
        members = [
            Member(
                f"redis-{i}",
                redis_command(conf(f"redis-{i}") / "redis.conf"),
                env,
                redis_ready(port[f"redis-{i}"], self._auth.password or None),
            )
            for i in (1, 2)
        ]
        members += [
            Member(
                f"sentinel-{i}",
                sentinel_command(conf(f"sentinel-{i}") / "sentinel.conf"),
                env,
                redis_ready(port[f"sentinel-{i}"]),
            )
            for i in (1, 2, 3)
        ]
        members += [
            Member(
                f"actions-{i}",
                actions_command(port[f"actions-{i}"]),
                env,
                http_ready(f"http://127.0.0.1:{port[f'actions-{i}']}/health"),
            )
            for i in (1, 2)
        ]
        token = self._rasa_token
        members += [
            Member(
                f"rasa-{i}",
                rasa_command(port[f"rasa-{i}"], token, self.settings.model_path),
                env,
                http_ready(f"http://127.0.0.1:{port[f'rasa-{i}']}/status?token={token}"),
            )
            for i in (1, 2)
        ]
        members += [
            Member(
                f"gateway-{i}",
                gateway_command(),
                {**env, "HRV_PORT": str(port[f"gateway-{i}"])},
                http_ready(f"http://127.0.0.1:{port[f'gateway-{i}']}/healthz"),
            )
            for i in (1, 2)
        ]
        members.append(
            Member("nginx", nginx_command(conf("nginx")), env, http_ready(f"{self.url}/healthz"))
        )
        return members

    def _dir(self, name: str) -> Path:
        return self.log_dir / name

    def _write_configs(self) -> None:
        """Fresh files and empty Redis data on every start (the ports are new each time)."""
        for name in self.names():
            if name.startswith(("redis-", "sentinel-", "nginx")):
                shutil.rmtree(self._dir(name), ignore_errors=True)
                self._dir(name).mkdir(parents=True)
        primary = self._port["redis-1"]
        for i in (1, 2):
            name = f"redis-{i}"
            text = redis_config(
                self._dir(name), self._port[name], None if i == 1 else primary, self._auth
            )
            (self._dir(name) / "redis.conf").write_text(text)
        for i in (1, 2, 3):
            name = f"sentinel-{i}"
            text = sentinel_config(
                self._dir(name), self._port[name], primary, self.sentinel_service, self._auth
            )
            (self._dir(name) / "sentinel.conf").write_text(text)
        text = nginx_config(
            self._dir("nginx"),
            self._port["nginx"],
            self._actions_lb_port,
            [self._port[f"gateway-{i}"] for i in (1, 2)],
            [self._port[f"actions-{i}"] for i in (1, 2)],
            self.settings.max_body_bytes,
        )
        (self._dir("nginx") / "nginx.conf").write_text(text)

    # -- running -----------------------------------------------------------------------------

    def start(self, timeout: float = 300, stop_requested: Callable[[], bool] = _never) -> None:
        """Start everything and wait until each answers (and the sentinels know the replica
        and each other); on failure, or when `stop_requested` turns true, stop everything and
        raise StartupError."""
        if not self.settings.model_path.exists():
            raise StartupError(f"No trained model at {self.settings.model_path}: run `make train`.")
        if not Path(NGINX).exists():
            raise StartupError(f"No nginx at {NGINX}: run `make cluster-packages`.")
        wanted = {name: ("127.0.0.1", port) for name, port in self._port.items()}
        problems = taken_ports({**wanted, "actions (nginx)": ("127.0.0.1", self._actions_lb_port)})
        if problems:
            raise StartupError("ports in use: " + "; ".join(problems))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        self._stop_requested = stop_requested
        try:
            self._write_configs()
            # Redis first (everything else connects to it), then the rest all at once.
            for name in ("redis-1", "redis-2", "sentinel-1", "sentinel-2", "sentinel-3"):
                self._spawn(self._members[name])
            for name in ("redis-1", "redis-2", "sentinel-1", "sentinel-2", "sentinel-3"):
                self._wait(self._members[name], deadline)
            self._wait_for_sentinels(deadline)
            rest = [
                m
                for m in self._members.values()
                if m.kind in ("actions", "rasa", "gateway", "nginx")
            ]
            for member in rest:
                self._spawn(member)
            for member in rest:
                self._wait(member, deadline)
        except BaseException:
            self.stop()
            raise

    def _wait_for_sentinels(self, deadline: float) -> None:
        """Until every sentinel sees the replica and the two other sentinels: only then can
        they fail the primary over."""
        while time.monotonic() < deadline and not self._stop_requested():
            if all(sentinel_sees_all(port, self.sentinel_service) for _, port in self.sentinels):
                return
            time.sleep(0.5)
        raise StartupError(
            f"The sentinels did not find each other in time; see {self.log_dir}/sentinel-*.log"
        )

    def _spawn(self, member: Member) -> None:
        # Dies with this process (PR_SET_PDEATHSIG), however it ends; the log is appended to.
        log = self.log_dir / f"{member.name}.log"
        member.process = processes.spawn(member.command, log, env=member.env, cwd=REPO_ROOT)

    def _wait(self, member: Member, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self._stop_requested():
                raise StartupError(f"stopped while waiting for {member.name}")
            process = member.process
            if process is None or process.poll() is not None:
                code = None if process is None else process.returncode
                raise StartupError(
                    f"{member.name} exited with {code}; see {self.log_dir}/{member.name}.log"
                )
            if member.ready():
                return
            time.sleep(0.25)
        raise StartupError(
            f"{member.name} did not answer in time; see {self.log_dir}/{member.name}.log"
        )

    def pids(self) -> dict[str, int]:
        """Each running process's id, which is also its process group's id."""
        return {
            m.name: m.process.pid
            for m in self._members.values()
            if m.process is not None and m.process.poll() is None
        }

    def running(self) -> list[str]:
        """The names of the processes that run now."""
        return list(self.pids())

    def kill(self, name: str) -> None:
        """SIGKILL one process (its whole process group), as a crash would."""
        member = self._members[name]
        if member.process is not None:
            processes.kill(member.process, timeout=STOP_SECONDS)

    def restart(self, name: str, timeout: float = 180) -> None:
        """Start one process again (after `kill` or a crash) and wait until it answers."""
        member = self._members[name]
        self.kill(name)
        self._spawn(member)
        deadline = time.monotonic() + timeout
        self._wait(member, deadline)
        if member.kind == "redis":
            self._wait_until_replica_or_primary(name, deadline)

    def _wait_until_replica_or_primary(self, name: str, deadline: float) -> None:
        """A Redis server that comes back after a failover starts as the primary it was, with
        old data, until Sentinel makes it a replica of the new one: it has not recovered before
        it copies the primary (or is the primary the sentinels name)."""
        password = self._auth.password or None
        while time.monotonic() < deadline:
            if self._primary_or("") == name or copies_a_primary(self._port[name], password):
                return
            time.sleep(0.25)
        raise StartupError(f"{name} did not rejoin as a replica in time; see {self.log_dir}")

    def stop(self) -> None:
        """Stop every process (SIGTERM, SIGKILL after 15 s) and remove the Redis data."""
        for kind in STOP_ORDER:
            members = [
                m for m in self._members.values() if m.kind == kind and m.process is not None
            ]
            for member in members:  # all of a kind at once, then wait for each
                if member.process is not None and member.process.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(member.process.pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_SECONDS
            for member in members:
                if member.process is not None:
                    processes.stop(member.process, max(0.1, deadline - time.monotonic()))
                member.process = None
        # The append-only files hold conversations: nothing of them stays after the cluster.
        for name in self.names():
            if name.startswith("redis-"):
                shutil.rmtree(self._dir(name), ignore_errors=True)
