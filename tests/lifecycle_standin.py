"""A `hrv-guide run` whose children are small stand-ins: the real launcher (run_forever, Stack's
start, stop and signal handling) over processes that start and stop in a second, for the
lifecycle tests (Rasa takes a minute to load; these tests are about the parent, not Rasa).

    python -m tests.lifecycle_standin parent          # settings from HRV_* as usual
    python -m tests.lifecycle_standin child PORT START_DELAY STOP_DELAY

Each child answers 200 on every GET once it listens (after START_DELAY seconds) and, like a
server finishing its open requests, takes STOP_DELAY seconds to exit after SIGTERM.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

# START_DELAY per service, from the environment: a slow "rasa" keeps the parent starting.
DELAY_VARIABLE = "STANDIN_START_DELAY_{}"
STOP_DELAY = "1.0"


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


def child(port: int, start_delay: float, stop_delay: float) -> None:
    def finish(signum: int, frame: object) -> None:
        time.sleep(stop_delay)
        os._exit(0)

    signal.signal(signal.SIGTERM, finish)
    time.sleep(start_delay)
    HTTPServer(("127.0.0.1", port), _Ok).serve_forever()


def parent() -> int:
    from bot.config import Settings
    from bot.ops import launcher

    class StandInStack(launcher.Stack):
        def _port(self, name: str) -> int:
            return {
                "actions": self.settings.actions_port,
                "rasa": self.settings.rasa_port,
                "gateway": self.settings.port,
            }[name]

        def _command(self, name: str) -> list[str]:
            delay = os.environ.get(DELAY_VARIABLE.format(name), "0")
            module = "tests.lifecycle_standin"
            return [sys.executable, "-m", module, "child", str(self._port(name)), delay, STOP_DELAY]

        def _ready_url(self, name: str) -> str:
            return f"http://127.0.0.1:{self._port(name)}/"

    log_dir = Path(os.environ["STANDIN_LOG_DIR"])
    launcher.Stack = functools.partial(StandInStack, log_dir=log_dir)  # type: ignore[misc]
    return launcher.run_forever(Settings())


if __name__ == "__main__":
    if sys.argv[1] == "child":
        child(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(parent())
