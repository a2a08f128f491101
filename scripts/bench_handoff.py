"""`make bench-handoff`: how long a staff member's message takes to reach the person.

Starts the whole stack (as `make run` does), puts a person in a handoff through the real bot,
has a staff member claim it through the API, then sends messages one at a time and measures
from just before the staff member's POST to the moment the message node appears in the widget
(a MutationObserver in the page stamps it). Three rows:

1. the widget in headless Chromium, person and staff on the same gateway process;
2. the same with the person on a second gateway process (the message crosses Redis only);
3. 20 handoffs at once, each person read by an SSE client in Python (as the widget reads it),
   staff messages sent to all of them concurrently.

Prints p50/p95/max in ms. Traffic goes to 127.0.0.1 only; uses the Redis at REDIS_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time

import httpx
import redis
from playwright.sync_api import Page, sync_playwright

from bot.config import Settings
from bot.ops.launcher import REPO_ROOT, Stack, free_port
from bot.staff import totp
from bot.store import Keys

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]
ASK_FOR_HUMAN = "kan jag få prata med en riktig människa"
# Stamps, in the page, when each staff message appears (wall clock in ms, sub-ms resolution).
OBSERVE = """() => {
  window.__arrivals = {};
  new MutationObserver((records) => {
    const now = performance.timeOrigin + performance.now();
    for (const record of records) for (const node of record.addedNodes) {
      if (node.nodeType === 1 && node.classList.contains("staff")) {
        const text = node.querySelector(".msg-text");
        if (text) window.__arrivals[text.textContent] = now;
      }
    }
  }).observe(document.getElementById("messages"), { childList: true });
}"""


def summary(name: str, delays_ms: list[float]) -> str:
    """One table row."""
    ordered = sorted(delays_ms)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return (
        f"{name:<44} {len(ordered):>6} {statistics.median(ordered):>8.1f} {p95:>8.1f}"
        f" {ordered[-1]:>8.1f}"
    )


class StaffApi:
    """A staff member on one gateway, through the API (signed in with the token and TOTP code
    that `hrv-guide staff add` printed)."""

    def __init__(self, base_url: str, stack: Stack) -> None:
        name = f"bench-{secrets.token_hex(3)}"
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "staff", "add", name],
            env=stack.env,
            capture_output=True,
            text=True,
            check=True,
        )
        printed = dict(re.findall(r"^(token|totp_secret): (\S+)$", done.stdout, re.MULTILINE))
        code = totp.code_at(totp.from_base32(printed["totp_secret"]), time.time())
        self.http = httpx.Client(base_url=base_url, timeout=30)
        login = {"token": printed["token"], "code": code}
        session = self.http.post("/api/v1/staff/login", json=login).json()
        self.http.headers["Authorization"] = f"Bearer {session['token']}"
        self.http.post("/api/v1/staff/heartbeat").raise_for_status()
        self._redis_url = stack.redis_url
        self._keys = Keys(stack.settings.key_prefix, stack.settings.rasa_tracker_key_prefix)

    def claim_session(self, session_id: str) -> str:
        """Claim the queued handoff of this session; its id (staff see handoff ids only, so the
        bench, which knows the person's session, looks the handoff up in Redis)."""
        store = redis.Redis.from_url(self._redis_url, decode_responses=True)
        try:
            handoff_id = store.hget(self._keys.session(session_id), "handoff_id")
        finally:
            store.close()
        queued = [h["handoff_id"] for h in self.http.get("/api/v1/handoffs?state=queued").json()]
        if not handoff_id or handoff_id not in queued:
            raise RuntimeError("the person's handoff is not in the queue")
        self.http.post(f"/api/v1/handoffs/{handoff_id}/claim").raise_for_status()
        return handoff_id


def widget_delays(page: Page, staff: StaffApi, widget_url: str, count: int) -> list[float]:
    """Open the widget, ask for a person, let staff claim, time `count` staff messages."""
    page.goto(widget_url + "/")
    page.wait_for_selector("#lang-select option[value='en']", state="attached")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/sessions")) as created:
        page.fill("#message-input", ASK_FOR_HUMAN)
        page.press("#message-input", "Enter")
    session_id = created.value.json()["session_id"]
    page.wait_for_selector("#handoff-leave:not([hidden])", timeout=60_000)
    handoff_id = staff.claim_session(session_id)
    page.wait_for_selector(".msg.system", timeout=30_000)  # joined
    page.evaluate(OBSERVE)
    delays = []
    for i in range(count):
        text = f"bench {i} {secrets.token_hex(4)}"
        started = time.time() * 1000
        staff.http.post(
            f"/api/v1/handoffs/{handoff_id}/messages", json={"text": text}
        ).raise_for_status()
        page.wait_for_function("t => window.__arrivals[t] !== undefined", arg=text, timeout=30_000)
        delays.append(page.evaluate("t => window.__arrivals[t]", text) - started)
    staff.http.post(f"/api/v1/handoffs/{handoff_id}/release").raise_for_status()
    return delays


async def concurrent_delays(stack: Stack, conversations: int, per_conversation: int) -> list[float]:
    """`conversations` people each reading their events as the widget does; staff messages to
    all of them at once, `per_conversation` rounds."""
    base = stack.gateway_url
    staff = StaffApi(base, stack)
    staff_headers = dict(staff.http.headers)
    delays: list[float] = []
    arrivals: dict[str, asyncio.Future[float]] = {}
    limits = httpx.Limits(max_connections=conversations * 2 + 10)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        people = []
        for _ in range(conversations):
            session = (await http.post("/api/v1/sessions")).json()
            asked = await http.post(  # the button's payload: Rasa's action signals the handoff
                f"/api/v1/sessions/{session['session_id']}/messages",
                json={"text": "/talk_to_human"},
                headers={"Authorization": f"Bearer {session['token']}"},
            )
            if asked.json().get("handoff") != "queued":
                raise RuntimeError("asking for a person did not queue the conversation")
            handoff_id = await asyncio.to_thread(staff.claim_session, session["session_id"])
            people.append((session, handoff_id))

        async def read(session: dict[str, str]) -> None:
            headers = {
                "Authorization": f"Bearer {session['token']}",
                "Accept": "text/event-stream",
            }
            url = f"/api/v1/sessions/{session['session_id']}/events"
            async with http.stream("GET", url, headers=headers) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        event = json.loads(line[6:])
                        waiting = arrivals.get(event["text"])
                        if event["kind"] == "text" and waiting and not waiting.done():
                            waiting.set_result(time.perf_counter())
                        if event["kind"] == "released":
                            return

        readers = [asyncio.create_task(read(session)) for session, _ in people]
        await asyncio.sleep(1)  # every stream open

        async def send(handoff_id: str, round_no: int) -> None:
            text = f"round {round_no} {secrets.token_hex(6)}"
            arrivals[text] = asyncio.get_running_loop().create_future()
            started = time.perf_counter()
            sent = await http.post(
                f"/api/v1/handoffs/{handoff_id}/messages",
                json={"text": text},
                headers=staff_headers,
            )
            sent.raise_for_status()
            arrived = await asyncio.wait_for(arrivals[text], 30)
            delays.append((arrived - started) * 1000)

        for round_no in range(per_conversation):
            await asyncio.gather(*(send(handoff_id, round_no) for _, handoff_id in people))
        for _, handoff_id in people:
            await http.post(f"/api/v1/handoffs/{handoff_id}/release", headers=staff_headers)
        await asyncio.wait_for(asyncio.gather(*readers), 30)
    return delays


def second_gateway(stack: Stack) -> tuple[subprocess.Popen[bytes], str]:
    """Another gateway process on the same Redis and Rasa."""
    port = free_port()
    log = (stack.log_dir / "gateway-2.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        cwd=REPO_ROOT,
        env={**stack.env, "HRV_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the second gateway did not start")


def main() -> None:
    """Start the stack, measure, print one table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=200, help="messages per browser row")
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10, help="messages per concurrent person")
    args = parser.parse_args()

    # One staff account holds every concurrent conversation here: a delay is measured, not the
    # per-account limit (HRV_STAFF_MAX_OPEN_CHATS; 0 = none). The stack's processes inherit it.
    os.environ["HRV_STAFF_MAX_OPEN_CHATS"] = "0"
    settings = Settings(port=free_port(), rasa_port=free_port(), actions_port=free_port())
    stack = Stack(settings, log_dir=REPO_ROOT / ".run" / "bench-handoff")
    stack.start()
    other = None
    rows = []
    try:
        other, other_url = second_gateway(stack)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, widget_url in (
                ("widget (Chromium), same gateway", stack.gateway_url),
                ("widget (Chromium), person on 2nd gateway", other_url),
            ):
                context = browser.new_context()
                staff = StaffApi(stack.gateway_url, stack)
                rows.append(
                    summary(
                        name, widget_delays(context.new_page(), staff, widget_url, args.messages)
                    )
                )
                context.close()
            browser.close()
        concurrent = asyncio.run(concurrent_delays(stack, args.conversations, args.rounds))
        rows.append(summary(f"{args.conversations} handoffs at once (SSE clients)", concurrent))
        header = f"{'msgs':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
        print(f"\n{'staff message -> person':<44} {header}")
        for row in rows:
            print(row)
    finally:
        if other is not None:
            os.killpg(other.pid, signal.SIGTERM)
            other.wait(timeout=15)
        stack.stop()


if __name__ == "__main__":
    main()
