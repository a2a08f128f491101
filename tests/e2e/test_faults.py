"""Faults on a private stack (own Redis with AOF, own Rasa, actions and gateway): Rasa killed or
stuck, the action server down, Redis restarted mid-handoff; /readyz throughout.

Private so that killing parts never disturbs the other end-to-end tests; one stack for the
module, and each test leaves every part running again.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
import yaml

from bot.config import Settings
from bot.ops.launcher import REPO_ROOT, Stack, free_port, redis_reachable, redis_server_executable
from tests.e2e.conftest import StaffAccount, parse_staff_add

pytestmark = pytest.mark.e2e

RASA_TIMEOUT = 2  # seconds; production default 5
HIGH = "100000"  # rate limits out of the way: these tests send fast from one address


class OwnRedis:
    """redis-server with AOF fsync'ed on every write, as production should run it."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            redis_server_executable(),
            *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)),
            *("--save", "", "--appendonly", "yes", "--appendfsync", "always"),
        ]
        with (self.dir / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not redis_reachable(self.url):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def crash(self) -> None:
        """SIGKILL: no shutdown, only what AOF already has survives."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, OwnRedis]]:
    own = OwnRedis(tmp_path_factory.mktemp("redis"))
    own.start()
    ports = {"port": free_port(), "rasa_port": free_port(), "actions_port": free_port()}
    settings = Settings(environment="test", redis_url=own.url, **ports)
    overrides = {
        "HRV_RASA_TIMEOUT_SECONDS": str(RASA_TIMEOUT),
        "HRV_READYZ_TIMEOUT_SECONDS": "1",
        "HRV_READYZ_CACHE_SECONDS": "0",
        "HRV_RATE_SESSION_MESSAGES_PER_MINUTE": HIGH,
        "HRV_RATE_CLIENT_MESSAGES_PER_MINUTE": HIGH,
        "HRV_RATE_CLIENT_SESSIONS_PER_HOUR": HIGH,
    }
    stack = Stack(settings, log_dir=tmp_path_factory.mktemp("logs"), env_overrides=overrides)
    try:
        stack.start()
        yield stack, own
    finally:
        stack.stop()
        own.crash()


@pytest.fixture
def api(faults: tuple[Stack, OwnRedis]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=faults[0].gateway_url, timeout=30) as client:
        yield client


def safe_reply(lang: str) -> str:
    return yaml.safe_load((REPO_ROOT / "bot/texts" / f"{lang}.yml").read_text("utf-8"))["replies"][
        "safe_fallback"
    ]


def response_texts(name: str, lang: str) -> list[str]:
    responses = yaml.safe_load((REPO_ROOT / "nlu/responses" / f"{lang}.yml").read_text("utf-8"))
    return [variation["text"] for variation in responses["responses"][name]]


class Person:
    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        created = api.post("/api/v1/sessions")
        assert created.status_code == 201, created.text
        self.id = created.json()["session_id"]
        self.headers = {"Authorization": f"Bearer {created.json()['token']}"}

    def send(self, text: str, lang: str | None = None, **extra: str) -> httpx.Response:
        body = {"text": text, **({"lang": lang} if lang else {}), **extra}
        return self.api.post(
            f"/api/v1/sessions/{self.id}/messages", json=body, headers=self.headers
        )

    def say(self, text: str, lang: str | None = None) -> dict:
        response = self.send(text, lang)
        assert response.status_code == 200, response.text
        return response.json()


def readyz(api: httpx.Client) -> tuple[int, dict[str, str]]:
    response = api.get("/readyz")
    return response.status_code, response.json()["checks"]


def wait_ready(api: httpx.Client, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while readyz(api)[0] != 200:
        assert time.monotonic() < deadline, readyz(api)
        time.sleep(0.25)


def test_rasa_killed_mid_conversation_gives_the_safe_reply_then_recovers(faults, api):
    stack, _ = faults
    assert readyz(api) == (200, dict.fromkeys(("redis", "rasa", "actions", "rasa_store"), "ok"))
    person = Person(api)
    assert person.say("hello", lang="en")["replies"][0]["text"] != safe_reply("en")

    stack.kill("rasa")
    body = person.say("what does honour based violence and oppression mean")
    assert [r["text"] for r in body["replies"]] == [safe_reply("en")]  # in the person's language
    assert "112" in body["replies"][0]["text"]
    status, checks = readyz(api)
    assert status == 503 and checks["rasa"] == "failed" and checks["redis"] == "ok"

    stack.restart("rasa")
    wait_ready(api)
    body = person.say("what does honour based violence and oppression mean")
    assert body["replies"][0]["text"] in response_texts("utter_what_is_hrv", "en")


def test_a_stuck_rasa_times_out_into_the_safe_reply(faults, api):
    stack, _ = faults
    person = Person(api)
    person.say("hej", lang="sv")
    rasa = stack.processes["rasa"]
    os.killpg(rasa.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        body = person.say("vad menas med hedersrelaterat våld och förtryck")
        waited = time.monotonic() - started
    finally:
        os.killpg(rasa.pid, signal.SIGCONT)
    assert [r["text"] for r in body["replies"]] == [safe_reply("sv")]
    assert RASA_TIMEOUT <= waited < RASA_TIMEOUT * 2 + 2
    body = person.say("vad menas med hedersrelaterat våld och förtryck")
    assert body["replies"][0]["text"] in response_texts("utter_what_is_hrv", "sv")


def test_action_server_down_gives_the_safe_reply(faults, api):
    """Rasa answers 200 with no messages when a custom action fails (processor.py:995)."""
    stack, _ = faults
    person = Person(api)
    person.say("hej", lang="sv")
    stack.kill("actions")
    try:
        body = person.say("Jag bor i Alingsås")
        assert [r["text"] for r in body["replies"]] == [safe_reply("sv")]
        status, checks = readyz(api)
        assert status == 503 and checks["actions"] == "failed" and checks["rasa"] == "ok"
    finally:
        stack.restart("actions")
    wait_ready(api)
    text = " ".join(r["text"] for r in person.say("Jag bor i Alingsås")["replies"])
    assert "Älvsborg" in text


class Staff:
    """A staff member of the private stack, signed in with token and TOTP code."""

    def __init__(self, stack: Stack) -> None:
        name = f"staff-{secrets.token_hex(3)}"
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "staff", "add", name],
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        printed = parse_staff_add(done.stdout)
        account = StaffAccount(name, printed["token"], printed["totp_secret"])
        self.http = httpx.Client(base_url=stack.gateway_url, timeout=30)
        signed_in = self.http.post("/api/v1/staff/login", json=account.login())
        assert signed_in.status_code == 200, signed_in.text
        self.http.headers["Authorization"] = f"Bearer {signed_in.json()['token']}"
        assert self.http.post("/api/v1/staff/heartbeat").status_code == 200


class Sender(threading.Thread):
    """Sends numbered messages until stopped; remembers which the API accepted (2xx)."""

    def __init__(self, post) -> None:
        super().__init__(daemon=True)
        self.post = post
        self.accepted: list[str] = []
        self.statuses: list[int] = []
        self.seconds: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            text = f"meddelande {number}"
            started = time.monotonic()
            try:
                status = self.post(text).status_code
            except httpx.HTTPError:  # a hang would end here (client timeout): counted as 0
                status = 0
            self.seconds.append(time.monotonic() - started)
            self.statuses.append(status)
            if 200 <= status < 300:
                self.accepted.append(text)
            time.sleep(0.05)


class Stream(threading.Thread):
    """The widget's live stream of staff messages (SSE), from `cursor` on, until stopped or
    ended by the server; remembers texts, the last event id and when it ended."""

    def __init__(self, person: Person, cursor: str | None = None) -> None:
        super().__init__(daemon=True)
        self.person, self.cursor = person, cursor
        self.texts: list[str] = []
        self.status = 0
        self.ended_at: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        headers = {**self.person.headers, "Accept": "text/event-stream"}
        if self.cursor:
            headers["Last-Event-ID"] = self.cursor
        url = f"/api/v1/sessions/{self.person.id}/events"
        try:
            with self.person.api.stream("GET", url, headers=headers) as response:
                self.status = response.status_code
                for line in response.iter_lines():
                    if line.startswith("id: "):
                        self.cursor = line[4:]
                    elif line.startswith("data: ") and '"kind": "text"' in line:
                        self.texts.append(json.loads(line[6:])["text"])
                    if self.stop.is_set():
                        break
        except httpx.HTTPError:
            pass
        self.ended_at = time.monotonic()


def test_redis_restarted_mid_handoff_loses_no_accepted_message(faults, api):
    stack, own = faults
    person = Person(api)
    staff = Staff(stack)
    assert person.say("kan jag få prata med en riktig människa", lang="sv")["handoff"] == "queued"
    # Staff never see session ids: find this person's handoff through Redis, as a test may.
    store = redis.Redis.from_url(own.url, decode_responses=True)
    handoff = store.hget(f"hrv:session:{person.id}", "handoff_id")
    assert staff.http.post(f"/api/v1/handoffs/{handoff}/claim").status_code == 200

    from_person = Sender(lambda text: person.send(text))
    from_staff = Sender(
        lambda text: staff.http.post(f"/api/v1/handoffs/{handoff}/messages", json={"text": text})
    )
    live = Stream(person)
    live.start()
    from_person.start()
    from_staff.start()
    time.sleep(1)
    own.crash()
    crashed = time.monotonic()
    time.sleep(1.5)
    started = time.monotonic()
    down = person.send("medan redis är nere")
    print(
        f"a message while Redis is down: {down.status_code} in {time.monotonic() - started:.2f} s"
    )
    assert down.status_code == 503, down.text  # clear, not a 500, not a hang
    assert "112" in " ".join(r["text"] for r in down.json()["replies"])
    assert readyz(api)[1]["redis"] == "failed"
    live.join(timeout=10)  # the live stream ends (the widget reconnects), it does not hang
    assert live.status == 200 and live.ended_at is not None and live.ended_at - crashed < 5
    own.start()  # same directory: the AOF is replayed
    time.sleep(1.5)
    for sender in (from_person, from_staff):
        sender.stop.set()
        sender.join(timeout=30)

    for name, sender in (("person", from_person), ("staff", from_staff)):
        print(
            f"{name}: {len(sender.accepted)} accepted, {sender.statuses.count(503)} got 503,"
            f" slowest {max(sender.seconds):.2f} s"
        )
        assert 0 not in sender.statuses  # no request hung past the client's timeout
        assert set(sender.statuses) <= {200, 201, 503}, sorted(set(sender.statuses))
        assert 503 in sender.statuses and sender.accepted
    transcript = staff.http.get(f"/api/v1/handoffs/{handoff}/messages").json()["messages"]
    person_texts = [m["text"] for m in transcript if m["from"] == "person"]
    staff_texts = [m["text"] for m in transcript if m["from"] != "person"]
    assert set(from_person.accepted) <= set(person_texts)
    assert set(from_staff.accepted) <= set(staff_texts)
    seen = person.api.get(f"/api/v1/sessions/{person.id}/events", headers=person.headers)
    assert seen.status_code == 200
    delivered = [e["text"] for e in seen.json()["events"] if e["kind"] == "text"]
    assert set(from_staff.accepted) <= set(delivered)
    # Reconnecting the live stream with its last id brings every accepted message it missed.
    resumed = Stream(person, live.cursor)
    resumed.start()
    deadline = time.monotonic() + 10
    while not set(from_staff.accepted) <= set(live.texts + resumed.texts):
        assert time.monotonic() < deadline, "the resumed stream missed accepted messages"
        time.sleep(0.1)
    resumed.stop.set()
    print(
        f"live stream ended {max(0.0, live.ended_at - crashed):.2f} s after the crash;"
        f" {len(live.texts)} messages before, {len(resumed.texts)} after reconnecting"
    )

    # Back to the bot, without restarting the gateway or Rasa: turns are stored in Redis again.
    assert staff.http.post(f"/api/v1/handoffs/{handoff}/release").status_code == 200
    body = person.say("vad menas med hedersrelaterat våld och förtryck")
    assert body["replies"][0]["text"] in response_texts("utter_what_is_hrv", "sv")
    tracker = redis.Redis.from_url(own.url).get(f"hrvguide:tracker:{person.id}")
    assert b"vad menas med hedersrelaterat" in tracker
    wait_ready(api)
