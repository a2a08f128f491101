"""Which process holds a TCP port: a start that finds its port taken says so before it spawns
anything (an orphaned gateway answering on 8000 looked like a working service).

Read from /proc (the socket tables, then each process's open files), so it needs nothing
installed; another user's process shows as "a process this user cannot inspect".
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's "st" column


@dataclass(frozen=True)
class PortHolder:
    """A process listening on a port (pid None: not visible to this user)."""

    port: int
    pid: int | None
    command: str

    def describe(self) -> str:
        if self.pid is None:
            return f"port {self.port} is taken by a process this user cannot inspect"
        return f"port {self.port} is taken by pid {self.pid} ({self.command})"


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now (bound as servers bind: SO_REUSEADDR,
    so a closed connection's TIME_WAIT does not count as taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def listening_inodes(port: int) -> set[int]:
    """The socket inodes listening on `port` (any address), from /proc/net/tcp and tcp6."""
    inodes: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], int(fields[9])
            hex_port = local.rpartition(":")[2]
            if state == LISTEN and int(hex_port, 16) == port and inode:
                inodes.add(inode)
    return inodes


def _command(pid: int) -> str:
    """The command name and its first arguments (never the rest: Rasa's carries its token)."""
    try:
        name = (PROC / str(pid) / "comm").read_text().strip()
        argv = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return "exited"
    words = [os.fsdecode(a) for a in argv[:3] if a and b"token" not in a.lower()]
    return f"{name}: {' '.join(words)}" if words else name


def _owner_of(inodes: set[int]) -> int | None:
    targets = {f"socket:[{inode}]" for inode in inodes}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):  # gone, or another user's
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in targets:
                        return int(entry.name)
    return None


def port_holder(host: str, port: int) -> PortHolder | None:
    """Who keeps host:port from being listened on, or None when it is free."""
    if port_is_free(host, port):
        return None
    pid = _owner_of(listening_inodes(port))
    return PortHolder(port, pid, _command(pid) if pid is not None else "")


def taken_ports(wanted: dict[str, tuple[str, int]]) -> list[str]:
    """One line per port of `wanted` (name -> (host, port)) that is taken, naming its holder."""
    problems = []
    for name, (host, port) in wanted.items():
        try:
            holder = port_holder(host, port)
        except OSError as error:  # e.g. a port below 1024 without the right to it
            problems.append(f"{name}: cannot listen on {host}:{port} ({error.strerror})")
            continue
        if holder is not None:
            problems.append(f"{name}: {holder.describe()}")
    return problems
