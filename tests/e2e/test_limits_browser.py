"""Security headers and abuse limits as a real browser meets them (Debian's chromium): no header
the browser complains about, the widget cannot be framed by default, and a person writing too
fast sees the friendly text (with 112) in their language, while danger still gets 112."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.ops.launcher import Stack
from tests.e2e.conftest import GatewayProcess

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
COMPLAINTS = ("Permissions-Policy", "Permissions policy", "Content Security Policy", "Unrecognized")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless chromium for the module."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _page(browser: Browser, console: list[str]) -> Page:
    page = browser.new_context().new_page()
    page.on("console", lambda message: console.append(message.text))
    return page


def test_pages_load_and_run_without_errors_or_header_complaints(
    browser: Browser, gateway_url: str
) -> None:
    console: list[str] = []
    errors: list[str] = []
    page = _page(browser, console)
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    # What each page's modules fill in once they ran: the language pickers.
    for path, filled in (("/", "#lang-select"), ("/staff", "#console-lang")):
        response = page.goto(gateway_url + path)
        assert response is not None and response.status == 200
        assert response.headers["cache-control"] == "no-store"
        page.wait_for_load_state("networkidle")
        expect(page.locator(f"{filled} option[value='en']")).to_be_attached()
    page.context.close()
    assert not [line for line in console if any(word in line for word in COMPLAINTS)], console
    assert not errors, errors


def test_the_widget_cannot_be_framed_by_default(browser: Browser, gateway_url: str) -> None:
    console: list[str] = []
    page = _page(browser, console)
    page.set_content(f'<iframe id="chat" src="{gateway_url}/" width="400" height="600"></iframe>')
    page.wait_for_timeout(1500)
    child = page.frame_locator("#chat")
    expect(child.locator("#message-input")).to_have_count(0)
    page.context.close()
    assert any("frame-ancestors" in line for line in console), console


@pytest.fixture
def strict_gateway(stack: Stack, tmp_path: Path) -> Iterator[GatewayProcess]:
    """A second gateway on the same Redis and Rasa whose sessions may send 2 messages a minute."""
    gateway = GatewayProcess(stack, tmp_path)
    gateway._env["HRV_RATE_SESSION_MESSAGES_PER_MINUTE"] = "2"
    gateway.start()
    yield gateway
    gateway.kill()


def _say(page: Page, text: str) -> None:
    before = page.locator(".msg.bot").count()
    page.fill("#message-input", text)
    page.press("#message-input", "Enter")
    expect(page.locator(".msg.bot").nth(before)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    expect(page.locator("#send-button")).to_be_enabled(timeout=REPLY_TIMEOUT_MS)


def test_writing_too_fast_shows_the_friendly_text_and_danger_still_gets_112(
    browser: Browser, strict_gateway: GatewayProcess
) -> None:
    console: list[str] = []
    page = _page(browser, console)
    page.goto(strict_gateway.url + "/")
    expect(page.locator("#lang-select option[value='en']")).to_be_attached()
    page.select_option("#lang-select", "en")
    _say(page, "What is honour related violence?")
    _say(page, "Where can I get help?")
    _say(page, "And what else can I do?")
    last = page.locator(".msg.bot").last
    expect(last).to_contain_text("You are writing very fast")
    expect(last).to_contain_text("112")

    before = page.locator(".msg.bot").count()
    page.fill("#message-input", "my father will kill me")
    page.press("#message-input", "Enter")
    danger = page.locator(".msg.bot").nth(before)
    expect(danger).to_contain_text("112", timeout=REPLY_TIMEOUT_MS)
    page.context.close()
