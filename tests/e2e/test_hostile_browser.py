"""Hostile text in a real browser: HTML, script, event handlers, bidi overrides and isolates,
zero-width and control characters typed by a person render as text in the widget and in the
staff console (in a handoff), nothing runs, and a bidi override stays inside its own message.
Staff messages with HTML render as text in the widget."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page, expect, sync_playwright

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
LIVE_TIMEOUT_MS = 20_000
ASK_FOR_A_PERSON = "kan jag få prata med en riktig människa"
RLO, PDF, LRI, RLI, FSI, PDI = "\u202e", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"

# What a person might type, paste or be tricked into pasting; each sets window.__pwned if it ever
# runs. Few messages, so no per-session rate limit is reached.
HOSTILE = [
    '<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 1">'
    ' "><svg onload="window.__pwned = 1"></svg> <a href="javascript:window.__pwned = 1">klick</a>'
    " <b>fet</b> &lt;i&gt; &amp;",
    "<iframe srcdoc='<script>parent.__pwned = 1</script>'></iframe> {{7*7}} ${7*7} <%= 7*7 %>",
    f"hej {RLO}gnp.exe dåligt",  # an override never closed
    f"{RLI}{LRI}{FSI}öppna isolat noll{ZERO_WIDTH}bredd",  # isolates never closed, zero width
    "klocka\x07 escape\x1b[31m röd\x7f och \x9b slut\u0000",  # control characters
]
OVERRIDE = 2  # the index of the message with the override
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _as_shown(typed: str) -> str:
    """What the widget sends and shows: control characters (but tab and newline) dropped, as
    the server refuses them; everything else exactly as typed."""
    return CONTROL.sub("", typed)


# Dangerous markup from staff, too (a careless paste from elsewhere).
STAFF_HTML = '<img src=x onerror="window.__pwned = 1"><b>Hej</b> <script>window.__pwned=1</script>'
# Isolated (or plaintext, which isolates): an override inside cannot reorder what is outside.
CONTAINED = ("isolate", "plaintext", "isolate-override")
# Where each character of a text node is drawn, to see the visual order of a message.
CHAR_LEFTS = """(node) => {
  const text = node.firstChild;
  const lefts = [];
  for (let i = 0; i < text.length; i++) {
    const range = document.createRange();
    range.setStart(text, i);
    range.setEnd(text, i + 1);
    lefts.push(range.getBoundingClientRect().left);
  }
  return lefts;
}"""
INSIDE_ITS_BUBBLE = """(node) => {
  const bubble = node.parentElement.getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(node);
  return [...range.getClientRects()].every((r) =>
    r.left >= bubble.left - 1 && r.right <= bubble.right + 1 &&
    r.top >= bubble.top - 1 && r.bottom <= bubble.bottom + 1);
}"""
MARKUP = "img, script, svg, iframe, a, b, i"
# What people and staff wrote: text only. The bot's own replies hold links to the registry's
# numbers and pages, and nothing else.
WRITTEN = "#messages :is(.msg.user, .msg.staff, .msg.notice, .msg.system)"
NOT_A_REGISTRY_LINK = 'a:not([href^="tel:"]):not([href^="https://"]):not([href^="http://"])'


def _only_text_and_registry_links(page: Page) -> None:
    expect(page.locator(f"{WRITTEN} :is({MARKUP})")).to_have_count(0)
    expect(page.locator("#messages .msg.bot :is(img, script, svg, iframe, b, i)")).to_have_count(0)
    expect(page.locator(f"#messages .msg.bot {NOT_A_REGISTRY_LINK}")).to_have_count(0)


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
    """Open pages, closed after the test; every page's console collected."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[Any] = []
        self.console: list[str] = []

    def open(self, url: str, width: int, height: int) -> Page:
        context = self.browser.new_context(
            viewport={"width": width, "height": height}, service_workers="block"
        )
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: self.console.append(message.text))
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        page.on("dialog", lambda dialog: self.console.append(f"dialog: {dialog.message}"))
        page.goto(url)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser: Browser, redis_url: str) -> Iterator[Pages]:
    """Fresh browser contexts for one test, with an empty queue (others leave people queued)."""
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


def _sign_in_console(pages: Pages, base_url: str, add_staff: Callable[[str], Any]) -> Page:
    """A new staff account and its console, signed in with its token and TOTP code: the one
    place that signs staff in."""
    account = add_staff(f"hostile-{secrets.token_hex(3)}")
    page = pages.open(base_url + "/staff", 1280, 800)
    page.fill("#token", account.token)
    page.fill("#code", account.code())
    page.press("#code", "Enter")
    expect(page.locator("#console-view")).to_be_visible()
    expect(page.locator("#token")).to_have_value("")
    return page


def _nothing_ran(pages: Pages, *opened: Page) -> None:
    for page in opened:
        assert page.evaluate("() => typeof window.__pwned") == "undefined"
        assert page.evaluate("() => typeof window.parent.__pwned") == "undefined"
    assert not [line for line in pages.console if "Content Security Policy" in line]
    assert not [line for line in pages.console if line.startswith(("pageerror", "dialog"))]


def _assert_contained(page: Page, selector: str) -> None:
    """Every node's text is its own bidi paragraph, drawn inside its bubble."""
    for node in page.locator(selector).element_handles():
        assert node.evaluate("n => getComputedStyle(n).unicodeBidi") in CONTAINED
        assert node.evaluate(INSIDE_ITS_BUBBLE), node.inner_text()


def test_hostile_text_from_a_person_is_shown_as_text_in_the_widget(pages: Pages, gateway_url):
    widget = _widget(pages, gateway_url)
    for typed in HOSTILE:
        _say(widget, typed)
    _say(widget, "abc efter")

    shown = widget.locator(".msg.user .msg-text")
    expect(shown).to_have_count(len(HOSTILE) + 1)
    for index, typed in enumerate(HOSTILE):
        assert shown.nth(index).evaluate("n => n.textContent") == _as_shown(typed), index
    _only_text_and_registry_links(widget)
    _nothing_ran(pages, widget)

    # The override opened in one message stays there: the next one reads left to right.
    _assert_contained(widget, ".msg .msg-text")
    after = widget.locator(".msg.user .msg-text").last.element_handle()
    lefts = after.evaluate(CHAR_LEFTS)
    assert lefts == sorted(lefts), lefts
    override = shown.nth(OVERRIDE).element_handle()  # "hej <RLO>gnp.exe dåligt": reversed after RLO
    drawn = override.evaluate(CHAR_LEFTS)
    assert drawn[0] < drawn[1] < drawn[2]  # "hej" before the override, in order
    assert drawn[-1] < drawn[5]  # after it, right to left: the last letter drawn first


def test_hostile_text_in_a_handoff_is_text_in_the_console_and_staff_html_is_text_in_the_widget(
    pages: Pages, gateway_url: str, add_staff, texts: dict[str, str]
) -> None:
    console = _sign_in_console(pages, gateway_url, add_staff)
    widget = _widget(pages, gateway_url)
    _say(widget, ASK_FOR_A_PERSON)
    expect(widget.locator("#handoff-status")).to_have_text(texts["handoff_queued"])
    item = console.locator("#queue .item").first
    expect(item).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    item.locator("button.claim").click()
    expect(widget.locator("#handoff-status")).to_have_text(
        texts["handoff_active"], timeout=LIVE_TIMEOUT_MS
    )

    for typed in HOSTILE:
        _say(widget, typed, wait_for_bot=False)
    lines = console.locator("#transcript > .line.person .text")
    expect(lines).to_have_count(len(HOSTILE), timeout=LIVE_TIMEOUT_MS)
    for index, typed in enumerate(HOSTILE):
        assert lines.nth(index).evaluate("n => n.textContent") == _as_shown(typed), index
    expect(console.locator(f"#transcript :is({MARKUP})")).to_have_count(0)
    _assert_contained(console, "#transcript .line .text")

    console.fill("#reply", STAFF_HTML)
    console.press("#reply", "Enter")
    staff_line = widget.locator(".msg.staff .msg-text").last
    expect(staff_line).to_have_text(STAFF_HTML, timeout=LIVE_TIMEOUT_MS)
    _only_text_and_registry_links(widget)
    expect(console.locator(f"#transcript :is({MARKUP})")).to_have_count(0)
    _assert_contained(widget, ".msg .msg-text")
    _nothing_ran(pages, widget, console)
    console.click("#close")
    console.locator("#wrapup-categories input").first.check()  # the wrap-up asked for on close
    console.locator("#wrapup-outcomes input").first.check()
    console.click("#wrapup-confirm")
    expect(console.locator("#close")).to_be_disabled()
