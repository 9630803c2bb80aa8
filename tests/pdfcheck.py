"""Independent structural checks of print PDFs, written against the standards, on pypdf.

Nothing here imports greetcard: these readers judge its output from outside.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ContentStream


def reader_for(pdf: Path | bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)


def pdfx4_problems(pdf: Path | bytes) -> list[str]:
    """Every PDF/X-4 (ISO 15930-7) structural requirement this file misses; empty when none."""
    raw = pdf if isinstance(pdf, bytes) else pdf.read_bytes()
    reader = reader_for(raw)
    problems = []
    header = re.match(rb"%PDF-(\d)\.(\d)", raw)
    if not header or (int(header[1]), int(header[2])) < (1, 6):
        problems.append("header version below PDF 1.6")
    if reader.is_encrypted:
        problems.append("encrypted")
    if "/ID" not in reader.trailer:
        problems.append("no /ID in the trailer")
    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else {}
    if not str(info.get("/GTS_PDFXVersion", "")).startswith("PDF/X-4"):
        problems.append("Info has no GTS_PDFXVersion PDF/X-4")
    if info.get("/Trapped") not in ("/True", "/False"):
        problems.append("Info /Trapped is not True or False")
    catalog = reader.trailer["/Root"].get_object()
    intents = catalog.get("/OutputIntents")
    intents = [i.get_object() for i in intents.get_object()] if intents is not None else []
    pdfx_intents = [i for i in intents if i.get("/S") == "/GTS_PDFX"]
    if len(pdfx_intents) != 1:
        problems.append("not exactly one GTS_PDFX OutputIntent")
    else:
        intent = pdfx_intents[0]
        if not intent.get("/OutputConditionIdentifier"):
            problems.append("OutputIntent without OutputConditionIdentifier")
        profile = intent.get("/DestOutputProfile")
        if profile is None:
            problems.append("OutputIntent without an embedded DestOutputProfile")
        else:
            profile = profile.get_object()
            data = profile.get_data()
            if profile.get("/N") != 4 or data[16:20] != b"CMYK" or data[12:16] != b"prtr":
                problems.append("DestOutputProfile is not a CMYK output (prtr) ICC profile")
    metadata = catalog.get("/Metadata")
    if metadata is None:
        problems.append("no XMP metadata in the catalog")
    else:
        xmp = metadata.get_object().get_data().decode("utf-8", "replace")
        if "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" not in xmp:
            problems.append("XMP lacks pdfxid:GTS_PDFXVersion PDF/X-4")
        for key in ("xmp:CreateDate", "xmp:ModifyDate", "dc:title"):
            if f"<{key}>" not in xmp:
                problems.append(f"XMP lacks {key}")
    for number, page in enumerate(reader.pages, start=1):
        media = [float(v) for v in page.mediabox]
        if "/TrimBox" not in page and "/ArtBox" not in page:
            problems.append(f"page {number} has no TrimBox")
        if "/TrimBox" in page and "/ArtBox" in page:
            problems.append(f"page {number} has both TrimBox and ArtBox")
        for name in ("/TrimBox", "/BleedBox"):
            if name in page and not contains(media, [float(v) for v in page[name]]):
                problems.append(f"page {number} {name} is not inside the MediaBox")
    for font in fonts_of(reader):
        if not font["embedded"]:
            problems.append(f"font {font['name']} is not embedded")
    return problems


def contains(outer: list[float], inner: list[float], slack: float = 0.01) -> bool:
    return (
        outer[0] <= inner[0] + slack
        and outer[1] <= inner[1] + slack
        and outer[2] >= inner[2] - slack
        and outer[3] >= inner[3] - slack
    )


def fonts_of(reader: PdfReader) -> list[dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for resources in _all_resources(reader):
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            file_ref = (
                descriptor.get("/FontFile2") or descriptor.get("/FontFile") or descriptor.get("/FontFile3")
            )
            found[ref.idnum] = {
                "name": str(font.get("/BaseFont")),
                "embedded": file_ref is not None,
                "file_id": getattr(file_ref, "idnum", None),
            }
    return list(found.values())


def _all_resources(reader: PdfReader) -> Iterator[Any]:
    seen: set[int] = set()

    def visit(resources: Any) -> Iterator[Any]:
        if resources is None:
            return
        resources = resources.get_object()
        yield resources
        for ref in (resources.get("/XObject") or {}).values():
            if getattr(ref, "idnum", None) in seen:
                continue
            seen.add(ref.idnum)
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Form":
                yield from visit(xobject.get("/Resources"))

    for page in reader.pages:
        yield from visit(page.get("/Resources"))


@dataclass
class ColourUse:
    """What a content stream paints with: fill colours at text and path fills, RGB operators."""

    text_fills: set[tuple[float, ...]] = field(default_factory=set)
    path_fills: set[tuple[float, ...]] = field(default_factory=set)
    rgb_operators: int = 0
    device_rgb_images: int = 0
    strokes: list[tuple[tuple[float, float], tuple[float, float]]] = field(default_factory=list)


def colour_use(pdf: Path | bytes, page_number: int = 0, include_forms: bool = True) -> ColourUse:
    """Walk a page's content (and its forms) tracking the fill colour at each text and fill operator."""
    reader = reader_for(pdf)
    page = reader.pages[page_number]
    use = ColourUse()

    def walk(content: Any, resources: Any) -> None:
        fill: tuple[float, ...] = (0.0,)  # DeviceGray black, the PDF default
        stack: list[tuple[float, ...]] = []
        point: tuple[float, float] = (0.0, 0.0)
        operations = ContentStream(content, reader).operations
        for operands, operator in operations:
            values = tuple(round(float(v), 4) for v in operands if isinstance(v, int | float))
            if operator in (b"k", b"g") or operator == b"rg":
                fill = values
                if operator == b"rg":
                    use.rgb_operators += 1
            elif operator == b"RG":
                use.rgb_operators += 1
            elif operator == b"q":
                stack.append(fill)
            elif operator == b"Q" and stack:
                fill = stack.pop()
            elif operator in (b"Tj", b"TJ", b"'", b'"'):
                use.text_fills.add(fill)
            elif operator in (b"f", b"F", b"f*", b"B", b"B*"):
                use.path_fills.add(fill)
            elif operator == b"m":
                point = (float(operands[0]), float(operands[1]))
            elif operator == b"l":
                end = (float(operands[0]), float(operands[1]))
                use.strokes.append((point, end))
                point = end
            elif operator == b"Do" and include_forms:
                xobject = resources["/XObject"][operands[0]].get_object()
                if xobject.get("/Subtype") == "/Image":
                    if xobject.get("/ColorSpace") == "/DeviceRGB":
                        use.device_rgb_images += 1
                elif xobject.get("/Subtype") == "/Form":
                    inner = ColourUse()
                    nested = _walk_form(reader, xobject, inner)
                    use.rgb_operators += nested.rgb_operators
                    use.device_rgb_images += nested.device_rgb_images

    walk(page.get_contents(), page["/Resources"].get_object())
    return use


def _walk_form(reader: PdfReader, form: Any, use: ColourUse) -> ColourUse:
    resources = form.get("/Resources")
    resources = resources.get_object() if resources is not None else {}
    color_spaces = resources.get("/ColorSpace") or {}
    default_rgb = "/DefaultRGB" in color_spaces
    for operands, operator in ContentStream(form, reader).operations:
        if operator in (b"rg", b"RG") and not default_rgb:
            use.rgb_operators += 1
        elif operator == b"Do":
            xobject = resources["/XObject"][operands[0]].get_object()
            if (
                xobject.get("/Subtype") == "/Image"
                and xobject.get("/ColorSpace") == "/DeviceRGB"
                and not default_rgb
            ):
                use.device_rgb_images += 1
            elif xobject.get("/Subtype") == "/Form":
                _walk_form(reader, xobject, use)
    return use
