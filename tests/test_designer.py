"""Designers: templates from the docs alone, template errors, preview, proof, template new."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.colors import CMYKColor
from reportlab.pdfgen.canvas import Canvas

from greetcard.assets import bundled_templates
from greetcard.errors import TemplateError
from greetcard.template import load_template

from .conftest import ROOT, SAMPLE, decode_qr_codes, page_text, read_manifest, squeeze
from .pdfcheck import colour_use, pdfx4_problems

MM = 72 / 25.4
DOCS = ROOT / "docs" / "templates.md"


def docs_example() -> str:
    """The complete example template, exactly as docs/templates.md shows it."""
    blocks = re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    return next(block for block in blocks if block.startswith("# My card"))


def make_pdf_artwork(path: Path, trim_mm: tuple[float, float], bleed_mm: float = 3) -> Path:
    """Artwork as a designer exports it: trim + bleed, background to the edge, TrimBox set."""
    width, height = (trim_mm[0] + 2 * bleed_mm) * MM, (trim_mm[1] + 2 * bleed_mm) * MM
    canvas = Canvas(str(path), pagesize=(width, height), invariant=1)
    canvas.setFillColor(CMYKColor(0, 0.05, 0.15, 0))
    canvas.rect(0, 0, width, height, stroke=0, fill=1)
    canvas.setFillColor(CMYKColor(0, 0.9, 0.85, 0))
    canvas.circle(width - 20 * MM, height - 20 * MM, 25 * MM, stroke=0, fill=1)
    canvas.setTrimBox((bleed_mm * MM, bleed_mm * MM, width - bleed_mm * MM, height - bleed_mm * MM))
    canvas.showPage()
    canvas.save()
    return path


@pytest.fixture
def docs_template(tmp_path: Path) -> Path:
    folder = tmp_path / "from-docs"
    folder.mkdir()
    (folder / "template.toml").write_text(docs_example(), encoding="utf-8")
    make_pdf_artwork(folder / "artwork.pdf", (105, 148))
    return folder


def test_a_template_built_only_from_the_docs_renders_and_scans(
    tmp_path: Path, run_cli: Callable[..., Any], docs_template: Path
) -> None:
    out = tmp_path / "out"
    result = run_cli(
        "render", SAMPLE, "--template", docs_template, "--out", out, "--quiet", "--profile", "my-shop"
    )
    assert result.exit_code == 0, result.stderr
    manifest = read_manifest(out)
    assert len(manifest) == 30
    for entry in manifest:
        pdf = out / entry["file"]
        assert entry["link"] == f"https://www.neujahrsgross-japan.de/?r={entry['id']}"
        assert decode_qr_codes(pdf) == [[entry["link"]]]
        assert squeeze(entry["company"]) in squeeze(page_text(pdf))
    page = PdfReader(out / manifest[0]["file"]).pages[0]
    trim, bleed = ([float(v) for v in page[b]] for b in ("/TrimBox", "/BleedBox"))
    assert trim[2] - trim[0] == pytest.approx(105 * MM, abs=0.01)
    assert trim[0] - bleed[0] == pytest.approx(2 * MM, abs=0.01)  # the shop profile's bleed
    assert pdfx4_problems(out / manifest[0]["file"]) == []


def test_every_key_of_the_reference_is_in_the_docs() -> None:
    from greetcard import template as model

    text = DOCS.read_text(encoding="utf-8")
    keys = (model._TOP_KEYS - {"version"}) | model._CARD_KEYS | model._FONT_KEYS | model._PAGE_KEYS
    keys |= model._FIELD_KEYS | model._QR_KEYS | model._PROFILE_KEYS
    missing = [key for key in sorted(keys) if f"`{key}`" not in text]
    assert missing == []


def test_unknown_key_names_file_line_key_and_suggestion(docs_template: Path) -> None:
    file = docs_template / "template.toml"
    text = file.read_text(encoding="utf-8").replace('fonts = ["mincho", "body"]', 'fnt = ["mincho", "body"]')
    file.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if row.startswith("fnt ="))
    with pytest.raises(TemplateError) as error:
        load_template(docs_template)
    assert (
        f"template.toml:{line}: pages[1].fields.greeting.fnt: unknown key 'fnt' — did you mean 'font'?"
        in str(error.value)
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("size_pt = 28", 'size_pt = "big"'), "pages[1].fields.greeting.size_pt: must be a number"),
        (
            ('align = "center"', 'align = "centre"'),
            "'centre' is not one of left, center, right — did you mean 'center'?",
        ),
        (("[0, 90, 85, 0]", "[0, 90, 185, 0]"), "colour [0, 90, 185, 0] not understood"),
        (('file = "NotoSansJP-Bold.ttf"', 'file = "Missing.ttf"'), "font file 'Missing.ttf' not found"),
        (('artwork = "artwork.pdf"', 'artwork = "gone.pdf"'), "artwork file 'gone.pdf' not found"),
        (
            ("box_mm = [37.5, 88, 30]", "box_mm = [37.5, 88]"),
            "pages[1].qr.box_mm: must be a list of 3 numbers",
        ),
        (
            ('fonts = ["bold", "mincho"]', 'fonts = ["bld"]'),
            "font 'bld' is not defined in [fonts] — did you mean 'bold'?",
        ),
        (("width_mm = 105", "width_mm = 105\nwidth_mm = 106"), "not valid TOML"),
        (("{{ link_text }}", "{{ link_txt }}"), "uses link_txt, which the recipient list does not have"),
        (("{{ link_text }}", "{% if %}"), "check the {{ }} and {% %} tags"),
    ],
)
def test_template_mistakes_are_explained(
    docs_template: Path, run_cli: Callable[..., Any], change: tuple[str, str], expected: str
) -> None:
    file = docs_template / "template.toml"
    text = file.read_text(encoding="utf-8")
    assert change[0] in text
    file.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    result = run_cli("check", SAMPLE, "--template", docs_template)
    assert result.exit_code == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_svg_and_png_artwork_are_placed_and_converted_to_cmyk(
    tmp_path: Path, run_cli: Callable[..., Any], docs_template: Path, kind: str
) -> None:
    file = docs_template / "template.toml"
    if kind == "svg":
        (docs_template / "art.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" width="111mm" height="154mm" viewBox="0 0 111 154">'
            '<rect width="111" height="154" fill="#f4ecdf"/>'
            '<circle cx="90" cy="20" r="15" fill="#e2412f"/></svg>',
            encoding="utf-8",
        )
    else:
        Image.new("RGB", (1311, 1819), (244, 236, 223)).save(docs_template / "art.png", dpi=(300, 300))
    file.write_text(file.read_text(encoding="utf-8").replace("artwork.pdf", f"art.{kind}"), encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("render", SAMPLE, "--template", docs_template, "--out", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    pdf = out / read_manifest(out)[0]["file"]
    use = colour_use(pdf)
    assert use.rgb_operators == 0 and use.device_rgb_images == 0
    assert pdfx4_problems(pdf) == []
    image = _render_page(pdf)
    corner = image.getpixel((3, 3))  # inside the bleed: the artwork must reach it
    assert corner[0] > 200 and corner[2] < 235 and corner != (255, 255, 255)


def _render_page(pdf: Path) -> Image.Image:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        return document[0].render(scale=1).to_pil().convert("RGB")
    finally:
        document.close()


def test_low_resolution_artwork_is_reported(
    tmp_path: Path, run_cli: Callable[..., Any], docs_template: Path
) -> None:
    Image.new("RGB", (437, 607), (244, 236, 223)).save(docs_template / "art.png", dpi=(100, 100))
    file = docs_template / "template.toml"
    file.write_text(file.read_text(encoding="utf-8").replace("artwork.pdf", "art.png"), encoding="utf-8")
    result = run_cli("check", SAMPLE, "--template", docs_template)
    assert result.exit_code == 1
    assert "art.png has 100 dpi at its printed size; print needs 300 dpi" in result.stdout


@pytest.mark.parametrize("template", bundled_templates(), ids=lambda p: p.name)
def test_every_shipped_template_renders_the_sample_and_every_qr_scans(
    tmp_path: Path, run_cli: Callable[..., Any], template: Path
) -> None:
    out = tmp_path / "out"
    result = run_cli("render", SAMPLE, "--template", template, "--out", out, "--quiet", "--profile", "screen")
    assert result.exit_code == 0, result.stderr
    for entry in read_manifest(out):
        codes = decode_qr_codes(out / entry["file"], dpi=150)
        assert [entry["link"]] in codes, entry
    check = run_cli("check", SAMPLE, "--template", template)
    assert check.exit_code == 0 and "0 errors, 0 warnings" in check.stdout


def test_preview_png_shows_the_card_and_its_qr(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    png = tmp_path / "preview.png"
    result = run_cli("preview", SAMPLE, "--id", "JP010", "-o", png)
    assert result.exit_code == 0, result.stderr
    image = Image.open(png)
    assert image.size[0] == pytest.approx(106 / 25.4 * 150, abs=1)
    assert image.size[1] == pytest.approx(154 / 25.4 * 150, abs=1)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == ["https://www.neujahrsgross-japan.de/"]


def test_preview_guides_draw_the_boxes(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    plain, guided = tmp_path / "plain.png", tmp_path / "guides.png"
    assert run_cli("preview", SAMPLE, "-o", plain).exit_code == 0
    assert run_cli("preview", SAMPLE, "--guides", "-o", guided).exit_code == 0
    a, b = Image.open(plain).convert("RGB"), Image.open(guided).convert("RGB")
    px_per_mm = 150 / 25.4
    trim_left = 3 * px_per_mm  # the trim line: 3 mm of bleed from the page edge
    columns = (int(trim_left), int(trim_left) + 1)
    magenta = [sum(1 for y in range(100, 800) if b.getpixel((x, y)) == (230, 0, 120)) for x in columns]
    assert max(magenta) > 500  # the trim guide runs down the page
    assert all(a.getpixel((x, 400)) != (230, 0, 120) for x in columns)


def test_preview_of_a_two_page_card_stacks_both_pages(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    lang = next(t for t in bundled_templates() if t.name == "lang")
    png = tmp_path / "lang.png"
    assert run_cli("preview", SAMPLE, "--template", lang, "--row", "2", "-o", png).exit_code == 0
    image = Image.open(png)
    assert image.height == pytest.approx(2 * 105 / 25.4 * 150 + 24, abs=2)


def test_preview_refuses_an_unknown_id(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    result = run_cli("preview", SAMPLE, "--id", "nope", "-o", tmp_path / "p.png")
    assert result.exit_code == 1 and "no row with id 'nope'" in result.stderr


def test_proof_sheet_labels_the_worst_cases(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    pdf = tmp_path / "proof.pdf"
    result = run_cli("proof", SAMPLE, "-o", pdf)
    assert result.exit_code == 0, result.stderr
    text = " ".join(page_text(pdf).split())
    assert "JP010" in text and "longest name (de)" in text and "3 lines at 11 pt (shrunk from 12)" in text
    assert "JP005" in text and "densest Japanese" in text
    assert len(decode_qr_codes(pdf, dpi=300)[0]) >= 4


def test_template_new_copies_a_working_template(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    folder = tmp_path / "mein-design"
    result = run_cli("template", "new", folder, "--from", "lang")
    assert result.exit_code == 0, result.stderr
    assert (folder / "template.toml").is_file() and (folder / "front.svg").is_file()
    assert load_template(folder).name == "DIN lang 2027 — Winter"
    again = run_cli("template", "new", folder)
    assert again.exit_code == 1 and "exists and is not an empty folder" in again.stderr


def test_every_command_has_help_with_examples(run_cli: Callable[..., Any]) -> None:
    for command in (["render"], ["check"], ["preview"], ["proof"], ["template", "new"]):
        result = run_cli(*command, "--help")
        assert result.exit_code == 0 and "Examples:" in result.output, command


def test_lang_address_block_keeps_one_line_per_part(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    lang = next(t for t in bundled_templates() if t.name == "lang")
    out = tmp_path / "out"
    assert run_cli("render", SAMPLE, "--template", lang, "--out", out, "-q").exit_code == 0
    files = {e["id"]: out / e["file"] for e in read_manifest(out)}
    lines = PdfReader(files["JP018"]).pages[1].extract_text().splitlines()
    assert "株式会社北斗ソフトウェア" in lines and "ドイツ開発センター" in lines
    assert "センター長 中村 大輔 様" in lines
    assert "株式会社ミナト精機 御中" in PdfReader(files["JP001"]).pages[1].extract_text().splitlines()
    assert "Herrn Kenji Watanabe" in PdfReader(files["JP006"]).pages[1].extract_text().splitlines()


def test_field_without_text_for_a_used_language_is_a_template_error_at_load(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    import shutil

    from greetcard.assets import bundled_template

    template_copy = tmp_path / "tpl"
    shutil.copytree(bundled_template(), template_copy)
    toml = template_copy / "template.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'text = { default = "Ein gutes neues Jahr 2027", en = "A Happy New Year 2027" }',
            'text = { de = "Ein gutes neues Jahr 2027", en = "A Happy New Year 2027" }',
        ),
        encoding="utf-8",
    )
    path = tmp_path / "list.csv"
    path.write_text("id;company;language\nA1;Alpha GmbH;de\nJ1;株式会社ミナト;ja\n", encoding="utf-8")
    result = run_cli("check", path, "--template", template_copy)
    assert result.exit_code == 1
    assert "field 'greeting' has no text for language 'ja' (used from line 3 of the list) and no default" in (
        result.stderr
    )
    german_only = tmp_path / "de.csv"
    german_only.write_text("id;company;language\nA1;Alpha GmbH;de\n", encoding="utf-8")
    assert run_cli("check", german_only, "--template", template_copy).exit_code == 0


def test_template_by_name_list_and_sample_outside_a_checkout(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    listed = run_cli("template", "list")
    assert (
        "lang       210 × 99 mm, 2 pages" in listed.output
        and "nengajo    100 × 148 mm, 1 page" in listed.output
    )
    assert run_cli("sample", "liste.csv").exit_code == 0
    assert (tmp_path / "liste.csv").read_bytes() == SAMPLE.read_bytes()
    again = run_cli("sample", "liste.csv")
    assert again.exit_code == 1 and "exists already" in again.stderr
    checked = run_cli("check", "liste.csv", "--template", "lang")
    assert "template DIN lang 2027" in checked.output, checked.output
    created = run_cli("template", "new", "mein-design")
    assert created.exit_code == 0 and (tmp_path / "mein-design" / "recipients.csv").is_file()


def test_batch_path_outside_the_output_folder_is_refused_not_renamed(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    elsewhere = tmp_path / "press" / "press.pdf"
    result = run_cli("render", SAMPLE, "--out", tmp_path / "out", "--batch", str(elsewhere))
    assert result.exit_code == 1 and "--batch" in result.stderr and "--out" in result.stderr
    assert not (tmp_path / "out").exists()
    inside = run_cli("render", SAMPLE, "--out", tmp_path / "out", "--batch", str(tmp_path / "out" / "p.pdf"))
    assert inside.exit_code == 0 and (tmp_path / "out" / "p.pdf").is_file()
