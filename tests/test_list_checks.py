"""LibreOffice lists, duplicate recipients, misspelt languages and unused columns."""

from __future__ import annotations

from pathlib import Path

from odf.opendocument import OpenDocumentSpreadsheet  # type: ignore[import-untyped]
from odf.table import Table, TableCell, TableRow  # type: ignore[import-untyped]
from odf.text import LineBreak, P  # type: ignore[import-untyped]

from greetcard.recipients import read_recipients


def _ods(path: Path, rows: list[list[tuple[str, str, str]]]) -> Path:
    """A .ods file as LibreOffice writes it: (value type, value, shown text) per cell."""
    document = OpenDocumentSpreadsheet()
    table = Table(name="Liste")
    for cells in rows:
        row = TableRow()
        for kind, value, shown in cells:
            cell = TableCell(valuetype=kind, value=value) if kind == "float" else TableCell(valuetype=kind)
            paragraph = P()
            for index, part in enumerate(shown.split("\n")):
                if index:
                    paragraph.addElement(LineBreak())
                paragraph.addText(part)
            cell.addElement(paragraph)
            row.addElement(cell)
        row.addElement(TableCell(numbercolumnsrepeated=1000))  # LibreOffice's padding
        table.addElement(row)
    table.addElement(TableRow(numberrowsrepeated=1048000))
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def text(value: str) -> tuple[str, str, str]:
    return ("string", "", value)


def test_ods_is_read_like_xlsx(tmp_path: Path) -> None:
    path = _ods(
        tmp_path / "liste.ods",
        [
            [text("id"), text("Firma"), text("PLZ"), text("Straße")],
            [
                text("A1"),
                text("Müller & Söhne GmbH"),
                ("float", "1067", "01067"),
                text("c/o Japan Desk\nBurgplatz 1"),
            ],
            [text("A2"), text("株式会社ミナト精機"), ("float", "40213", "40213"), text("Hafenstraße 12")],
        ],
    )
    result = read_recipients(path)
    assert result.encoding == "ods" and not result.problems
    first, second = result.recipients
    assert (first.company, first.values["postcode"], first.values["street"]) == (
        "Müller & Söhne GmbH",
        "01067",
        "c/o Japan Desk\nBurgplatz 1",
    )
    assert (second.company, second.language, second.line) == ("株式会社ミナト精機", "ja", 3)


def test_duplicate_recipients_are_reported_with_both_lines_and_still_render(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "list.csv"
    path.write_text(
        "id;company;street;city\n"
        "A1;Alpha GmbH;Hauptstr. 1;Köln\n"
        "B2;Beta AG;Ring 2;Bonn\n"
        "A9;alpha gmbh;Hauptstr.  1;Köln\n",
        encoding="utf-8",
    )
    result = read_recipients(path)
    assert len(result.recipients) == 3
    assert [str(note) for note in result.notes] == [
        f"{path}:4: same company, person and address as line 2 — lines 2 and 4 make two cards "
        "for one recipient; delete one if that is not meant"
    ]
    check = run_cli("check", str(path))
    assert "lines 2 and 4" in check.output and check.exit_code == 0


def test_unknown_language_suggests_the_code_meant(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("id;company;language\nA1;Alpha;jp\nA2;Beta;de-DE\nA3;Gamma;xx\n", encoding="utf-8")
    messages = [str(problem) for problem in read_recipients(path).problems]
    assert "list.csv:2:3: language 'jp' is not one of de, ja, en — did you mean 'ja'?" in messages[0]
    assert "did you mean 'de'?" in messages[1]
    assert "did you mean" not in messages[2]


def test_check_notes_list_columns_the_template_never_uses(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "list.csv"
    path.write_text(
        "id;company;Vorname;Nachname;Anrede;Geburtstag\nA1;Alpha GmbH;Anna;Müller;Frau;1.1.1970\n",
        encoding="utf-8",
    )
    result = run_cli("check", str(path))
    notes = [line for line in result.output.splitlines() if "not used by the template" in line]
    # The name columns feed the template's salutation_line; only the birthday is unused.
    assert len(notes) == 1 and "'Geburtstag' is not used" in notes[0], result.output
