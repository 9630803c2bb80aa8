"""Reading lists as Excel really writes them, and refusing bad rows precisely."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greetcard.errors import RecipientsError
from greetcard.recipients import read_recipients

from .conftest import write_csv


def test_utf8_bom_semicolon_crlf_keeps_first_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", [["1", "Müller GmbH", "", "", "de"]], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result = read_recipients(path)
    assert result.columns[:2] == ["id", "company"]
    assert result.recipients[0].company == "Müller GmbH"
    assert result.delimiter == ";"


def test_cp1252_german_excel(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv", [["1", "Süßwaren Groß & Söhne „Nord“ – AG", "", "", "de"]], encoding="cp1252"
    )
    result = read_recipients(path)
    assert result.encoding == "cp1252"
    assert result.recipients[0].company == "Süßwaren Groß & Söhne „Nord“ – AG"


def test_cp932_japanese_excel_with_microsoft_extensions(tmp_path: Path) -> None:
    names = ["㈱サクラ電子", "①髙橋製作所", "﨑山化学工業株式会社", "株式会社ミナト精機"]
    path = write_csv(
        tmp_path / "list.csv",
        [[str(i), n, "", "", "ja"] for i, n in enumerate(names)],
        encoding="cp932",
        delimiter=",",
    )
    result = read_recipients(path)
    assert result.encoding == "cp932"
    assert [r.company for r in result.recipients] == names


def test_explicit_encoding_error_names_line_and_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", [["1", "Müller", "", "", "de"]], encoding="cp1252")
    with pytest.raises(RecipientsError, match=r"list.csv:2:\d+: byte 0xFC is not valid utf-8"):
        read_recipients(path, encoding="utf-8")


def test_quoted_delimiters_line_breaks_and_trailing_empty_rows(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(
        b"id;company;contact\r\n"
        b'1;"Alpha; Beta GmbH";"Anna\r\nM\xc3\xbcller"\r\n'
        b"2;  Gamma AG  ;\r\n"
        b";;\r\n;;\r\n"
    )
    result = read_recipients(path)
    assert [r.company for r in result.recipients] == ["Alpha; Beta GmbH", "Gamma AG"]
    assert result.recipients[0].values["contact"] == "Anna\nMüller"
    assert result.recipients[1].line == 4  # the quoted line break counts
    assert not result.problems


def test_tab_delimited_detected(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.tsv", [["7", "Delta KK", "", "", "ja"]], delimiter="\t")
    assert read_recipients(path).recipients[0].id == "7"


def test_nfc_normalisation(tmp_path: Path) -> None:
    decomposed = "Mu\u0308ller"
    path = write_csv(tmp_path / "list.csv", [["1", decomposed, "", "", ""]])
    assert read_recipients(path).recipients[0].company == "Müller"


def test_missing_company_column_lists_headers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", [["1", "x"]], header=["id", "name"])
    with pytest.raises(RecipientsError) as error:
        read_recipients(path)
    assert "no 'company' column; the header has 'id', 'name'" in str(error.value)
    assert "list.csv:1" in str(error.value)


def test_german_header_aliases(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        [["Omega GmbH", "Frau", "Eva Roth"]],
        header=["Firma", "Anrede", "Ansprechpartner"],
    )
    recipient = read_recipients(path).recipients[0]
    assert (recipient.company, recipient.values["salutation"], recipient.values["contact"]) == (
        "Omega GmbH",
        "Frau",
        "Eva Roth",
    )


def test_bad_rows_are_refused_with_line_and_column_and_others_kept(tmp_path: Path) -> None:
    rows = [
        ["1", "Good One GmbH", "", "", "de"],
        ["2", "", "", "", "de"],
        ["1", "Duplicate GmbH", "", "", "de"],
        ["4", "Evil\u202eGmbH", "", "", "de"],
        ["5", "Bell\x07 AG", "", "", "de"],
        ["6", "French SA", "", "", "fr"],
        ["7", "Good Two KK", "", "", "ja"],
    ]
    result = read_recipients(write_csv(tmp_path / "list.csv", rows))
    assert [r.id for r in result.recipients] == ["1", "7"]
    messages = [str(p) for p in result.problems]
    assert "list.csv:3:2: company is empty" in messages[0]
    assert "list.csv:4:1: duplicate id '1' (first used on line 2)" in messages[1]
    assert (
        "list.csv:5:2: company contains the invisible or control character U+202E RIGHT-TO-LEFT OVERRIDE"
        in messages[2]
    )
    assert "list.csv:6:2: company contains the invisible or control character U+0007" in messages[3]
    assert "list.csv:7:5: language 'fr' is not one of de, ja, en" in messages[4]


def test_missing_id_defaults_to_row_number_and_language_guessed(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", [["株式会社テスト"], ["Test GmbH"]], header=["company"])
    recipients = read_recipients(path).recipients
    assert [(r.id, r.language) for r in recipients] == [("1", "ja"), ("2", "de")]


def test_xlsx_first_sheet(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "company", "postcode"])
    sheet.append([1, "株式会社エクセル", 40213])
    sheet.append([2, '=HYPERLINK("x")', None])
    sheet.append([None, None, None])
    workbook.create_sheet("other").append(["company"])
    workbook.save(tmp_path / "list.xlsx")
    result = read_recipients(tmp_path / "list.xlsx")
    first = result.recipients[0]
    assert (first.id, first.company, first.values["postcode"]) == (
        "1",
        "株式会社エクセル",
        "40213",
    )
    assert len(result.recipients) == 1
    assert "list.xlsx:3:2: company holds a formula whose result the workbook does not contain" in str(
        result.problems[0]
    )


def test_unterminated_quote_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text('company;id\n"Broken GmbH;1\n', encoding="utf-8")
    with pytest.raises(RecipientsError, match="closing quote"):
        read_recipients(path)


names = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")),
    min_size=1,
    max_size=40,
).filter(
    # What the tool refuses by design is not part of this property: blank values, and values with no
    # visible character (e.g. a lone combining mark such as '\u08ca', which would float over nothing).
    lambda s: s.strip() != "" and any(unicodedata.category(c)[0] in "LNPS" for c in s)
)


@settings(max_examples=60, deadline=None)
@given(company=names)
def test_any_printable_value_survives_the_round_trip(company: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder) / "list.csv", [["1", company, "", "", "de"]], encoding="utf-8-sig")
        result = read_recipients(path)
    assert [r.company for r in result.recipients] == [unicodedata.normalize("NFC", company).strip()]


def test_alt_enter_address_cell_with_a_delimiter_renders(tmp_path: Path) -> None:
    """Excel's Alt+Enter in a quoted address cell, with a ';' inside, is valid CSV, not a missing quote."""
    path = tmp_path / "list.csv"
    path.write_text(
        "id;company;street;postcode;city;country\n"
        '1;Japan External Trade;"c/o Japan Desk; Wirtschaftsförderung\nBurgplatz 1";40213;Düsseldorf;\n'
        "2;Beta AG;Hauptstraße 2;10115;Berlin;\n",
        encoding="utf-8",
    )
    result = read_recipients(path)
    assert not result.problems
    assert result.recipients[0].values["street"] == "c/o Japan Desk; Wirtschaftsförderung\nBurgplatz 1"
    assert result.recipients[1].line == 4


def test_a_cell_holding_a_header_shaped_line_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text('id;company\n1;"Alpha GmbH\nid;company\n2;Beta AG"\n3;Gamma\n', encoding="utf-8")
    result = read_recipients(path)
    assert [r.company for r in result.recipients] == ["Gamma"]
    assert "list.csv:2:2" in str(result.problems[0]) and "rows have run together" in str(result.problems[0])
