"""`make cluster` (`python -m bot.ops.cluster_run`): start the cluster, print the widget's
address, and stop everything on Ctrl-C, SIGTERM or SIGHUP, however often they arrive."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bot.config import get_settings
from bot.ops.cluster import Cluster
from bot.ops.launcher import REPO_ROOT, StartupError, StopRequest


def main(argv: list[str] | None = None) -> int:
    """Start the cluster, print the widget's address, stop everything on Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m bot.ops.cluster_run", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="nginx's port (default: a free one)")
    parser.add_argument("--log-dir", type=Path, default=REPO_ROOT / ".run" / "cluster")
    args = parser.parse_args(argv)
    # Signals only record the request; this flow stops the children (bot/ops/launcher.py).
    stop_request = StopRequest()
    stop_request.install()
    try:
        cluster = Cluster(get_settings(), args.log_dir, nginx_port=args.port or None)
    except StartupError as error:
        print(f"Could not start: {error}", flush=True)
        return 1
    print(
        "Starting nginx, 2 gateways, 2 Rasa, 2 action servers, Redis + replica + 3 sentinels …",
        flush=True,
    )
    began = time.monotonic()
    try:
        cluster.start(stop_requested=lambda: bool(stop_request))
    except StartupError as error:  # start stopped what it had started
        print(f"Could not start: {error}", flush=True)
        return 0 if stop_request else 1
    try:
        print(
            f"\nHRV Guide (cluster) is running after {time.monotonic() - began:.0f} s. "
            f"Open the widget: {cluster.url}/",
            flush=True,
        )
        print(f"Logs: {cluster.log_dir}/  ·  Ctrl-C stops everything.", flush=True)
        while not stop_request:
            time.sleep(0.2)
        print("\nStopping …", flush=True)
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
