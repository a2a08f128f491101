"""The Redis round trips of one widget message's turn on the common path (a second message, no
danger, no handoff), watched with MONITOR on a scratch database.

Rasa is a stand-in here; the real one costs the turn no more: its tracker check reads the
tracker's lifetime in the turn's last write (bot/lua/sessions/keep.lua).
Usage: python scripts/turn_round_trips.py [--redis URL] (default redis://127.0.0.1:6379/12;
the database is flushed).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402
import redis  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.main import create_app  # noqa: E402


def _rasa(request: httpx.Request) -> httpx.Response:
    """Answers like Rasa's REST webhook, with one text."""
    return httpx.Response(200, json=[{"recipient_id": "x", "text": "Hej från boten"}])


async def measure(url: str) -> list[str]:
    """The commands one turn sends, in order (MULTI ... EXEC is one round trip)."""
    db = int(url.rsplit("/", 1)[1])
    redis.Redis.from_url(url).flushdb()
    seen: list[str] = []
    watching = threading.Event()

    def monitor() -> None:
        with redis.Redis.from_url(url).monitor() as feed:
            watching.set()
            for command in feed.listen():
                # Commands a Lua script runs show up too, as client "lua": not round trips.
                if command.get("db") == db and command.get("client_type") != "lua":
                    seen.append(command["command"].split(" ")[0])

    settings = Settings(environment="test", redis_url=url, rasa_url="http://rasa.test")
    app = create_app(settings, rasa_transport=httpx.MockTransport(_rasa))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            session = (await client.post("/api/v1/sessions")).json()
            headers = {"Authorization": f"Bearer {session['token']}"}
            path = f"/api/v1/sessions/{session['session_id']}/messages"
            await client.post(path, json={"text": "hej"}, headers=headers)
            threading.Thread(target=monitor, daemon=True).start()
            watching.wait(5)
            await asyncio.sleep(0.3)
            seen.clear()
            await client.post(path, json={"text": "vad är heder?"}, headers=headers)
            await asyncio.sleep(0.3)
    return list(seen)


def round_trips(commands: list[str]) -> int:
    """Commands outside MULTI/EXEC count one each; a MULTI ... EXEC block counts one."""
    trips, inside = 0, False
    for command in commands:
        name = command.strip('"').upper()
        if name == "MULTI":
            inside, trips = True, trips + 1
        elif name == "EXEC":
            inside = False
        elif not inside:
            trips += 1
    return trips


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    commands = asyncio.run(measure(args.redis))
    print(" ".join(command.strip('"') for command in commands))
    print(f"{len(commands)} commands, {round_trips(commands)} round trips")
    return 0


if __name__ == "__main__":
    sys.exit(main())
