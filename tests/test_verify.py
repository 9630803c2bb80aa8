"""`greetcard verify`: every card's code is read back and compared with its own row."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen.canvas import Canvas

from greetcard.assets import bundled_template
from greetcard.verify import printed_link_problem

from .conftest import SAMPLE, read_manifest

URL = "https://www.neujahrsgross-japan.de/?r={id}"
LANG = bundled_template("lang")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with per-recipient links, as single cards plus an imposed press file."""
    from click.testing import CliRunner

    from greetcard.cli import main

    out = tmp_path_factory.mktemp("verify") / "cards"
    result = CliRunner().invoke(
        main,
        ["render", str(SAMPLE), "--out", str(out), "--url", URL, "--batch", "press.pdf", "--quiet"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def copy_of(rendered: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "cards"
    shutil.copytree(rendered, folder)
    return folder


def _verify(run_cli: Callable[..., Any], *args: Any) -> tuple[int, dict[str, Any]]:
    result = run_cli("verify", *args, "--json")
    return result.exit_code, json.loads(result.stdout)


def _file_of(folder: Path, row_id: str) -> Path:
    return folder / next(row["file"] for row in read_manifest(folder) if row["id"] == row_id)


def test_verify_passes_on_the_sample_folder(rendered: Path, run_cli: Callable[..., Any]) -> None:
    result = run_cli("verify", rendered)
    assert result.exit_code == 0, result.output
    assert "30 of 30 cards verified (all verified)" in result.stdout


def test_verify_passes_on_the_press_file(rendered: Path, run_cli: Callable[..., Any]) -> None:
    code, report = _verify(run_cli, rendered / "press.pdf")
    assert code == 0, report
    assert (report["cards"], report["verified"], report["codes_read"]) == (30, 30, 30)


def test_verify_passes_on_imposed_sheets_of_both_templates(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    for template in (None, LANG):
        out = tmp_path / ("lang" if template else "nengajo")
        options = ["--template", template] if template else []
        rows = SAMPLE.read_text(encoding="utf-8-sig").splitlines()[:14]  # 13 cards: two sheets
        listed = tmp_path / "list.csv"
        listed.write_text("\n".join(rows) + "\n", encoding="utf-8")
        rendered = run_cli("render", listed, "--out", out, "--url", URL, "--impose", "SRA3", "-q", *options)
        assert rendered.exit_code == 0, rendered.output
        code, report = _verify(run_cli, out / "press-SRA3.pdf", *options)
        assert code == 0, report
        assert report["verified"] == 13


def test_verify_fails_naming_both_cards_when_two_cards_are_swapped(
    copy_of: Path, run_cli: Callable[..., Any]
) -> None:
    first, second = _file_of(copy_of, "JP003"), _file_of(copy_of, "JP007")
    first_bytes = first.read_bytes()
    first.write_bytes(second.read_bytes())
    second.write_bytes(first_bytes)
    code, report = _verify(run_cli, copy_of)
    assert code == 1
    assert report["verified"] == 28
    failed = {
        failure["id"]: failure for failure in report["failures"] if "QR code opens" in failure["message"]
    }
    assert set(failed) == {"JP003", "JP007"}
    assert "opens https://www.neujahrsgross-japan.de/?r=JP007" in failed["JP003"]["message"]
    assert "that is the link of JP007" in failed["JP003"]["message"]
    assert failed["JP003"]["file"] == first.name and failed["JP003"]["line"] == 4


def test_verify_fails_when_press_pages_are_out_of_order(
    rendered: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    reader = PdfReader(rendered / "press.pdf")
    writer = PdfWriter()
    order = list(range(len(reader.pages)))
    order[4], order[5] = order[5], order[4]
    for index in order:
        writer.add_page(reader.pages[index])
    folder = tmp_path / "press"
    folder.mkdir()
    shutil.copy(rendered / "manifest.csv", folder)
    writer.write(folder / "press.pdf")
    code, report = _verify(run_cli, folder / "press.pdf")
    assert code == 1
    assert {failure["id"] for failure in report["failures"]} == {"JP005", "JP006"}


def _cover(pdf: Path, rect_mm: tuple[float, float, float, float], bleed_mm: float = 3.0) -> None:
    """Paint a white rectangle (x, y from the trim's top-left, width, height) over the first page."""
    writer = PdfWriter(clone_from=pdf)
    page = writer.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height))
    canvas.setFillColorRGB(1, 1, 1)
    mm = 72 / 25.4
    x, y, w, h = rect_mm
    canvas.rect((x + bleed_mm) * mm, height - (y + bleed_mm + h) * mm, w * mm, h * mm, stroke=0, fill=1)
    canvas.save()
    page.merge_page(PdfReader(buffer).pages[0])
    writer.write(pdf)


def test_verify_fails_naming_the_card_whose_code_is_damaged(
    copy_of: Path, run_cli: Callable[..., Any]
) -> None:
    damaged = _file_of(copy_of, "JP012")
    # The QR box is 30 mm at (35, 89); a band through the middle of the code is more than any level repairs.
    _cover(damaged, (38, 100, 24, 8))
    code, report = _verify(run_cli, copy_of)
    assert code == 1
    assert [(f["id"], f["file"]) for f in report["failures"]] == [("JP012", damaged.name)]
    assert "no readable QR code" in report["failures"][0]["message"]


def test_verify_fails_when_a_form_painted_after_the_plate_covers_the_code(
    copy_of: Path, run_cli: Callable[..., Any]
) -> None:
    """verify reads pages with their forms emptied; a form drawn over the code must still count."""
    damaged = _file_of(copy_of, "JP013")
    writer = PdfWriter(clone_from=damaged)
    page = writer.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height))
    canvas.beginForm("sticker")
    canvas.setFillColorRGB(1, 1, 1)
    mm = 72 / 25.4
    canvas.rect((38 + 3) * mm, height - (100 + 3 + 8) * mm, 24 * mm, 8 * mm, stroke=0, fill=1)
    canvas.endForm()
    canvas.doForm("sticker")
    canvas.save()
    page.merge_page(PdfReader(buffer).pages[0])
    writer.write(damaged)
    code, report = _verify(run_cli, copy_of)
    assert code == 1
    assert [(f["id"], f["file"]) for f in report["failures"]] == [("JP013", damaged.name)]
    assert "no readable QR code" in report["failures"][0]["message"]


def test_artwork_forms_are_emptied_in_place_for_reading(rendered: Path) -> None:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    from greetcard.verify import without_forms

    original = (rendered / "press.pdf").read_bytes()
    bare = without_forms(original)
    assert bare is not None and len(bare) == len(original)
    seen = []
    for data in (original, bare):
        document = pdfium.PdfDocument(data)
        try:
            (artwork,) = [
                o for o in document[0].get_objects(max_depth=0) if o.type == pdfium_c.FPDF_PAGEOBJ_FORM
            ]
            seen.append((pdfium_c.FPDFFormObj_CountObjects(artwork.raw), artwork.get_bounds()))
        finally:
            document.close()
    (drawn, drawn_bounds), (emptied, emptied_bounds) = seen
    assert drawn > 1 and emptied == 1  # the artwork's objects, then only the box that keeps its bounds
    assert emptied_bounds == pytest.approx(drawn_bounds, abs=40)  # the box holds the artwork
    assert without_forms(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n") is None


def test_verify_fails_when_a_printed_link_differs_from_the_code(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    template = tmp_path / "design"
    assert run_cli("template", "new", template).exit_code == 0
    toml = template / "template.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('"{{ link_text }}"', '"{{ link_text }}0"'), "utf-8"
    )
    listed = tmp_path / "list.csv"
    listed.write_text("id;company\nA1;Alpha GmbH\n", encoding="utf-8")
    out = tmp_path / "cards"
    assert run_cli("render", listed, "--out", out, "--url", URL, "--template", template, "-q").exit_code == 0
    code, report = _verify(run_cli, out, "--template", template)
    assert code == 1
    assert [f["id"] for f in report["failures"]] == ["A1"]
    assert "the printed link reads 'www.neujahrsgross-japan.de/?r=A10'" in report["failures"][0]["message"]


def test_verify_fails_when_two_cards_share_a_link_that_should_be_distinct(
    copy_of: Path, run_cli: Callable[..., Any]
) -> None:
    # The card for JP002 was overwritten by JP001's: both now carry JP001's link.
    _file_of(copy_of, "JP002").write_bytes(_file_of(copy_of, "JP001").read_bytes())
    code, report = _verify(run_cli, copy_of)
    assert code == 1
    assert {f["id"] for f in report["failures"]} == {"JP002"}
    assert "that is the link of JP001" in report["failures"][0]["message"]


def test_verify_fails_when_the_manifest_gives_two_cards_the_same_per_recipient_link(
    copy_of: Path, run_cli: Callable[..., Any]
) -> None:
    manifest = copy_of / "manifest.csv"
    text = manifest.read_text(encoding="utf-8-sig")
    manifest.write_text(text.replace("?r=JP009,", "?r=JP008,"), encoding="utf-8-sig")
    code, report = _verify(run_cli, copy_of)
    assert code == 1
    assert {"JP008", "JP009"} <= {f["id"] for f in report["failures"]}
    assert any("shares its link" in f["message"] for f in report["failures"])


def test_verify_explains_a_missing_manifest_and_a_wrong_template(
    tmp_path: Path, rendered: Path, run_cli: Callable[..., Any]
) -> None:
    result = run_cli("verify", tmp_path)
    assert result.exit_code == 1 and "no manifest" in result.stderr
    result = run_cli("verify", rendered, "--template", LANG)
    assert result.exit_code == 1 and "--template" in result.stderr


def test_render_verify_proves_the_run(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    result = run_cli(
        "render", SAMPLE, "--out", tmp_path / "cards", "--url", URL, "--verify", "--batch", "p.pdf"
    )
    assert result.exit_code == 0, result.output
    assert "30 of 30 cards verified" in result.stderr
    assert "p.pdf: 30 of 30 cards verified" in result.stderr


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (["www.example-shop.de/?r=A-1"], None),
        (["www.example-shop.de", "/?r=A-1"], None),
        (["www.example-shop.de/", "?r=A-1"], None),
        (["www.example-", "shop.de/?r=A-1"], "broken between 'www.example-' and 'shop.de/?r=A-1'"),
        (["www.example-shop.de/?r=A-", "1"], "broken between"),
        (["www.example-shop.de/?r=A-12"], "reads"),
        (["Video: www.example-shop.de/?r=A-1"], None),
    ],
)
def test_printed_link_must_equal_the_link_and_break_only_before_slash_question_ampersand(
    lines: list[str], problem: str | None
) -> None:
    found = printed_link_problem(lines, "www.example-shop.de/?r=A-1")
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_whole_page_finds_a_second_code_outside_the_qr_area(
    copy_of: Path, run_cli: Callable[..., Any]
) -> None:
    import qrcode
    from reportlab.lib.utils import ImageReader

    card = _file_of(copy_of, "JP015")
    writer = PdfWriter(clone_from=card)
    page = writer.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height))
    stamp = qrcode.make("https://elsewhere.example/").get_image()
    canvas.drawImage(ImageReader(stamp), 20, height - 150, 90, 90)  # over the greeting, far from the QR box
    canvas.save()
    page.merge_page(PdfReader(buffer).pages[0])
    writer.write(card)
    code, report = _verify(run_cli, copy_of)
    assert code == 0, report  # the QR areas alone are fine
    code, report = _verify(run_cli, copy_of, "--whole-page")
    assert code == 1
    assert [(f["id"], f["message"]) for f in report["failures"]] == [
        ("JP015", "a second QR code outside the QR area, opening https://elsewhere.example/")
    ]


def test_verify_reads_links_that_the_manifest_guards_against_formulas(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    """A link with ``,+`` gets a formula guard inside its manifest cell; reading it back undoes it."""
    out = tmp_path / "out"
    result = run_cli("render", SAMPLE, "--out", out, "--url", "https://example.org/?r={id},+x", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert ",'+x" in (out / "manifest.csv").read_text(encoding="utf-8-sig")  # guarded for Excel
    code, report = _verify(run_cli, out)
    assert code == 0, report
