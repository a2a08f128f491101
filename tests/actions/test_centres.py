"""`action_find_centre` with rasa-sdk's dispatcher and tracker, on the real data files."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.centres import ActionFindCentre, social_services_details
from actions.settings import REPO_ROOT
from registry import read_registry

pytestmark = pytest.mark.unit


async def run(registry, tracker, today=date(2026, 11, 23)):
    dispatcher = CollectingDispatcher()
    events = await ActionFindCentre(registry, today).run(dispatcher, tracker, {})
    return dispatcher.messages, events


async def test_alingsas_gets_the_alvsborg_centre_in_boras(registry, make_tracker):
    messages, events = await run(
        registry,
        make_tracker(
            "jag bor i Alingsås", entities=[{"entity": "municipality", "value": "Alingsås"}]
        ),
    )
    assert events == [SlotSet("municipality", "Alingsås")]
    message, services, question = messages
    assert question["buttons"][0]["payload"] == '/which_line{"audience":"under_18"}'
    assert message["response"] == "utter_centre_found"
    assert message["municipality"] == "Alingsås"
    assert message["centre_name"].endswith("Älvsborg")
    assert "Borås" in message["centre_details"]
    assert "Webb: \u2066https://www.boras.se/" in message["centre_details"]
    assert "Telefon" not in message["centre_details"]  # no sourced number: name and web only
    # No page found for Alingsås's own social services: the night rule still gives a way.
    assert services["text"] == (
        "Kvällar, nätter och helger: ring 112 och be att få prata med socialjouren."
    )


async def test_alingsas_before_the_switch_gets_goteborg(registry, make_tracker):
    messages, _ = await run(registry, make_tracker("Alingsås"), today=date(2024, 1, 15))
    assert messages[0]["centre_name"] == "Regionalt stödcentrum heder (Göteborgs Stad)"


async def test_english_details_and_municipality_from_text_without_entity(registry, make_tracker):
    messages, events = await run(registry, make_tracker("I live in Gothenburg", language="en"))
    message, services, _ = messages
    assert message["municipality"] == "Göteborg"
    assert message["centre_details"].startswith("The centre is in central Göteborg")
    assert "Web: \u2066https://goteborg.se/" in message["centre_details"]
    assert services["text"].splitlines() == [
        "In the daytime: call 031-365 00 00 and ask to talk to the social services.",
        "Evenings, nights and weekends: call the social services' on-call (socialjour) on"
        " 031-365 87 00. If it is urgent: call 112.",
    ]
    assert events == [SlotSet("municipality", "Göteborg")]


async def test_a_locality_is_named_with_its_municipality_first(registry, make_tracker):
    messages, events = await run(registry, make_tracker("Jag bor i Kinna"))
    assert [m["response"] for m in messages] == [
        "utter_place_in_municipality",
        "utter_centre_found",
        None,
        None,
    ]
    assert messages[0]["place"] == "Kinna"
    assert messages[0]["municipality"] == "Mark"
    assert messages[1]["centre_name"].endswith("Älvsborg")
    assert events == [SlotSet("municipality", "Mark")]


async def test_a_misspelt_name_is_read_aloud_before_the_answer(registry, make_tracker):
    messages, events = await run(registry, make_tracker("jag bor i Ulricehammn"))
    assert [m["response"] for m in messages][:2] == [
        "utter_municipality_guessed",
        "utter_centre_found",
    ]
    assert messages[0]["municipality"] == "Ulricehamn"
    assert events == [SlotSet("municipality", "Ulricehamn")]


async def test_habo_without_diacritics_is_asked_back_with_one_button_each(registry, make_tracker):
    messages, events = await run(registry, make_tracker("habo"))
    [message] = messages
    assert message["response"] == "utter_municipality_ambiguous"
    assert message["place"] == "habo"
    titles = [b["title"] for b in message["buttons"]]
    assert titles == ["Habo (Jönköpings län)", "Håbo (Uppsala län)"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == [
        '/inform_municipality{"municipality":"0643"}',
        '/inform_municipality{"municipality":"0305"}',
    ]
    assert events == [SlotSet("municipality", None)]


async def test_the_chosen_button_resolves_by_code(registry, make_tracker):
    payload = '/inform_municipality{"municipality":"0305"}'
    tracker = make_tracker(payload, entities=[{"entity": "municipality", "value": "0305"}])
    messages, events = await run(registry, tracker)
    assert messages[0]["response"] == "utter_centre_fallback"
    assert messages[0]["municipality"] == "Håbo"
    assert events == [SlotSet("municipality", "Håbo")]
    assert json.loads(payload.split("inform_municipality", 1)[1]) == {"municipality": "0305"}


async def test_stockholm_gets_origo_with_its_web_address(registry, make_tracker):
    messages, _ = await run(registry, make_tracker("Södertälje"))
    assert messages[0]["centre_name"].startswith("Origo")
    assert "Webb: \u2066http://origostockholm.se/\u2069" in messages[0]["centre_details"]


async def test_municipality_without_centre_gets_the_social_services_fallback(
    registry, make_tracker
):
    messages, events = await run(
        registry, make_tracker("Kiruna", entities=[{"entity": "municipality", "value": "Kiruna"}])
    )
    assert messages[0]["response"] == "utter_centre_fallback"
    assert messages[0]["municipality"] == "Kiruna"
    assert events == [SlotSet("municipality", "Kiruna")]


async def test_an_arabic_reader_gets_the_centre_and_the_way_in_in_arabic(registry, make_tracker):
    messages, _ = await run(registry, make_tracker("Göteborg", language="ar"))
    centre, services, _ = messages
    assert centre["centre_details"].startswith(registry.centres["goteborg"].about.value["ar"])
    assert "الموقع الإلكتروني" in centre["centre_details"]
    assert "031-365 87 00" in services["text"] and "112" in services["text"]
    assert not any(word in services["text"] for word in ("Kvällar", "Evenings", "Dagtid"))


@pytest.mark.parametrize(
    ("place", "lines"),
    [
        # A page with no number is shown as the way in; the on-call's own number at night.
        ("Gnesta", ["Så når du socialtjänsten dagtid: https://www.gnesta.se/", "Kvällar,"]),
        (
            "Karlstad",
            ["Dagtid: ring 054-540 50 20 ", "Kvällar, nätter och helger: ring socialjouren på 054"],
        ),
        # A route held for re-checking is not shown: the night rule takes its place.
        ("Värmdö", ["Kvällar, nätter och helger: ring 112 och be att få prata med socialjouren."]),
    ],
)
async def test_each_municipality_gets_its_own_way_to_social_services(
    registry, make_tracker, place, lines
):
    messages, _ = await run(registry, make_tracker(place))
    shown = messages[-2]["text"].splitlines()
    assert len(shown) == len(lines)
    assert all(line.startswith(start) for line, start in zip(shown, lines, strict=True))


async def test_a_route_held_for_re_checking_is_never_shown(registry):
    held = [
        (services, route)
        for services in registry.social_services.values()
        for route in (services.day, services.night)
        if route is not None and not route.usable
    ]
    assert held
    for services, route in held:
        text = social_services_details(services, "sv", registry.labels)
        assert (route.phone or route.page) not in text, services.municipality


async def test_unknown_place_is_answered_honestly(registry, make_tracker):
    messages, events = await run(registry, make_tracker("jag bor i Narnia"))
    assert [m["response"] for m in messages] == ["utter_centre_unknown"]
    assert events == [SlotSet("municipality", None)]


async def test_an_everyday_word_in_a_sentence_is_not_a_place(registry, make_tracker):
    messages, _ = await run(registry, make_tracker("jag vill inte vara hemma, jag bor i Borås"))
    assert messages[0]["municipality"] == "Borås"


async def test_a_locality_named_like_another_municipality_gets_one_button_each(
    tmp_path, make_tracker
):
    data = tmp_path / "data"
    shutil.copytree(REPO_ROOT / "data", data)
    with (data / "localities.yml").open("a", encoding="utf-8") as handle:
        handle.write(
            "\n- municipality: Borås\n  source: https://example.org/test\n"
            "  checked: 2026-01-01\n  names: [Skövde]\n"
        )
    registry, problems = read_registry(data)
    assert problems == []
    messages, events = await run(registry, make_tracker("jag bor i Skövde"))
    [message] = messages
    assert message["response"] == "utter_municipality_ambiguous"
    assert [b["title"] for b in message["buttons"]] == [
        "Skövde (Borås)",
        "Skövde (Västra Götalands län)",
    ]
    assert events == [SlotSet("municipality", None)]


async def test_unknown_words_nobody_asked_for_are_not_answered_as_a_place(registry, make_tracker):
    messages, events = await run(registry, make_tracker("qwxz plorf gnnn"))
    assert [m["response"] for m in messages] == ["utter_not_understood"]
    assert events == [SlotSet("municipality", None)]


async def test_an_unknown_name_after_the_question_where_you_live_is_a_place_not_found(
    registry, make_tracker
):
    tracker = make_tracker("qwxz plorf")
    tracker.events = [
        {"event": "bot", "metadata": {"utter_action": "utter_ask_municipality"}},
        {"event": "user", "text": "qwxz plorf"},
    ]
    messages, _ = await run(registry, tracker)
    assert [m["response"] for m in messages] == ["utter_centre_unknown"]
