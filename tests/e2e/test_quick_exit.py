"""Quick exit as GOV.UK's "Exit this page" in Debian's chromium: first in the tab order in every
state, three Shift presses, the page blank at once, the session erased on the server (no key of
it left in Redis), Back shows no chat, nothing kept on the device, nothing sent anywhere but
127.0.0.1 except the last navigation to the neutral site; and the kind notice when a session
has expired."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from bot.config import Settings
from bot.store import Keys

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
REPLY_TIMEOUT_MS = 30_000
# The neutral site stands in offline; its icon is inline so the browser asks for nothing more.
NEUTRAL_PAGE = (
    '<!doctype html><title>Weather</title><link rel="icon" href="data:,"><p>neutral weather</p>'
)
ASK_FOR_A_PERSON = "kan jag få prata med en riktig människa"
KEYS = Keys(Settings().key_prefix, Settings().rasa_tracker_key_prefix)  # the stack's defaults
# Every element a keyboard can reach; filtered below to the ones that are shown and enabled.
FOCUSABLE_ORDER = """() => {
  const selector = 'a[href], button, input, select, textarea, summary, iframe, [tabindex],'
    + ' [contenteditable=""], [contenteditable="true"]';
  const shown = [...document.querySelectorAll(selector)].filter((node) => {
    if (node.disabled || node.tabIndex < 0) return false;
    const style = getComputedStyle(node);
    return style.visibility !== 'hidden' && node.getClientRects().length > 0;
  });
  return {
    order: shown.map((node) => node.id || node.tagName.toLowerCase()),
    positive: shown.filter((node) => node.tabIndex > 0).map((node) => node.id || node.tagName),
  };
}"""


@dataclass
class Widget:
    """One browser context with the widget open, and every request it made."""

    context: BrowserContext
    page: Page
    base_url: str
    exit_url: str
    requests: list[Any] = field(default_factory=list)

    def open(self) -> None:
        """Load the widget and wait until the config has filled the language picker."""
        self.page.goto(self.base_url + "/")
        expect(self.page.locator("#lang-select option[value='en']")).to_be_attached()

    def say(self, text: str, wait_for_bot: bool = True) -> None:
        """Type a message, press Enter, and wait until it has been answered."""
        before = self.page.locator(".msg.bot").count()
        self.page.fill("#message-input", text)
        self.page.press("#message-input", "Enter")
        if wait_for_bot:
            expect(self.page.locator(".msg.bot").nth(before)).to_be_visible(
                timeout=REPLY_TIMEOUT_MS
            )
        expect(self.page.locator("#send-button")).to_be_enabled(timeout=REPLY_TIMEOUT_MS)

    def say_and_capture_session(self, text: str) -> dict[str, str]:
        """The first message: also return the session the widget created for it."""
        with self.page.expect_response(
            lambda r: r.request.method == "POST" and r.url.endswith("/api/v1/sessions")
        ) as created:
            self.say(text)
        return created.value.json()

    def wait_for_exit(self) -> None:
        """The tab is on the neutral site."""
        self.page.wait_for_url(lambda url: url.startswith(self.exit_url), timeout=10_000)
        expect(self.page.locator("body")).to_contain_text("neutral weather")

    def focusable(self) -> dict[str, list[str]]:
        """The keyboard's order of the shown, enabled elements (ids)."""
        return self.page.evaluate(FOCUSABLE_ORDER)


@pytest.fixture(scope="module")
def widget_config(gateway_url: str) -> dict[str, Any]:
    """The config the widget loads: languages, labels, the exit address."""
    response = httpx.get(f"{gateway_url}/api/v1/widget/config", timeout=30)
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium (never `playwright install`)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def widget(browser: Browser, gateway_url: str, widget_config: dict[str, Any]) -> Iterator[Widget]:
    """A fresh browser context (as a new private window) on a phone screen, the widget open;
    the neutral site answered by a local stand-in (the tests stay offline)."""
    context = browser.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    opened = Widget(context, page, gateway_url, widget_config["exit_url"])

    context.route(
        lambda url: url.startswith(opened.exit_url),
        lambda route: route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE),
    )
    context.on("request", lambda request: opened.requests.append(request))
    opened.open()
    yield opened
    context.close()


@pytest.fixture
def store(redis_url: str) -> Iterator[redis.Redis]:
    """The stack's Redis, to look for what a session left behind."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


def _keys_of(store: redis.Redis, session_id: str) -> list[str]:
    return list(store.scan_iter(match=f"*{session_id}*", count=1000))


def _wait_until_erased(store: redis.Redis, session_id: str) -> None:
    """No key naming the session is left; polls briefly (the keepalive DELETE is in flight)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not _keys_of(store, session_id):
            return
        time.sleep(0.2)
    pytest.fail(f"keys of the session are left after the quick exit: {_keys_of(store, session_id)}")


def _assert_session_gone(gateway_url: str, session: dict[str, str]) -> None:
    response = httpx.post(
        f"{gateway_url}/api/v1/sessions/{session['session_id']}/messages",
        json={"text": "hej"},
        headers={"Authorization": f"Bearer {session['token']}"},
        timeout=30,
    )
    assert response.status_code == 404


def _triple_shift(page: Page) -> None:
    for _ in range(3):
        page.keyboard.press("Shift")


# ---------- first in the tab order, in every state ----------


def test_first_tab_focuses_the_exit_on_a_fresh_page(widget: Widget) -> None:
    widget.page.keyboard.press("Tab")
    expect(widget.page.locator("#quick-exit")).to_be_focused()
    widget.page.keyboard.press("Tab")
    expect(widget.page.locator("#quick-exit")).not_to_be_focused()  # a real tab stop, then on


def test_the_exit_is_the_first_focusable_element_in_every_state(
    widget: Widget, widget_config: dict[str, Any]
) -> None:
    page = widget.page
    states: dict[str, dict[str, list[str]]] = {"start": widget.focusable()}

    page.locator("#exit-about summary").click()
    expect(page.locator("#exit-about-text")).to_be_visible()
    states["about open"] = widget.focusable()

    widget.say("Vad är hedersrelaterat våld?")
    states["conversation"] = widget.focusable()

    page.select_option("#lang-select", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    states["right to left"] = widget.focusable()
    page.select_option("#lang-select", "sv")

    widget.say(ASK_FOR_A_PERSON)
    expect(page.locator("#handoff-leave")).to_be_visible()
    states["handoff"] = widget.focusable()

    page.route("**/api/v1/sessions/*/messages", lambda route: route.abort("internetdisconnected"))
    page.fill("#message-input", "Hej")
    page.press("#message-input", "Enter")
    expect(page.locator(".msg.notice")).to_be_visible()
    states["network error"] = widget.focusable()

    for name, found in states.items():
        assert found["order"][0] == "quick-exit", (name, found["order"])
        assert found["positive"] == [], (name, found["positive"])  # nothing jumps the queue
    assert "lang-select" in states["start"]["order"]
    assert "handoff-leave" in states["handoff"]["order"]


# ---------- leaving ----------


def test_triple_shift_leaves_erases_the_session_and_back_shows_no_chat(
    widget: Widget, gateway_url: str, store: redis.Redis
) -> None:
    page = widget.page
    page.goto(widget.base_url + "/healthz")  # a page before the chat in this tab's history
    widget.open()
    session = widget.say_and_capture_session("Vad är hedersrelaterat våld?")
    widget.say("min bror kollar min telefon")
    assert _keys_of(store, session["session_id"]), "the conversation left no key to erase"

    _triple_shift(page)
    widget.wait_for_exit()
    _wait_until_erased(store, session["session_id"])
    _assert_session_gone(gateway_url, session)

    page.go_back()
    assert page.url == widget.base_url + "/healthz"  # the chat's entry was replaced
    expect(page.locator("#messages")).to_have_count(0)
    assert "hedersrelaterat" not in page.content()
    page.go_forward()
    assert page.url.startswith(widget.exit_url)


def test_back_after_the_exit_cannot_reach_the_chat_when_it_was_the_first_page(
    widget: Widget,
) -> None:
    page = widget.page
    widget.say("Vad är hedersrelaterat våld?")
    page.click("#quick-exit")
    widget.wait_for_exit()
    page.go_back()  # to the tab's empty start page: the chat's entry is gone
    assert not page.url.startswith(widget.base_url), page.url
    assert "hedersrelaterat" not in page.content()
    expect(page.locator("#messages")).to_have_count(0)


def test_the_page_blanks_at_once_before_the_neutral_site_loads(
    widget: Widget, store: redis.Redis
) -> None:
    page = widget.page
    session = widget.say_and_capture_session("Vad är hedersrelaterat våld?")
    snapshots: list[str] = []
    page.on(
        "console",
        lambda message: snapshots.append(message.text) if message.text.startswith("{") else None,
    )
    # Runs right after the widget's own click handler, in the same task: what shows then is
    # what shows while the neutral site loads (logged, as nothing may be stored).
    page.evaluate(
        """() => document.getElementById('quick-exit').addEventListener('click', () => {
            console.log(JSON.stringify({
                url: location.href,
                cover: getComputedStyle(document.getElementById('exit-cover')).display,
                app: getComputedStyle(document.getElementById('app')).display,
                text: document.body.innerText.trim(),
                messages: document.getElementById('messages').textContent,
                input: document.getElementById('message-input').value,
                title: document.title.trim(),
            }));
        })"""
    )
    page.fill("#message-input", "ett halvskrivet meddelande")
    page.click("#quick-exit")
    widget.wait_for_exit()
    assert len(snapshots) == 1, snapshots
    shown = json.loads(snapshots[0])
    assert shown["url"].startswith(widget.base_url)
    assert shown["cover"] != "none" and shown["app"] == "none"
    assert shown == {**shown, "text": "", "messages": "", "input": "", "title": ""}
    _wait_until_erased(store, session["session_id"])


def test_the_exit_from_a_handoff_erases_the_queued_conversation(
    widget: Widget, store: redis.Redis, redis_url: str
) -> None:
    page = widget.page
    session = widget.say_and_capture_session(ASK_FOR_A_PERSON)
    expect(page.locator("#handoff-leave")).to_be_visible()
    handoff_id = store.hget(KEYS.session(session["session_id"]), "handoff_id")
    assert handoff_id, "the session was not queued"
    assert list(store.scan_iter(match=f"*{handoff_id}*"))

    _triple_shift(page)
    widget.wait_for_exit()
    _wait_until_erased(store, session["session_id"])
    deadline = time.monotonic() + 10
    while list(store.scan_iter(match=f"*{handoff_id}*")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(store.scan_iter(match=f"*{handoff_id}*")) == []
    queue = KEYS.handoff_queue()
    kind = store.type(queue)
    waiting = store.zrange(queue, 0, -1) if kind == "zset" else store.lrange(queue, 0, -1)
    assert handoff_id not in waiting


# ---------- nothing kept, nothing sent elsewhere ----------


def test_nothing_is_kept_on_the_device_and_nothing_leaves_localhost_but_the_exit(
    widget: Widget, gateway_url: str
) -> None:
    page = widget.page
    page.locator("#exit-about summary").click()
    widget.say("Vad är hedersrelaterat våld?")
    page.select_option("#lang-select", "en")
    widget.say("I live in Gothenburg")

    state = widget.context.storage_state(indexed_db=True)
    assert state["cookies"] == []
    assert state["origins"] == []  # no localStorage, sessionStorage or IndexedDB anywhere
    kept = page.evaluate(
        """async () => ({
            cookie: document.cookie,
            session: sessionStorage.length,
            local: localStorage.length,
            databases: (await indexedDB.databases()).length,
        })"""
    )
    assert kept == {"cookie": "", "session": 0, "local": 0, "databases": 0}

    _triple_shift(page)
    widget.wait_for_exit()
    gateway_host = urlsplit(gateway_url).hostname
    assert gateway_host == "127.0.0.1"
    outside = [r for r in widget.requests if urlsplit(r.url).hostname != gateway_host]
    assert [r.url for r in outside] == [widget.exit_url], "something else left 127.0.0.1"
    navigations = [r for r in widget.requests if r.is_navigation_request()]
    assert outside[0] is navigations[-1]  # and it was the last navigation, the exit itself


# ---------- what the button does not erase ----------


def test_every_language_says_what_the_button_does_not_erase(
    widget: Widget, widget_config: dict[str, Any]
) -> None:
    page = widget.page
    about = page.locator("#exit-about")
    expect(about).to_be_in_viewport()  # near the button on a phone, before any scrolling
    expect(page.locator("#exit-about-text")).to_be_hidden()  # short until asked for
    about.locator("summary").click()
    for lang in widget_config["languages"]:
        texts = widget_config["texts"][lang["code"]]
        page.select_option("#lang-select", lang["code"])
        expect(about.locator("summary")).to_have_text(texts["quick_exit_about"])
        expect(page.locator("#exit-about-text")).to_have_text(texts["quick_exit_about_text"])
        expect(page.locator("#exit-about-text")).to_be_visible()
    english = widget_config["texts"]["en"]["quick_exit_about_text"]
    assert "history" in english and "private window" in english


# ---------- an expired session ----------


def test_an_expired_session_is_told_kindly_once_and_the_message_still_goes(
    widget: Widget, widget_config: dict[str, Any], store: redis.Redis
) -> None:
    page = widget.page
    expired = widget_config["texts"]["sv"]["session_expired"]
    session = widget.say_and_capture_session("Hej")
    store.delete(KEYS.session(session["session_id"]))  # what the TTL does after some hours

    widget.say("Vad är hedersrelaterat våld?")
    notices = page.locator(".msg.system")
    expect(notices).to_have_count(1)
    expect(notices.first).to_have_text(expired)
    # The notice comes right after the message that found the session gone, before its answer.
    order = page.locator("#messages > .msg").evaluate_all(
        "nodes => nodes.map(node => node.className)"
    )
    last_user = len(order) - 1 - order[::-1].index("msg user")
    assert order[last_user + 1 : last_user + 3] == ["msg system", "msg bot"], order
    expect(page.locator(".msg.notice")).to_have_count(0)  # not an error: nothing went wrong

    widget.say("tack")
    expect(notices).to_have_count(1)  # once, not on every message after
