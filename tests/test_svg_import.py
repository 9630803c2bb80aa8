"""``template import``: SVGs as Inkscape, Illustrator and Affinity write them become templates."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from greetcard.errors import TemplateError
from greetcard.svgimport import import_svg
from greetcard.template import load_template

from .conftest import decode_qr_codes, read_manifest, write_csv

FIXTURES = Path(__file__).parent / "fixtures" / "svg"
TOLERANCE_MM = 0.2
#: Where each frame was drawn (mm from the card's top-left), in every dialect.
EXPECTED_BOXES = {
    "company": (10, 40, 80, 12),
    "link": (22, 121, 56, 5),
}
EXPECTED_QR = (35, 89, 30)
EXPECTED_LOGO = (8, 8, 30, 15)
MESSAGE_BOX = (12, 58, 76, 24)


def imported(tmp_path: Path, dialect: str) -> tuple[dict[str, Any], Any]:
    result = import_svg(FIXTURES / f"{dialect}.svg", tmp_path / dialect)
    data = tomllib.loads(result.template_file.read_text(encoding="utf-8"))
    return data, result


def fields_of(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(data["pages"][0]["fields"])


def close(actual: list[float], expected: tuple[float, ...]) -> bool:
    return all(abs(a - e) <= TOLERANCE_MM for a, e in zip(actual, expected, strict=True))


@pytest.mark.parametrize("dialect", ["inkscape", "illustrator", "affinity"])
def test_every_dialect_imports_frames_within_a_fifth_of_a_millimetre(tmp_path: Path, dialect: str) -> None:
    data, _ = imported(tmp_path, dialect)
    assert (data["card"]["width_mm"], data["card"]["height_mm"]) == (100, 148)
    fields = fields_of(data)
    link_name = "link_text" if dialect == "inkscape" else "link"  # Inkscape's flowed frame has no name
    assert close(fields["company"]["box_mm"], EXPECTED_BOXES["company"])
    assert close(fields[link_name]["box_mm"], EXPECTED_BOXES["link"])
    message_name = "contact" if dialect == "inkscape" else "message"
    assert close(fields[message_name]["box_mm"], MESSAGE_BOX)
    assert close(data["pages"][0]["qr"]["box_mm"], EXPECTED_QR)
    assert close(data["pages"][0]["images"]["logo"]["box_mm"], EXPECTED_LOGO)
    assert data["pages"][0]["images"]["logo"]["file"] == "logo.png"
    assert (tmp_path / dialect / "logo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("dialect", ["inkscape", "illustrator", "affinity"])
def test_style_of_the_placeholder_becomes_the_fields_font_size_colour_and_alignment(
    tmp_path: Path, dialect: str
) -> None:
    data, _ = imported(tmp_path, dialect)
    fields = fields_of(data)
    company = fields["company"]
    assert company["size_pt"] == 14
    assert company["color"] == "#1f4e9c"
    assert company["align"] == "center"
    assert company["valign"] == "middle"
    assert data["fonts"][company["fonts"][0]]["file"] == "NotoSansJP-Bold.ttf"
    message = fields["contact" if dialect == "inkscape" else "message"]
    assert message["size_pt"] == 10 and message["align"] == "left" and message["color"] == "black"
    assert data["fonts"][message["fonts"][0]]["file"] == "NotoSansJP-Regular.ttf"
    assert "{{ contact }}" in message["text"] and "herzlichen Dank" in message["text"]
    link = fields["link_text" if dialect == "inkscape" else "link"]
    assert link["size_pt"] == 7 and link["align"] == "center" and link["text"] == "{{ link_text }}"


def test_illustrator_class_styles_and_letter_spacing(tmp_path: Path) -> None:
    data, _ = imported(tmp_path, "illustrator")
    assert fields_of(data)["link"]["tracking"] == 100  # .cls-5 { letter-spacing: .1em }


def test_inkscape_vertical_text_in_a_named_frame_becomes_a_vertical_field(tmp_path: Path) -> None:
    data, _ = imported(tmp_path, "inkscape")
    greeting = fields_of(data)["greeting_ja"]
    assert greeting["direction"] == "vertical"
    assert greeting["text"] == "謹賀新年"
    assert close(greeting["box_mm"], (78, 8, 14, 30))
    assert greeting["size_pt"] == 20 and greeting["color"] == "#e2412f"
    assert data["fonts"][greeting["fonts"][0]]["file"] == "BIZUDPMincho-Regular.ttf"


@pytest.mark.parametrize("dialect", ["inkscape", "illustrator", "affinity"])
def test_placeholders_frames_and_logo_are_removed_from_the_artwork(tmp_path: Path, dialect: str) -> None:
    _, result = imported(tmp_path, dialect)
    artwork = result.artwork_file.read_text(encoding="utf-8")
    assert "{{" not in artwork and "{%" not in artwork
    assert "image-logo" not in artwork and "image_logo" not in artwork
    assert 'label="qr"' not in artwork and 'id="qr"' not in artwork and 'id="QR"' not in artwork
    assert "data:image/png" not in artwork  # the logo became logo.png
    assert "#f4ecdf" in artwork or "244,236,223" in artwork  # the background stays


def test_what_cannot_be_mapped_is_a_note_naming_the_element(tmp_path: Path) -> None:
    _, result = imported(tmp_path, "illustrator")
    notes = [str(note) for note in result.notes]
    assert any(
        "'Frohes neues Jahr' has no placeholder" in note and "Create Outlines" in note for note in notes
    )
    assert any("read it at 72 dpi (Illustrator" in note for note in notes)


def test_placeholder_without_frame_and_unknown_font_are_reported(tmp_path: Path) -> None:
    svg = tmp_path / "bare.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="148mm" viewBox="0 0 100 148">'
        '<rect width="100" height="148" fill="#fff"/>'
        '<text id="who" x="10" y="30" style="font-family:Futura PT;font-size:5px">{{ company }}</text>'
        "</svg>",
        encoding="utf-8",
    )
    result = import_svg(svg, tmp_path / "out")
    notes = [str(note) for note in result.notes]
    assert any(note.startswith("<text> id='who'") and "has no frame" in note for note in notes)
    assert any("font Futura PT (weight 400) was not found" in note for note in notes)
    assert any("no frame named 'qr'" in note for note in notes)
    load_template(tmp_path / "out")  # still a valid template to refine


def test_import_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    with pytest.raises(TemplateError, match="not an empty folder"):
        import_svg(FIXTURES / "inkscape.svg", tmp_path / "busy")


@pytest.mark.parametrize("dialect", ["illustrator", "affinity"])
def test_imported_template_renders_and_scans(
    tmp_path: Path, run_cli: Callable[..., Any], dialect: str
) -> None:
    folder = tmp_path / dialect
    result = run_cli("template", "import", FIXTURES / f"{dialect}.svg", folder)
    assert result.exit_code == 0, result.stderr
    assert "note:" in result.stderr and "created" in result.stderr
    # The designer's refinement: the link, and a minimum size for long names.
    file = folder / "template.toml"
    text = file.read_text(encoding="utf-8").replace("https://example.org/", "https://example.org/?r={id}")
    file.write_text(text.replace("size_pt = 14\n", "size_pt = 14\nmin_size_pt = 8\n"), encoding="utf-8")
    if dialect == "illustrator":  # the loose text had to be outlined: the designer removes it
        artwork = folder / "artwork.svg"
        text = re.sub(
            r"<text(?:(?!<text).)*?Frohes neues Jahr.*?</text>",
            "",
            artwork.read_text(encoding="utf-8"),
            flags=re.S,
        )
        artwork.write_text(text, encoding="utf-8")
    recipients = write_csv(tmp_path / "list.csv", [["R1", "Hafen Logistik GmbH", "Anna Weber", "Frau", "de"]])
    out = tmp_path / "out"
    rendered = run_cli("render", recipients, "--template", folder, "--out", out, "--quiet")
    assert rendered.exit_code == 0, rendered.stderr
    pdf = out / read_manifest(out)[0]["file"]
    assert decode_qr_codes(pdf) == [["https://example.org/?r=R1"]]


def test_bundled_tategaki_template_is_the_import_of_its_design_svg(tmp_path: Path) -> None:
    """The third bundled template was made the designer's way: its boxes are the SVG's frames."""
    from greetcard.assets import bundled_template

    design = Path(__file__).resolve().parent.parent / "tools" / "artwork" / "tategaki-design.svg"
    imported_data, result = imported_from(design, tmp_path / "tategaki")
    bundled = load_template(bundled_template("tategaki"))
    page = bundled.pages[0]
    imported_fields = fields_of(imported_data)
    assert {field.name for field in page.fields} == set(imported_fields)
    for field in page.fields:
        box = field.box
        assert close(imported_fields[field.name]["box_mm"], (box.x_mm, box.y_mm, box.width_mm, box.height_mm))
    assert page.qr is not None
    assert close(imported_data["pages"][0]["qr"]["box_mm"], (page.qr.x_mm, page.qr.y_mm, page.qr.size_mm))
    (logo,) = page.images
    assert logo.file is not None
    assert logo.file.read_bytes() == (tmp_path / "tategaki" / "logo.png").read_bytes()
    vertical = [field.name for field in page.fields if field.direction == "vertical"]
    assert vertical == ["greeting_ja"]
    assert result.artwork_file.read_bytes() == (bundled_template("tategaki") / "artwork.svg").read_bytes()


def imported_from(svg: Path, target: Path) -> tuple[dict[str, Any], Any]:
    result = import_svg(svg, target)
    return tomllib.loads(result.template_file.read_text(encoding="utf-8")), result


def test_artwork_the_svg_converter_cannot_draw_is_named_at_import(tmp_path: Path) -> None:
    svg = tmp_path / "effects.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100mm" '
        'height="148mm" viewBox="0 0 100 148"><defs><filter id="blur"><feGaussianBlur stdDeviation="2"/>'
        '</filter></defs><rect width="100" height="148" fill="#fff"/>'
        '<circle id="glow" cx="50" cy="50" r="20" fill="#f00" style="filter:url(#blur)"/>'
        '<image id="photo" x="0" y="0" width="10" height="10" xlink:href="photo.jpg"/>'
        '<rect id="qr" x="35" y="90" width="30" height="30" fill="none"/></svg>',
        encoding="utf-8",
    )
    notes = [str(note) for note in import_svg(svg, tmp_path / "out").notes]
    assert any(note.startswith("<circle> id='glow'") and "uses a filter" in note for note in notes)
    assert any(
        note.startswith("<image> id='photo'") and "links the file 'photo.jpg'" in note for note in notes
    )


def test_variable_font_beside_the_svg_is_used_at_the_placeholders_weight(tmp_path: Path) -> None:
    from . import fontmaker

    fontmaker.variable_ttf(tmp_path / "TestVar.ttf")
    svg = tmp_path / "var.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
        'width="100mm" height="148mm" viewBox="0 0 100 148">'
        '<rect inkscape:label="name" x="10" y="20" width="80" height="15" fill="none"/>'
        '<text x="10" y="30" style="font-family:\'Test Variable\';font-size:6px;'
        "font-variation-settings:'wght' 700\">{{ company }}</text>"
        '<rect inkscape:label="qr" x="35" y="90" width="30" height="30" fill="none"/></svg>',
        encoding="utf-8",
    )
    result = import_svg(svg, tmp_path / "out")
    data = tomllib.loads(result.template_file.read_text(encoding="utf-8"))
    (key,) = fields_of(data)["name"]["fonts"]
    assert data["fonts"][key] == {"file": "TestVar.ttf", "weight": 700}
    assert (tmp_path / "out" / "TestVar.ttf").is_file()
    assert load_template(tmp_path / "out").fonts[key].axes == (("wght", 700.0),)
