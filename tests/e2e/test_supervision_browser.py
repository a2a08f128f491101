"""A supervisor's console beside two staff consoles, in headless Chromium: every open chat seen
read-only without claiming it, a message written beside the holder, one chat ended by the
supervisor with the wrap-up; and the wrap-up dialog of a staff close feeding /staff/stats."""

from __future__ import annotations

import secrets
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import redis
from playwright.sync_api import Page, expect

from tests.e2e import test_handoff_browser as shared
from tests.e2e.conftest import StaffAccount, parse_staff_add

pytestmark = pytest.mark.e2e

# The browser, the pages and the widget's texts, shared with the other console tests.
browser = shared.browser
pages = shared.pages
texts = shared.texts

LIVE = shared.LIVE_TIMEOUT_MS


def _add_supervisor(stack) -> StaffAccount:
    """`hrv-guide staff add NAME --role supervisor`, as an administrator runs it."""
    name = f"super-{secrets.token_hex(3)}"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "staff", "add", name, "--role", "supervisor"],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "role: supervisor" in done.stdout
    printed = parse_staff_add(done.stdout)
    return StaffAccount(name, printed["token"], printed["totp_secret"])


def _handoff_of(redis_url: str, session: dict[str, str]) -> str:
    handoff_id = redis.Redis.from_url(redis_url, decode_responses=True).hget(
        f"hrv:session:{session['session_id']}", "handoff_id"
    )
    assert handoff_id
    return handoff_id


def _claim(console: Page, handoff_id: str) -> None:
    item = console.locator(f'#queue .item[data-handoff="{handoff_id}"]')
    expect(item).to_be_visible(timeout=LIVE)
    item.locator("button.claim").click()
    expect(console.locator("#chat")).to_be_visible()
    expect(console.locator("#reply")).to_be_enabled()


def _person_says(widget: Page, text: str) -> None:
    widget.fill("#message-input", text)
    widget.press("#message-input", "Enter")
    expect(widget.locator(".msg.user").last).to_contain_text(text)


def _wrap_up(console: Page, category: str, outcome: str) -> None:
    """The wrap-up dialog, by keyboard: it opens with the first choice focused."""
    dialog = console.locator("#wrapup-dialog")
    expect(dialog).to_be_visible()
    console.locator(f'#wrapup-categories input[value="{category}"]').focus()
    console.keyboard.press("Space")
    console.locator(f'#wrapup-outcomes input[value="{outcome}"]').focus()
    console.keyboard.press("Space")
    console.locator("#wrapup-confirm").focus()
    console.keyboard.press("Enter")
    expect(dialog).to_be_hidden()


def _stats_today(gateway_url: str, account: StaffAccount, at: float | None = None) -> dict:
    with httpx.Client(base_url=gateway_url, timeout=30) as http:
        token = http.post("/api/v1/staff/login", json=account.login(at)).json()["token"]
        today = datetime.now(UTC).date().isoformat()
        response = http.get(
            "/api/v1/staff/stats",
            params={"from": today, "to": today},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        http.post("/api/v1/staff/logout", headers={"Authorization": f"Bearer {token}"})
        return response.json()["totals"]


def test_a_supervisor_sees_two_consoles_chats_read_only_and_ends_one(
    pages: shared.Pages, gateway_url: str, add_staff, texts, redis_url, stack
) -> None:
    alice = shared._console(pages, gateway_url, add_staff(f"alice-{secrets.token_hex(3)}"))
    bob = shared._console(pages, gateway_url, add_staff(f"bob-{secrets.token_hex(3)}"))
    expect(alice.locator("#views")).to_be_hidden()  # staff see no supervisor views
    first, second = shared._widget(pages, gateway_url), shared._widget(pages, gateway_url)
    first_id = _handoff_of(redis_url, shared._ask_for_a_person(first, texts))
    second_id = _handoff_of(redis_url, shared._ask_for_a_person(second, texts))
    _claim(alice, first_id)
    _claim(bob, second_id)
    _person_says(first, "jag är rädd för min bror")
    expect(alice.locator("#transcript .line.person .text").last).to_have_text(
        "jag är rädd för min bror", timeout=LIVE
    )

    supervisor = shared._console(pages, gateway_url, _add_supervisor(stack))
    expect(supervisor.locator("#views")).to_be_visible()
    supervisor.click('#views button[data-view="supervision-view"]')
    rows = supervisor.locator("#supervised .item")
    first_row = supervisor.locator(f'#supervised .item[data-handoff="{first_id}"]')
    second_row = supervisor.locator(f'#supervised .item[data-handoff="{second_id}"]')
    expect(first_row).to_contain_text("hos alice-", timeout=LIVE)
    expect(second_row).to_contain_text("hos bob-")
    assert rows.count() >= 2

    # Read-only: reading the chat does not take it from alice.
    first_row.locator('button[data-action="watch"]').click()
    expect(supervisor.locator("#watch-transcript .line.person .text")).to_contain_text(
        ["jag är rädd för min bror"], timeout=LIVE
    )
    stored = redis.Redis.from_url(redis_url, decode_responses=True)
    assert stored.hget(f"hrv:handoff:{first_id}", "claimed_by").startswith("alice-")
    expect(alice.locator("#reply")).to_be_enabled()

    # Joining: the person sees a staff message, alice's console marks it as the supervisor's.
    supervisor.fill("#join-text", "Jag läser också med.")
    supervisor.click("#join-send")
    expect(first.locator(".msg.staff .msg-text").last).to_have_text(
        "Jag läser också med.", timeout=LIVE
    )
    expect(alice.locator("#transcript .line.staff").last).to_contain_text(
        "Arbetsledare", timeout=LIVE
    )

    # Ending bob's chat: the same wrap-up; bob's console and the person are told.
    second_row.locator('button[data-action="watch"]').click()
    expect(supervisor.locator("#watch-meta")).to_contain_text("hos bob-", timeout=LIVE)
    supervisor.click("#watch-close")
    _wrap_up(supervisor, "threats_violence", "referred_social_services")
    expect(bob.locator("#transcript .line.system").last).to_have_text(
        "Samtalet är avslutat.", timeout=LIVE
    )
    expect(bob.locator("#reply")).to_be_disabled()
    expect(second.locator("#handoff-leave")).to_be_hidden(timeout=LIVE)
    expect(second_row).to_have_count(0, timeout=LIVE)
    assert stored.hget(f"hrv:handoff:{second_id}", "state") == "closed"
    expect(alice.locator("#reply")).to_be_enabled()  # alice's chat goes on
    audit = [fields for _, fields in stored.xrange("hrv:audit")]
    assert any(e["action"] == "closed_by_supervisor" and e["handoff"] == second_id for e in audit)
    assert any(e["action"] == "supervised_transcript" and e["handoff"] == first_id for e in audit)
    assert "rädd för min bror" not in str(audit)


def test_the_wrap_up_dialog_on_close_feeds_the_statistics(
    pages: shared.Pages, gateway_url: str, add_staff, texts, redis_url, stack
) -> None:
    account, reader = _add_supervisor(stack), _add_supervisor(stack)
    # Each TOTP code is accepted once: the reader signs in at two different steps.
    before = _stats_today(gateway_url, reader, at=datetime.now(UTC).timestamp() - 30)
    console = shared._console(pages, gateway_url, add_staff(f"staff-{secrets.token_hex(3)}"))
    widget = shared._widget(pages, gateway_url)
    handoff_id = _handoff_of(redis_url, shared._ask_for_a_person(widget, texts))
    _claim(console, handoff_id)

    console.click("#close")
    expect(console.locator("#wrapup-dialog")).to_be_visible()
    console.keyboard.press("Escape")  # cancelled: nothing closed
    expect(console.locator("#wrapup-dialog")).to_be_hidden()
    expect(console.locator("#reply")).to_be_enabled()
    console.click("#close")
    console.click("#wrapup-confirm")  # nothing chosen: the dialog says what is missing
    expect(console.locator("#wrapup-error")).to_have_text("Välj minst ett ämne och ett utfall.")
    console.locator('#wrapup-categories input[value="honour_control"]').check()
    _wrap_up(console, "forced_marriage", "referred_centre")
    expect(console.locator("#reply")).to_be_disabled(timeout=LIVE)

    after = _stats_today(gateway_url, reader, at=datetime.now(UTC).timestamp() + 30)
    assert after["how"]["closed"] == before["how"]["closed"] + 1
    assert after["categories"]["forced_marriage"] == before["categories"]["forced_marriage"] + 1
    assert after["categories"]["honour_control"] == before["categories"]["honour_control"] + 1
    assert after["outcomes"]["referred_centre"] == before["outcomes"]["referred_centre"] + 1
    assert after["languages"]["sv"] == before["languages"]["sv"] + 1
    assert after["handled"]["count"] == before["handled"]["count"] + 1

    # The supervisor's statistics view shows the same, and downloads it as CSV.
    supervisor = shared._console(
        pages,
        gateway_url,
        account,
    )
    supervisor.click('#views button[data-view="stats-view"]')
    supervisor.click("#stats-show")
    expect(supervisor.locator("#stats-out table").first).to_contain_text("Avslutade chattar")
    expect(supervisor.locator("#stats-out")).to_contain_text("Tvångsäktenskap")
    with supervisor.expect_download() as downloaded:
        supervisor.click("#stats-csv")
    rows = Path(downloaded.value.path()).read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("day,ended,") and rows[-1].startswith("total,")
