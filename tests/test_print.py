"""Print production: profiles, boxes, 100 % K, PDF/X-4, crop marks, the press file."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from greetcard.assets import assets_folder, bundled_templates
from greetcard.fonts import load_font

from .conftest import SAMPLE, decode_qr_codes, read_manifest, write_csv
from .pdfcheck import colour_use, contains, fonts_of, pdfx4_problems, reader_for

MM = 72 / 25.4
TEMPLATES = bundled_templates()


@pytest.fixture(scope="module", params=[t.name for t in TEMPLATES])
def template(request: pytest.FixtureRequest) -> Path:
    return next(t for t in TEMPLATES if t.name == request.param)


def render(run_cli: Callable[..., Any], out: Path, *args: Any, recipients: Path = SAMPLE) -> Path:
    result = run_cli("render", recipients, "--out", out, "--quiet", *args)
    assert result.exit_code == 0, result.stderr
    return out


def first_pdf(folder: Path) -> Path:
    return folder / read_manifest(folder)[0]["file"]


@pytest.mark.parametrize(
    ("profile", "bleed_mm", "marks"),
    [("print", 3.0, False), ("print-marks", 3.0, True), ("screen", 0.0, False)],
)
def test_profiles_set_boxes_and_marks(
    tmp_path: Path, run_cli: Callable[..., Any], template: Path, profile: str, bleed_mm: float, marks: bool
) -> None:
    out = render(run_cli, tmp_path / "out", "--profile", profile, "--template", template)
    for page in reader_for(first_pdf(out)).pages:
        media = [float(v) for v in page.mediabox]
        trim = [float(v) for v in page["/TrimBox"]]
        bleed = [float(v) for v in page["/BleedBox"]]
        assert contains(media, bleed) and contains(bleed, trim)
        assert trim[0] - bleed[0] == pytest.approx(bleed_mm * MM, abs=0.01)
        assert (media[2] - media[0] > bleed[2] - bleed[0] + 1) == marks


def test_bleed_and_marks_can_be_overridden(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = render(run_cli, tmp_path / "out", "--bleed", "2", "--marks")
    page = reader_for(first_pdf(out)).pages[0]
    trim, bleed = ([float(v) for v in page[b]] for b in ("/TrimBox", "/BleedBox"))
    assert trim[0] - bleed[0] == pytest.approx(2 * MM, abs=0.01)
    assert float(page.mediabox[2]) > bleed[2] + 1


def test_crop_marks_stay_outside_the_bleed(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = render(run_cli, tmp_path / "out", "--profile", "print-marks")
    page = reader_for(first_pdf(out)).pages[0]
    bleed = [float(v) for v in page["/BleedBox"]]
    strokes = colour_use(first_pdf(out)).strokes
    assert len(strokes) == 8
    for (x0, y0), (x1, y1) in strokes:
        inside_x = max(min(x0, x1), bleed[0]) < min(max(x0, x1), bleed[2]) or bleed[0] < x0 < bleed[2]
        inside_y = max(min(y0, y1), bleed[1]) < min(max(y0, y1), bleed[3]) or bleed[1] < y0 < bleed[3]
        assert not (inside_x and inside_y), ((x0, y0), (x1, y1), bleed)


def test_cmyk_cards_are_pdfx4_with_100k_text_and_qr(
    tmp_path: Path, run_cli: Callable[..., Any], template: Path
) -> None:
    out = render(run_cli, tmp_path / "out", "--template", template)
    for entry in read_manifest(out)[:4]:
        pdf = out / entry["file"]
        assert pdfx4_problems(pdf) == []
        for page_number in range(len(reader_for(pdf).pages)):
            use = colour_use(pdf, page_number)
            assert use.rgb_operators == 0 and use.device_rgb_images == 0
            assert all(len(fill) == 4 for fill in use.text_fills | use.path_fills), use
        page_fills = set().union(*(colour_use(pdf, n).path_fills for n in range(len(reader_for(pdf).pages))))
        assert (0.0, 0.0, 0.0, 1.0) in page_fills  # the QR modules
        assert page_fills <= {(0.0, 0.0, 0.0, 1.0), (0.0, 0.0, 0.0, 0.0)}  # plate and modules, nothing else
        assert any(codes == [entry["link"]] for codes in decode_qr_codes(pdf))


def test_black_text_is_pure_k(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = render(run_cli, tmp_path / "out")
    fills = colour_use(first_pdf(out)).text_fills
    assert (0.0, 0.0, 0.0, 1.0) in fills
    assert all(fill == (0.0, 0.0, 0.0, 1.0) or fill[3] == 0.0 for fill in fills)  # black is never rich


def test_screen_profile_is_rgb_and_small(tmp_path: Path, run_cli: Callable[..., Any], template: Path) -> None:
    screen = render(run_cli, tmp_path / "screen", "--profile", "screen", "--template", template)
    printed = render(run_cli, tmp_path / "print", "--template", template)
    pdf = first_pdf(screen)
    assert pdfx4_problems(pdf)  # not PDF/X
    for page_number in range(len(reader_for(pdf).pages)):
        assert all(len(fill) == 3 for fill in colour_use(pdf, page_number).text_fills)
    assert pdf.stat().st_size < first_pdf(printed).stat().st_size / 2
    assert any(codes == [read_manifest(screen)[0]["link"]] for codes in decode_qr_codes(pdf))


def test_press_file_stores_artwork_fonts_and_profile_once(
    tmp_path: Path, run_cli: Callable[..., Any], template: Path
) -> None:
    out = render(run_cli, tmp_path / "out", "--batch", "press.pdf", "--template", template)
    manifest = read_manifest(out)
    press = out / "press.pdf"
    reader = reader_for(press)
    pages_per_card = len(reader_for(first_pdf(out)).pages)
    assert len(reader.pages) == len(manifest) * pages_per_card
    assert pdfx4_problems(press) == []
    fonts = fonts_of(reader)
    assert len({f["name"] for f in fonts}) == len(fonts) <= 6  # one subset per font, not one per card
    single = max((out / e["file"]).stat().st_size for e in manifest)
    assert press.stat().st_size <= 2 * single + 10_000 * len(manifest)
    codes = decode_qr_codes(press, dpi=150)
    for index, entry in enumerate(manifest):
        card_pages = codes[index * pages_per_card : (index + 1) * pages_per_card]
        assert [entry["link"]] in card_pages


def test_press_file_with_many_distinct_kanji_splits_subsets_with_unique_names(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    bold = load_font(assets_folder() / "fonts" / "NotoSansJP-Bold.ttf", "sans-bold")
    kanji = [chr(code) for code in range(0x4E00, 0x9FFF) if code in bold.codepoints][:720]
    rows = [[str(i), "株式会社" + "".join(kanji[i * 12 : i * 12 + 12]), "", "", "ja"] for i in range(60)]
    path = write_csv(tmp_path / "kanji.csv", rows)
    result = run_cli(
        "render", path, "--out", tmp_path / "out", "--quiet", "--batch", "press.pdf", "--jobs", "1"
    )
    written = [e for e in read_manifest(tmp_path / "out") if e["status"] == "written"]
    assert len(written) >= 50, result.stderr
    fonts = fonts_of(reader_for(tmp_path / "out" / "press.pdf"))
    names = [f["name"] for f in fonts]
    assert len(names) == len(set(names))
    assert len(fonts) >= math.ceil(700 / 256)  # reportlab subsets hold 256 glyphs each


def test_sheet_plans_fill_the_larger_orientation() -> None:
    from greetcard.impose import ImpositionError, plan_sheet

    a6 = plan_sheet("SRA3", (105, 148), 3)  # 111 × 154 mm cells: 3 × 2 in 440 × 310 mm
    assert (a6.columns, a6.rows, a6.per_sheet, a6.sheet_mm) == (3, 2, 6, (450.0, 320.0))
    lang = plan_sheet("A3", (210, 99), 3)
    assert lang.per_sheet == 3 and lang.sheet_mm == (297.0, 420.0)
    with pytest.raises(ImpositionError, match="does not fit on A4"):
        plan_sheet("A4", (210, 297), 3)
    with pytest.raises(ImpositionError, match="unknown sheet 'B5'"):
        plan_sheet("B5", (105, 148), 3)
    with pytest.raises(ImpositionError, match="room for the crop marks"):
        plan_sheet("SRA3", (100, 148), 3, margin_mm=2)


def test_sra3_holds_eight_hagaki_and_four_din_lang_cards_where_it_held_four_and_three() -> None:
    from greetcard.impose import plan_sheet

    hagaki = plan_sheet("SRA3", (100, 148), 3)  # 106 × 154 mm cells, bleeds abutting
    assert (hagaki.columns, hagaki.rows, hagaki.per_sheet) == (4, 2, 8)
    assert hagaki.cell_mm == (106, 154) and hagaki.gutter_mm == 0
    first, second = hagaki.cell_origin_mm(0, False), hagaki.cell_origin_mm(1, False)
    assert second[0] - first[0] == pytest.approx(106)  # trims 6 mm apart: 2 × 3 mm bleed
    lang = plan_sheet("SRA3", (210, 99), 3)
    assert lang.per_sheet == 4
    # A shop's own gutter and margins: fewer fit, and the plan says so.
    assert plan_sheet("SRA3", (100, 148), 3, gutter_mm=10).per_sheet == 4
    assert plan_sheet("SRA3", (100, 148), 3, margin_mm=10).per_sheet == 4
    assert "8 per SRA3 sheet" in hagaki.summary(650, 2) and "82 sheets" in hagaki.summary(650, 2)


@pytest.mark.parametrize("sheet", ["SRA3", "A4"])
def test_imposed_press_sheets_hold_every_card_once_with_marks_outside_the_bleed(
    tmp_path: Path, run_cli: Callable[..., Any], template: Path, sheet: str
) -> None:
    from greetcard.impose import plan_sheet
    from greetcard.template import load_template

    out = render(run_cli, tmp_path / "out", "--impose", sheet, "--template", template)
    press = out / f"press-{sheet}.pdf"
    manifest = read_manifest(out)
    model = load_template(template)
    plan = plan_sheet(sheet, (model.width_mm, model.height_mm), model.bleed_mm)
    reader = reader_for(press)
    sheets = math.ceil(len(manifest) / plan.per_sheet) * len(model.pages)
    assert len(reader.pages) == sheets
    assert pdfx4_problems(press) == []
    decoded = [code for page in decode_qr_codes(press, dpi=200) for code in page]
    assert sorted(decoded) == sorted(entry["link"] for entry in manifest)
    forms = {
        ref.idnum
        for page in reader.pages
        for name, ref in page["/Resources"]["/XObject"].items()
        if name.startswith("/FormXob.artwork")
    }
    assert len(forms) == len(model.pages)  # each page's artwork stored once for all sheets
    first = colour_use(press, 0)
    placed = min(plan.per_sheet, len(manifest))
    cells = [plan.cell_origin_mm(slot, mirrored=False) for slot in range(placed)]
    columns = len({plan.cell_slot(slot, False)[0] for slot in range(placed)})
    rows = len({plan.cell_slot(slot, False)[1] for slot in range(placed)})
    assert len(first.strokes) == 4 * (columns + rows)  # both trim lines of every column and row, both ends
    bleed = model.bleed_mm
    trims_x = {round(x + d, 3) for x, _ in cells for d in (bleed, plan.cell_mm[0] - bleed)}
    trims_y = {round(y + d, 3) for _, y in cells for d in (bleed, plan.cell_mm[1] - bleed)}
    for (x0, y0), (x1, y1) in first.strokes:
        for left, bottom in cells:
            box = (left * MM, bottom * MM, (left + plan.cell_mm[0]) * MM, (bottom + plan.cell_mm[1]) * MM)
            inside = box[0] + 0.01 < max(x0, x1) and min(x0, x1) < box[2] - 0.01
            inside = inside and box[1] + 0.01 < max(y0, y1) and min(y0, y1) < box[3] - 0.01
            assert not inside, "a crop mark reaches into a card's bleed"
        assert min(x0, x1) >= 0 and max(x0, x1) <= plan.sheet_mm[0] * MM  # on the sheet
        assert min(y0, y1) >= 0 and max(y0, y1) <= plan.sheet_mm[1] * MM
        if x0 == pytest.approx(x1):
            assert round(x0 / MM, 3) in trims_x, "a vertical mark off every trim line"
        else:
            assert round(y0 / MM, 3) in trims_y, "a horizontal mark off every trim line"


def test_imposing_eight_hagaki_per_sra3_sheet_keeps_every_qr_readable_and_says_so(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    rows = [[f"H{n:02d}", f"Firma {n} GmbH", "", "", "de"] for n in range(1, 11)]
    recipients = write_csv(tmp_path / "ten.csv", rows)
    result = run_cli("render", recipients, "--out", tmp_path / "out", "--impose", "SRA3")
    assert result.exit_code == 0, result.stderr
    assert "imposed 8 per SRA3 sheet (450 × 320 mm, 4 × 2): 2 sheets for 10 cards" in result.stderr
    press = tmp_path / "out" / "press-SRA3.pdf"
    pages = decode_qr_codes(press, dpi=200)
    assert [len(codes) for codes in pages] == [8, 2]
    links = sorted(entry["link"] for entry in read_manifest(tmp_path / "out"))
    assert sorted(code for codes in pages for code in codes) == links
    wide = run_cli("render", recipients, "--out", tmp_path / "wide", "--impose", "SRA3", "--gutter", "10")
    assert wide.exit_code == 0, wide.stderr
    assert "imposed 4 per SRA3 sheet (320 × 450 mm, 2 × 2): 3 sheets for 10 cards" in wide.stderr
    assert len(reader_for(tmp_path / "wide" / "press-SRA3.pdf").pages) == 3


def test_a_shops_gutter_and_margin_in_the_profile_set_the_imposition(tmp_path: Path) -> None:
    import shutil

    from greetcard.impose import sheet_plan_for
    from greetcard.render import CardRenderer
    from greetcard.template import load_template

    folder = tmp_path / "shop"
    shutil.copytree(next(t for t in TEMPLATES if t.name == "nengajo"), folder)
    toml = folder / "template.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + "\n[profiles.my-shop]\nsheet_gutter_mm = 4\nsheet_margin_mm = 12\n",
        encoding="utf-8",
    )
    model = load_template(folder)
    renderer = CardRenderer(model, model.profile("my-shop"))
    plan = sheet_plan_for(renderer, "SRA3")
    assert (plan.gutter_mm, plan.margin_mm, plan.per_sheet) == (4, 12, 4)
    assert sheet_plan_for(renderer, "SRA3", gutter_mm=0, margin_mm=5).per_sheet == 8  # options win


def test_every_card_has_its_own_document_ids(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    path = write_csv(
        tmp_path / "twins.csv",
        [["1", "Same GmbH", "Eva", "Frau", "de"], ["2", "Same GmbH", "Max", "Herr", "de"]],
    )
    out = render(run_cli, tmp_path / "out", recipients=path)
    ids, document_ids = set(), set()
    for entry in read_manifest(out):
        reader = reader_for(out / entry["file"])
        ids.add(bytes(reader.trailer["/ID"][0].original_bytes))
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
        document_ids.add(xmp.split("<xmpMM:DocumentID>")[1].split("<")[0])
    assert len(ids) == 2 and len(document_ids) == 2


def test_black_text_overprints_and_coloured_text_does_not(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    out = render(run_cli, tmp_path / "out")
    reader = reader_for(first_pdf(out))
    states = reader.pages[0]["/Resources"]["/ExtGState"]
    overprinting = {name for name, ref in states.items() if bool(ref.get_object().get("/op", False))}
    assert overprinting
    content = reader.pages[0].get_contents().get_data().decode("latin-1")
    import re

    settings = re.findall(r"(\S+ \S+ \S+ \S+) k\s+(/\S+) gs", content)
    assert settings
    for fill, state in settings:
        if state in overprinting:
            assert fill == "0 0 0 1", fill  # only 100 % K overprints
    assert "0 .9 .85 0 k" in content  # the vermilion greeting is there, and knocks out


def test_backs_are_mirrored_across_the_long_edge() -> None:
    from greetcard.impose import plan_sheet

    portrait = plan_sheet("SRA3", (148, 100), 3)
    assert portrait.sheet_mm[0] < portrait.sheet_mm[1] and portrait.columns == 2
    front, back = portrait.cell_origin_mm(0, mirrored=False), portrait.cell_origin_mm(0, mirrored=True)
    assert front[1] == back[1] and front[0] + back[0] + portrait.cell_mm[0] == pytest.approx(
        portrait.sheet_mm[0]
    )
    landscape = plan_sheet("SRA3", (100, 148), 3)
    assert landscape.sheet_mm[0] > landscape.sheet_mm[1] and landscape.rows == 2
    front, back = landscape.cell_origin_mm(0, mirrored=False), landscape.cell_origin_mm(0, mirrored=True)
    assert front[0] == back[0]
    assert front[1] + back[1] + landscape.cell_mm[1] == pytest.approx(landscape.sheet_mm[1])
