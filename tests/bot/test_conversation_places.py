"""A message that is little more than a municipality's name in another script (which the NLU
model has never seen) reaches Rasa as the choice of that municipality; anything else does not."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.unit


async def _say(client, session, text: str, lang: str) -> None:
    url = f"/api/v1/sessions/{session.id}/messages"
    body = {"text": text, "lang": lang}
    response = await client.post(url, json=body, headers=session.headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("text", "lang", "code"),
    [
        ("انا ساكنة ب بوروس", "ar", "1490"),  # Borås
        ("ما در کمون یوتبوری هستیم", "fa", "1480"),  # Göteborg
        ("ኣብ ስቶክሆልም kommun ኢና ንነብር", "ti", "0180"),  # Stockholm
    ],
)
async def test_a_name_in_another_script_is_sent_as_the_municipality(
    client, session, fake_rasa, text, lang, code
):
    await _say(client, session, text, lang)
    assert fake_rasa.received[-1]["message"] == (
        f'/inform_municipality{{"municipality":"{code}","language":"{lang}"}}'
    )


async def test_a_swedish_name_and_a_longer_message_go_to_the_nlu_as_written(
    client, session, fake_rasa
):
    await _say(client, session, "jag bor i Borås", "sv")
    await _say(client, session, "انا من مالمو وبدي مساعدة", "ar")
    assert [m["message"] for m in fake_rasa.received] == [
        "jag bor i Borås",
        "انا من مالمو وبدي مساعدة",
    ]


async def test_danger_with_a_place_still_takes_the_danger_path(client, session, fake_rasa):
    await _say(client, session, "بابا رح يقتلني الليلة بوروس", "ar")
    assert fake_rasa.received[-1]["message"] == '/immediate_danger{"language":"ar"}'
