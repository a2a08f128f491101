"""`hrv-guide registry check`: passes on the real data, fails on each planted defect."""

from __future__ import annotations

from datetime import date

import pytest

from registry.check import check, render
from registry.fields import valid_phone

pytestmark = pytest.mark.unit

TODAY = date(2026, 12, 6)


def test_the_real_data_passes_and_the_summary_counts_dedicated_centres(data_copy):
    report = check(data_copy, TODAY)
    assert report.ok, report.problems
    assert report.dedicated == 45
    text = render(report, data_copy)
    assert "45 municipalities have a dedicated centre; 245 get the fallback" in text
    assert "Counties with no dedicated centre" in text


def test_a_planted_overlap_fails(data_copy, edit):
    edit("coverage.yml", "  valid_from: 2024-02-01\n", "  valid_from: 2024-01-15\n")
    report = check(data_copy, TODAY)
    assert not report.ok
    assert any("Alingsås: " in p and "overlaps" in p for p in report.problems), report.problems


def test_a_missing_source_fails(data_copy, edit):
    edit(
        "contacts.yml",
        '    phone:\n      value: "0520-49 68 08"\n      source: https://www.trollhattan.se/'
        "startsida/omsorg-och-hjalp/familj-barn-och-ungdom/vald-i-nara-relationer/barnahus-fyrbodal/"
        "resurscentrum-mot-hedersrelaterat-vald-och-fortryck/\n",
        '    phone:\n      value: "0520-49 68 08"\n',
    )
    report = check(data_copy, TODAY)
    assert report.problems == ["contacts.yml centre fyrbodal phone: has no source"]


def test_a_source_that_is_not_a_public_page_fails(data_copy, edit):
    edit(
        "coverage.yml", "  source: shared/seeds/001_3a3626b02fa9109c.txt\n", "  source: my notes\n"
    )
    assert any("not a public address" in p for p in check(data_copy, TODAY).problems)


def test_a_malformed_phone_number_fails(data_copy, edit):
    edit("contacts.yml", 'value: "0520-49 68 08"', 'value: "0520-49 68 0"')
    report = check(data_copy, TODAY)
    assert report.problems == [
        "contacts.yml centre fyrbodal phone: phone number is not in a valid Swedish format: "
        "'0520-49 68 0'"
    ]


def test_a_missing_municipality_fails(data_copy, edit):
    edit("municipalities.csv", "0114,Upplands Väsby,01,Stockholms län\n", "")
    problems = check(data_copy, TODAY).problems
    assert "municipalities.csv: has 289 municipalities, expected 290" in problems
    assert any("unknown municipality 'Upplands Väsby'" in p for p in problems)


def test_a_municipality_listed_twice_fails(data_copy, edit):
    edit("municipalities.csv", "0115,Vallentuna,01", "0115,Upplands Väsby,01")
    problems = check(data_copy, TODAY).problems
    assert any("Upplands Väsby is listed more than once" in p for p in problems)


def test_a_fact_checked_in_the_future_fails(data_copy, edit):
    edit("contacts.yml", "checked: 2026-11-23", "checked: 2027-01-01")
    assert any("in the future" in p for p in check(data_copy, TODAY).problems)


def test_an_interval_that_ends_before_it_starts_fails(data_copy, edit):
    edit("coverage.yml", "  valid_to: 2024-01-31\n", "  valid_to: 2020-01-31\n")
    assert any("is before valid_from" in p for p in check(data_copy, TODAY).problems)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("112", True),
        ("114 14", True),
        ("116 111", True),
        ("020-50 50 50", True),
        ("010-223 57 60", True),
        ("0520-49 68 08", True),
        ("08-581 690 00", True),
        ("+46 10 223 57 60", True),
        ("0520-49 68 0", False),
        ("020505050", False),
        ("12345", False),
        ("0520-49 68 08 99 99", False),
        ("phone", False),
    ],
)
def test_swedish_phone_number_formats(number, valid):
    assert valid_phone(number) is valid


def test_a_year_after_the_check_every_fact_read_then_is_due_again(data_copy):
    report = check(data_copy, date(2027, 12, 7))
    assert report.ok
    assert "line sjalvmordslinjen: checked 2026-12-06" in report.due
    assert "social services Karlstad night: checked 2026-12-06" in report.due
    assert not any("checked" in due for due in check(data_copy, TODAY).due)


def test_a_news_item_used_as_a_contact_is_reported(data_copy):
    report = check(data_copy, TODAY)
    news = [due for due in report.due if "a news item is its contact" in due]
    assert news and news[0].startswith("centre alvsborg web")
    assert "Due for a re-check" in render(report, data_copy)


def test_a_social_services_route_needs_a_quote_and_only_night_goes_via_112(data_copy, edit):
    edit("social_services.yml", '    via: "112"\n', '    via: "114 14"\n')
    problems = check(data_copy, TODAY).problems
    assert any("via must be" in p for p in problems), problems


def test_a_social_services_entry_for_an_unknown_municipality_fails(data_copy, edit):
    edit("social_services.yml", "- municipality: Kiruna\n", "- municipality: Narnia\n")
    problems = check(data_copy, TODAY).problems
    assert "social_services.yml Narnia: names an unknown municipality" in problems
