"""Salutations and name lines exactly as German, English and Japanese business letters write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from greetcard.names import correspondence_values
from greetcard.recipients import read_recipients


@pytest.mark.parametrize(
    ("values", "language", "expected"),
    [
        (
            {"salutation": "Frau", "title": "Dr.", "first_name": "Anna", "last_name": "Müller"},
            "de",
            "Sehr geehrte Frau Dr. Müller,",
        ),
        (
            {
                "salutation": "Herr",
                "title": "Prof. Dr.",
                "first_name": "Richard",
                "last_name": "von Weizsäcker",
            },
            "de",
            "Sehr geehrter Herr Prof. von Weizsäcker,",
        ),
        (
            {"salutation": "Herr", "title": "Prof.", "contact": "Richard von Weizsäcker"},
            "de",
            "Sehr geehrter Herr Prof. von Weizsäcker,",
        ),
        ({"company": "Alpha GmbH"}, "de", "Sehr geehrte Damen und Herren,"),
        (
            {"salutation": "divers", "first_name": "Alex", "last_name": "Schmidt"},
            "de",
            "Guten Tag Alex Schmidt,",
        ),
        ({"salutation": "", "contact": "Alex Schmidt"}, "de", "Guten Tag Alex Schmidt,"),
        ({"salutation": "Frau", "first_name": "Anna", "last_name": "Müller"}, "en", "Dear Ms Müller,"),
        ({"salutation": "Frau", "contact": "Dr. Anna Müller"}, "de", "Sehr geehrte Frau Dr. Müller,"),
        ({"salutation": "Herr", "title": "Dr.-Ing.", "contact": "Jan Berg"}, "en", "Dear Dr Berg,"),
        ({"company": "Alpha Ltd"}, "en", "Dear Sir or Madam,"),
        (
            {"company": "髙橋商事", "position": "部長", "last_name": "髙橋", "first_name": "一郎"},
            "ja",
            "部長 髙橋 一郎 様",
        ),
        ({"company": "髙橋商事", "title": "部長", "contact": "髙橋 一郎"}, "ja", "部長 髙橋 一郎 様"),
        ({"company": "髙橋商事"}, "ja", "髙橋商事 御中"),
    ],
)
def test_salutation_line_is_written_as_business_letters_do(
    values: dict[str, str], language: str, expected: str
) -> None:
    assert correspondence_values(values, language)["salutation_line"] == expected


def test_name_lines_of_the_address() -> None:
    anna = {"salutation": "Frau", "title": "Dr.", "first_name": "Anna", "last_name": "Müller"}
    assert correspondence_values(anna, "de")["name_line"] == "Frau Dr. Anna Müller"
    assert correspondence_values(anna, "en")["name_line"] == "Dr Anna Müller"
    herr = {"salutation": "Herr", "first_name": "Jan", "last_name": "Berg"}
    assert correspondence_values(herr, "de")["name_line"] == "Herrn Jan Berg"
    assert correspondence_values(herr, "en")["name_line"] == "Mr Jan Berg"


def test_japanese_onchu_and_sama_never_both() -> None:
    person = correspondence_values(
        {
            "company": "東芝",
            "department": "営業部",
            "position": "部長",
            "last_name": "髙橋",
            "first_name": "一郎",
        },
        "ja",
    )
    assert (person["company_line"], person["department_line"], person["name_line"]) == (
        "東芝",
        "営業部",
        "部長 髙橋 一郎 様",
    )
    department = correspondence_values({"company": "東芝", "department": "営業部"}, "ja")
    assert (department["company_line"], department["department_line"], department["name_line"]) == (
        "東芝",
        "営業部 御中",
        "",
    )
    company = correspondence_values({"company": "東芝 御中"}, "ja")
    assert company["company_line"] == "東芝 御中"  # written by the list already: not twice


def test_german_and_japanese_headers_are_recognised(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "Firma;Anrede;Titel;Vorname;Nachname\nAlpha GmbH;Frau;Dr.;Anna;Müller\n", encoding="utf-8"
    )
    values = read_recipients(path).recipients[0].values
    assert (values["salutation"], values["title"], values["first_name"], values["last_name"]) == (
        "Frau",
        "Dr.",
        "Anna",
        "Müller",
    )
    ja = tmp_path / "ja.csv"
    ja.write_text("会社名,部署,役職,姓,名\n髙橋商事,営業部,部長,髙橋,一郎\n", encoding="utf-8")
    values = read_recipients(ja).recipients[0].values
    assert (values["department"], values["position"], values["last_name"], values["first_name"]) == (
        "営業部",
        "部長",
        "髙橋",
        "一郎",
    )
