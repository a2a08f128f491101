"""`make cluster` (`python -m bot.ops.cluster_run`): start the cluster, print the widget's
address, and stop everything on Ctrl-C, SIGTERM or SIGHUP, however often they arrive."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from bot.config import get_settings
from bot.ops.cluster import Cluster
from bot.ops.launcher import REPO_ROOT, StartupError


class _Stopping:
    """The first SIGINT/SIGTERM/SIGHUP interrupts; every later one is ignored, so a repeated
    signal (make passes Ctrl-C on; systemd signals the whole group) never cuts the stop short."""

    def __init__(self) -> None:
        self.stopping = False

    def __call__(self, signum: int, frame: object) -> None:
        if not self.stopping:
            self.stopping = True
            raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Start the cluster, print the widget's address, stop everything on Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m bot.ops.cluster_run", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="nginx's port (default: a free one)")
    parser.add_argument("--log-dir", type=Path, default=REPO_ROOT / ".run" / "cluster")
    args = parser.parse_args(argv)
    handler = _Stopping()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)
    cluster = Cluster(get_settings(), args.log_dir, nginx_port=args.port or None)
    print(
        "Starting nginx, 2 gateways, 2 Rasa, 2 action servers, Redis + replica + 3 sentinels …",
        flush=True,
    )
    began = time.monotonic()
    try:
        try:
            cluster.start()
        except StartupError as error:
            print(f"Could not start: {error}", flush=True)
            return 1
        print(
            f"\nHRV Guide (cluster) is running after {time.monotonic() - began:.0f} s. "
            f"Open the widget: {cluster.url}/",
            flush=True,
        )
        print(f"Logs: {cluster.log_dir}/  ·  Ctrl-C stops everything.", flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        handler.stopping = True
        print("\nStopping …", flush=True)
        return 0
    finally:
        handler.stopping = True
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
