"""The safety layer through the widget in Debian's chromium, against the real model: each kind
of danger gets its own reply first, the unsure question's buttons work, in the person's language.

The messages are chosen from the risk corpus by the layer itself (the same data, so the same
model as the gateway's), so the test follows the data rather than fixed sentences.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from playwright.sync_api import expect

from bot.config import Settings
from bot.conversation.safety import SafetyLayer, Verdict
from bot.conversation.safety.corpus import load_split
from bot.languages import load_codes
from tests.e2e import test_widget_browser as widget_page
from tests.e2e.test_widget_browser import REPLY_TIMEOUT_MS, Widget

pytestmark = pytest.mark.e2e

SETTINGS = Settings()
CODES = load_codes(SETTINGS.languages_file)
# The widget's own fixtures: Debian's chromium and the widget open on a phone screen.
browser = widget_page.browser
widget_config = widget_page.widget_config
widget = widget_page.widget


@pytest.fixture(scope="module")
def layer() -> SafetyLayer:
    return SafetyLayer.from_settings(SETTINGS, CODES)


def replies(lang: str) -> dict[str, str]:
    path = SETTINGS.texts_dir / f"{lang}.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["replies"]


def pick(layer: SafetyLayer, lang: str, verdict: Verdict, kind: str) -> str:
    """A corpus message of `lang` on which the layer decides `verdict` of `kind`."""
    corpus = load_split(SETTINGS.risk_corpus_dir, [lang])[lang]
    for text, _ in corpus.labelled():
        found = layer.assess(text)
        if found.verdict is verdict and found.kind == kind:
            return text
    pytest.fail(f"no {lang} message in the corpus is {verdict.value} of {kind}")


def first_new_reply(widget: Widget, text: str, lang: str) -> Any:
    """The text of the first bot message that answers `text`, sent with `lang` picked."""
    widget.page.select_option("#lang-select", lang)
    before = widget.page.locator(".msg.bot").count()
    widget.say(text)
    return widget.page.locator(".msg.bot .msg-text").nth(before)


@pytest.mark.parametrize(
    ("lang", "kind", "key"),
    [
        ("en", "violence", "danger"),
        ("en", "taken_abroad", "danger_abroad"),
        ("en", "suicide", "danger_suicide"),
        ("en", "runaway", "danger_runaway"),
        ("sv", "threat", "danger"),
        ("ar", "suicide", "danger_suicide"),
        ("so", "taken_abroad", "danger_abroad"),
    ],
)
def test_each_kind_of_danger_opens_with_its_own_reply(
    widget: Widget, layer: SafetyLayer, lang: str, kind: str, key: str
) -> None:
    text = pick(layer, lang, Verdict.DANGER, kind)
    reply = first_new_reply(widget, text, lang)
    expect(reply).to_have_text(replies(lang)[key], timeout=REPLY_TIMEOUT_MS)


def test_unsure_asks_and_yes_gives_the_reply_for_the_kind(
    widget: Widget, layer: SafetyLayer
) -> None:
    lang = "en"
    unsure = next(
        (
            k
            for k in ("taken_abroad", "violence", "threat", "locked_in", "runaway")
            if _has(layer, lang, Verdict.UNSURE, k)
        ),
        None,
    )
    if unsure is None:
        pytest.fail("no English corpus message leaves the layer unsure")
    reply = first_new_reply(widget, pick(layer, lang, Verdict.UNSURE, unsure), lang)
    expect(reply).to_have_text(replies(lang)["danger_check"], timeout=REPLY_TIMEOUT_MS)
    before = widget.page.locator(".msg.bot").count()
    widget.page.get_by_role("button", name=replies(lang)["danger_yes"], exact=True).click()
    answer = widget.page.locator(".msg.bot .msg-text").nth(before)
    key = layer.policy.replies[unsure]
    expect(answer).to_have_text(replies(lang)[key], timeout=REPLY_TIMEOUT_MS)


def test_unsure_and_no_is_thanked(widget: Widget, layer: SafetyLayer) -> None:
    lang = "en"
    kind = next(k for k in layer.policy.replies if _has(layer, lang, Verdict.UNSURE, k))
    first_new_reply(widget, pick(layer, lang, Verdict.UNSURE, kind), lang)
    before = widget.page.locator(".msg.bot").count()
    widget.page.get_by_role("button", name=replies(lang)["danger_no"], exact=True).click()
    expect(widget.page.locator(".msg.bot .msg-text").nth(before)).to_have_text(
        replies(lang)["danger_no_reply"], timeout=REPLY_TIMEOUT_MS
    )


def _has(layer: SafetyLayer, lang: str, verdict: Verdict, kind: str) -> bool:
    corpus = load_split(SETTINGS.risk_corpus_dir, [lang])[lang]
    return any(
        (found := layer.assess(text)).verdict is verdict and found.kind == kind
        for text, _ in corpus.labelled()
    )


@pytest.mark.parametrize(("lang", "number"), [("en", "90101"), ("ar", "112")])
def test_the_numbers_in_a_danger_reply_can_be_tapped_to_call(
    widget: Widget, layer: SafetyLayer, lang: str, number: str
) -> None:
    text = pick(layer, lang, Verdict.DANGER, "suicide")
    reply = first_new_reply(widget, text, lang)
    expect(reply).to_have_text(replies(lang)["danger_suicide"], timeout=REPLY_TIMEOUT_MS)
    expect(reply.locator(f'a[href="tel:{number}"]').first).to_have_text(number)


@pytest.mark.parametrize("lang", ["sv", "ar"])
def test_the_banners_112_can_be_tapped_to_call(widget: Widget, lang: str) -> None:
    widget.page.select_option("#lang-select", lang)
    expect(widget.page.locator('#emergency-banner a[href="tel:112"]')).to_have_text("112")
