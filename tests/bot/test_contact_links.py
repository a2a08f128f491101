"""Numbers and addresses from data/ become tappable links; nothing else does."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.conversation.contact_links import ContactLinks, dial_uri
from registry import load_registry

pytestmark = pytest.mark.unit

LINKS = ContactLinks(
    ["112", "116 111", "020-50 50 50", "90101", "+46 8 405 50 05", "0520-49 68 08"],
    ["https://mind.se", "https://www.bris.se", "https://example.se/centre/contact/"],
)


@pytest.mark.parametrize(
    ("number", "uri"),
    [
        ("112", "tel:112"),
        ("116 111", "tel:116111"),
        ("020-50 50 50", "tel:+4620505050"),
        ("+46 8 405 50 05", "tel:+4684055005"),
        ("0520-49 68 08", "tel:+46520496808"),
    ],
)
def test_dial_uri_keeps_short_numbers_and_adds_the_country_code(number, uri):
    assert dial_uri(number) == uri


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ring 112 nu.", [("112", "tel:112")]),
        (
            "Bris 116 111 eller 020-50 50 50.",
            [("116 111", "tel:116111"), ("020-50 50 50", "tel:+4620505050")],
        ),
        ("Kvinnofridslinjen 020 505050", [("020 505050", "tel:+4620505050")]),
        ("UD-jouren: 08-405 50 05", [("08-405 50 05", "tel:+4684055005")]),
        ("UD: +46 (0)8-405 50 05", [("+46 (0)8-405 50 05", "tel:+4684055005")]),
        ("اتصل على 112 الآن", [("112", "tel:112")]),
        ("Chatta på mind.se.", [("mind.se", "https://mind.se")]),
        ("Läs på www.bris.se", [("www.bris.se", "https://www.bris.se")]),
        (
            "Sidan: https://example.se/centre/contact/",
            [("https://example.se/centre/contact/", "https://example.se/centre/contact/")],
        ),
    ],
)
def test_known_numbers_and_addresses_are_found_however_they_are_spaced(text, expected):
    assert [(link.text, link.href) for link in LINKS.find(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "1120 kronor",  # a known number inside a longer one
        "ring 0112 34 56",
        "socialtjänstlagen (2025:400), öppet 07–21",
        "070-123 45 67",  # a person's own number, echoed back: not in data/
        "070-112 45 67",  # a known number inside someone else's
        "example.se",  # a deep page is linked only when written out whole
        "mind.se/annan-sida",
        "evil-mind.se",
        "https://mind.se.evil.example",
    ],
)
def test_other_numbers_and_addresses_stay_text(text):
    assert LINKS.find(text) == []


def test_a_reply_gets_links_only_when_it_has_some():
    plain = {"text": "Hej!"}
    assert LINKS.annotate(plain) is plain
    linked = LINKS.annotate({"text": "Ring 112", "buttons": []})
    assert linked == {
        "text": "Ring 112",
        "buttons": [],
        "links": [{"text": "112", "href": "tel:112"}],
    }


def test_every_number_the_registry_shows_is_linked_in_its_own_format():
    registry = load_registry(Settings().data_dir)
    links = ContactLinks.from_registry(registry)
    for number in registry.public_phones():
        assert [link.text for link in links.find(f"Ring {number} i dag.")] == [number]
    for address in registry.public_webs():
        assert [link.href for link in links.find(f"Läs {address} i dag.")] == [address]
