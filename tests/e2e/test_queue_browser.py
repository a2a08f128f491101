"""The queue in Debian's chromium, against the whole stack: a danger chat jumps the queue with
its mark, the waiting person sees their place and a rough wait that follows the queue, and a
person whose page went quiet is shown as away, then leaves the list, then has their place back.

Time is moved in Redis, as the other console tests do: the ghost's timestamps are set to the
past rather than waiting HRV_HANDOFF_AWAY_SECONDS and HRV_HANDOFF_GONE_SECONDS."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import httpx
import pytest
import redis
import yaml
from playwright.sync_api import Page, expect

from tests.e2e import test_handoff_browser as shared

pytestmark = pytest.mark.e2e

browser = shared.browser
pages = shared.pages
texts = shared.texts

CONSOLE_TEXTS = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "bot/texts/console/sv.yml").read_text("utf-8")
)["texts"]
DANGER = "Jag vågar inte gå hem ikväll"  # read as violence, a threat or nowhere to sleep
SETTINGS_AWAY_SECONDS = 120  # the defaults of HRV_HANDOFF_AWAY_SECONDS and _GONE_SECONDS
SETTINGS_GONE_SECONDS = 600


class ApiPerson:
    """Someone who asks for a person through the widget API, with no page open afterwards."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        created = self.http.post("/api/v1/sessions", json={"lang": "sv"}).json()
        self.id, self.token = created["session_id"], created["token"]

    def say(self, text: str) -> dict:
        response = self.http.post(
            f"/api/v1/sessions/{self.id}/messages",
            json={"text": text},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def poll(self) -> dict:
        response = self.http.get(
            f"/api/v1/sessions/{self.id}/events",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        return response.json()


def _store(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url, decode_responses=True)


def _handoff_of(redis_url: str, session_id: str) -> str:
    handoff_id = _store(redis_url).hget(f"hrv:session:{session_id}", "handoff_id")
    assert handoff_id
    return str(handoff_id)


def _row(console: Page, handoff_id: str):
    return console.locator(f'#queue .item[data-handoff="{handoff_id}"]')


def _queue_order(console: Page) -> list[str]:
    return console.locator("#queue .item").evaluate_all(
        "rows => rows.map(row => row.getAttribute('data-handoff'))"
    )


def _expect_order(console: Page, wanted: list[str]) -> None:
    deadline = time.monotonic() + shared.LIVE_TIMEOUT_MS / 1000
    while _queue_order(console) != wanted and time.monotonic() < deadline:
        console.wait_for_timeout(250)
    assert _queue_order(console) == wanted


def _queued_person(pages: shared.Pages, gateway_url: str, texts, redis_url) -> tuple[Page, str]:
    widget = shared._widget(pages, gateway_url)
    session = shared._ask_for_a_person(widget, texts)
    return widget, _handoff_of(redis_url, session["session_id"])


def test_a_danger_chat_jumps_the_queue_with_its_mark(
    pages: shared.Pages, gateway_url: str, add_staff, texts, redis_url
) -> None:
    console = shared._console(pages, gateway_url, add_staff(f"staff-{secrets.token_hex(3)}"))
    earlier = ApiPerson(gateway_url)  # asked first, no danger
    assert earlier.say("kan jag få prata med en riktig människa")["handoff"] == "queued"
    earlier_id = _handoff_of(redis_url, earlier.id)
    plain, plain_id = _queued_person(pages, gateway_url, texts, redis_url)

    endangered = shared._widget(pages, gateway_url)
    with endangered.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/api/v1/sessions")
    ) as created:
        shared._say(endangered, DANGER)  # the first message: 112 first, and the session's mark
    shared._say(endangered, "kan jag få prata med en riktig människa")
    expect(endangered.locator("#handoff-status")).to_have_text(texts["handoff_queued"])
    danger_id = _handoff_of(redis_url, created.value.json()["session_id"])
    kind = _store(redis_url).hget(f"hrv:handoff:{danger_id}", "risk")
    assert kind in {"violence", "threat", "runaway"}

    # Asked last, listed first, with its kind of danger (never the text) and place 1.
    _expect_order(console, [danger_id, earlier_id, plain_id])
    first = _row(console, danger_id)
    expect(first).to_contain_text(CONSOLE_TEXTS[f"risk_{kind}"])
    expect(first.locator(".position")).to_have_text("1.")
    expect(first).not_to_contain_text(DANGER)
    expect(_row(console, plain_id).locator(".position")).to_have_text("3.")

    # A flagged message while waiting marks the chat and moves it ahead of the unmarked ones.
    shared._say(plain, DANGER)
    _expect_order(console, [danger_id, plain_id, earlier_id])
    expect(_row(console, plain_id).locator(".reason")).to_have_class("reason danger")
    expect(_row(console, plain_id).locator(".position")).to_have_text("2.")


def test_the_waiting_person_sees_place_and_wait_and_both_follow_the_queue(
    pages: shared.Pages, gateway_url: str, add_staff, texts, redis_url, empty_queue
) -> None:
    store = _store(redis_url)
    # The last hour's claims: one, claimed a minute ago after 5 minutes of waiting.
    store.delete("hrv:handoff:claim_waits")
    store.zadd("hrv:handoff:claim_waits", {"300:seeded": int(time.time() * 1000) - 60_000})
    store.expire("hrv:handoff:claim_waits", 3600)
    console = shared._console(pages, gateway_url, add_staff(f"staff-{secrets.token_hex(3)}"))
    ahead, ahead_id = _queued_person(pages, gateway_url, texts, redis_url)
    behind, _ = _queued_person(pages, gateway_url, texts, redis_url)

    place = behind.locator("#handoff-queue .queue-place")
    expect(place).to_have_text("Din plats i kön: 2.", timeout=shared.LIVE_TIMEOUT_MS)
    expect(behind.locator("#handoff-queue .queue-wait")).to_have_text(
        texts["queue_wait_few"].replace("{n}", "10")  # two places of 5 minutes, never a promise
    )
    expect(ahead.locator("#handoff-queue .queue-place")).to_have_text(
        texts["queue_next"], timeout=shared.LIVE_TIMEOUT_MS
    )
    # What the person can do meanwhile: lines open now, as the registry describes them.
    lines = behind.locator("#handoff-queue .queue-lines")
    expect(lines).to_contain_text(texts["queue_lines_intro"])
    expect(lines.locator('a[href="tel:116111"]')).to_be_visible()

    _row(console, ahead_id).locator("button.claim").click()
    expect(console.locator("#chat")).to_be_visible()
    expect(place).to_have_text(texts["queue_next"], timeout=shared.LIVE_TIMEOUT_MS)
    expect(ahead.locator("#handoff-queue")).to_be_hidden(timeout=shared.LIVE_TIMEOUT_MS)
    expect(ahead.locator("#handoff-status")).to_have_text(texts["handoff_active"])


def test_a_quiet_page_is_away_then_gone_then_back_in_its_place(
    pages: shared.Pages, gateway_url: str, add_staff, texts, redis_url, empty_queue
) -> None:
    console = shared._console(pages, gateway_url, add_staff(f"staff-{secrets.token_hex(3)}"))
    ghost = ApiPerson(gateway_url)  # asks, then its page neither streams nor polls
    assert ghost.say("kan jag få prata med en riktig människa")["handoff"] == "queued"
    ghost_id = _handoff_of(redis_url, ghost.id)
    present, present_id = _queued_person(pages, gateway_url, texts, redis_url)
    _expect_order(console, [ghost_id, present_id])
    expect(_row(console, ghost_id)).not_to_contain_text(CONSOLE_TEXTS["away"])

    def quiet_for(seconds: int) -> None:
        past = int(time.time() * 1000) - seconds * 1000
        store = _store(redis_url)
        store.hset(f"hrv:handoff:{ghost_id}", "queued_at", past)
        store.zadd("hrv:handoff:seen", {ghost_id: past}, xx=True)

    quiet_for(SETTINGS_AWAY_SECONDS + 10)
    expect(_row(console, ghost_id)).to_contain_text(
        CONSOLE_TEXTS["away"], timeout=shared.LIVE_TIMEOUT_MS
    )
    expect(_row(console, ghost_id)).to_have_class("item is-away")

    quiet_for(SETTINGS_GONE_SECONDS + 10)
    _expect_order(console, [present_id])  # not offered, and not counted in anyone's place
    expect(_row(console, present_id).locator(".position")).to_have_text("1.")
    expect(present.locator("#handoff-queue .queue-place")).to_have_text(
        texts["queue_next"], timeout=shared.LIVE_TIMEOUT_MS
    )

    back = ghost.poll()  # the page asks again before the handoff expired
    assert back["handoff"] == "queued" and back["queue"]["position"] == 1
    _expect_order(console, [ghost_id, present_id])
    expect(_row(console, ghost_id)).not_to_contain_text(CONSOLE_TEXTS["away"])
    expect(present.locator("#handoff-queue .queue-place")).to_have_text(
        "Din plats i kön: 2.", timeout=shared.LIVE_TIMEOUT_MS
    )
