"""Context on takeover and answers to insert, in headless Chromium with the real model: a person
talks with the bot in English and asks for a person; the staff member who claims sees that
conversation under its own heading (a button press as its label), inserts the registry's help in
a municipality and a saved answer in the person's language, edits nothing and sends."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, Page, expect

from tests.e2e import test_handoff_browser as shared
from tests.e2e.conftest import REPO_ROOT, StaffAccount

pytestmark = pytest.mark.e2e

browser = shared.browser  # Debian's chromium, once per module (never `playwright install`)
REPLY_TIMEOUT_MS = shared.REPLY_TIMEOUT_MS
LIVE_TIMEOUT_MS = shared.LIVE_TIMEOUT_MS


@pytest.fixture
def open_page(browser: Browser) -> Iterator:
    """Opens pages in their own contexts; closes them after the test."""
    contexts = []

    def open_at(url: str, width: int, height: int) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        return page

    yield open_at
    for context in contexts:
        context.close()


def _say(page: Page, text: str) -> None:
    bots = page.locator(".msg.bot").count()
    page.fill("#message-input", text)
    page.press("#message-input", "Enter")
    expect(page.locator(".msg.bot").nth(bots)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    expect(page.locator("#send-button")).to_be_enabled(timeout=REPLY_TIMEOUT_MS)


def _console(open_page, gateway_url: str, account: StaffAccount) -> Page:
    page = open_page(gateway_url + "/staff", 1280, 900)
    page.fill("#token", account.token)
    page.fill("#code", account.code())
    page.press("#code", "Enter")
    expect(page.locator("#console-view")).to_be_visible()
    return page


def _saved(code: str) -> dict[str, str]:
    path = REPO_ROOT / "bot/data/saved_answers" / f"{code}.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]


def test_the_bot_offers_a_person_saying_the_staff_member_reads_the_chat(
    api: httpx.Client, response_texts
) -> None:
    session = api.post("/api/v1/sessions").json()
    headers = {"Authorization": f"Bearer {session['token']}"}
    body = api.post(
        f"/api/v1/sessions/{session['session_id']}/messages",
        json={"text": "/threats_violence", "lang": "en"},
        headers=headers,
    ).json()
    texts = [reply["text"] for reply in body["replies"]]
    [offer] = response_texts("utter_offer_human", "en")
    assert "will read what we have written so far" in offer
    assert offer in texts


def test_staff_see_the_bot_conversation_and_insert_answers_in_the_persons_language(
    open_page, gateway_url: str, add_staff, redis_url, api: httpx.Client, empty_queue
) -> None:
    console = _console(open_page, gateway_url, add_staff(f"staff-{secrets.token_hex(3)}"))
    widget = open_page(gateway_url + "/", 360, 740)
    expect(widget.locator("#lang-select option[value='en']")).to_be_attached()
    widget.select_option("#lang-select", "en")
    # Told before asking for a person that the staff member will read the chat so far.
    expect(widget.locator("#privacy-notice")).to_contain_text(
        "If you ask to talk to a person, they will read what you have written here."
    )

    _say(widget, "Where can I get help?")
    _say(widget, "I live in Göteborg")
    women = widget.locator(".reply-button", has_text="I am a woman, 18 or older")
    expect(women).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    bots = widget.locator(".msg.bot").count()
    women.click()
    expect(widget.locator(".msg.bot").nth(bots)).to_contain_text("Kvinnofridslinjen")
    _say(widget, "I want to talk to a real person")
    expect(widget.locator("#handoff-status")).not_to_have_text("", timeout=REPLY_TIMEOUT_MS)
    person_lines = widget.locator(".msg.user").count()

    item = console.locator("#queue .item").first
    expect(item).to_be_visible(timeout=10_000)
    item.locator("button.claim").click()
    history = console.locator("#transcript .bot-history")
    expect(history).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(history.locator("h3")).to_have_text(
        "Samtalet med boten innan personen bad om en människa"
    )
    said = history.locator(".line.person .text")
    expect(said.first).to_have_text("Where can I get help?")
    expect(said).to_contain_text(["I live in Göteborg", "I am a woman, 18 or older"])
    expect(history.locator(".line.bot .text").first).to_be_visible()
    expect(history.locator(".line.bot .text", has_text="Kvinnofridslinjen").first).to_be_visible()
    assert "/which_line" not in console.locator("#transcript").inner_text()
    # The history sits above the chat with staff and is not part of it.
    expect(console.locator("#transcript > .line.person")).to_have_count(0)

    # The registry's help in Göteborg, in the person's language (English), into the reply box.
    expect(console.locator("#answers-language")).to_contain_text("English")
    console.fill("#place-input", "Göteborg")
    console.click("#place-insert")
    expected = api.get("/api/v1/municipalities/1480/help-text", params={"lang": "en"}).json()[
        "text"
    ]
    expect(console.locator("#reply")).to_have_value(expected, timeout=10_000)
    assert "Kvinnofridslinjen, for women" in expected and "Bris, for you under 18" in expected

    # A saved answer in English, with its Swedish meaning shown to the staff member.
    safe_now = console.locator("button.saved-answer[data-answer='safe_now']")
    expect(safe_now.locator(".text")).to_have_text(_saved("en")["safe_now"])
    expect(safe_now.locator(".meaning")).to_have_text(f"På svenska: {_saved('sv')['safe_now']}")
    safe_now.click()
    sent = f"{expected}\n\n{_saved('en')['safe_now']}"
    expect(console.locator("#reply")).to_have_value(sent)
    console.click("#send")
    last_staff = widget.locator(".msg.staff .msg-text").last
    expect(last_staff).to_contain_text(_saved("en")["safe_now"], timeout=LIVE_TIMEOUT_MS)
    expect(last_staff).to_contain_text("Kvinnofridslinjen")
    # The person's own log never got the copy of their conversation with the bot back.
    assert widget.locator(".msg.user").count() == person_lines
