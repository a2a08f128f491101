"""A person in the widget and a staff member in the console, in two headless Chromium pages:
ask for a human, claim, talk both ways, release, the bot again; across two gateway processes;
a gateway killed in the middle loses no message."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import StaffAccount

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
REPLY_TIMEOUT_MS = 30_000
LIVE_TIMEOUT_MS = 20_000  # a reconnecting stream, then polling, must still bring it in time


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium (never `playwright install`)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def texts(gateway_url: str) -> dict[str, str]:
    """The widget's Swedish labels."""
    return httpx.get(f"{gateway_url}/api/v1/widget/config", timeout=30).json()["texts"]["sv"]


class Pages:
    """Open pages, closed after the test; console messages collected per page."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[Any] = []
        self.console: list[str] = []
        self.requests: list[str] = []  # the addresses the pages asked for

    def open(self, url: str, width: int, height: int) -> Page:
        context = self.browser.new_context(
            viewport={"width": width, "height": height}, service_workers="block"
        )
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: self.console.append(message.text))
        page.on("request", lambda request: self.requests.append(request.url))
        page.goto(url)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser: Browser, redis_url: str) -> Iterator[Pages]:
    """A fresh set of browser contexts for one test, with an empty queue: other tests leave
    people queued, and the console lists them first in line."""
    redis.Redis.from_url(redis_url).delete("hrv:handoff:queue")
    opened = Pages(browser)
    yield opened
    opened.close()


def _widget(pages: Pages, base_url: str) -> Page:
    page = pages.open(base_url + "/", 360, 740)
    expect(page.locator("#lang-select option[value='en']")).to_be_attached()
    return page


def _say(page: Page, text: str, wait_for_bot: bool = True) -> None:
    bots = page.locator(".msg.bot").count()
    page.fill("#message-input", text)
    page.press("#message-input", "Enter")
    if wait_for_bot:
        expect(page.locator(".msg.bot").nth(bots)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    expect(page.locator("#send-button")).to_be_enabled(timeout=REPLY_TIMEOUT_MS)


def _sign_in(page: Page, token: str, code: str) -> None:
    page.fill("#token", token)
    page.fill("#code", code)
    page.press("#code", "Enter")


def _console(pages: Pages, base_url: str, account: StaffAccount) -> Page:
    page = pages.open(base_url + "/staff", 1280, 800)
    _sign_in(page, account.token, account.code())
    expect(page.locator("#console-view")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("i tjänst: ", timeout=10_000)
    expect(page.locator("#token")).to_have_value("")
    expect(page.locator("#code")).to_have_value("")
    return page


def _ask_for_a_person(widget: Page, texts: dict[str, str]) -> dict[str, str]:
    with widget.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/api/v1/sessions")
    ) as created:
        _say(widget, "kan jag få prata med en riktig människa")
    expect(widget.locator("#handoff-status")).to_have_text(texts["handoff_queued"])
    expect(widget.locator("#handoff-leave")).to_be_visible()
    return created.value.json()


def _claim_the_only_queued(console: Page) -> None:
    """The chat just queued (its test started from an empty queue: the stack is shared)."""
    item = console.locator("#queue .item").first
    expect(item).to_be_visible(timeout=10_000)
    expect(item).to_contain_text("Svenska")
    expect(item).to_contain_text("Bad om en person")
    item.locator("button.claim").click()
    expect(console.locator("#chat")).to_be_visible()
    expect(console.locator("#transcript .line.system").first).to_be_visible()


def _staff_says(console: Page, text: str) -> None:
    console.fill("#reply", text)
    console.press("#reply", "Enter")
    expect(console.locator("#transcript .line.staff .text").last).to_have_text(text)


def test_person_and_staff_talk_then_the_bot_answers_again(
    pages: Pages, gateway_url: str, add_staff, texts, stack, empty_queue
) -> None:
    console = _console(pages, gateway_url, add_staff(f"staff-{secrets.token_hex(3)}"))
    widget = _widget(pages, gateway_url)
    session = _ask_for_a_person(widget, texts)

    _claim_the_only_queued(console)
    expect(widget.locator(".msg.system").last).to_have_text(texts["handoff_joined"])
    expect(widget.locator("#handoff-status")).to_have_text(texts["handoff_active"])

    hostile = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"
    _say(widget, hostile, wait_for_bot=False)
    person_line = console.locator("#transcript .line.person .text").last
    expect(person_line).to_have_text(hostile, timeout=LIVE_TIMEOUT_MS)
    expect(console.locator("#transcript script, #transcript img")).to_have_count(0)
    assert console.title() != "pwned"

    _staff_says(console, "Hej, jag heter Sara. Jag läser det du skriver.")
    expect(widget.locator(".msg.staff .msg-text").last).to_have_text(
        "Hej, jag heter Sara. Jag läser det du skriver.", timeout=LIVE_TIMEOUT_MS
    )
    expect(widget.locator(".msg.staff .who").last).to_have_text(texts["staff"] + ": ")

    console.click("#release")
    expect(widget.locator(".msg.system").last).to_have_text(
        texts["handoff_released"], timeout=LIVE_TIMEOUT_MS
    )
    expect(widget.locator("#handoff-status")).to_have_text("")
    expect(widget.locator("#handoff-leave")).to_be_hidden()
    expect(console.locator("#reply")).to_be_disabled()

    bots = widget.locator(".msg.bot").count()
    _say(widget, "vad menas med hedersrelaterat våld och förtryck")
    expect(widget.locator(".msg.bot").nth(bots)).to_contain_text("heder")

    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/{session['session_id']}/tracker",
        params={"token": stack.env["HRV_RASA_TOKEN"]},
        timeout=30,
    ).json()
    kinds = [e["event"] for e in tracker["events"]]
    assert kinds.index("pause") < kinds.index("resume")
    assert hostile not in str(tracker)  # what the person wrote to staff never reached Rasa

    # Neither page kept anything on the device, and no page broke the CSP.
    for context in pages.contexts:
        state = context.storage_state(indexed_db=True)
        assert state["cookies"] == [] and state["origins"] == []
    assert not [line for line in pages.console if "Content Security Policy" in line]


def test_person_can_leave_the_queue_when_no_one_is_on_duty(
    pages: Pages, gateway_url: str, texts, redis_url
) -> None:
    redis.Redis.from_url(redis_url).delete("hrv:staff:on_duty")  # nobody signed in
    widget = _widget(pages, gateway_url)
    _ask_for_a_person(widget, texts)
    expect(widget.locator(".msg.system").last).to_have_text(
        texts["handoff_no_staff"], timeout=LIVE_TIMEOUT_MS
    )
    assert "112" in texts["handoff_no_staff"]
    choice = widget.locator(".handoff-choice .reply-button")
    expect(choice).to_have_text([texts["handoff_keep"], texts["handoff_leave"]])
    choice.nth(1).click()
    expect(widget.locator(".msg.system").last).to_have_text(
        texts["handoff_left"], timeout=LIVE_TIMEOUT_MS
    )
    expect(widget.locator("#handoff-status")).to_have_text("")


def test_two_gateways_and_a_crashed_gateway_lose_no_message(
    pages: Pages, gateway_url: str, add_staff, texts, second_gateway, empty_queue
) -> None:
    console = _console(pages, gateway_url, add_staff(f"staff-{secrets.token_hex(3)}"))
    widget = _widget(pages, second_gateway.url)  # the person on the other gateway process
    _ask_for_a_person(widget, texts)
    _claim_the_only_queued(console)
    expect(widget.locator("#handoff-status")).to_have_text(texts["handoff_active"])

    _staff_says(console, "Första meddelandet")
    expect(widget.locator(".msg.staff .msg-text").last).to_have_text(
        "Första meddelandet", timeout=LIVE_TIMEOUT_MS
    )
    _say(widget, "Jag är kvar", wait_for_bot=False)
    expect(console.locator("#transcript .line.person .text").last).to_have_text(
        "Jag är kvar", timeout=LIVE_TIMEOUT_MS
    )

    second_gateway.kill()  # the person's gateway crashes mid-conversation
    _staff_says(console, "Andra meddelandet")
    _staff_says(console, "Tredje meddelandet")
    second_gateway.start()

    staff_lines = widget.locator(".msg.staff .msg-text")
    expect(staff_lines.last).to_have_text("Tredje meddelandet", timeout=LIVE_TIMEOUT_MS)
    expect(staff_lines).to_have_text(
        ["Första meddelandet", "Andra meddelandet", "Tredje meddelandet"]
    )  # each exactly once, in order
    _say(widget, "Jag fick allt", wait_for_bot=False)
    expect(console.locator("#transcript .line.person .text").last).to_have_text(
        "Jag fick allt", timeout=LIVE_TIMEOUT_MS
    )
    person_lines = console.locator("#transcript .line.person .text").all_inner_texts()
    assert [t for t in person_lines if re.match(r"^Jag (är kvar|fick allt)$", t)] == [
        "Jag är kvar",
        "Jag fick allt",
    ]


def test_widget_falls_back_to_polling_when_streams_fail(
    pages: Pages, gateway_url: str, add_staff, texts, empty_queue
) -> None:
    console = _console(pages, gateway_url, add_staff(f"staff-{secrets.token_hex(3)}"))
    widget = _widget(pages, gateway_url)
    streams: list[str] = []
    polled: list[str] = []

    def no_streams(route: Any) -> None:  # e.g. a proxy that buffers or cuts event streams
        if "text/event-stream" in (route.request.headers.get("accept") or ""):
            streams.append(route.request.url)
            route.abort("connectionreset")
        else:
            polled.append(route.request.url)
            route.continue_()

    widget.route("**/api/v1/sessions/*/events*", no_streams)
    _ask_for_a_person(widget, texts)
    _claim_the_only_queued(console)
    _staff_says(console, "Kommer det fram ändå?")
    expect(widget.locator(".msg.staff .msg-text").last).to_have_text(
        "Kommer det fram ändå?", timeout=LIVE_TIMEOUT_MS
    )
    assert len(streams) >= 3  # it tried streaming, then gave up on it
    assert polled, "the widget never polled"
    assert not [url for url in pages.requests if "token" in url]  # never in an address


def test_console_asks_for_the_code_and_says_kindly_what_went_wrong(
    pages: Pages, gateway_url: str, add_staff
) -> None:
    account = add_staff(f"staff-{secrets.token_hex(3)}")
    page = pages.open(gateway_url + "/staff", 1280, 800)
    code = page.locator("#code")
    expect(code).to_have_attribute("inputmode", "numeric")
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    right = account.code()
    _sign_in(page, account.token, f"{(int(right) + 1) % 1_000_000:06d}")
    expect(page.locator("#signin-error")).to_have_text(
        "Fel token eller kod. Kontrollera båda och försök igen."
    )
    expect(page.locator("#token")).to_have_value("")  # nothing kept, not even in the fields
    _sign_in(page, account.token, right)
    expect(page.locator("#console-view")).to_be_visible()


def test_console_speaks_swedish_first_and_english_when_chosen(
    pages: Pages, gateway_url: str, add_staff
) -> None:
    account = add_staff(f"staff-{secrets.token_hex(3)}")
    page = pages.open(gateway_url + "/staff", 1280, 800)
    expect(page.locator("#signin-button")).to_have_text("Logga in")
    page.select_option("#console-lang", "en")
    expect(page.locator("#signin-button")).to_have_text("Sign in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    _sign_in(page, account.token, account.code())
    expect(page.locator("#console-view")).to_be_visible()
    expect(page.locator("#queue-empty")).to_have_text("No one is waiting right now.")
    expect(page.locator("#reply")).to_have_attribute("placeholder", "Write to the person …")


def test_console_shows_the_sign_in_form_again_when_its_session_ended(
    pages: Pages, gateway_url: str, add_staff, stack
) -> None:
    account = add_staff(f"staff-{secrets.token_hex(3)}")
    console = _console(pages, gateway_url, account)
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "staff", "remove", account.name],
        env=stack.env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    expect(console.locator("#signin-view")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(console.locator("#console-view")).to_be_hidden()
    expect(console.locator("#signin-error")).to_have_text(
        "Din inloggning har gått ut. Logga in igen."
    )
