"""The danger net: acute danger in Swedish and English is caught; general talk goes to the NLU."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.danger import DangerNet

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def net() -> DangerNet:
    return DangerNet.load(Settings().danger_patterns_file)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Min pappa sa att han ska döda mig", "sv"),
        ("de kommer att döda mig om de får veta", "sv"),
        ("jag vågar inte gå hem", "sv"),
        ("jag vagar inte ga hem idag", "sv"),
        ("Jag är rädd att gå hem ikväll", "sv"),
        ("jag är inlåst i mitt rum", "sv"),
        ("dom har låst in mig", "sv"),
        ("de tar mig till hemlandet imorgon", "sv"),
        ("biljetten är redan köpt", "sv"),
        ("jag är i fara", "sv"),
        ("My brother said he is going to kill me", "en"),
        ("I'm scared to go home", "en"),
        ("I can't go home tonight", "en"),
        ("they locked me in my room", "en"),
        ("they are sending me abroad tomorrow", "en"),
        ("the tickets are already booked", "en"),
        ("I am in danger", "en"),
        ("I’m afraid for my life", "en"),
    ],
)
def test_danger_net_catches_acute_danger(net, text, lang):
    assert net.match(text) == lang


@pytest.mark.parametrize(
    "text",
    [
        "Vad är hedersrelaterat våld?",
        "min bror kollar min telefon",
        "jag får inte träffa mina kompisar",
        "pappa slog mig förra året",
        "vad är en orosanmälan",
        "I live in Gothenburg",
        "my parents decide who I can marry",
        "is this anonymous?",
        "I want to go home now, thanks for the help",
    ],
)
def test_danger_net_leaves_other_messages_to_the_nlu(net, text):
    assert net.match(text) is None
