"""A conversation that went back to the queue (its lease lapsed) and is claimed again: the new
holder's console must be able to answer. Its transcript still holds the old `requeued` entry, and
that history must not end the new claim."""

from __future__ import annotations

import secrets

import pytest
import redis
from playwright.sync_api import Page, expect

from tests.e2e import test_handoff_browser as shared

pytestmark = pytest.mark.e2e

# The browser, the pages and the widget's texts, shared with the other console tests.
browser = shared.browser
pages = shared.pages
texts = shared.texts


def _lapse_the_lease(console: Page, redis_url: str, handoff_id: str) -> None:
    """What a console that lost its connection causes: no more heartbeats, and the lease runs
    out (set to the past here rather than waiting for HRV_HANDOFF_LEASE_SECONDS)."""
    console.close()
    redis.Redis.from_url(redis_url).zadd("hrv:handoff:leases", {handoff_id: 0}, xx=True)


def _claim(console: Page, handoff_id: str) -> None:
    """Claim this test's conversation: the queue is shared with the other tests of the stack,
    and their chats go back to it when their consoles close (one did, at the same moment)."""
    item = console.locator(f'#queue .item[data-handoff="{handoff_id}"]')
    expect(item).to_be_visible(timeout=shared.LIVE_TIMEOUT_MS)
    item.locator("button.claim").click()
    expect(console.locator("#chat")).to_be_visible()
    expect(console.locator("#transcript .line.system").first).to_be_visible()


def test_a_requeued_conversation_claimed_again_can_be_answered(
    pages: shared.Pages, gateway_url: str, add_staff, texts, redis_url
) -> None:
    first = shared._console(pages, gateway_url, add_staff(f"staff-{secrets.token_hex(3)}"))
    widget = shared._widget(pages, gateway_url)
    session = shared._ask_for_a_person(widget, texts)
    handoff_id = redis.Redis.from_url(redis_url, decode_responses=True).hget(
        f"hrv:session:{session['session_id']}", "handoff_id"
    )
    assert handoff_id
    _claim(first, handoff_id)
    expect(widget.locator("#handoff-status")).to_have_text(texts["handoff_active"])

    _lapse_the_lease(first, redis_url, handoff_id)
    expect(widget.locator("#handoff-status")).to_have_text(
        texts["handoff_queued"], timeout=shared.LIVE_TIMEOUT_MS
    )

    second = shared._console(pages, gateway_url, add_staff(f"staff-{secrets.token_hex(3)}"))
    _claim(second, handoff_id)
    expect(second.locator("#transcript .line.system")).to_contain_text(
        ["Samtalet gick tillbaka till kön"]  # the earlier requeue is shown, as history
    )
    expect(second.locator("#reply")).to_be_enabled()
    expect(second.locator("#release")).to_be_enabled()
    expect(second.locator("#close")).to_be_enabled()

    shared._staff_says(second, "Hej igen, nu är jag här.")
    expect(widget.locator(".msg.staff .msg-text").last).to_have_text(
        "Hej igen, nu är jag här.", timeout=shared.LIVE_TIMEOUT_MS
    )
    shared._say(widget, "Tack, jag är kvar", wait_for_bot=False)
    expect(second.locator("#transcript .line.person .text").last).to_have_text(
        "Tack, jag är kvar", timeout=shared.LIVE_TIMEOUT_MS
    )  # the live feed is connected
