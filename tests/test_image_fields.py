"""Image fields: a logo on every card and a per-recipient image from a list column."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from greetcard.errors import TemplateError
from greetcard.images import fit_box, inspect_image
from greetcard.template import Box, ImageField, load_template

from .conftest import decode_qr_codes, read_manifest, write_csv
from .pdfcheck import pdfx4_problems

HEADER = ["id", "company", "contact", "salutation", "language", "logo_file"]


def make_logo(
    path: Path, size: tuple[int, int] = (600, 300), colour: tuple[int, int, int] = (226, 65, 47)
) -> Path:
    """A PNG with a transparent background and an opaque disc and bar."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, size[1] - 10, size[1] - 10), fill=(*colour, 255))
    if size[0] > size[1] + 30:
        draw.rectangle((size[1] + 20, size[1] // 3, size[0] - 10, 2 * size[1] // 3), fill=(31, 78, 156, 255))
    image.save(path, dpi=(300, 300))
    return path


def image_template(folder: Path, images: str, artwork: str = "") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "template.toml").write_text(
        f"""
link = "https://example.org/?r={{id}}"
[card]
width_mm = 100
height_mm = 148
[fonts.sans]
file = "NotoSansJP-Regular.ttf"
[[pages]]
{artwork}
[pages.qr]
box_mm = [35, 95, 30]
[pages.fields.name]
box_mm = [10, 70, 80, 15]
fonts = ["sans"]
size_pt = 12
min_size_pt = 6
text = "{{{{ company }}}}"
{images}
""",
        encoding="utf-8",
    )
    return folder


LOGO_AND_ROW_IMAGE = """
[pages.images.logo]
box_mm = [10, 10, 40, 20]
file = "logo.png"
[pages.images.partner]
box_mm = [55, 10, 35, 35]
column = "logo_file"
fit = "cover"
"""


def list_with_images(folder: Path, files: list[str]) -> Path:
    rows = [[f"R{index}", f"Firma {index}", "", "", "de", name] for index, name in enumerate(files, start=1)]
    return write_csv(folder / "list.csv", rows, header=HEADER)


def image_xobjects(pdf: Path) -> dict[int, dict[str, Any]]:
    """Every image XObject in the whole file (through forms), by object number."""
    reader = PdfReader(str(pdf))
    found: dict[int, dict[str, Any]] = {}

    def visit(resources: Any) -> None:
        for reference in (resources.get_object().get("/XObject") or {}).values():
            xobject = reference.get_object()
            if xobject.get("/Subtype") == "/Image":
                found[reference.idnum] = dict(xobject)
            elif "/Resources" in xobject:
                visit(xobject["/Resources"])

    for page in reader.pages:
        visit(page["/Resources"])
    return found


@pytest.fixture
def partner_files(tmp_path: Path) -> Path:
    """Per-recipient images beside the list: JPEG, PNG, SVG and PDF."""
    folder = tmp_path / "list"
    (folder / "logos").mkdir(parents=True)
    Image.new("RGB", (400, 400), (30, 140, 60)).save(folder / "logos" / "green.jpg", dpi=(300, 300))
    make_logo(folder / "logos" / "red.png", (400, 400))
    (folder / "logos" / "blue.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="30mm" height="30mm" viewBox="0 0 30 30">'
        '<rect width="30" height="30" fill="#1f4e9c"/></svg>',
        encoding="utf-8",
    )
    canvas = Canvas(str(folder / "logos" / "black.pdf"), pagesize=(85, 85))
    canvas.setFillColorCMYK(0, 0, 0, 1)
    canvas.rect(0, 0, 85, 85, fill=1, stroke=0)
    canvas.save()
    return folder


def test_logo_and_per_recipient_images_render_once_per_press_file(
    tmp_path: Path, run_cli: Callable[..., Any], partner_files: Path
) -> None:
    template = image_template(tmp_path / "t", LOGO_AND_ROW_IMAGE)
    make_logo(template / "logo.png")
    files = ["logos/green.jpg", "logos/red.png", "logos/blue.svg", "logos/black.pdf", "logos/green.jpg"]
    recipients = list_with_images(partner_files, files)
    out = tmp_path / "out"
    result = run_cli(
        "render", recipients, "--template", template, "--out", out, "--quiet", "--batch", "press.pdf"
    )
    assert result.exit_code == 0, result.stderr
    press = out / "press.pdf"
    reader = PdfReader(str(press))
    assert len(reader.pages) == 5
    images = image_xobjects(press)
    # Logo (with its soft mask), green.jpg once, red.png (+ mask): each stored once for five cards.
    colour_images = [image for image in images.values() if image.get("/ColorSpace") != "/DeviceGray"]
    assert len(colour_images) == 3
    assert all(image["/ColorSpace"] == "/DeviceCMYK" for image in colour_images)
    assert sum("/SMask" in image for image in colour_images) == 2
    assert pdfx4_problems(press) == []
    codes = decode_qr_codes(press, dpi=150)
    assert codes == [[f"https://example.org/?r=R{index}"] for index in range(1, 6)]
    document = pdfium.PdfDocument(str(press))
    try:
        pages = [page.render(scale=2).to_pil().convert("RGB") for page in document]
    finally:
        document.close()
    mm = 2 * 72 / 25.4
    # Cover fills the 35 × 35 mm box: its centre shows each row's own image.
    centre = (round((3 + 72.5) * mm), round((3 + 27.5) * mm))
    green, red, blue, black = (pages[index].getpixel(centre) for index in range(4))
    assert green[1] > green[0] + 40 and red[0] > red[2] + 60 and blue[2] > blue[0] + 60 and max(black) < 60
    # The logo's transparent corner shows the white card, its disc is red.
    logo_corner = pages[0].getpixel((round((3 + 10.5) * mm), round((3 + 10.5) * mm)))
    assert min(logo_corner) > 240
    disc = pages[0].getpixel((round((3 + 10 + 6.7) * mm), round((3 + 10 + 3.4 + 6.7) * mm)))
    assert disc[0] > 180 and disc[2] < 120


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("logos/missing.png", "logo_file: image file 'logos/missing.png' not found"),
        ("../outside.png", "name the file relative to the list's folder (no absolute path, no ..)"),
        ("/etc/passwd", "name the file relative to the list's folder"),
        ("logos/broken.png", "broken.png cannot be read as an image"),
    ],
)
def test_row_with_missing_or_unreadable_image_is_refused_with_its_line(
    tmp_path: Path, run_cli: Callable[..., Any], partner_files: Path, cell: str, message: str
) -> None:
    (partner_files / "logos" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (tmp_path / "outside.png").write_bytes((partner_files / "logos" / "red.png").read_bytes())
    template = image_template(tmp_path / "t", LOGO_AND_ROW_IMAGE)
    make_logo(template / "logo.png")
    recipients = list_with_images(partner_files, ["logos/green.jpg", cell, ""])
    out = tmp_path / "out"
    result = run_cli("render", recipients, "--template", template, "--out", out, "--quiet")
    assert f"list.csv:3:6: {message}" in result.stderr.replace("\n", " ") or message in result.stderr
    assert "list.csv:3:6:" in result.stderr
    # The other rows (including one with an empty cell: no partner image) still become cards.
    assert [entry["id"] for entry in read_manifest(out) if entry["file"]] == ["R1", "R3"]


@pytest.mark.parametrize("name", ["../logo.png", "/tmp/logo.png", "missing.png", "logo.gif"])
def test_fixed_image_must_be_a_file_in_the_template_folder(tmp_path: Path, name: str) -> None:
    template = image_template(
        tmp_path / "t", f'[pages.images.logo]\nbox_mm = [10, 10, 40, 20]\nfile = "{name}"\n'
    )
    (template / "logo.gif").write_bytes(b"GIF89a")
    with pytest.raises(TemplateError, match=r"template\.toml:\d+: pages\[1\]\.images\.logo\.file"):
        load_template(template)


def test_low_resolution_logo_is_reported_by_check(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    template = image_template(
        tmp_path / "t", '[pages.images.logo]\nbox_mm = [10, 10, 40, 20]\nfile = "logo.png"\n'
    )
    make_logo(template / "logo.png", size=(160, 80))  # 40 mm wide: 102 dpi
    recipients = write_csv(tmp_path / "list.csv", [["R1", "Firma", "", "", "de"]])
    result = run_cli("check", recipients, "--template", template)
    assert "image 'logo': logo.png has 102 dpi at its printed size; print needs 300 dpi" in result.stdout


def test_contain_and_cover_keep_the_proportions_and_align() -> None:
    facts = inspect_image(make_logo(Path(__file__).parent / ".." / "tmp-wide.png", (400, 200)))
    try:
        box = Box(10, 10, 40, 40)
        contain = fit_box(ImageField("a", box, None, "c", fit="contain", valign="top"), facts)
        assert (contain.x_mm, contain.y_mm, contain.width_mm, contain.height_mm) == (10, 10, 40, 20)
        cover = fit_box(ImageField("a", box, None, "c", fit="cover", align="left"), facts)
        assert (cover.x_mm, cover.y_mm, cover.width_mm, cover.height_mm) == (10, 10, 80, 40)
        bottom_right = fit_box(ImageField("a", box, None, "c", align="right", valign="bottom"), facts)
        assert (bottom_right.x_mm, bottom_right.y_mm) == (10, 30)
    finally:
        facts.path.unlink()


def test_artwork_per_language(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    template = image_template(tmp_path / "t", "", artwork='artwork = { default = "de.svg", ja = "ja.svg" }')
    for name, colour in (("de", "#1f4e9c"), ("ja", "#e2412f")):
        (template / f"{name}.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" width="106mm" height="154mm" viewBox="0 0 106 154">'
            f'<rect width="106" height="154" fill="{colour}"/></svg>',
            encoding="utf-8",
        )
    recipients = write_csv(
        tmp_path / "list.csv",
        [["R1", "Firma", "", "", "de"], ["R2", "会社", "", "", "ja"], ["R3", "Co", "", "", "en"]],
    )
    out = tmp_path / "out"
    result = run_cli("render", recipients, "--template", template, "--out", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    corners = []
    for entry in read_manifest(out):
        document = pdfium.PdfDocument(str(out / entry["file"]))
        try:
            corners.append(document[0].render(scale=1).to_pil().convert("RGB").getpixel((5, 5)))
        finally:
            document.close()
    de, ja, en = corners
    assert de[2] > de[0] and ja[0] > ja[2] and en == de  # en has no variant: the default artwork


def test_image_in_pdf_keeps_its_own_bytes_once(tmp_path: Path) -> None:
    """A sanity check of the test helper: image_xobjects counts shared objects once."""
    canvas = Canvas(str(tmp_path / "two.pdf"))
    image = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 0, 0)).save(image, "PNG")
    from reportlab.lib.utils import ImageReader

    for _ in range(2):
        canvas.drawImage(ImageReader(io.BytesIO(image.getvalue())), 0, 0, 10, 10)
        canvas.showPage()
    canvas.save()
    assert len(image_xobjects(tmp_path / "two.pdf")) == 1


def test_language_artwork_is_preflighted_like_the_default(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    template = image_template(tmp_path / "t", "", artwork='artwork = { default = "de.svg", ja = "ja.png" }')
    (template / "de.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="106mm" height="154mm" viewBox="0 0 106 154">'
        '<rect width="106" height="154" fill="#1f4e9c"/></svg>',
        encoding="utf-8",
    )
    Image.new("RGB", (417, 606), (226, 65, 47)).save(template / "ja.png")  # 100 dpi
    recipients = write_csv(tmp_path / "list.csv", [["R1", "Firma", "", "", "de"]])
    result = run_cli("check", recipients, "--template", template)
    assert "artwork ja.png has 100 dpi at its printed size" in result.stdout


def test_row_svg_with_text_is_refused_with_its_line_not_mid_batch(
    tmp_path: Path, run_cli: Callable[..., Any], partner_files: Path
) -> None:
    (partner_files / "logos" / "words.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="30mm" height="30mm" viewBox="0 0 30 30">'
        '<text x="1" y="10">ACME</text></svg>',
        encoding="utf-8",
    )
    template = image_template(tmp_path / "t", LOGO_AND_ROW_IMAGE)
    make_logo(template / "logo.png")
    recipients = list_with_images(partner_files, ["logos/words.svg", "logos/green.jpg"])
    out = tmp_path / "out"
    result = run_cli("render", recipients, "--template", template, "--out", out, "--quiet")
    assert "list.csv:2:6: logo_file: words.svg contains text — convert it to outlines" in result.stderr
    assert [entry["id"] for entry in read_manifest(out) if entry["file"]] == ["R2"]
