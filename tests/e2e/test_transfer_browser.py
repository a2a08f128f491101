"""Two staff consoles and a person in headless Chromium: a chat handed to a colleague keeps its
transcript and the note (which the person never sees), the per-account limit disables "take",
and the alerts: the title counts the waiting chats, and desktop notifications, asked for only by
the button, carry nothing of what the person wrote."""

from __future__ import annotations

import json
import secrets

import pytest
import redis
from playwright.sync_api import Page, expect

from bot.config import Settings
from tests.e2e import test_handoff_browser as shared

pytestmark = pytest.mark.e2e

browser = shared.browser
pages = shared.pages
texts = shared.texts

NOTE = "Vill inte bli uppringd. Skriv kort, hon läser i smyg."
TITLE = "Personal – chatt"
# The stack runs with the default limit of chats per account.
LIMIT = Settings.model_fields["staff_max_open_chats"].default

# Records what the page does with notifications and sound: each Notification made (title and
# options), how often permission was asked, and the tones played. Permission reads "default"
# until asked, then what the browser answers (granted by the test's context).
RECORDER = """
(() => {
  const Real = window.Notification;
  let asked = false;
  window.__alerts = { notes: [], asked: 0, tones: 0 };
  class Recording {
    constructor(title, options) {
      window.__alerts.notes.push({ title, options: JSON.parse(JSON.stringify(options || {})) });
    }
    static get permission() { return asked ? Real.permission : "default"; }
    static requestPermission() {
      asked = true;
      window.__alerts.asked += 1;
      return Real.requestPermission();
    }
  }
  window.Notification = Recording;
  const RealAudio = window.AudioContext;
  if (RealAudio) {
    const make = RealAudio.prototype.createOscillator;
    RealAudio.prototype.createOscillator = function () {
      window.__alerts.tones += 1;
      return make.call(this);
    };
  }
})();
"""


def _name() -> str:
    return f"staff-{secrets.token_hex(3)}"


def _handoff_of(redis_url: str, session: dict[str, str]) -> str:
    found = redis.Redis.from_url(redis_url, decode_responses=True).hget(
        f"hrv:session:{session['session_id']}", "handoff_id"
    )
    assert found
    return str(found)


def _take(console: Page, handoff_id: str) -> None:
    item = console.locator(f'#queue .item[data-handoff="{handoff_id}"]')
    expect(item).to_be_visible(timeout=shared.LIVE_TIMEOUT_MS)
    item.locator("button.claim").click()
    expect(console.locator("#chat")).to_be_visible()
    expect(console.locator("#reply")).to_be_enabled()


def _recording_console(pages: shared.Pages, gateway_url: str, account) -> Page:
    """A console whose context lets the page show notifications, with the recorder above."""
    context = pages.browser.new_context(
        viewport={"width": 1280, "height": 800},
        service_workers="block",
        permissions=["notifications"],
    )
    pages.contexts.append(context)
    context.add_init_script(RECORDER)
    page = context.new_page()
    page.goto(gateway_url + "/staff")
    shared._sign_in(page, account.token, account.code())
    expect(page.locator("#console-view")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("i tjänst: ", timeout=10_000)
    return page


def _alerts(page: Page) -> dict:
    return page.evaluate("window.__alerts")


def _wait_for_notes(page: Page, count: int) -> None:
    """Until the page made `count` notifications (polled from here: the console's CSP forbids
    the eval that `wait_for_function` polls with)."""
    for _ in range(shared.LIVE_TIMEOUT_MS // 200):
        if len(_alerts(page)["notes"]) >= count:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"fewer than {count} notifications: {_alerts(page)['notes']}")


def test_a_transfer_keeps_the_transcript_and_the_note_and_the_person_never_sees_it(
    pages: shared.Pages, gateway_url: str, add_staff, texts, redis_url
) -> None:
    alice_name, bob_name = _name(), _name()
    alice = shared._console(pages, gateway_url, add_staff(alice_name))
    bob = shared._console(pages, gateway_url, add_staff(bob_name))
    widget = shared._widget(pages, gateway_url)
    handoff_id = _handoff_of(redis_url, shared._ask_for_a_person(widget, texts))
    _take(alice, handoff_id)
    shared._say(widget, "Min bror läser min telefon", wait_for_bot=False)
    expect(alice.locator("#transcript .line.person .text").last).to_have_text(
        "Min bror läser min telefon", timeout=shared.LIVE_TIMEOUT_MS
    )
    shared._staff_says(alice, "Jag förstår. Du kan skriva här.")

    alice.click("#transfer-open")
    expect(alice.locator(f'#transfer-to option[value="{bob_name}"]')).to_be_attached()
    alice.select_option("#transfer-to", bob_name)
    alice.fill("#transfer-note", NOTE)
    alice.click("#transfer-send")
    expect(alice.locator("#transcript .line.system").last).to_have_text(
        "Samtalet lämnades över till en annan i personalen."
    )
    expect(alice.locator("#reply")).to_be_disabled()
    expect(alice.locator(f'#mine .item[data-handoff="{handoff_id}"]')).to_have_count(0)

    # The person is told, without names, and is still with a person.
    expect(widget.locator(".msg.system").last).to_have_text(
        texts["handoff_transferred"], timeout=shared.LIVE_TIMEOUT_MS
    )
    expect(widget.locator("#handoff-status")).to_have_text(texts["handoff_active"])

    # bob finds it among his chats, the note above the whole transcript.
    mine = bob.locator(f'#mine .item[data-handoff="{handoff_id}"]')
    expect(mine).to_be_visible(timeout=shared.LIVE_TIMEOUT_MS)
    mine.locator("button").click()
    expect(bob.locator("#chat-notes")).to_be_visible()
    expect(bob.locator("#chat-notes-list li")).to_have_text([NOTE])
    expect(bob.locator("#transcript > .line.person .text")).to_have_text(
        ["Min bror läser min telefon"]
    )
    expect(bob.locator("#transcript > .line.staff .text")).to_have_text(
        ["Jag förstår. Du kan skriva här."]
    )
    shared._staff_says(bob, "Hej, jag tar över nu.")
    expect(widget.locator(".msg.staff .msg-text").last).to_have_text(
        "Hej, jag tar över nu.", timeout=shared.LIVE_TIMEOUT_MS
    )
    shared._say(widget, "Okej tack", wait_for_bot=False)
    expect(bob.locator("#transcript > .line.person .text").last).to_have_text(
        "Okej tack", timeout=shared.LIVE_TIMEOUT_MS
    )
    assert NOTE not in widget.content()
    assert "Vill inte bli uppringd" not in widget.locator("body").inner_text()


def test_the_limit_of_open_chats_disables_take_until_one_ends(
    pages: shared.Pages, gateway_url: str, add_staff, texts, redis_url
) -> None:
    console = shared._console(pages, gateway_url, add_staff(_name()))
    waiting = []
    for _ in range(LIMIT + 1):
        widget = shared._widget(pages, gateway_url)
        waiting.append(_handoff_of(redis_url, shared._ask_for_a_person(widget, texts)))
    for handoff_id in waiting[:LIMIT]:
        _take(console, handoff_id)
    last = console.locator(f'#queue .item[data-handoff="{waiting[-1]}"] button.claim')
    expect(last).to_be_disabled(timeout=shared.LIVE_TIMEOUT_MS)
    expect(last).to_have_attribute("title", "Du har så många samtal som du får ha")
    expect(console.locator("#capacity-note")).to_contain_text(f"Du har {LIMIT} öppna samtal")
    console.click("#close")  # the chat shown is one of the held ones
    console.locator("#wrapup-categories input").first.check()  # the wrap-up asked for on close
    console.locator("#wrapup-outcomes input").first.check()
    console.click("#wrapup-confirm")
    expect(last).to_be_enabled(timeout=shared.LIVE_TIMEOUT_MS)
    expect(console.locator("#capacity-note")).to_have_text("")
    _take(console, waiting[-1])


def test_alerts_count_in_the_title_and_notify_only_after_the_button_without_any_text(
    pages: shared.Pages, gateway_url: str, add_staff, texts, redis_url, empty_queue
) -> None:
    console = _recording_console(pages, gateway_url, add_staff(_name()))
    expect(console).to_have_title(TITLE)
    assert _alerts(console)["asked"] == 0  # never asked on load or at sign-in

    console.click("#alerts-toggle")
    expect(console.locator("#alerts-status")).to_have_text("Skrivbordsaviseringar är på.")
    expect(console.locator("#alerts-toggle")).to_have_text("Stäng av skrivbordsaviseringar")
    assert _alerts(console)["asked"] == 1

    asked = "kan jag få prata med en riktig människa"
    widget = shared._widget(pages, gateway_url)
    handoff_id = _handoff_of(redis_url, shared._ask_for_a_person(widget, texts))
    expect(console).to_have_title(f"(1) {TITLE}", timeout=shared.LIVE_TIMEOUT_MS)
    _wait_for_notes(console, 1)
    first = _alerts(console)
    assert first["notes"][0]["title"] == "Ett nytt samtal väntar"
    assert "body" not in first["notes"][0]["options"]
    assert "lang" not in first["notes"][0]["options"]
    assert first["tones"] > 0  # the sound played too

    _take(console, handoff_id)
    expect(console).to_have_title(TITLE, timeout=shared.LIVE_TIMEOUT_MS)
    danger = "pappa ska döda mig om jag inte gifter mig"
    shared._say(widget, danger, wait_for_bot=False)
    expect(console.locator("#transcript .line.person.danger .text").last).to_have_text(
        danger, timeout=shared.LIVE_TIMEOUT_MS
    )
    _wait_for_notes(console, 2)
    notes = _alerts(console)["notes"]
    assert [n["title"] for n in notes] == ["Ett nytt samtal väntar", "Ett meddelande har flaggats"]
    recorded = json.dumps(notes, ensure_ascii=False)
    for written in (danger, asked, "döda", "Svenska"):
        assert written not in recorded

    # A flagged message in a held chat the console is not showing alerts too (from the list).
    second = shared._widget(pages, gateway_url)
    second_id = _handoff_of(redis_url, shared._ask_for_a_person(second, texts))
    _wait_for_notes(console, 3)  # the new chat
    _take(console, second_id)  # now the chat shown; the first is held, out of sight
    shared._say(widget, danger, wait_for_bot=False)
    _wait_for_notes(console, 4)
    notes = _alerts(console)["notes"]
    assert [n["title"] for n in notes[2:]] == [
        "Ett nytt samtal väntar",
        "Ett meddelande har flaggats",
    ]
    assert danger not in json.dumps(notes, ensure_ascii=False)

    # Turned off: a new chat still counts in the title, and no notification comes.
    console.click("#alerts-toggle")
    other = shared._widget(pages, gateway_url)
    shared._ask_for_a_person(other, texts)
    expect(console).to_have_title(f"(1) {TITLE}", timeout=shared.LIVE_TIMEOUT_MS)
    assert len(_alerts(console)["notes"]) == 4
