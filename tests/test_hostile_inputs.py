"""Regression tests, each named after a real-world or hostile input that once went wrong."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PIL import Image

from greetcard.assets import assets_folder, bundled_template
from greetcard.errors import RecipientsError, TemplateError
from greetcard.recipients import read_recipients
from greetcard.template import load_template

from .conftest import SAMPLE, decode_qr_codes, edit, read_manifest, write_csv
from .pdfcheck import colour_use, reader_for

MM = 72 / 25.4


# --- lists --------------------------------------------------------------------------------


def test_cp1252_umlauts_between_latin_letters_are_not_read_as_kanji(tmp_path: Path) -> None:
    path = tmp_path / "de.csv"
    path.write_bytes(
        "id;company;contact\n1;Bäckerei Schäfer GmbH;Käthe Mäder\n2;Käserei Bähr KG;\n".encode("cp1252")
    )
    result = read_recipients(path)
    assert result.encoding == "cp1252"
    assert [r.company for r in result.recipients] == ["Bäckerei Schäfer GmbH", "Käserei Bähr KG"]
    assert [r.language for r in result.recipients] == ["de", "de"]


def test_mac_roman_list_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes("id;company\n1;Müller Straße GmbH\n2;Köln Bär AG\n".encode("mac_roman"))
    assert [r.company for r in read_recipients(path).recipients] == ["Müller Straße GmbH", "Köln Bär AG"]


def test_utf16_without_bom_and_excel_sep_line(tmp_path: Path) -> None:
    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes("id;company\r\n1;Alpha GmbH\r\n".encode("utf-16-le"))
    assert read_recipients(utf16).recipients[0].company == "Alpha GmbH"
    sep = tmp_path / "sep.csv"
    sep.write_text("sep=;\nid;company\n1;Beta, Gamma & Co\n", encoding="utf-8")
    result = read_recipients(sep)
    assert result.recipients[0].company == "Beta, Gamma & Co" and result.recipients[0].line == 3


def test_xlsx_saved_as_csv_says_what_it_is(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["company"])
    workbook.save(tmp_path / "list.csv")
    with pytest.raises(RecipientsError, match=r"an Excel workbook, not CSV text — rename it to \.xlsx"):
        read_recipients(tmp_path / "list.csv")


def test_xlsx_with_a_wrong_stored_dimension_keeps_every_row(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    for row in (["id", "company"], [1, "Alpha GmbH"], [2, "Beta AG"], [3, "Gamma KK"]):
        workbook.active.append(row)
    source = tmp_path / "source.xlsx"
    workbook.save(source)
    target = tmp_path / "list.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:B4"/>', b'<dimension ref="A1:B2"/>')
            new.writestr(item, data)
    assert [r.company for r in read_recipients(target).recipients] == ["Alpha GmbH", "Beta AG", "Gamma KK"]


def test_damaged_xlsx_is_a_clear_error(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["company"])
    workbook.save(tmp_path / "ok.xlsx")
    with zipfile.ZipFile(tmp_path / "ok.xlsx") as old, zipfile.ZipFile(tmp_path / "bad.xlsx", "w") as new:
        for item in old.infolist():
            data = old.read(item)
            new.writestr(
                item, data[: len(data) // 2] if item.filename == "xl/worksheets/sheet1.xml" else data
            )
    with pytest.raises(RecipientsError, match=r"bad\.xlsx: the workbook is damaged"):
        read_recipients(tmp_path / "bad.xlsx")


def test_xlsx_zero_padded_postcodes_keep_their_zeros(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["company", "postcode"])
    sheet.append(["Dresden GmbH", 1067])
    sheet["B2"].number_format = "00000"
    workbook.save(tmp_path / "list.xlsx")
    assert read_recipients(tmp_path / "list.xlsx").recipients[0].values["postcode"] == "01067"


def test_a_stray_quote_that_swallows_rows_is_refused_not_printed(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('id;company;city\n1;"Alpha GmbH;Köln\n2;Beta AG";Bonn\n3;Gamma;Essen\n', encoding="utf-8")
    result = read_recipients(path)
    assert [r.company for r in result.recipients] == ["Gamma"]
    assert "quote is probably missing" in str(result.problems[0]) and "quote.csv:2:2" in str(
        result.problems[0]
    )


def test_unclosed_quote_is_reported_where_the_field_starts(tmp_path: Path) -> None:
    path = tmp_path / "open.csv"
    path.write_text('company;id\nAlpha;1\n"Broken GmbH;2\nGamma;3\nDelta;4\n', encoding="utf-8")
    with pytest.raises(RecipientsError, match=r"open.csv:3: cannot read this as CSV"):
        read_recipients(path)


def test_a_very_long_field_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "long.csv", [["1", "Alpha GmbH", "x" * 200_000, "", "de"]])
    assert len(read_recipients(path).recipients[0].values["contact"]) == 200_000


def test_header_only_list_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "empty.csv", [])
    with pytest.raises(RecipientsError, match="the list has a header but no rows"):
        read_recipients(path)


def test_data_under_a_blank_header_is_not_dropped_silently(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("id;company;;contact\n1;Alpha GmbH;secret;Eva\n2;Beta AG;;Max\n", encoding="utf-8")
    result = read_recipients(path)
    assert [r.id for r in result.recipients] == ["2"]
    assert "blank.csv:2:3: column 3 has no name in the header but holds 'secret'" in str(result.problems[0])


# --- links and QR -------------------------------------------------------------------------


def test_query_right_after_the_host_is_accepted(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    path = write_csv(tmp_path / "l.csv", [["7", "Alpha GmbH", "", "", "de"]])
    result = run_cli("render", path, "--out", tmp_path / "out", "-q", "--url", "https://example.org?r={id}")
    assert result.exit_code == 0, result.stderr
    assert read_manifest(tmp_path / "out")[0]["link"] == "https://example.org?r=7"


def test_a_link_too_long_for_any_qr_code_refuses_only_its_row(
    tmp_path: Path, run_cli: Callable[..., Any], template_copy: Path
) -> None:
    edit(template_copy, 'text = "{{ link_text }}"', 'text = "Video"')
    path = write_csv(
        tmp_path / "l.csv", [["ü" * 1500, "Alpha GmbH", "", "", "de"], ["2", "Beta AG", "", "", "de"]]
    )
    result = run_cli(
        "render",
        path,
        "--template",
        template_copy,
        "--out",
        tmp_path / "out",
        "-q",
        "--url",
        "https://example.org/?r={id}",
    )
    assert result.exit_code == 1
    assert "more than a QR code at level M holds — use a shorter link" in result.stderr
    assert [e["status"] for e in read_manifest(tmp_path / "out")] == ["refused", "written"]


def test_malformed_url_is_a_clear_error(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    result = run_cli("render", SAMPLE, "--out", tmp_path / "out", "--url", "https://[::1/")
    assert result.exit_code == 2 and "is not a valid address" in result.stderr


def test_a_fixed_link_that_cannot_fit_the_box_is_a_template_error(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    result = run_cli("render", SAMPLE, "--out", tmp_path / "out", "--url", "https://example.org/" + "x" * 300)
    assert result.exit_code == 3 and "QR code: the link (320 characters) needs QR version" in result.stderr
    assert not (tmp_path / "out").exists()


# --- templates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("width_mm = 100", "width_mm = nan", "card.width_mm: must be a number, got nan"),
        ("box_mm = [35, 89, 30]", "box_mm = [nan, 89, 30]", "must be a list of 3 numbers"),
        ("box_mm = [35, 89, 30]", "box_mm = [35, 89, -30]", "QR code is too small to scan"),
        (
            "box_mm = [35, 89, 30]",
            "box_mm = [35, 89, 30]\nquiet_zone_modules = 4.9",
            "must be a whole number",
        ),
        ("color = [0, 90, 85, 0]", "color = [0, 0.9, 0.85, 0]", "did you mean [0, 90, 85, 0]?"),
        (
            'text = "{{ link_text }}"',
            'text = "{{ company / 2 }}"',
            "field 'link' cannot be filled (TypeError",
        ),
        ('text = "{{ link_text }}"', 'text = "{{ company.__class__ }}"', "field 'link' cannot be filled"),
    ],
)
def test_template_values_that_once_slipped_through(
    tmp_path: Path, run_cli: Callable[..., Any], template_copy: Path, old: str, new: str, message: str
) -> None:
    edit(template_copy, old, new)
    result = run_cli("render", SAMPLE, "--template", template_copy, "--out", tmp_path / "out")
    assert result.exit_code == (1 if "cannot be filled" in message else 3)  # rows refused / nothing written
    assert message in result.stderr and "Traceback" not in result.stderr


def test_template_file_that_is_not_utf8_or_not_a_template(template_copy: Path) -> None:
    file = template_copy / "template.toml"
    file.write_bytes(b"# Vorlage f\xfcr Karten (cp1252)\n" + file.read_bytes())
    with pytest.raises(TemplateError, match="is not UTF-8 — save the template file as UTF-8"):
        load_template(template_copy)
    with pytest.raises(TemplateError, match="not a template file — pass the template folder"):
        load_template(template_copy / "artwork.pdf")


def test_damaged_and_cff_fonts_are_refused_clearly(template_copy: Path) -> None:
    source = (assets_folder() / "fonts" / "NotoSansJP-Regular.ttf").read_bytes()
    (template_copy / "Broken.ttf").write_bytes(source[:300_000])
    (template_copy / "Cff.otf").write_bytes(b"OTTO" + source[4:2000])
    edit(template_copy, 'file = "NotoSansJP-Bold.ttf"', 'file = "Cff.otf"')
    # CFF fonts are converted to TrueType now; a damaged one is refused at the template line.
    with pytest.raises(
        TemplateError, match=r"template\.toml:\d+: fonts\.sans-bold\.file: Cff\.otf: not a usable font"
    ):
        load_template(template_copy)
    edit(template_copy, 'file = "Cff.otf"', 'file = "Broken.ttf"')
    from greetcard.cards import CardBuilder

    with pytest.raises(TemplateError, match=r"Broken\.ttf: cannot use this font"):
        CardBuilder(load_template(template_copy), read_recipients(SAMPLE))


def test_svg_with_text_or_broken_xml_is_refused(template_copy: Path, tmp_path: Path) -> None:
    from greetcard.artwork import prepare_artwork

    with_text = tmp_path / "text.svg"
    with_text.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="106mm" height="154mm" '
        'viewBox="0 0 106 154"><text x="5" y="5">Hi</text></svg>',
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match="the SVG contains text"):
        prepare_artwork(with_text, (100, 148), 3)
    broken = tmp_path / "broken.svg"
    broken.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="106mm"><rect', encoding="utf-8")
    with pytest.raises(TemplateError, match=r"broken\.svg:1:.*not well-formed XML"):
        prepare_artwork(broken, (100, 148), 3)


def test_jpeg_rotated_by_exif_is_placed_upright(tmp_path: Path) -> None:
    from greetcard.artwork import prepare_artwork

    image = Image.new("RGB", (1819, 1252), (200, 30, 30))  # stored sideways, EXIF says: rotate
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "photo.jpg"
    image.save(path, exif=exif, dpi=(300, 300))
    artwork = prepare_artwork(path, (100, 148), 3)
    assert artwork.raster_dpi == pytest.approx(300, abs=1)


def test_template_new_copies_own_fonts_and_folders(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    source = tmp_path / "mine"
    shutil.copytree(bundled_template(), source)
    (source / "fonts").mkdir()
    shutil.copy(assets_folder() / "fonts" / "NotoSansJP-Bold.ttf", source / "fonts" / "My-Bold.ttf")
    edit(source, 'file = "NotoSansJP-Bold.ttf"', 'file = "My-Bold.ttf"')
    result = run_cli("template", "new", tmp_path / "copy", "--from", source)
    assert result.exit_code == 0, result.stderr
    assert (
        load_template(tmp_path / "copy").fonts["sans-bold"].path
        == (tmp_path / "copy/fonts/My-Bold.ttf").resolve()
    )


# --- output -------------------------------------------------------------------------------


def test_crop_marks_lie_inside_the_page(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    for bleed in ("3", "10"):
        out = tmp_path / f"b{bleed}"
        assert run_cli("render", SAMPLE, "--out", out, "-q", "--marks", "--bleed", bleed).exit_code == 0
        pdf = out / read_manifest(out)[0]["file"]
        media = [float(v) for v in reader_for(pdf).pages[0].mediabox]
        strokes = colour_use(pdf).strokes
        assert len(strokes) == 8
        for point in (p for stroke in strokes for p in stroke):
            assert media[0] < point[0] < media[2] and media[1] < point[1] < media[3]


def test_a_symlink_in_the_output_folder_is_left_alone_never_followed(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    path = write_csv(tmp_path / "l.csv", [["1", "Alpha", "", "", "de"], ["2", "Beta", "", "", "de"]])
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(b"keep me")
    (out / "2-Beta.pdf").symlink_to(outside)
    result = run_cli("render", path, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert outside.read_bytes() == b"keep me" and (out / "2-Beta.pdf").is_symlink()
    assert "2-Beta-2.pdf: 2-Beta.pdf in the folder was not written by greetcard" in result.stderr
    assert decode_qr_codes(out / "2-Beta-2.pdf")


def test_cards_of_the_previous_run_are_cleared(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "out"
    first = write_csv(tmp_path / "a.csv", [["1", "Alpha", "", "", "de"], ["2", "Gone GmbH", "", "", "de"]])
    assert run_cli("render", first, "--out", out, "-q").exit_code == 0
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    second = write_csv(tmp_path / "b.csv", [["1", "Alpha", "", "", "de"]])
    assert run_cli("render", second, "--out", out, "-q").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        ".greetcard-lock",
        ".greetcard-written",
        "1-Alpha.pdf",
        "manifest.csv",
        "notes.txt",
    ]


@pytest.mark.parametrize("command", [["preview", "-o"], ["proof", "-o"]])
def test_output_paths_that_cannot_be_written_are_clear_errors(
    tmp_path: Path, run_cli: Callable[..., Any], command: list[str]
) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x", encoding="utf-8")
    suffix = ".png" if command[0] == "preview" else ".pdf"
    result = run_cli(command[0], SAMPLE, command[1], blocker / f"x{suffix}")
    assert result.exit_code == 1 and "is a file, not a folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_manifest_path_taken_by_a_folder_is_a_clear_error(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    (tmp_path / "out" / "manifest.csv").mkdir(parents=True)
    result = run_cli("render", SAMPLE, "--out", tmp_path / "out")
    assert result.exit_code == 3 and "manifest.csv: is not a file" in result.stderr


def test_preview_without_a_row_takes_the_first_good_card(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    path = write_csv(tmp_path / "l.csv", [["1", "", "", "", "de"], ["2", "Beta AG", "", "", "de"]])
    result = run_cli("preview", path, "-o", tmp_path / "p.png")
    assert result.exit_code == 0 and "2 · Beta AG" in result.stderr


def test_old_press_file_and_formula_like_names_are_cleared_too(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    out = tmp_path / "out"
    first = write_csv(tmp_path / "a.csv", [["+49A", "Plus GmbH", "", "", "de"], ["2", "Beta", "", "", "de"]])
    assert run_cli("render", first, "--out", out, "-q", "--batch", "press.pdf").exit_code == 0
    assert (out / "_+49A-Plus GmbH.pdf").exists() and (out / "press.pdf").exists()
    second = write_csv(tmp_path / "b.csv", [["2", "Beta", "", "", "de"]])
    assert run_cli("render", second, "--out", out, "-q").exit_code == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "2-Beta.pdf",
        "manifest.csv",
    ]


# --- the third round: links, names, folders ------------------------------------------------


def test_international_and_escaped_links_become_plain_ascii_in_the_qr_code() -> None:
    from greetcard.errors import LinkError
    from greetcard.qr import LinkPattern, check_link

    assert check_link("https://bücher.de/日本?q=日本") == (
        "https://xn--bcher-kva.de/%E6%97%A5%E6%9C%AC?q=%E6%97%A5%E6%9C%AC"
    )
    assert LinkPattern.parse("https://x.de/?r={{id}}").fill({}) == "https://x.de/?r={id}"
    with pytest.raises(LinkError, match="must not hold"):
        check_link("https://x.de\\@evil.example/?r=1")


def test_file_names_never_start_like_a_formula_so_the_manifest_names_the_real_file(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    path = write_csv(tmp_path / "f.csv", [["=1+1", "G", "", "", "de"], ["@x", "H", "", "", "de"]])
    out = tmp_path / "out"
    assert run_cli("render", path, "--out", out, "-q").exit_code == 0
    for entry in read_manifest(out):
        assert (out / entry["file"]).is_file() and entry["file"].startswith("_")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["render", "--batch", ""], "give a file name"),
        (["render", "--bleed", "nan"], "bleed must be a number from 0 to 20 mm"),
        (["render", "--delimiter", '"'], "give one character"),
        (["proof", "-o", "proof.txt"], "this writes a .pdf file"),
        (["preview", "-o", "card.pdf"], "this writes a .png file"),
    ],
)
def test_option_mistakes_are_explained(
    tmp_path: Path, run_cli: Callable[..., Any], args: list[str], message: str
) -> None:
    if args[-1] in ("proof.txt", "card.pdf"):
        args = [*args[:-1], str(tmp_path / args[-1])]
    result = run_cli(
        args[0], SAMPLE, *args[1:], *(["--out", tmp_path / "out"] if args[0] == "render" else [])
    )
    assert result.exit_code in (1, 2, 3) and message in result.stderr and "Traceback" not in result.stderr


def test_a_card_too_large_for_the_press_sheet_fails_before_any_card_is_written(
    tmp_path: Path, run_cli: Callable[..., Any], template_copy: Path
) -> None:
    edit(template_copy, 'artwork = "artwork.pdf"\n', "")
    edit(template_copy, "width_mm = 100", "width_mm = 300")
    result = run_cli(
        "render", SAMPLE, "--template", template_copy, "--out", tmp_path / "out", "--impose", "A4"
    )
    assert result.exit_code == 3 and "does not fit on A4" in result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.pdf"))


def test_a_second_run_into_a_busy_folder_is_refused(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    from greetcard.folder import folder_lock

    out = tmp_path / "out"
    with folder_lock(out):
        result = run_cli("render", SAMPLE, "--out", out)
    assert result.exit_code == 3 and "another greetcard run is writing into this folder" in result.stderr


def test_an_interrupted_run_leaves_a_consistent_folder_and_the_next_run_finishes(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from greetcard import batch

    out = tmp_path / "out"
    assert run_cli("render", SAMPLE, "--out", out, "-q").exit_code == 0
    original = batch._draw_to_temporary
    drawn: list[str] = []

    def interrupted(renderer: Any, folder: Path, card: Any, keep_symbols: bool) -> Any:
        if len(drawn) == 3:
            raise KeyboardInterrupt
        drawn.append(card.recipient.id)
        return original(renderer, folder, card, keep_symbols)

    monkeypatch.setattr(batch, "_draw_to_temporary", interrupted)
    other = write_csv(tmp_path / "o.csv", [[str(i), f"Neu {i} GmbH", "", "", "de"] for i in range(5)])
    result = run_cli("render", other, "--out", out, "-q", "--jobs", "1")
    assert result.exit_code == 130 and "Interrupted:" in result.stderr and "Traceback" not in result.stderr
    listed = {entry["file"] for entry in read_manifest(out) if entry["file"]}
    assert listed == {p.name for p in out.glob("*.pdf")}  # the manifest lists exactly what is there
    assert not list(out.glob(".greetcard-partial-*"))
    monkeypatch.setattr(batch, "_draw_to_temporary", original)
    small = write_csv(tmp_path / "s.csv", [["9", "Letzte GmbH", "", "", "de"]])
    assert run_cli("render", small, "--out", out, "-q").exit_code == 0
    assert sorted(p.name for p in out.glob("*.pdf")) == ["9-Letzte GmbH.pdf"]
    assert [entry["file"] for entry in read_manifest(out)] == ["9-Letzte GmbH.pdf"]


def test_check_shows_bidi_and_control_characters_as_escapes(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    path = write_csv(tmp_path / "b.csv", [["evil\u202eid", "", "", "", "de"]])
    result = run_cli("check", path)
    assert result.exit_code == 1 and "\u202e" not in result.stdout and "\\u202e" in result.stdout


def test_companies_of_invisible_characters_only_are_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [["1", "\u0301\u0302", "", "", "de"], ["2", ":", "", "", "de"]])
    result = read_recipients(path)
    assert [r.id for r in result.recipients] == ["2"]
    assert "company has no visible characters" in str(result.problems[0])


def test_utf8_bom_before_cp932_text_with_explicit_encoding(tmp_path: Path) -> None:
    path = tmp_path / "bom932.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "id,company\n1,株式会社ボム\n".encode("cp932"))
    assert read_recipients(path, encoding="cp932").recipients[0].company == "株式会社ボム"


def test_xlsx_whose_first_sheet_is_a_chart_is_a_clear_error_or_reads_the_data(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["company"])
    workbook.active.append(["Alpha GmbH"])
    workbook.create_chartsheet("chart", 0)
    workbook.save(tmp_path / "chart.xlsx")
    try:
        result = read_recipients(tmp_path / "chart.xlsx")
    except RecipientsError as err:
        assert "chart.xlsx" in str(err)
    else:
        assert [r.company for r in result.recipients] == ["Alpha GmbH"]


def test_svg_linking_an_external_image_is_refused(tmp_path: Path) -> None:
    from greetcard.artwork import prepare_artwork

    svg = tmp_path / "linked.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="106mm" height="154mm" viewBox="0 0 106 154">'
        '<image xlink:href="/tmp/photo.png" width="106" height="154"/></svg>',
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match="links an external image"):
        prepare_artwork(svg, (100, 148), 3)
