"""`make load`: hold many concurrent anonymous sessions against the whole stack (real model,
Rasa, action server, gateway) with a mix like real traffic, and report what it cost and what got
lost.

Each simulated person keeps one session open, writes in one of the nine languages (phrasings from
tests/nlu/<code>.yml), pauses between messages as people do, and starts a new session when a
conversation ends (some leave with the quick exit's DELETE). The mix: ordinary questions,
municipality questions, danger messages (every answer must carry 112), and people who ask for a
human; staff clients claim, reply and close those conversations. At the end it prints sessions
held, messages sent, p50/p95/p99 latency, errors by status, lost messages in both directions of
every handoff, danger answers without 112, and the machine's load. Traffic goes to 127.0.0.1 only,
so the stack's rate limits and caps are raised for the run.

Longer than our 400 lines on purpose: one scenario (people, staff, a supervisor) and the ledger
that proves nothing was lost read best in one file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import yaml
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.config import Settings
from bot.handoff.states import HANDOFF_ENDS, Side
from bot.ops.launcher import LOAD_RUN_LIMITS, REPO_ROOT, Stack, free_port
from bot.staff import totp
from bot.store import Keys, connect

API = "/api/v1"
# What a staff member records on closing (ids of bot/data/wrapup.yml).
WRAP_UP = {"categories": ["information_only"], "outcome": "information_given"}
OPEN = ("queued", "active")
EMERGENCY = "112"
ENTITY = re.compile(r"\[([^\]]+)\]\([^)]*\)")
HANDOFF_OVER = HANDOFF_ENDS[Side.PERSON]


# ---------- what people write ----------


@dataclass
class Corpus:
    """Held-out test phrasings per language and kind of message."""

    ordinary: dict[str, list[str]]
    municipality: dict[str, list[str]]
    danger: dict[str, list[str]]
    human: dict[str, list[str]]

    @classmethod
    def load(cls, folder: Path) -> Corpus:
        """Read tests/nlu/<code>.yml; entity markup becomes plain text."""
        kinds: dict[str, dict[str, list[str]]] = {k: {} for k in ("o", "m", "d", "h")}
        for path in sorted(folder.glob("*.yml")):
            lang = path.stem
            for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
                examples = [
                    ENTITY.sub(r"\1", line[2:].strip())
                    for line in block["examples"].splitlines()
                    if line.strip().startswith("- ")
                ]
                kind = {
                    "inform_municipality": "m",
                    "immediate_danger": "d",
                    "talk_to_human": "h",
                }.get(block["intent"], "o")
                kinds[kind].setdefault(lang, []).extend(examples)
        return cls(kinds["o"], kinds["m"], kinds["d"], kinds["h"])

    @property
    def languages(self) -> list[str]:
        """The languages with phrasings of every kind."""
        return sorted(set(self.ordinary) & set(self.danger) & set(self.human))


# ---------- what was measured ----------


@dataclass
class Stats:
    """Everything counted during the run (one process, one event loop: no locks needed)."""

    latencies: list[float] = field(default_factory=list)  # POST messages, seconds
    statuses: Counter[str] = field(default_factory=Counter)  # every person request
    staff_statuses: Counter[str] = field(default_factory=Counter)
    staff_refusals: Counter[str] = field(default_factory=Counter)  # "409 POST claim": non-2xx
    messages: int = 0
    sessions: int = 0
    quick_exits: int = 0
    active: int = 0
    peak_active: int = 0
    danger_sent: int = 0
    danger_without_112: list[str] = field(default_factory=list)
    handoffs_asked: int = 0
    handoffs_queued: int = 0
    handoffs_claimed: int = 0
    handoffs_closed: int = 0
    handoffs_unknown: int = 0  # the session record named no handoff (should stay 0)
    staff_chat_failures: list[str] = field(default_factory=list)  # a crash in the script itself
    # (handoff id, text): what the person sent into a handoff / what staff saw of it.
    to_staff_sent: Counter[tuple[str, str]] = field(default_factory=Counter)
    to_staff_sent_at: dict[tuple[str, str], float] = field(default_factory=dict)  # first send
    to_staff_seen: Counter[tuple[str, str]] = field(default_factory=Counter)
    # The stored transcript of each handoff as its staff member read it before closing: what a
    # 2xx acknowledged must be found in (the event feed could skip; the transcript is the record).
    transcript: Counter[tuple[str, str]] = field(default_factory=Counter)
    transcripts_read: set[str] = field(default_factory=set)
    # Staff messages (unique texts): to which handoff and when, and when the person's event feed
    # brought them. Only handoffs whose person was reading their feed count for losses.
    to_person_sent: dict[str, tuple[str, float]] = field(default_factory=dict)
    readers: set[str] = field(default_factory=set)
    to_person_received: dict[str, float] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)

    def count(
        self,
        response: httpx.Response | None,
        error: Exception | None = None,
        stream: bool = False,
    ) -> None:
        """One person request's outcome (`stream`: the live feed's, which reconnects)."""
        key = str(response.status_code) if response is not None else type(error).__name__
        self.statuses[key] += 1


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (0 < share <= 1) of `values`."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))]


# ---------- a person ----------


@dataclass
class Person:
    """One simulated person holding one session at a time."""

    number: int
    http: httpx.AsyncClient
    base: str
    stats: Stats
    corpus: Corpus
    args: argparse.Namespace
    deadline: float
    rng: random.Random
    redis: Redis
    keys: Keys
    session: dict[str, str] | None = None
    lang: str = "sv"
    picked: bool = False
    handoff_id: str = ""  # set while in a handoff: what the person writes goes to the staff member

    async def think(self) -> None:
        """A pause between messages, as people read and write."""
        await asyncio.sleep(self.rng.uniform(*self.args.think))

    @property
    def headers(self) -> dict[str, str]:
        assert self.session is not None
        return {"Authorization": f"Bearer {self.session['token']}"}

    async def start(self) -> bool:
        """A new session (in a random language; half of the people pick it in the widget)."""
        self.lang = self.rng.choice(self.corpus.languages)
        self.picked = self.rng.random() < 0.5
        try:
            response = await self.http.post(
                f"{self.base}{API}/sessions", json={"lang": self.lang} if self.picked else {}
            )
        except httpx.HTTPError as error:
            self.stats.count(None, error)
            return False
        self.stats.count(response)
        if response.status_code != 201:
            return False
        self.session = response.json()
        self.stats.sessions += 1
        return True

    async def say(self, text: str) -> dict[str, Any] | None:
        """Send one message; the answer's body, or None on an error."""
        assert self.session is not None
        payload: dict[str, Any] = {"text": text, "msg_id": secrets.token_hex(8)}
        handoff_id = self.handoff_id  # the message that asks for a person still goes to the bot
        if self.picked:
            payload["lang"] = self.lang
        url = f"{self.base}{API}/sessions/{self.session['session_id']}/messages"
        self.stats.messages += 1
        started = time.perf_counter()
        try:
            response = await self.http.post(url, json=payload, headers=self.headers)
        except httpx.HTTPError as error:
            self.stats.count(None, error)
            return None
        self.stats.latencies.append(time.perf_counter() - started)
        self.stats.count(response)
        if response.status_code != 200:
            return None
        body = response.json()
        if handoff_id and body.get("handoff") in OPEN:
            self.stats.to_staff_sent[(handoff_id, text)] += 1
            self.stats.to_staff_sent_at.setdefault((handoff_id, text), time.monotonic())
        return body

    def pick(self, table: dict[str, list[str]]) -> str:
        return self.rng.choice(table.get(self.lang) or table["sv"])

    async def leave(self) -> None:
        """End the conversation: a fifth of the people press the quick exit (DELETE)."""
        if self.session and self.rng.random() < 0.2:
            try:
                response = await self.http.delete(
                    f"{self.base}{API}/sessions/{self.session['session_id']}",
                    headers=self.headers,
                )
                self.stats.count(response)
                self.stats.quick_exits += 1
            except httpx.HTTPError as error:
                self.stats.count(None, error)
        self.session = None

    async def run(self) -> None:
        """Conversations one after another until the deadline."""
        while time.monotonic() < self.deadline:
            if not await self.start():
                await asyncio.sleep(2)
                continue
            self.stats.active += 1
            self.stats.peak_active = max(self.stats.peak_active, self.stats.active)
            try:
                kind = self.rng.choices(
                    ["ordinary", "municipality", "danger", "human"], weights=self.args.mix
                )[0]
                if kind == "human":
                    await self.ask_for_a_person()
                else:
                    await self.chat(kind)
            finally:
                self.stats.active -= 1
            await self.leave()
            await asyncio.sleep(self.rng.uniform(1, 3))

    async def chat(self, kind: str) -> None:
        """A few questions to the bot; the municipality or the danger message among them."""
        count = self.rng.randint(2, 6)
        special = self.rng.randrange(count)
        for index in range(count):
            if time.monotonic() >= self.deadline:
                return
            if index == special and kind == "municipality":
                text = self.pick(self.corpus.municipality)
            elif index == special and kind == "danger":
                text = self.pick(self.corpus.danger)
            else:
                text = self.pick(self.corpus.ordinary)
            body = await self.say(text)
            if index == special and kind == "danger" and body is not None:
                self.stats.danger_sent += 1
                if not any(EMERGENCY in r.get("text", "") for r in body.get("replies", [])):
                    self.stats.danger_without_112.append(f"{self.lang}: {text}")
            if body is not None and body.get("handoff") in OPEN:
                await self.in_handoff()  # the model heard a wish for a person: go with it
                return
            await self.think()

    async def ask_for_a_person(self) -> None:
        """Ask for a human (up to three phrasings), then write with the staff member."""
        self.stats.handoffs_asked += 1
        for _ in range(3):
            body = await self.say(self.pick(self.corpus.human))
            if body is not None and body.get("handoff") in OPEN:
                await self.in_handoff()
                return
            await self.think()

    async def in_handoff(self) -> None:
        """Read the live feed (SSE) while writing a few messages; stay until staff close."""
        self.stats.handoffs_queued += 1
        assert self.session is not None
        # Neither the widget nor the staff API shows the other side's id (staff see no session
        # id), so the run reads which handoff this is from the gateway's session record.
        record = self.keys.session(self.session["session_id"])
        handoff_id = None
        for _ in range(30):  # the failure drill kills the Redis primary: wait for the next one
            try:
                handoff_id = await self.redis.hget(record, "handoff_id")
                break
            except RedisError:
                await asyncio.sleep(0.5)
        if not handoff_id:
            self.stats.handoffs_unknown += 1
            return
        self.handoff_id = handoff_id
        self.stats.readers.add(handoff_id)
        over = asyncio.Event()
        feed = asyncio.create_task(self.read_feed(over))
        try:
            for _ in range(self.args.person_messages):
                await self.think()
                await self.say(f"{self.pick(self.corpus.ordinary)} ({secrets.token_hex(3)})")
            # Wait for the staff member to close, however long the queue is.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(over.wait(), self.args.drain)
        finally:
            self.handoff_id = ""
            feed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feed

    async def read_feed(self, over: asyncio.Event) -> None:
        """The widget's live events: record every staff message once; reconnect with the cursor."""
        assert self.session is not None
        url = f"{self.base}{API}/sessions/{self.session['session_id']}/events"
        cursor: str | None = None
        while not over.is_set():
            headers = {**self.headers, "Accept": "text/event-stream"}
            if cursor:
                headers["Last-Event-ID"] = cursor
            try:
                async with self.http.stream("GET", url, headers=headers, timeout=None) as response:
                    if response.status_code != 200:
                        self.stats.count(response, stream=True)
                        await asyncio.sleep(2)
                        continue
                    data: list[str] = []
                    async for line in response.aiter_lines():
                        if line.startswith("data:"):
                            data.append(line[5:].lstrip())
                        elif line == "" and data:
                            event = json.loads("\n".join(data))
                            data = []
                            cursor = event.get("id") or cursor
                            if event.get("kind") == "text":
                                self.stats.to_person_received.setdefault(
                                    event["text"], time.monotonic()
                                )
                            if event.get("kind") in HANDOFF_OVER:
                                over.set()
                                return
            except (httpx.HTTPError, json.JSONDecodeError) as error:
                self.stats.count(None, error, stream=True)
                await asyncio.sleep(1)


# ---------- staff ----------


class HasEnv(Protocol):
    """What the run needs of the processes it loads: their settings and environment (the
    single-process Stack, or the failure drill's cluster)."""

    settings: Settings
    env: dict[str, str]


def sign_in_staff(base: str, stack: HasEnv, name: str, role: str = "staff") -> dict[str, Any]:
    """Create an account with `hrv-guide staff add` and sign in with its token and TOTP code:
    the one place that signs staff in."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "staff", "add", name, "--role", role],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    printed = dict(re.findall(r"^(token|totp_secret): (\S+)$", done.stdout, re.MULTILINE))
    code = totp.code_at(totp.from_base32(printed["totp_secret"]), time.time())
    body = {"token": printed["token"], "code": code}
    response = httpx.post(f"{base}{API}/staff/login", json=body, timeout=60)
    response.raise_for_status()
    return response.json()


@dataclass
class Staff:
    """One staff console: heartbeat, claim from the queue, reply to each message, close."""

    http: httpx.AsyncClient
    base: str
    token: str
    heartbeat_seconds: int
    stats: Stats
    args: argparse.Namespace
    stop_at: float
    rng: random.Random
    chats: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        try:
            response = await self.http.request(
                method, f"{self.base}{API}{path}", headers=self.headers, **kwargs
            )
        except httpx.HTTPError as error:
            self.stats.staff_statuses[type(error).__name__] += 1
            return None
        self.stats.staff_statuses[str(response.status_code)] += 1
        if response.status_code >= 300:
            operation = f"{method} {path.split('?')[0].rsplit('/', 1)[-1]}"
            self.stats.staff_refusals[f"{response.status_code} {operation}"] += 1
        return response

    async def run(self) -> None:
        """Until the stop time: keep on duty, take the first in line while there is room."""
        heartbeat = asyncio.create_task(self.beat())
        try:
            while time.monotonic() < self.stop_at:
                for task in self.chats:
                    if task.done() and not task.cancelled() and task.exception() is not None:
                        self.stats.staff_chat_failures.append(repr(task.exception()))
                self.chats = {task for task in self.chats if not task.done()}
                if len(self.chats) < self.args.chats_per_staff:
                    queued = await self.call("GET", "/handoffs")
                    if queued is not None and queued.status_code == 200 and queued.json():
                        first = queued.json()[0]["handoff_id"]
                        claimed = await self.call("POST", f"/handoffs/{first}/claim")
                        if claimed is not None and claimed.status_code == 200:
                            self.stats.handoffs_claimed += 1
                            self.chats.add(asyncio.create_task(self.chat(claimed.json())))
                            continue
                await asyncio.sleep(1.5)
            if self.chats:
                await asyncio.wait(self.chats)
        finally:
            heartbeat.cancel()
            for task in self.chats:
                if task.done() and not task.cancelled() and task.exception() is not None:
                    self.stats.staff_chat_failures.append(repr(task.exception()))

    async def beat(self) -> None:
        while True:
            await self.call("POST", "/staff/heartbeat")
            await asyncio.sleep(self.heartbeat_seconds)

    async def chat(self, handoff: dict[str, Any]) -> None:
        """Greet, answer each message of the person, close when they have written their part
        (or fell quiet for a minute); everything seen is recorded."""
        handoff_id = handoff["handoff_id"]
        seen: set[str] = set()
        cursor: str | None = None

        def record(events: list[dict[str, Any]]) -> int:
            new = 0
            for event in events:
                if event["id"] in seen:
                    continue
                seen.add(event["id"])
                if event["kind"] == "text" and event["from"] == "person":
                    self.stats.to_staff_seen[(handoff_id, event["text"])] += 1
                    new += 1
            return new

        transcript = await self.call("GET", f"/handoffs/{handoff_id}/messages")
        if transcript is not None and transcript.status_code == 200:
            messages = transcript.json()["messages"]
            record(messages)
            cursor = messages[-1]["id"] if messages else None
        await self.send(handoff_id, "Hej, jag heter Sam och jobbar här.")
        heard, last_new = 0, time.monotonic()
        deadline = self.stop_at
        while heard < self.args.person_messages and time.monotonic() - last_new < 60:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(2)
            params = {"after": cursor} if cursor else {}
            polled = await self.call("GET", f"/handoffs/{handoff_id}/events", params=params)
            if polled is None or polled.status_code != 200:
                if polled is not None and polled.status_code in (403, 404, 409):
                    return  # the person left, or the session was erased
                continue
            events = polled.json()
            if events:
                cursor = events[-1]["id"]
            new = record(events)
            if new:
                heard += new
                last_new = time.monotonic()
                await asyncio.sleep(self.rng.uniform(*self.args.staff_think))
                await self.send(handoff_id, "Jag förstår. Berätta mer om du vill.")
        await self.read_transcript(handoff_id)
        closed = await self.call("POST", f"/handoffs/{handoff_id}/close", json=WRAP_UP)
        if closed is not None and closed.status_code == 200:
            self.stats.handoffs_closed += 1

    async def read_transcript(self, handoff_id: str) -> None:
        """The stored transcript before closing: every acknowledged message must be in it."""
        transcript = await self.call("GET", f"/handoffs/{handoff_id}/messages")
        if transcript is None or transcript.status_code != 200:
            return
        self.stats.transcripts_read.add(handoff_id)
        for event in transcript.json()["messages"]:
            if event["kind"] == "text" and event["from"] == "person":
                self.stats.transcript[(handoff_id, event["text"])] += 1

    async def send(self, handoff_id: str, text: str) -> None:
        unique = f"{text} ({secrets.token_hex(4)})"
        sent_at = time.monotonic()
        response = await self.call(
            "POST",
            f"/handoffs/{handoff_id}/messages",
            json={"text": unique, "msg_id": secrets.token_hex(8)},
        )
        if response is not None and response.status_code == 201:
            self.stats.to_person_sent[unique] = (handoff_id, sent_at)


# ---------- the run ----------


async def supervise(console: Staff) -> None:
    """A supervisor's console: every open chat every 3 s and, as its view polls, the transcript
    of the chat it reads every 2 s (another one every 20 s), until the stop time."""
    heartbeat = asyncio.create_task(console.beat())
    watched, last_list, chosen_at = None, 0.0, 0.0
    try:
        while time.monotonic() < console.stop_at:
            if time.monotonic() - last_list >= 3:
                last_list = time.monotonic()
                listed = await console.call("GET", "/supervision/handoffs")
                chats = listed.json() if listed is not None and listed.status_code == 200 else []
                if chats and (watched is None or time.monotonic() - chosen_at > 20):
                    watched, chosen_at = console.rng.choice(chats)["handoff_id"], time.monotonic()
            if watched is not None:
                read = await console.call("GET", f"/supervision/handoffs/{watched}/messages")
                if read is not None and read.status_code != 200:
                    watched = None  # ended meanwhile (409): the next list gives another
            await asyncio.sleep(2)
    finally:
        heartbeat.cancel()


async def sample_load(stats: Stats, stop: asyncio.Event) -> None:
    """The machine's 1-minute load average every 5 s."""
    while not stop.is_set():
        stats.load.append(os.getloadavg()[0])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 5)


async def run(
    args: argparse.Namespace,
    base: str,
    stack: HasEnv,
    stats: Stats | None = None,
    staff_type: type[Staff] = Staff,
    redis: Redis | None = None,
) -> Stats:
    """Staff first (on duty), then the people, ramped up over `--ramp` seconds. The failure
    drill passes its own `stats` and `staff_type` (which time each outcome) and a `redis` that
    follows the primary through the sentinels."""
    stats = stats if stats is not None else Stats()
    corpus = Corpus.load(REPO_ROOT / "tests/nlu")
    rng = random.Random(args.seed)
    start = time.monotonic()
    deadline = start + args.ramp + args.duration
    limits = httpx.Limits(max_connections=args.sessions * 2 + 50, max_keepalive_connections=100)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_load(stats, stop))
    settings = stack.settings
    redis = redis if redis is not None else connect(settings.redis_url)
    keys = Keys(settings.key_prefix, settings.rasa_tracker_key_prefix)
    async with httpx.AsyncClient(timeout=args.timeout, limits=limits) as http:
        staff = []
        for index in range(args.staff):
            signed = await asyncio.to_thread(
                sign_in_staff, base, stack, f"load-{index}-{secrets.token_hex(2)}"
            )
            staff.append(
                staff_type(
                    http,
                    base,
                    signed["token"],
                    signed["heartbeat_seconds"],
                    stats,
                    args,
                    deadline + args.drain,
                    random.Random(rng.random()),
                )
            )
        staff_tasks = [asyncio.create_task(member.run()) for member in staff]
        for index in range(args.supervisors):
            signed = await asyncio.to_thread(
                sign_in_staff,
                base,
                stack,
                f"load-super-{index}-{secrets.token_hex(2)}",
                "supervisor",
            )
            console = staff_type(
                http,
                base,
                signed["token"],
                signed["heartbeat_seconds"],
                stats,
                args,
                deadline + args.drain,
                random.Random(rng.random()),
            )
            staff_tasks.append(asyncio.create_task(supervise(console)))

        async def person(number: int) -> None:
            await asyncio.sleep(args.ramp * number / args.sessions)
            await Person(
                number,
                http,
                base,
                stats,
                corpus,
                args,
                deadline,
                random.Random(rng.random()),
                redis,
                keys,
            ).run()

        progress = asyncio.create_task(report_progress(stats, start))
        await asyncio.gather(*(person(n) for n in range(args.sessions)))
        await asyncio.gather(*staff_tasks)
        progress.cancel()
    await redis.aclose()
    stop.set()
    await sampler
    return stats


async def report_progress(stats: Stats, start: float) -> None:
    while True:
        await asyncio.sleep(30)
        print(
            f"  {time.monotonic() - start:5.0f} s: {stats.active} sessions open,"
            f" {stats.messages} messages, {stats.handoffs_queued} handoffs",
            flush=True,
        )


def acknowledged_lost(stats: Stats) -> tuple[int, int]:
    """Person messages a 2xx acknowledged into a handoff but missing from its stored transcript,
    of those sent into handoffs whose transcript was read (the rest are not judged)."""
    checked = Counter(
        {key: sent for key, sent in stats.to_staff_sent.items() if key[0] in stats.transcripts_read}
    )
    return sum((checked - stats.transcript).values()), sum(checked.values())


def report(stats: Stats, args: argparse.Namespace) -> None:
    """Print the figures."""
    answered = len(stats.latencies)
    total = sum(stats.statuses.values())
    errors = {k: v for k, v in stats.statuses.items() if not k.startswith("2")}
    lost_to_staff = sum((stats.to_staff_sent - stats.to_staff_seen).values())
    read = {t: sent for t, sent in stats.to_person_sent.items() if sent[0] in stats.readers}
    lost_to_person = [t for t in read if t not in stats.to_person_received]
    unread = len(stats.to_person_sent) - len(read)
    delivery = [
        stats.to_person_received[t] - sent_at
        for t, (_, sent_at) in read.items()
        if t in stats.to_person_received
    ]
    ms = 1000
    lines = [
        "",
        f"load: {args.sessions} people for {args.duration} s (+{args.ramp} s ramp), "
        f"think {args.think[0]:g}-{args.think[1]:g} s, {args.staff} staff, "
        f"{args.supervisors} supervisor(s)",
        f"sessions held: peak {stats.peak_active} open at once; {stats.sessions} created; "
        f"{stats.quick_exits} left by quick exit",
        f"messages sent: {stats.messages} ({answered} answered)",
    ]
    if answered:
        lines.append(
            f"latency (POST message): p50 {statistics.median(stats.latencies) * ms:.0f} ms, "
            f"p95 {percentile(stats.latencies, 0.95) * ms:.0f} ms, "
            f"p99 {percentile(stats.latencies, 0.99) * ms:.0f} ms, "
            f"max {max(stats.latencies) * ms:.0f} ms"
        )
    lines += [
        f"person requests: {total}; errors {sum(errors.values())} "
        f"({100 * sum(errors.values()) / max(1, total):.2f} %) by status: "
        f"{dict(sorted(errors.items())) or 'none'}",
        f"staff requests by status: {dict(sorted(stats.staff_statuses.items()))}; "
        f"not 2xx by operation: {dict(sorted(stats.staff_refusals.items())) or 'none'}",
        f"handoffs: {stats.handoffs_asked} asked for a person, {stats.handoffs_queued} queued, "
        f"{stats.handoffs_claimed} claimed, {stats.handoffs_closed} closed"
        + (f", {stats.handoffs_unknown} with no handoff id" if stats.handoffs_unknown else ""),
        f"lost person->staff: {lost_to_staff} of {sum(stats.to_staff_sent.values())} sent into "
        f"a handoff; lost staff->person: {len(lost_to_person)} of {len(read)} sent to people "
        f"reading their feed ({unread} more went to sessions whose person had moved on)",
        "acknowledged person messages missing from the stored transcript: "
        "{} of {} (in {} handoffs read before closing)".format(
            *acknowledged_lost(stats), len(stats.transcripts_read)
        ),
    ]
    if delivery:
        lines.append(
            f"staff->person delivery: p50 {statistics.median(delivery) * ms:.0f} ms, "
            f"p95 {percentile(delivery, 0.95) * ms:.0f} ms"
        )
    lines.append(
        f"danger messages: {stats.danger_sent}; answers without 112: "
        f"{len(stats.danger_without_112)}"
    )
    lines += [f"  without 112: {text}" for text in stats.danger_without_112]
    if stats.staff_chat_failures:
        lines.append(f"staff chats that failed in this script: {len(stats.staff_chat_failures)}")
        lines += [f"  {failure}" for failure in Counter(stats.staff_chat_failures)]
    if stats.load:
        lines.append(
            f"machine: {os.cpu_count()} CPUs, 1-min load average during the run "
            f"mean {statistics.mean(stats.load):.2f}, max {max(stats.load):.2f}"
        )
    print("\n".join(lines), flush=True)


def arguments(description: str | None = __doc__) -> argparse.ArgumentParser:
    """The scenario's options (the failure drill takes the same, with other defaults)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sessions", type=int, default=200, help="people at once")
    parser.add_argument("--duration", type=int, default=180, help="seconds to hold them")
    parser.add_argument("--ramp", type=int, default=30, help="seconds to bring them all in")
    parser.add_argument(
        "--think", type=float, nargs=2, default=(3.0, 15.0), help="pause between messages (s)"
    )
    parser.add_argument("--staff", type=int, default=4, help="staff consoles")
    parser.add_argument(
        "--supervisors", type=int, default=1, help="supervisor consoles watching every chat"
    )
    # The stack's per-account limit (HRV_STAFF_MAX_OPEN_CHATS) is set to this for the run: the
    # scenario's handoffs need 4 consoles holding 6 each, or people leave before anyone claims
    # them and their messages count as lost.
    parser.add_argument("--chats-per-staff", type=int, default=6)
    parser.add_argument("--staff-think", type=float, nargs=2, default=(2.0, 6.0))
    parser.add_argument("--person-messages", type=int, default=3, help="per person in a handoff")
    parser.add_argument(
        "--mix",
        type=float,
        nargs=4,
        default=(65, 15, 10, 10),
        metavar=("ORDINARY", "MUNICIPALITY", "DANGER", "HUMAN"),
        help="weights of the kinds of conversation",
    )
    parser.add_argument("--drain", type=int, default=120, help="seconds for open handoffs to end")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=60, help="per request (s)")
    return parser


def main() -> None:
    """Start the stack with the real model (raised limits), run, print, stop."""
    args = arguments().parse_args()

    os.environ.update(LOAD_RUN_LIMITS)  # the stack's processes inherit them
    os.environ["HRV_STAFF_MAX_OPEN_CHATS"] = str(args.chats_per_staff)
    # Keys of its own: chats an earlier run left in the queue would be claimed in this one (its
    # keys expire by their TTLs like any others).
    os.environ["HRV_KEY_PREFIX"] = f"hrvload{secrets.token_hex(3)}"
    settings = Settings(port=free_port(), rasa_port=free_port(), actions_port=free_port())
    stack = Stack(settings, log_dir=REPO_ROOT / ".run" / "load")
    print(f"starting the stack (Redis {stack.settings.redis_url}) ...", flush=True)
    stack.start()
    try:
        print(f"load: {stack.gateway_url}, load average now {os.getloadavg()[0]:.2f}", flush=True)
        stats = asyncio.run(run(args, stack.gateway_url, stack))
        report(stats, args)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
