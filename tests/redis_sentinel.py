"""A real Redis Sentinel layout for failover tests: a primary, a replica and three sentinels
(Debian's redis-server and redis-sentinel), on free loopback ports, configured in a temporary
folder. Used by the gateway's tests (Python 3.11) and Rasa's (3.10): standard library and
redis-py only."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

SERVICE = "hrvguide"
# Sentinel calls the primary down after this long without an answer, then elects and promotes.
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 3000


def free_port() -> int:
    """A port nothing listens on now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError):
            if check():
                return
        time.sleep(0.05)
    raise TimeoutError(f"redis sentinel layout: {what} not within {timeout} s")


@dataclass
class SentinelLayout:
    """The running layout; `primary_port` follows failovers (asked of the sentinels)."""

    folder: Path
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def sentinels(self) -> str:
        """`host:port,...` as HRV_REDIS_SENTINELS takes them."""
        return ",".join(f"127.0.0.1:{self.ports[f'sentinel{i}']}" for i in range(3))

    def _client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1)

    def primary_port(self) -> int:
        """The port of the node the sentinels now name the primary."""
        for i in range(3):
            with contextlib.suppress(redis.RedisError):
                reply = self._client(self.ports[f"sentinel{i}"]).execute_command(
                    "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE
                )
                return int(reply[1])
        raise redis.ConnectionError("no sentinel answers")

    def _start(self, name: str, args: list[str]) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder
        )

    def start(self) -> None:
        """Start the primary, the replica and the sentinels; return once the sentinels know
        the replica and each other (only then can they fail over)."""
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        for name in ("primary", "replica", "sentinel0", "sentinel1", "sentinel2"):
            self.ports[name] = free_port()
        for name in ("primary", "replica"):
            data = self.folder / name
            data.mkdir()
            args = [server, "--port", str(self.ports[name]), "--bind", "127.0.0.1"]
            args += ["--save", "", "--appendonly", "no", "--dir", str(data)]
            if name == "replica":
                args += ["--replicaof", "127.0.0.1", str(self.ports["primary"])]
            self._start(name, args)
        for name in ("primary", "replica"):
            _wait_until(lambda n=name: self._client(self.ports[n]).ping(), 10, f"{name} up")
        _wait_until(
            lambda: (
                self._client(self.ports["replica"]).info("replication")["master_link_status"]
                == "up"
            ),
            10,
            "replica in sync",
        )
        for i in range(3):
            name = f"sentinel{i}"
            conf = self.folder / f"{name}.conf"
            conf.write_text(
                f"port {self.ports[name]}\nbind 127.0.0.1\ndir {self.folder}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.ports['primary']} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}\n"
                f"sentinel parallel-syncs {SERVICE} 1\n",
                encoding="utf-8",
            )
            self._start(name, [server, str(conf), "--sentinel"])

        def known() -> bool:
            for i in range(3):
                sentinel = self._client(self.ports[f"sentinel{i}"])
                if not sentinel.execute_command("SENTINEL", "REPLICAS", SERVICE):
                    return False
                if len(sentinel.execute_command("SENTINEL", "SENTINELS", SERVICE)) < 2:
                    return False
            return True

        _wait_until(known, 20, "sentinels aware of the replica and each other")

    def kill_primary(self) -> int:
        """SIGKILL the node that is primary now; its port."""
        port = self.primary_port()
        name = next(n for n in ("primary", "replica") if self.ports[n] == port)
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait(5)
        return port

    def stop(self) -> None:
        """Stop every process of the layout."""
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(5)


@contextlib.contextmanager
def sentinel_layout(folder: Path) -> Iterator[SentinelLayout]:
    """A started layout, stopped afterwards whatever happened."""
    layout = SentinelLayout(folder)
    try:
        layout.start()
        yield layout
    finally:
        layout.stop()
