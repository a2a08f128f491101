"""`python -m bot.ops.wait_ready URL`: wait until URL answers 200 (exit 0), or give up (exit 1).

The systemd units run it as ExecStartPost, so a unit is "started" only once its process
answers: `systemctl restart` of one Rasa replica returns when it serves again, and a rolling
restart can go on to the next one. Standard library only: it starts in milliseconds.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request


def answers(url: str, timeout: float = 2.0) -> bool:
    """Whether `url` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):  # refused, reset, timed out, HTTP errors (URLError, HTTPError)
        return False


def wait_ready(url: str, timeout: float, interval: float = 0.5) -> bool:
    """Poll `url` until it answers 200 or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        if answers(url):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.ops.wait_ready", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds (default 600)")
    args = parser.parse_args(argv)
    if wait_ready(args.url, args.timeout):
        return 0
    # The URL may carry Rasa's token: say only that it did not answer.
    print(f"no answer within {args.timeout:g} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
