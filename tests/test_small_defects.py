"""Smaller defects found on the same pass as the list and name work, one test each."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from reportlab.pdfbase import ttfonts

from .conftest import SAMPLE as ROOT_SAMPLE
from .conftest import page_text


def test_supplementary_plane_character_copies_out_as_itself(tmp_path: Path, run_cli: Any) -> None:
    """𠮷 (U+20BB7) used to be written into ToUnicode as <20BB7>, which readers reject."""
    path = tmp_path / "list.csv"
    path.write_text("id;company;language\nY1;𠮷野家ホールディングス;ja\n", encoding="utf-8")
    result = run_cli("render", str(path), "--out", str(tmp_path / "out"), "-q")
    assert result.exit_code == 0, result.output
    pdf = next((tmp_path / "out").glob("*.pdf"))
    assert "𠮷野家ホールディングス" in page_text(pdf)  # pypdf
    document = pdfium.PdfDocument(str(pdf))
    try:
        assert "𠮷野家ホールディングス" in document[0].get_textpage().get_text_range()  # pdfium
    finally:
        document.close()
    assert ttfonts.makeToUnicodeCMap.__module__ == "reportlab.pdfbase.ttfonts"  # the hook is put back


def test_print_pdfs_carry_the_newest_input_date_not_2000(
    tmp_path: Path, run_cli: Any, monkeypatch: Any
) -> None:
    import os
    import shutil

    from pypdf import PdfReader

    from greetcard.assets import bundled_template

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    template = tmp_path / "tpl"
    shutil.copytree(bundled_template(), template)
    for file in template.rglob("*"):
        os.utime(file, (1_700_000_000, 1_700_000_000))  # 2023-11-14 22:13:20 UTC
    path = tmp_path / "list.csv"
    path.write_text("id;company\nA1;Alpha GmbH\n", encoding="utf-8")
    os.utime(path, (1_790_000_000, 1_790_000_000))  # 2026-09-21 14:13:20 UTC, the newest input
    outputs = []
    for run in ("a", "b"):
        result = run_cli("render", str(path), "--template", str(template), "--out", str(tmp_path / run), "-q")
        assert result.exit_code == 0, result.output
        outputs.append(next((tmp_path / run).glob("*.pdf")).read_bytes())
    assert outputs[0] == outputs[1]  # still reproducible
    reader = PdfReader(tmp_path / "a" / next((tmp_path / "a").glob("*.pdf")).name)
    assert reader.metadata is not None
    assert reader.metadata["/CreationDate"].startswith("D:20260921141320")
    assert b"<xmp:CreateDate>2026-09-21T14:13:20+00:00</xmp:CreateDate>" in outputs[0] or (
        b"2026-09-21T14:13:20" in outputs[0]
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000000000")  # the reproducible-builds override still wins
    result = run_cli("render", str(path), "--template", str(template), "--out", str(tmp_path / "c"), "-q")
    assert PdfReader(next((tmp_path / "c").glob("*.pdf"))).metadata["/CreationDate"].startswith("D:20010909")


def test_lang_address_stays_in_the_always_visible_part_of_the_dl_window(tmp_path: Path, run_cli: Any) -> None:
    """Form B coordinates let 6-line foreign addresses and long lines slide out of a DL window."""
    from pypdf import PdfReader

    from greetcard.batch import Inputs, prepare
    from greetcard.layout import place_lines

    path = tmp_path / "list.csv"
    path.write_text(
        "id;company;department;contact;salutation;street;postcode;city;country;language\n"
        "F1;Yamato Logistics Europe Vertriebsgesellschaft mbH;Abteilung Internationale Zusammenarbeit;"
        "Dr. Anna Müller-Lüdenscheidt;Frau;Königsallee 106, Eingang B, 3. Obergeschoss;40215;"
        "Düsseldorf-Stadtmitte;Schweiz;de\n"
        "F2;Yamato Logistics Europe Vertriebsgesellschaft für Groß- und Einzelhandel mbH & Co. KG;"
        "Abteilung für internationale Zusammenarbeit;Dr. Anna Müller-Lüdenscheidt;Frau;"
        "Königsallee 106, Eingang B, 3. Obergeschoss;40215;Düsseldorf-Stadtmitte;Schweiz;de\n",
        encoding="utf-8",
    )
    from greetcard.assets import bundled_template

    prepared = prepare(Inputs(recipients=path, template=bundled_template("lang")))
    assert prepared.cards, [str(p) for p in prepared.problems]
    address = next(f for f in prepared.cards[0].pages[1].fields if f.field.name == "address")
    assert len(address.lines) == 6
    for placed in place_lines(address):
        assert placed.x_mm >= 21.5 - 0.01 and placed.x_mm + placed.width_mm <= 98.5 + 0.01
        assert placed.top_mm >= 51.5 - 0.01 and placed.bottom_mm <= 82.5 + 0.01
    # A row whose address cannot fit there is an error of its own line; the other row renders.
    assert [p.location.line for p in prepared.problems] == [3]
    assert "field 'address'" in prepared.problems[0].message
    result = run_cli("render", str(path), "--template", "lang", "--out", str(tmp_path / "out"), "-q")
    assert result.exit_code == 1, result.output
    pdf = next((tmp_path / "out").glob("F1*.pdf"))
    assert "Schweiz" in PdfReader(pdf).pages[1].extract_text()


def test_form_b_address_on_a_din_lang_card_is_a_check_error_per_row(tmp_path: Path, run_cli: Any) -> None:
    import shutil

    from greetcard.assets import bundled_template

    template = tmp_path / "tpl"
    shutil.copytree(bundled_template("lang"), template)
    toml = template / "template.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('din5008 = "DL"', 'din5008 = "B"'), encoding="utf-8"
    )
    path = tmp_path / "list.csv"
    path.write_text(
        "id;company;street;postcode;city;country\nA1;Alpha GmbH;Ring 1;50667;Köln;Frankreich\n",
        encoding="utf-8",
    )
    result = run_cli("check", str(path), "--template", str(template))
    assert result.exit_code == 1
    assert "list.csv:2" in result.output and "DL window" in result.output


def test_proof_labels_use_fallback_fonts_and_never_overlap(tmp_path: Path, run_cli: Any) -> None:
    """Labels were cut by counting characters (Japanese ran into the next label) in one font (□ for Ł)."""
    from pypdf import PdfReader

    names = [
        "ミナト・インターナショナル・ホールディングス株式会社ヨーロッパ統括本部デュッセルドルフ支店",
        "Przedsiębiorstwo Łódź Logistyka Międzynarodowa Spółka z ograniczoną odpowiedzialnością",
        "株式会社ヨーロッパ・ジャパン・トレーディング・パートナーズ欧州事業本部第一営業部",
        "Nippon Süßwaren Vertriebsgesellschaft für Groß- und Einzelhandel in Deutschland mbH",
    ]
    path = tmp_path / "list.csv"
    rows = [f"P{i};{name};;;;\n" for i, name in enumerate(names)]
    rows.append("P4;Shinkansen Rail Systems Europe Holdings B.V. & Co. KG International;;;;en\n")
    rows.append("P5;株式会社髙橋製作所デュッセルドルフ支店;欧州事業部;部長;髙橋 一郎;ja\n")
    path.write_text("id;company;department;title;contact;language\n" + "".join(rows), encoding="utf-8")
    proof = tmp_path / "proof.pdf"
    result = run_cli("proof", str(path), "-o", str(proof))
    assert result.exit_code == 0, result.output
    page_fonts = PdfReader(proof).pages[0]["/Resources"]["/Font"]
    base_fonts = {str(font.get_object()["/BaseFont"]) for font in page_fonts.values()}
    assert any("BIZUDPMincho" in name for name in base_fonts), base_fonts  # Ł, ę, ł come from the fallback
    document = pdfium.PdfDocument(str(proof))
    try:
        text_page = document[0].get_textpage()
        label_spans = []
        for index in range(len(rows)):
            searcher = text_page.search(f"P{index} · ")
            found = searcher.get_next()
            if found is None:
                continue  # not among the worst cases
            start, _ = found
            left, bottom, _, _ = text_page.get_charbox(start)
            right, position = left, start
            while position < text_page.count_chars():
                char = text_page.get_text_range(position, 1)
                if char in "\r\n":
                    break
                right = max(right, text_page.get_charbox(position)[2])
                position += 1
            label_spans.append((round(bottom), left, right))
    finally:
        document.close()
    assert len(label_spans) >= 3
    for row in {span[0] for span in label_spans}:
        spans = sorted((left, right) for bottom, left, right in label_spans if bottom == row)
        for (_, right), (next_left, _) in itertools.pairwise(spans):
            assert right < next_left, f"labels overlap: {spans}"


def _template_with(tmp_path: Path, old: str, new: str) -> Path:
    import shutil

    from greetcard.assets import bundled_template

    template = tmp_path / "tpl"
    shutil.copytree(bundled_template(), template)
    toml = template / "template.toml"
    text = toml.read_text(encoding="utf-8")
    assert old in text
    toml.write_text(text.replace(old, new, 1), encoding="utf-8")
    return template


def test_text_box_on_the_qr_plate_is_a_warning(tmp_path: Path, run_cli: Any) -> None:
    # The link line moved up by 1 mm reaches into the plate's quiet zone (QR box ends at 119 mm).
    template = _template_with(tmp_path, "box_mm = [22, 119.5, 56, 5]", "box_mm = [22, 118, 56, 5]")
    result = run_cli("check", str(ROOT_SAMPLE), "--template", str(template))
    assert "field 'link' box overlaps the QR code's white plate" in result.output
    assert result.exit_code == 0  # a warning


def test_text_box_covering_the_qr_code_is_an_error(tmp_path: Path, run_cli: Any) -> None:
    template = _template_with(tmp_path, "box_mm = [8, 62, 84, 25]", "box_mm = [8, 62, 84, 40]")
    result = run_cli("check", str(ROOT_SAMPLE), "--template", str(template))
    assert "field 'message' box covers the QR code" in result.output
    assert result.exit_code == 1


def test_text_boxes_overlapping_each_other_are_a_warning(tmp_path: Path, run_cli: Any) -> None:
    template = _template_with(tmp_path, "box_mm = [8, 41, 84, 19]", "box_mm = [8, 35, 84, 25]")
    result = run_cli("check", str(ROOT_SAMPLE), "--template", str(template))
    assert "field 'greeting' box overlaps field 'recipient'" in result.output


def _fonts_missing_from_forms(pdf: Path) -> list[str]:
    """Every form XObject's font selections (Tf) that its own resources do not hold."""
    import re

    from pypdf import PdfReader

    missing: list[str] = []

    def walk(resources: Any, where: str) -> None:
        xobjects = resources.get("/XObject") if resources is not None else None
        for name, xobject in xobjects.get_object().items() if xobjects is not None else []:
            form = xobject.get_object()
            if form.get("/Subtype") != "/Form":
                continue
            own = form.get("/Resources")
            own = own.get_object() if own is not None else {}
            fonts = set(own["/Font"].get_object().keys()) if "/Font" in own else set()
            selected = {
                "/" + m.decode() for m in re.findall(rb"/([^\s/\[\]()<>{}%]+)\s+[\d.]+\s+Tf", form.get_data())
            }
            missing.extend(f"{where}{name}: {font}" for font in sorted(selected - fonts))
            walk(own, f"{where}{name}")

    for number, page in enumerate(PdfReader(pdf).pages, start=1):
        walk(page["/Resources"].get_object(), f"page {number} ")
    return missing


def test_lang_artwork_forms_reference_no_missing_font(tmp_path: Path, run_cli: Any) -> None:
    """The SVG and PNG forms kept reportlab's 'BT /F1 12 Tf … ET' without /F1; poppler warned per card."""
    path = tmp_path / "list.csv"
    path.write_text("id;company\nA1;Alpha GmbH\n", encoding="utf-8")
    result = run_cli("render", str(path), "--template", "lang", "--out", str(tmp_path / "out"), "-q")
    assert result.exit_code == 0, result.output
    assert _fonts_missing_from_forms(next((tmp_path / "out").glob("*.pdf"))) == []


def test_alt_enter_address_cell_renders_with_its_line_break(tmp_path: Path, run_cli: Any) -> None:
    """Excel's Alt+Enter in a quoted address cell with a ';' used to refuse the row ('a quote is missing')."""
    from pypdf import PdfReader

    path = tmp_path / "list.csv"
    cell = '"c/o Japan Desk; Wirtschaftsförderung\r\nBurgplatz 1"'
    path.write_bytes(
        f"id;company;street;postcode;city\r\nA1;Japan Desk GmbH;{cell};40213;Düsseldorf\r\n".encode()
    )
    result = run_cli("render", str(path), "--template", "lang", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    lines = PdfReader(next((tmp_path / "out").glob("*.pdf"))).pages[1].extract_text().splitlines()
    assert "c/o Japan Desk; Wirtschaftsförderung" in lines and "Burgplatz 1" in lines
