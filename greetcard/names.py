"""Names and salutations as German, English and Japanese business letters write them.

Lists hold the parts (Anrede, Titel, Vorname, Nachname, 姓/名, 役職, or one
``contact`` column); templates get ready values, so no template has to
re-implement the rules:

* ``salutation_line`` — ``Sehr geehrte Frau Dr. Müller,`` / ``Dear Ms Müller,`` /
  ``部長 髙橋 一郎 様``
* ``name_line`` — the person's line of the address: ``Frau Dr. Anna Müller``
* ``company_line`` / ``department_line`` — with ``御中`` in Japanese when no
  person is addressed (御中 and 様 never both)
* ``full_name`` — the person's name in the language's order
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

#: Template names this module provides, besides the list's own columns.
CORRESPONDENCE_NAMES = ("salutation_line", "name_line", "company_line", "department_line", "full_name")

_MALE = frozenset({"herr", "herrn", "hr", "mr", "mister", "sir", "male", "m", "男性"})
_FEMALE = frozenset({"frau", "fr", "ms", "mrs", "miss", "madam", "female", "w", "f", "女性"})
#: Name particles that belong to the family name: "von Weizsäcker", "van der Berg".
_PARTICLES = frozenset(
    {
        "von",
        "vom",
        "van",
        "de",
        "der",
        "den",
        "zu",
        "zum",
        "zur",
        "di",
        "da",
        "du",
        "del",
        "della",
        "le",
        "la",
    }
)
_TITLE_TOKEN = re.compile(r"^(Prof|Dr|Dipl|Mag|Ing|PD|MBA|M\.?A|B\.?A|h\.?c)[\w.\-]*\.?$|^[\w\-]+\.$")
_JAPANESE_HONORIFICS = ("様", "殿", "御中", "各位")


@dataclass(frozen=True)
class Person:
    """Who a card is addressed to, split into the parts letters use."""

    gender: str  # "m", "f" or "" (diverse, unknown, or not given)
    title: str  # academic title as written: "Prof. Dr.-Ing."
    first_name: str
    last_name: str
    position: str  # 役職 / job title, e.g. 部長
    written_name: str = ""  # a single contact cell as written (its order kept), without titles

    @property
    def exists(self) -> bool:
        return bool(self.first_name or self.last_name)


def person_of(values: Mapping[str, str]) -> Person:
    """The addressed person from separate name columns, or from a single ``contact`` column."""
    gender = _gender(values.get("salutation", ""))
    title = values.get("title", "").strip()
    first = values.get("first_name", "").strip()
    last = values.get("last_name", "").strip()
    written = ""
    if not (first or last):
        tokens = values.get("contact", "").split()
        while len(tokens) > 1 and _TITLE_TOKEN.match(tokens[0]):  # "Dr. Anna Müller" in one cell
            title = f"{title} {tokens.pop(0)}".strip()
        first, last = _split_name(tokens)
        written = " ".join(tokens)
    return Person(gender, title, first, last, values.get("position", "").strip(), written)


def correspondence_values(values: Mapping[str, str], language: str) -> dict[str, str]:
    """The ready-made name and salutation values for one row in one card language."""
    person = person_of(values)
    company = values.get("company", "").strip()
    department = values.get("department", "").strip()
    if language == "ja":
        return _japanese(person, company, department)
    full_name = " ".join(part for part in (person.first_name, person.last_name) if part)
    result = {
        "full_name": full_name,
        "company_line": company,
        "department_line": department,
    }
    if language == "en":
        result["name_line"] = _english_name_line(person, full_name)
        result["salutation_line"] = _english_salutation(person, full_name)
    else:
        result["name_line"] = _german_name_line(person, full_name)
        result["salutation_line"] = _german_salutation(person, full_name)
    return result


def _gender(salutation: str) -> str:
    key = salutation.strip().rstrip(".").casefold()
    if key in _MALE:
        return "m"
    if key in _FEMALE:
        return "f"
    return ""


def _split_name(tokens: list[str]) -> tuple[str, str]:
    """First and family name from one cell: particles start the family name ("Richard von Weizsäcker")."""
    if not tokens:
        return "", ""
    if len(tokens) == 1:
        return "", tokens[0]
    for index in range(1, len(tokens) - 1):
        if tokens[index] in _PARTICLES:
            return " ".join(tokens[:index]), " ".join(tokens[index:])
    return " ".join(tokens[:-1]), tokens[-1]


def _salutation_title(title: str, english: bool = False) -> str:
    """Only the highest title is spoken in a salutation: "Prof. Dr.-Ing." → "Prof."."""
    folded = title.casefold()
    if "prof" in folded:
        return "Professor" if english else "Prof."
    if re.search(r"\bdr\b", folded):
        return "Dr" if english else "Dr."
    return ""


def _german_name_line(person: Person, full_name: str) -> str:
    if not person.exists:
        return ""
    address = {"m": "Herrn", "f": "Frau"}.get(person.gender, "")
    return " ".join(part for part in (address, person.title, full_name) if part)


def _german_salutation(person: Person, full_name: str) -> str:
    if not person.exists:
        return "Sehr geehrte Damen und Herren,"
    title = _salutation_title(person.title)
    if person.gender == "f":
        return " ".join(part for part in ("Sehr geehrte Frau", title, person.last_name) if part) + ","
    if person.gender == "m":
        return " ".join(part for part in ("Sehr geehrter Herr", title, person.last_name) if part) + ","
    # Diverse or not given: no guessed form of address, the full name instead.
    return " ".join(part for part in ("Guten Tag", title, full_name) if part) + ","


def _english_name_line(person: Person, full_name: str) -> str:
    if not person.exists:
        return ""
    title = _salutation_title(person.title, english=True)
    address = title or {"m": "Mr", "f": "Ms"}.get(person.gender, "")
    return " ".join(part for part in (address, full_name) if part)


def _english_salutation(person: Person, full_name: str) -> str:
    if not person.exists:
        return "Dear Sir or Madam,"
    title = _salutation_title(person.title, english=True)
    address = title or {"m": "Mr", "f": "Ms"}.get(person.gender, "")
    if not address:
        return f"Dear {full_name},"
    return f"Dear {address} {person.last_name},"


def _japanese(person: Person, company: str, department: str) -> dict[str, str]:
    """様 after a person, 御中 after the company (or department) when nobody is named; never both."""
    full_name = person.written_name or " ".join(
        part for part in (person.last_name, person.first_name) if part
    )
    # In Japanese lists the title column often holds the position (部長); academic titles are not used.
    position = person.position or (person.title if not _salutation_title(person.title) else "")
    if person.exists:
        name_line = " ".join(part for part in (position, full_name) if part)
        if not name_line.endswith(_JAPANESE_HONORIFICS):
            name_line += " 様"
        return {
            "full_name": full_name,
            "name_line": name_line,
            "company_line": company,
            "department_line": department,
            "salutation_line": name_line,
        }
    company_line, department_line = company, department
    if department:
        department_line = _with_onchu(department)
    elif company:
        company_line = _with_onchu(company)
    return {
        "full_name": "",
        "name_line": "",
        "company_line": company_line,
        "department_line": department_line,
        "salutation_line": (department_line and f"{company} {department_line}") or company_line,
    }


def _with_onchu(text: str) -> str:
    return text if text.endswith(_JAPANESE_HONORIFICS) else f"{text} 御中"
