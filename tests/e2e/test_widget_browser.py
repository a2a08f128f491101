"""The chat widget in Debian's chromium: conversation, language, quick exit, nothing left behind."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

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
DESKTOP = {"width": 1280, "height": 800}
REPLY_TIMEOUT_MS = 30_000  # the first turn may wait for the model to warm up
NEUTRAL_PAGE = "<!doctype html><title>Weather</title><p>neutral</p>"


@dataclass
class Widget:
    """One browser context with the widget open, and what it sent and logged."""

    context: BrowserContext
    page: Page
    base_url: str
    exit_url: str
    requests: list[Any] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def open(self) -> None:
        """Load the widget and wait until the config has filled the language picker."""
        self.page.goto(self.base_url + "/")
        expect(self.page.locator("#lang-select option")).not_to_have_count(0)
        expect(self.page.locator("#lang-select option[value='en']")).to_be_attached()

    def say(self, text: str) -> None:
        """Type a message, press Enter, and wait until the bot has answered."""
        before = self.page.locator(".msg.bot").count()
        self.page.fill("#message-input", text)
        self.page.press("#message-input", "Enter")
        expect(self.page.locator(".msg.bot").nth(before)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        expect(self.page.locator("#send-button")).to_be_enabled(timeout=REPLY_TIMEOUT_MS)

    def say_and_capture_session(self, text: str) -> dict[str, str]:
        """The first message: also return the session the widget created for it."""
        with self.page.expect_response(_session_created) as created:
            self.say(text)
        return created.value.json()

    def api_requests(self, method: str, path_part: str) -> list[Any]:
        """The widget's requests with this method whose URL contains `path_part`."""
        return [r for r in self.requests if r.method == method and path_part in r.url]


def _session_created(response: Any) -> bool:
    return response.request.method == "POST" and response.url.endswith("/api/v1/sessions")


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


def _make_widget(
    browser: Browser, gateway_url: str, config: dict[str, Any], viewport: dict[str, int]
) -> Widget:
    context = browser.new_context(viewport=viewport, service_workers="block")
    exit_url = config["exit_url"]
    # The exit site is outside and the network is closed: answer for it with a neutral page.
    context.route(
        lambda url: url.startswith(exit_url),
        lambda route: route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE),
    )
    page = context.new_page()
    widget = Widget(context=context, page=page, base_url=gateway_url, exit_url=exit_url)
    page.on("request", lambda request: widget.requests.append(request))
    page.on("console", lambda message: widget.console.append(message.text))
    return widget


@pytest.fixture
def widget(browser: Browser, gateway_url: str, widget_config: dict[str, Any]) -> Iterator[Widget]:
    """The widget open on a 360 px wide phone screen."""
    opened = _make_widget(browser, gateway_url, widget_config, PHONE)
    opened.open()
    yield opened
    opened.context.close()


def _assert_session_erased(gateway_url: str, session: dict[str, str]) -> None:
    """The old session answers 404. Polls a little: the keepalive DELETE may still be on its way.

    Polling with a message (not a DELETE) so the check itself can never erase the session.
    """
    url = f"{gateway_url}/api/v1/sessions/{session['session_id']}/messages"
    headers = {"Authorization": f"Bearer {session['token']}"}
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        status = httpx.post(url, json={"text": "hej"}, headers=headers, timeout=30).status_code
        if status == 404:
            return
        time.sleep(0.2)
    pytest.fail(f"the session still answers {status} after the quick exit")


def _wait_for_exit(widget: Widget) -> None:
    widget.page.wait_for_url(lambda url: url.startswith(widget.exit_url), timeout=10_000)
    expect(widget.page.locator("body")).to_contain_text("neutral")


# ---------- conversation ----------


def test_widget_message_gets_a_bot_reply(widget: Widget) -> None:
    widget.say("Vad är hedersrelaterat våld?")
    page = widget.page
    expect(page.locator(".msg.user").first).to_contain_text("Vad är hedersrelaterat våld?")
    expect(page.locator(".msg.bot").first.locator(".msg-text")).not_to_be_empty()
    expect(page.locator("#messages")).to_have_attribute("aria-live", "polite")
    expect(page.locator(".msg.notice")).to_have_count(0)
    sent = widget.api_requests("POST", "/messages")
    assert len(sent) == 1
    assert sent[0].post_data_json["text"] == "Vad är hedersrelaterat våld?"


def test_widget_shift_enter_makes_a_new_line_and_enter_sends(widget: Widget) -> None:
    page = widget.page
    page.click("#message-input")
    page.keyboard.type("rad ett")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("rad två")
    assert page.input_value("#message-input") == "rad ett\nrad två"
    assert widget.api_requests("POST", "/messages") == []
    page.keyboard.press("Enter")
    expect(page.locator(".msg.bot").first).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    assert widget.api_requests("POST", "/messages")[0].post_data_json["text"] == "rad ett\nrad två"
    expect(page.locator("#message-input")).to_have_value("")
    assert page.locator("#message-input").get_attribute("maxlength") == "2000"


def test_widget_renders_replies_as_text_with_buttons_and_handoff(
    widget: Widget, widget_config: dict[str, Any]
) -> None:
    page = widget.page
    hostile = '<img src=x onerror="document.title=1">Rad ett\nRad två <b>inte fet</b>'
    answer = {
        "replies": [
            {"text": hostile},
            {
                "text": "Välj en fråga.",
                "buttons": [
                    {"title": "Vad är hedersförtryck?", "payload": "/what_is_hrv"},
                    {"title": "Prata med en person", "payload": "/talk_to_human"},
                ],
            },
        ],
        "lang": "sv",
        "handoff": "queued",
    }

    # This one answer comes from the test, so the rendering does not depend on the model.
    def fake_answer(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(answer))

    page.route("**/api/v1/sessions/*/messages", fake_answer, times=1)
    widget.say("<script>alert(1)</script>")

    messages = page.locator("#messages")
    expect(messages.locator("img, b, script")).to_have_count(0)
    expect(page.locator(".msg.user .msg-text")).to_have_text("<script>alert(1)</script>")
    first_reply = page.locator(".msg.bot .msg-text").first
    expect(first_reply).to_have_text(hostile)
    assert first_reply.evaluate("node => getComputedStyle(node.parentElement).whiteSpace") == (
        "pre-line"
    )
    assert "Rad ett\nRad två" in first_reply.inner_text()
    expect(page.locator("#handoff-status")).to_have_text(
        widget_config["texts"]["sv"]["handoff_queued"]
    )

    buttons = page.locator(".reply-button")
    expect(buttons).to_have_count(2)
    old_group = page.locator(".reply-buttons").element_handle()
    # The next message goes to the real gateway: the button's payload is sent, its title shown.
    buttons.nth(0).click()
    expect(page.locator(".msg.user .msg-text").nth(1)).to_have_text("Vad är hedersförtryck?")
    expect(page.locator(".msg.bot").nth(2)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    assert widget.api_requests("POST", "/messages")[-1].post_data_json["text"] == "/what_is_hrv"
    assert old_group.evaluate("node => node.isConnected") is False  # used buttons go away


def test_widget_shows_the_retry_text_when_the_network_fails(
    widget: Widget, widget_config: dict[str, Any]
) -> None:
    page = widget.page
    page.route("**/api/v1/sessions/*/messages", lambda route: route.abort("internetdisconnected"))
    page.fill("#message-input", "Hej")
    page.press("#message-input", "Enter")
    expect(page.locator(".msg.notice")).to_have_text(widget_config["texts"]["sv"]["error_retry"])
    expect(page.locator("#message-input")).to_have_value("Hej")  # given back to send again
    expect(page.locator("#send-button")).to_be_enabled()


def test_widget_sends_an_unconfirmed_message_again_with_its_id(widget: Widget) -> None:
    """A message whose answer was a 503 (the server may have stored it: a replica did not
    confirm it, or the answer was lost) keeps its id when sent again, so it is stored once;
    a new message gets a new id."""
    page = widget.page
    unavailable = {
        "error": {"code": "unavailable", "message": "Try again."},
        "replies": [{"text": "Om du är i fara: ring 112.", "lang": "sv"}],
    }
    page.route(
        "**/api/v1/sessions/*/messages",
        lambda route: route.fulfill(status=503, json=unavailable),
        times=1,
    )
    page.fill("#message-input", "Hej")
    page.press("#message-input", "Enter")
    expect(page.locator(".msg.user.failed")).to_have_count(1)
    expect(page.locator("#message-input")).to_have_value("Hej")
    page.press("#message-input", "Enter")  # sent again as given back
    expect(page.locator(".msg.bot").last).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    expect(page.locator("#send-button")).to_be_enabled(timeout=REPLY_TIMEOUT_MS)
    widget.say("Vad är hedersvåld?")

    ids = [r.post_data_json["msg_id"] for r in widget.api_requests("POST", "/messages")]
    assert len(ids) == 3
    assert ids[0] == ids[1]
    assert ids[2] != ids[1]


def test_widget_gives_a_refused_message_back_with_the_friendly_text(widget: Widget) -> None:
    """A message the gateway did not take (429 here) is not lost: it is put back in the box."""
    page = widget.page
    too_fast = "Du skriver väldigt snabbt. Vänta en stund. Om du är i fara: ring 112."
    body = {
        "error": {"code": "rate_limited", "message": "Too many messages."},
        "replies": [{"text": too_fast, "lang": "sv"}],
    }
    page.route(
        "**/api/v1/sessions/*/messages",
        lambda route: route.fulfill(
            status=429, json=body, headers={"Retry-After": "30", "Cache-Control": "no-store"}
        ),
    )
    page.fill("#message-input", "Hej igen")
    page.press("#message-input", "Enter")
    expect(page.locator(".msg.bot").last).to_contain_text(too_fast)
    expect(page.locator(".msg.user.failed")).to_have_count(1)
    expect(page.locator("#message-input")).to_have_value("Hej igen")


def test_widget_drops_replacement_characters_the_gateway_would_refuse(widget: Widget) -> None:
    """U+FFFD (left by a broken paste) is refused by the gateway; the widget sends the rest."""
    widget.say("Hej\ufffd på dig")
    expect(widget.page.locator(".msg.bot").last).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    sent = widget.api_requests("POST", "/messages")[-1].post_data_json["text"]
    assert sent == "Hej på dig"
    expect(widget.page.locator(".msg.user.failed")).to_have_count(0)


def test_widget_starts_a_new_session_when_the_old_one_has_expired(
    widget: Widget, gateway_url: str
) -> None:
    session = widget.say_and_capture_session("Hej")
    erased = httpx.delete(
        f"{gateway_url}/api/v1/sessions/{session['session_id']}",
        headers={"Authorization": f"Bearer {session['token']}"},
        timeout=30,
    )
    assert erased.status_code == 204

    widget.say("Vad är hedersrelaterat våld?")
    assert len(widget.api_requests("POST", "/api/v1/sessions")) >= 2
    sent = [r.post_data_json["text"] for r in widget.api_requests("POST", "/messages")]
    assert sent == ["Hej", "Vad är hedersrelaterat våld?", "Vad är hedersrelaterat våld?"]
    expect(widget.page.locator(".msg.notice")).to_have_count(0)


# ---------- language ----------


def test_widget_language_switch_changes_labels_and_is_sent(
    widget: Widget, widget_config: dict[str, Any]
) -> None:
    page = widget.page
    sv, en = widget_config["texts"]["sv"], widget_config["texts"]["en"]
    expect(page.locator("#send-button")).to_have_text(sv["send"])
    expect(page.locator("html")).to_have_attribute("lang", "sv")

    page.select_option("#lang-select", "en")
    expect(page.locator("#send-button")).to_have_text(en["send"])
    expect(page.locator("#quick-exit")).to_have_text(en["quick_exit"])
    expect(page.locator("#emergency-banner")).to_have_text(en["emergency_banner"])
    expect(page.locator("#privacy-notice")).to_have_text(en["privacy_notice"])
    expect(page.locator("#quick-exit-hint")).to_have_text(en["quick_exit_hint"])
    expect(page.locator("#message-input")).to_have_attribute("placeholder", en["input_placeholder"])
    expect(page.locator("label[for='message-input']")).to_have_text(en["input_label"])
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")

    with page.expect_response("**/messages") as answered:
        widget.say("What is honour-related violence?")
    assert answered.value.request.post_data_json["lang"] == "en"
    assert answered.value.json()["lang"] == "en"
    assert widget.api_requests("POST", "/api/v1/sessions")[0].post_data_json == {"lang": "en"}


# ---------- quick exit ----------


def test_widget_first_tab_focuses_the_quick_exit(widget: Widget) -> None:
    page = widget.page
    page.keyboard.press("Tab")
    expect(page.locator("#quick-exit")).to_be_focused()
    box = page.locator("#quick-exit").bounding_box()
    assert box is not None and box["y"] < 80 and box["height"] >= 44


def test_widget_quick_exit_button_erases_the_session_and_leaves(
    widget: Widget, gateway_url: str
) -> None:
    page = widget.page
    expect(page.locator("#quick-exit")).to_be_visible()
    session = widget.say_and_capture_session("Vad är hedersrelaterat våld?")
    expect(page.locator("#quick-exit")).to_be_in_viewport()

    with page.expect_request(lambda r: r.method == "DELETE") as deleted:
        page.click("#quick-exit")
    assert deleted.value.url.endswith(f"/api/v1/sessions/{session['session_id']}")
    assert deleted.value.headers["authorization"] == f"Bearer {session['token']}"
    _wait_for_exit(widget)
    _assert_session_erased(gateway_url, session)


def test_widget_triple_shift_exits_but_capitals_do_not(widget: Widget, gateway_url: str) -> None:
    page = widget.page
    session = widget.say_and_capture_session("Hej")
    page.click("#message-input")
    for _ in range(3):
        page.keyboard.press("Shift+KeyA")  # Shift used for capitals never counts
    page.keyboard.press("Shift+Enter")
    assert page.url.startswith(widget.base_url)
    expect(page.locator("#message-input")).to_have_value("AAA\n")

    for _ in range(3):
        page.keyboard.press("Shift")
    _wait_for_exit(widget)
    _assert_session_erased(gateway_url, session)


def test_widget_triple_shift_exits_before_any_message(widget: Widget) -> None:
    for _ in range(3):
        widget.page.keyboard.press("Shift")
    _wait_for_exit(widget)
    assert widget.api_requests("DELETE", "/api/v1/sessions") == []


def test_widget_back_after_quick_exit_does_not_show_the_chat(widget: Widget) -> None:
    page = widget.page
    page.goto(widget.base_url + "/healthz")  # a page before the chat in this tab's history
    widget.open()
    widget.say("Vad är hedersrelaterat våld?")
    page.click("#quick-exit")
    _wait_for_exit(widget)

    page.go_back()
    assert page.url == widget.base_url + "/healthz"
    expect(page.locator("#messages")).to_have_count(0)
    assert "hedersrelaterat" not in page.content()


# ---------- nothing left behind, nothing from elsewhere ----------


def test_widget_keeps_nothing_on_the_device(widget: Widget) -> None:
    widget.say("Vad är hedersrelaterat våld?")
    widget.say("Jag bor i Alingsås")
    state = widget.context.storage_state(indexed_db=True)
    assert state["cookies"] == []
    assert state["origins"] == []  # no localStorage, no IndexedDB for any origin
    kept = widget.page.evaluate(
        """async () => ({
            cookie: document.cookie,
            session: sessionStorage.length,
            local: localStorage.length,
            databases: (await indexedDB.databases()).length,
        })"""
    )
    assert kept == {"cookie": "", "session": 0, "local": 0, "databases": 0}


def test_widget_makes_no_third_party_requests_and_breaks_no_csp(
    widget: Widget, gateway_url: str
) -> None:
    widget.say("Vad är hedersrelaterat våld?")
    widget.page.select_option("#lang-select", "en")
    widget.say("Where can I get help?")
    elsewhere = [r.url for r in widget.requests if not r.url.startswith(gateway_url + "/")]
    assert elsewhere == []
    assert not [line for line in widget.console if "Content Security Policy" in line]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_widget_fits_the_screen_with_the_exit_and_banner_visible(
    browser: Browser, gateway_url: str, widget_config: dict[str, Any], viewport: dict[str, int]
) -> None:
    opened = _make_widget(browser, gateway_url, widget_config, viewport)
    try:
        opened.open()
        for _ in range(3):
            opened.say("Vad är hedersrelaterat våld?")
        page = opened.page
        for element in ("#quick-exit", "#emergency-banner", "#message-input", "#send-button"):
            expect(page.locator(element)).to_be_in_viewport()
        expect(page.locator(".msg.bot").last).to_be_in_viewport()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= viewport["width"]
    finally:
        opened.context.close()


# ---------- right-to-left ----------

RTL_LANG = "ar"


def test_widget_switches_to_arabic_and_renders_right_to_left(
    widget: Widget, widget_config: dict[str, Any]
) -> None:
    page = widget.page
    config = widget_config
    assert RTL_LANG in [lang["code"] for lang in config["languages"]], "ar is not listed"
    # The picker lists every language by its own name.
    names = page.locator("#lang-select option").all_inner_texts()
    assert names == [lang["name"] for lang in config["languages"]]

    page.select_option("#lang-select", RTL_LANG)
    ar = config["texts"][RTL_LANG]
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", RTL_LANG)
    for element, key in [
        ("#quick-exit", "quick_exit"),
        ("#emergency-banner", "emergency_banner"),
        ("#privacy-notice", "privacy_notice"),
        ("#send-button", "send"),
    ]:
        expect(page.locator(element)).to_have_text(ar[key])
    assert page.evaluate("() => getComputedStyle(document.body).direction") == "rtl"

    def box(selector: str) -> dict[str, float]:
        found = page.locator(selector).first.bounding_box()
        assert found is not None, selector
        return found

    # Mirrored: the send button left of the input, the quick exit at the top left.
    assert box("#send-button")["x"] < box("#message-input")["x"]
    # (The topbar may wrap with long labels; then both start at the left edge.)
    assert box("#quick-exit")["x"] <= box(".lang-picker")["x"]
    assert box("#quick-exit")["x"] < 20
    # The title's text (not its block) starts at the right edge of the intro box.
    title_text = page.evaluate(
        """() => {
            const range = document.createRange();
            range.selectNodeContents(document.getElementById('title'));
            const text = range.getBoundingClientRect();
            const intro = document.querySelector('.intro').getBoundingClientRect();
            return {gapRight: intro.right - text.right, gapLeft: text.left - intro.left};
        }"""
    )
    assert title_text["gapRight"] <= title_text["gapLeft"] + 1  # equal when the line is full
    assert page.evaluate("() => getComputedStyle(document.getElementById('title')).direction") == (
        "rtl"
    )

    message = "ما هو العنف المرتبط بالشرف؟"
    widget.say(message)
    sent = widget.api_requests("POST", "/messages")[-1].post_data_json
    assert sent["lang"] == RTL_LANG
    chat = box("#messages")
    user, bot = box(".msg.user"), box(".msg.bot")
    # The person's bubble at the inline end (left), the guide's at the inline start (right).
    assert user["x"] - chat["x"] < 8
    assert chat["x"] + chat["width"] - (bot["x"] + bot["width"]) < 8
    reply = page.locator(".msg.bot .msg-text").first
    assert reply.evaluate("node => getComputedStyle(node).direction") == "rtl"
    assert any("\u0600" <= ch <= "\u06ff" for ch in reply.inner_text())
    expect(html).to_have_attribute("dir", "rtl")  # the answer kept the language

    page.select_option("#lang-select", "sv")  # and back at any time
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.locator("#send-button")).to_have_text(config["texts"]["sv"]["send"])
