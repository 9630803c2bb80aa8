"""SVG artwork as designers export it: embedded images, gradients, opacity, clipping paths."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image
from pypdf import PdfReader

from greetcard.errors import TemplateError

from .conftest import SAMPLE, decode_qr_codes, read_manifest
from .pdfcheck import colour_use, pdfx4_problems
from .test_designer import docs_template  # noqa: F401 - fixture

SVG_HEAD = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'width="111mm" height="154mm" viewBox="0 0 111 154">'
    '<rect width="111" height="154" fill="#f4ecdf"/>'
)


def png_data_uri(colour: tuple[int, int, int, int], size: tuple[int, int] = (60, 40)) -> str:
    buffer = io.BytesIO()
    Image.new("RGBA", size, colour).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def use_artwork(template: Path, svg_body: str) -> None:
    (template / "art.svg").write_text(SVG_HEAD + svg_body + "</svg>", encoding="utf-8")
    file = template / "template.toml"
    file.write_text(file.read_text(encoding="utf-8").replace("artwork.pdf", "art.svg"), encoding="utf-8")


def render_first(tmp_path: Path, run_cli: Callable[..., Any], template: Path, *extra: str) -> Path:
    out = tmp_path / "out"
    result = run_cli("render", SAMPLE, "--template", template, "--out", out, "--quiet", *extra)
    assert result.exit_code == 0, result.stderr
    return out / read_manifest(out)[0]["file"]


def pixel_at_mm(pdf: Path, x_mm: float, y_mm: float, bleed_mm: float = 3) -> tuple[int, int, int]:
    """The colour at a point in trim mm (from the top-left) of the first page, rendered by pdfium."""
    scale = 2
    document = pdfium.PdfDocument(str(pdf))
    try:
        image = document[0].render(scale=scale).to_pil().convert("RGB")
    finally:
        document.close()
    factor = 72 / 25.4 * scale
    return image.getpixel((round((x_mm + bleed_mm) * factor), round((y_mm + bleed_mm) * factor)))  # type: ignore[return-value]


def image_xobjects(pdf: Path) -> list[dict[str, Any]]:
    """Every image XObject reachable from the first page (through forms), once each."""
    reader = PdfReader(str(pdf))
    found: dict[int, dict[str, Any]] = {}

    def visit(resources: Any) -> None:
        for reference in (resources.get_object().get("/XObject") or {}).values():
            xobject = reference.get_object()
            if xobject.get("/Subtype") == "/Image":
                found[reference.idnum] = dict(xobject)
            elif "/Resources" in xobject:
                visit(xobject["/Resources"])

    visit(reader.pages[0]["/Resources"])
    return list(found.values())


def test_svg_with_embedded_png_renders_instead_of_crashing(
    tmp_path: Path,
    run_cli: Callable[..., Any],
    docs_template: Path,  # noqa: F811
) -> None:
    # The exact case the docs' own error message suggests: "embed the image in the SVG".
    use_artwork(
        docs_template,
        f'<image id="photo" x="10" y="100" width="60" height="40" '
        f'xlink:href="{png_data_uri((30, 90, 200, 255))}"/>',
    )
    pdf = render_first(tmp_path, run_cli, docs_template)
    images = image_xobjects(pdf)
    assert [image["/ColorSpace"] for image in images] == ["/DeviceCMYK"]
    assert colour_use(pdf).device_rgb_images == 0
    assert pdfx4_problems(pdf) == []
    red, green, blue = pixel_at_mm(pdf, 40, 120)
    assert blue > 150 and red < 100, (red, green, blue)  # the blue image is really there
    assert decode_qr_codes(pdf)[0]


def test_embedded_png_keeps_its_transparency_as_a_soft_mask(
    tmp_path: Path,
    run_cli: Callable[..., Any],
    docs_template: Path,  # noqa: F811
) -> None:
    use_artwork(
        docs_template,
        f'<image id="stamp" x="10" y="100" width="60" height="40" '
        f'xlink:href="{png_data_uri((200, 30, 30, 0))}"/>',
    )
    pdf = render_first(tmp_path, run_cli, docs_template)
    (image,) = image_xobjects(pdf)
    assert "/SMask" in image
    # Fully transparent: the cream background shows through.
    assert pixel_at_mm(pdf, 40, 120) == pixel_at_mm(pdf, 90, 145)


def test_gradients_are_cmyk_and_opacity_is_kept(
    tmp_path: Path,
    run_cli: Callable[..., Any],
    docs_template: Path,  # noqa: F811
) -> None:
    use_artwork(
        docs_template,
        "<defs><style>.veil{opacity:0.5}</style>"
        '<linearGradient id="sky"><stop offset="0" stop-color="#e2412f"/>'
        '<stop offset="1" stop-color="#1f4e9c"/></linearGradient>'
        '<radialGradient id="sun"><stop offset="0" stop-color="#ffcc00"/>'
        '<stop offset="1" stop-color="#e2412f"/></radialGradient></defs>'
        '<rect x="5" y="100" width="100" height="20" fill="url(#sky)"/>'
        '<circle cx="85" cy="135" r="12" fill="url(#sun)" opacity="0.8"/>'
        '<rect class="veil" x="5" y="122" width="20" height="20" fill="#000000"/>',
    )
    pdf = render_first(tmp_path, run_cli, docs_template)
    reader = PdfReader(str(pdf))
    shadings, alphas = [], []

    def visit(resources: Any) -> None:
        resources = resources.get_object()
        for shading in (resources.get("/Shading") or {}).values():
            shadings.append(shading.get_object())
        for state in (resources.get("/ExtGState") or {}).values():
            state = state.get_object()
            alphas.extend(float(state[key]) for key in ("/ca", "/CA") if key in state)
        for xobject in (resources.get("/XObject") or {}).values():
            if "/Resources" in xobject.get_object():
                visit(xobject.get_object()["/Resources"])

    visit(reader.pages[0]["/Resources"])
    assert len(shadings) == 2
    assert all(shading["/ColorSpace"] == "/DeviceCMYK" for shading in shadings)
    assert 0.5 in alphas and 0.8 in alphas
    assert pdfx4_problems(pdf) == []
    check = run_cli("check", SAMPLE, "--template", docs_template)
    assert "RGB colour" not in check.stdout
    # The half-transparent black square is grey, not black: the opacity was drawn.
    grey = pixel_at_mm(pdf, 15, 132)
    assert 90 < grey[0] < 200, grey


def test_clipping_path_clips(tmp_path: Path, run_cli: Callable[..., Any], docs_template: Path) -> None:  # noqa: F811
    use_artwork(
        docs_template,
        '<defs><clipPath id="round"><circle cx="50" cy="125" r="10"/></clipPath></defs>'
        '<rect x="20" y="100" width="80" height="50" fill="#1f4e9c" clip-path="url(#round)"/>',
    )
    pdf = render_first(tmp_path, run_cli, docs_template)
    inside, outside = pixel_at_mm(pdf, 47, 122), pixel_at_mm(pdf, 25, 145)
    assert inside[2] > 100 and inside[0] < 100
    assert outside[0] > 200  # cream: the rectangle was clipped away there


def test_external_image_href_is_still_refused(docs_template: Path) -> None:  # noqa: F811
    from greetcard.artwork import prepare_artwork

    use_artwork(docs_template, '<image x="0" y="0" width="10" height="10" xlink:href="logo.png"/>')
    with pytest.raises(TemplateError, match="links an external image"):
        prepare_artwork(docs_template / "art.svg", (105, 148), 3)


def test_svg_element_that_cannot_be_drawn_is_named(docs_template: Path) -> None:  # noqa: F811
    from greetcard.artwork import prepare_artwork

    use_artwork(
        docs_template,
        '<image id="broken-photo" x="0" y="0" width="10" height="10" '
        'xlink:href="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAE="/>'
        '<rect id="ok" x="1" y="1" width="5" height="5" fill="#000"/>',
    )
    try:
        prepare_artwork(docs_template / "art.svg", (105, 148), 3)
    except TemplateError as err:
        assert "broken-photo" in str(err) and "cannot be read" in str(err)
    else:
        pytest.fail("a damaged embedded image must be refused")


def test_transparent_gradient_does_not_darken_its_shape(
    tmp_path: Path,
    run_cli: Callable[..., Any],
    docs_template: Path,  # noqa: F811
) -> None:
    # svglib fills the clip path in the current colour (black) before the shading; under opacity
    # that black showed through as a grey rim.
    use_artwork(
        docs_template,
        '<defs><radialGradient id="same"><stop offset="0" stop-color="#f4ecdf"/>'
        '<stop offset="1" stop-color="#f4ecdf"/></radialGradient></defs>'
        '<circle cx="50" cy="125" r="15" fill="url(#same)" opacity="0.6"/>',
    )
    pdf = render_first(tmp_path, run_cli, docs_template)
    inside, outside = pixel_at_mm(pdf, 50, 125), pixel_at_mm(pdf, 90, 145)
    assert all(abs(a - b) <= 3 for a, b in zip(inside, outside, strict=True)), (inside, outside)


def test_element_reportlab_fails_to_draw_is_named_not_a_traceback(
    docs_template: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reportlab.graphics.shapes import DirectDraw

    from greetcard import svgart
    from greetcard.artwork import prepare_artwork

    class Exploding(DirectDraw):  # type: ignore[misc]
        def __init__(self) -> None:
            self._svgid = "sparkle-effect"

        def drawDirectly(self, renderer: Any) -> None:
            raise TypeError("sequence item 209: expected str instance, bytes found")

        def getBounds(self) -> tuple[float, float, float, float]:
            return (0, 0, 1, 1)

    original = svgart.prepare_drawing

    def with_a_bad_node(drawing: Any, path: Path, cmyk: bool) -> None:
        original(drawing, path, cmyk)
        drawing.contents[0].add(Exploding())

    monkeypatch.setattr(svgart, "prepare_drawing", with_a_bad_node)
    use_artwork(docs_template, '<circle cx="50" cy="50" r="10" fill="#000"/>')
    with pytest.raises(TemplateError, match="the SVG element id='sparkle-effect' cannot be drawn"):
        prepare_artwork(docs_template / "art.svg", (105, 148), 3)
