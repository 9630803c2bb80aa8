"""Each hook into reportlab's or pypdf's private internals (greetcard/rl_hooks.py), alone.

When a new reportlab or pypdf changes an internal we rely on, one of these
fails and names the hook; the version pins in pyproject.toml keep such a
release out until then.
"""

from __future__ import annotations

import io
import zlib
from typing import Any

from pypdf import PdfReader
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from greetcard import rl_hooks
from greetcard.assets import assets_folder
from greetcard.fonts import load_font

FONT = assets_folder() / "fonts" / "BIZUDPMincho-Regular.ttf"


def canvas_on(buffer: io.BytesIO) -> Canvas:
    return Canvas(buffer, invariant=1, initialFontName=load_font(FONT).registered_name)


def pdf_with(text: str, font_name: str, fingerprint: str = "x") -> bytes:
    buffer = io.BytesIO()
    canvas = canvas_on(buffer)
    rl_hooks.sign(canvas, fingerprint)
    canvas.setFont(font_name, 12)
    canvas.drawString(10, 10, text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def font_files(pdf: bytes) -> dict[str, bytes]:
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    found = {}
    for ref in fonts.values():
        font = ref.get_object()
        found[str(font["/BaseFont"])] = font["/FontDescriptor"]["/FontFile2"].get_object().get_data()
    return found


def test_document_of_is_the_canvas_document() -> None:
    canvas = canvas_on(io.BytesIO())
    assert isinstance(rl_hooks.document_of(canvas), pdfdoc.PDFDocument)


def test_sign_makes_the_file_id_follow_the_fingerprint() -> None:
    face = load_font(FONT).registered_name

    def file_id(fingerprint: str) -> bytes:
        reader = PdfReader(io.BytesIO(pdf_with("謹賀新年", face, fingerprint)))
        return bytes(reader.trailer["/ID"][0].original_bytes)

    assert file_id("a") == file_id("a") != file_id("b")


def test_time_stamp_reads_the_documents_creation_time() -> None:
    stamp, hours, minutes = rl_hooks.time_stamp(rl_hooks.document_of(canvas_on(io.BytesIO())))
    assert stamp == (2000, 1, 1, 0, 0, 0) and (hours, minutes) == (0, 0)  # invariant mode


def test_add_to_catalog_writes_a_key_reportlab_does_not_know() -> None:
    buffer = io.BytesIO()
    canvas = canvas_on(buffer)
    rl_hooks.add_to_catalog(rl_hooks.document_of(canvas), "OutputIntents", pdfdoc.PDFArray([]))
    canvas.showPage()
    canvas.save()
    assert "/OutputIntents" in PdfReader(io.BytesIO(buffer.getvalue())).trailer["/Root"]


def test_stored_bytes_are_the_still_encoded_stream() -> None:
    face = load_font(FONT).registered_name
    reader = PdfReader(io.BytesIO(pdf_with("謹賀新年", face)))
    stream = reader.pages[0]["/Contents"].get_object()
    assert zlib.decompress(rl_hooks.stored_bytes(stream)) == stream.get_data()


def test_subset_tags_follow_the_characters_and_equal_subsets_are_written_once() -> None:
    font = pdfmetrics.getFont(load_font(FONT).registered_name)
    calls: list[int] = []
    original = font.face.makeSubset
    font.face.makeSubset = lambda subset: calls.append(1) or original(subset)
    try:
        first, again, other = (pdf_with(text, font.fontName) for text in ("東西南北", "東西南北", "春夏秋冬"))
    finally:
        del font.face.makeSubset
    assert font_files(first) == font_files(again)  # same name, same bytes
    assert set(font_files(first)).isdisjoint(font_files(other))  # different glyphs, different tag
    assert len(calls) == 2  # the repeated subset came from the cache
    tag = next(iter(font_files(first))).lstrip("/").split("+")[0]
    assert tag.isalpha() and tag.isupper() and len(tag) == 6


def test_a_twin_shares_the_parsed_file_but_keeps_its_own_subsets() -> None:
    face = load_font(FONT)
    main, shared = pdfmetrics.getFont(face.registered_name), pdfmetrics.getFont(face.shared_name)
    assert shared.face is main.face and shared.fontName != main.fontName
    buffer = io.BytesIO()
    canvas = canvas_on(buffer)
    canvas.setFont(main.fontName, 12)
    canvas.drawString(10, 10, "東")
    canvas.setFont(shared.fontName, 12)
    canvas.drawString(10, 30, "西")
    canvas.showPage()
    canvas.save()
    assert len(font_files(buffer.getvalue())) == 2


def test_font_tables_are_sliced_once() -> None:
    face = pdfmetrics.getFont(load_font(FONT).registered_name).face
    assert face.get_table("glyf") is face.get_table("glyf")


def test_a_seeded_subset_does_not_depend_on_the_order_of_use() -> None:
    shared = load_font(FONT).shared_name
    font = pdfmetrics.getFont(shared)

    def pdf(seed: str, text: str) -> bytes:
        buffer = io.BytesIO()
        canvas = canvas_on(buffer)
        rl_hooks.seed_subset(font, rl_hooks.document_of(canvas), seed)
        canvas.setFont(shared, 12)
        canvas.drawString(10, 10, text)
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()

    assert font_files(pdf("年新賀謹", "謹賀")) == font_files(pdf("年新賀謹", "新年"))


def test_a_soft_mask_set_on_an_image_reader_reaches_the_pdf() -> None:
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    reader = ImageReader(Image.new("RGB", (4, 4), (200, 30, 30)))
    reader.getRGBData()
    rl_hooks.set_soft_mask(reader, ImageReader(Image.new("L", (4, 4), 128)))
    buffer = io.BytesIO()
    canvas = canvas_on(buffer)
    canvas.drawImage(reader, 10, 10, 40, 40, mask="auto")
    canvas.showPage()
    canvas.save()
    images = PdfReader(io.BytesIO(buffer.getvalue())).pages[0]["/Resources"]["/XObject"]
    assert any("/SMask" in ref.get_object() for ref in images.values())


def test_gradient_colours_of_an_svg_shape_can_be_read_and_replaced(tmp_path: Any) -> None:
    from reportlab.lib.colors import CMYKColor
    from svglib.svglib import svg2rlg

    svg = tmp_path / "gradient.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs>'
        '<linearGradient id="g"><stop offset="0" stop-color="#ff0000"/>'
        '<stop offset="1" stop-color="#0000ff"/>'
        '</linearGradient></defs><rect width="10" height="10" fill="url(#g)"/></svg>',
        encoding="utf-8",
    )
    drawing = svg2rlg(str(svg))
    found = []

    def walk(node: Any) -> None:
        for child in getattr(node, "contents", []):
            if hasattr(child, "_rl_colors"):
                found.append(child)
            walk(child)

    walk(drawing)
    (shape,) = found
    assert len(rl_hooks.gradient_colors(shape)) == 2
    rl_hooks.set_gradient_colors(shape, [CMYKColor(0, 1, 1, 0), CMYKColor(1, 1, 0, 0)])
    assert isinstance(rl_hooks.gradient_colors(shape)[0], CMYKColor)


def test_a_shape_that_draws_itself_finds_the_renderers_canvas() -> None:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.shapes import DirectDraw, Drawing

    seen: list[Any] = []

    class Probe(DirectDraw):  # type: ignore[misc]
        def drawDirectly(self, renderer: Any) -> None:
            seen.append(rl_hooks.renderer_canvas(renderer))

    drawing = Drawing(10, 10)
    drawing.add(Probe())
    canvas = canvas_on(io.BytesIO())
    renderPDF.draw(drawing, canvas, 0, 0)
    assert seen == [canvas]
