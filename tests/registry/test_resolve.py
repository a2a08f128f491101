"""Names resolve however people write them; a name that fits two places is never guessed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from registry import Resolver, read_registry

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]
NLU_FILES = [REPO_ROOT / "nlu" / "data" / f for f in ("nlu_sv.yml", "nlu_en.yml")]


def test_every_one_of_the_290_municipalities_resolves_from_its_exact_name(registry, resolver):
    assert len(registry.municipalities) == 290
    for name, municipality in registry.municipalities.items():
        if name in ("Habo",):  # written without å it could be Håbo too: asked back (below)
            continue
        assert resolver.resolve(name).municipality == municipality, name


def test_every_municipality_resolves_from_its_code(registry, resolver):
    for municipality in registry.municipalities.values():
        assert resolver.resolve(municipality.code).municipality == municipality


@pytest.mark.parametrize(
    ("text", "expected", "how"),
    [
        # case and diacritics
        ("Alingsås", "Alingsås", "exact"),
        ("alingsas", "Alingsås", "folded"),
        ("ALINGSÅS", "Alingsås", "exact"),
        ("boras", "Borås", "folded"),
        ("malung salen", "Malung-Sälen", "folded"),
        ("Upplands-Bro", "Upplands-Bro", "exact"),
        ("jag bor i upplands vasby", "Upplands Väsby", "folded"),
        # inflections and words around the name
        ("i Borås", "Borås", "exact"),
        ("jag bor i Borås", "Borås", "exact"),
        ("från Alingsås", "Alingsås", "exact"),
        ("Alingsås kommun", "Alingsås", "exact"),
        ("Marks kommun", "Mark", "exact"),
        ("bor i Marks kommun", "Mark", "exact"),
        ("finns det hjälp i Trollhattan?", "Trollhättan", "folded"),
        # exonyms and other names
        ("I live in Gothenburg", "Göteborg", "exact"),
        ("Gotenburg", "Göteborg", "exact"),
        ("Göteborgs stad", "Göteborg", "exact"),
        ("jag bor i gbg", "Göteborg", "exact"),
        ("Region Gotland", "Gotland", "exact"),
        # localities and districts
        ("Jag bor i Kinna", "Mark", "exact"),
        ("Skene", "Mark", "exact"),
        ("Fristad", "Borås", "exact"),
        ("dalsjofors", "Borås", "folded"),
        ("jag bor i Sollebrunn", "Alingsås", "exact"),
        ("Mölnlycke", "Härryda", "exact"),
        ("Angered", "Göteborg", "exact"),
        ("Östra Frölunda", "Svenljunga", "exact"),
        ("Frölunda", "Göteborg", "exact"),
        ("Tumba", "Botkyrka", "exact"),
        # typos: one edit in names of 5-7 letters, two from 8 letters
        ("Alingsaas", "Alingsås", "typo"),
        ("jag bor i Ulricehammn", "Ulricehamn", "typo"),
        ("Götebrog", "Göteborg", "typo"),
        ("Stokholm", "Stockholm", "typo"),
        ("Linköpnig", "Linköping", "typo"),
        ("Kungsbakca", "Kungsbacka", "typo"),
        ("Boråås", "Borås", "typo"),
        # everyday words count when written as a name
        ("vara", "Vara", "exact"),
        ("Vi bor i Vara", "Vara", "exact"),
        ("jag vill inte vara hemma, jag bor i Borås", "Borås", "exact"),
    ],
)
def test_spellings_inflections_localities_exonyms_and_typos(resolver, text, expected, how):
    resolution = resolver.resolve(text)
    assert resolution.municipality is not None, text
    assert resolution.municipality.name == expected
    assert resolution.how == how


@pytest.mark.parametrize(
    "text",
    ["Narnia", "jag vet inte", "", "12345", "9999", "hej", "where are the centres", "x" * 10_000],
)
def test_unknown_names_resolve_to_nothing(resolver, text):
    resolution = resolver.resolve(text)
    assert resolution.municipality is None
    assert not resolution.ambiguous


def test_habo_written_without_diacritics_is_asked_back_but_hbo_with_them_is_not(resolver):
    for text in ("habo", "Habo", "jag bor i habo kommun"):
        resolution = resolver.resolve(text)
        assert resolution.ambiguous, text
        assert [m.name for m in resolution.municipalities] == ["Habo", "Håbo"]
    assert resolver.resolve("Håbo").municipality.name == "Håbo"
    assert resolver.resolve("HÅBO kommun").municipality.name == "Håbo"


def test_a_typo_between_two_names_is_asked_back(resolver):
    resolution = resolver.resolve("Voxholm")
    assert resolution.how == "typo"
    assert [m.name for m in resolution.municipalities] == ["Boxholm", "Vaxholm"]


def test_a_locality_named_like_another_municipality_is_asked_back(data_copy):
    with (data_copy / "localities.yml").open("a", encoding="utf-8") as handle:
        handle.write(
            "\n- municipality: Borås\n  source: https://example.org/test\n"
            "  checked: 2026-01-01\n  names: [Skövde]\n"
        )
    registry, problems = read_registry(data_copy)
    assert problems == []
    resolution = Resolver(registry).resolve("jag bor i Skövde")
    assert resolution.ambiguous
    kinds = {(c.municipality.name, c.kind) for c in resolution.candidates}
    assert kinds == {("Skövde", "municipality"), ("Borås", "locality")}


def test_words_in_other_kinds_of_message_are_not_read_as_misspelt_places(resolver):
    """'säger' is one letter from Säter, 'skada' from Skara: a typo match needs a name's place."""
    wrong = []
    for path in NLU_FILES:
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if block.get("intent") in (None, "inform_municipality"):
                continue
            for line in block["examples"].splitlines():
                text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip()[2:])
                if resolver.resolve(text).how == "typo":
                    wrong.append(text)
    assert wrong == []


def test_every_example_of_naming_a_municipality_resolves(resolver):
    missed = []
    for path in NLU_FILES:
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if block.get("intent") != "inform_municipality":
                continue
            for line in block["examples"].splitlines():
                text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip()[2:])
                if resolver.resolve(text).how == "none":
                    missed.append(text)
    assert missed == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("بوروس", "Borås"),  # Arabic script
        ("انا ساكنة ب بوروس", "Borås"),
        ("ببوروس", "Borås"),  # "in" written onto the name
        ("نحنا بكومون يوتبوري", "Göteborg"),
        ("يوتبوري", "Göteborg"),  # Arabic ي and Persian ی are one letter here
        ("ما در کمون یوتبوری هستیم", "Göteborg"),  # Persian
        ("لە بۆرۆس دەژیم", "Borås"),  # Sorani
        ("ኣብ ዮተቦሪ እየ ዝነብር", "Göteborg"),  # Tigrinya
        ("Yonshoping", "Jönköping"),  # a Latin spelling far from the Swedish one
    ],
)
def test_a_name_in_another_script_is_a_place_on_its_own(resolver, text, name):
    place = resolver.only_a_place(text)
    assert place is not None and place.name == name


@pytest.mark.parametrize(
    "text",
    [
        "jag bor i Borås",  # the NLU knows the Swedish names: it answers those itself
        "انا من مالمو وبدي مساعدة",  # more than the name: the NLU reads the rest
        "يونشوبنغ",  # a typo: the action says what it read, so it goes that way
        "مرحبا",
    ],
)
def test_a_message_that_is_more_than_another_scripts_name_is_left_to_the_nlu(resolver, text):
    assert resolver.only_a_place(text) is None


def test_no_message_of_another_kind_is_taken_for_a_place_alone(resolver):
    """Every training and held-out message of the other intents, in every language: none may
    be answered as if it named only a place."""
    taken = []
    paths = sorted(REPO_ROOT.glob("nlu/data/nlu_*.yml")) + sorted(REPO_ROOT.glob("tests/nlu/*.yml"))
    for path in paths:
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if block.get("intent") in (None, "inform_municipality"):
                continue
            for line in block["examples"].splitlines():
                text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip()[2:])
                if resolver.only_a_place(text) is not None:
                    taken.append(text)
    assert taken == []
