"""Designer artwork (PDF, SVG, PNG/JPEG) prepared once, placed on every card.

Every format becomes the first page of a PDF, which is read with pypdf and
turned into one Form XObject whose objects are serialised to bytes *once*.
Each card's document then only links those bytes in (object numbers are
filled in per document), so a batch of 650 cards never re-parses, re-encodes
or re-compresses the artwork, and a multi-page batch file stores it once.
"""

from __future__ import annotations

import io
import math
import re
import struct
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NullObject,
    StreamObject,
)
from reportlab.pdfbase.pdfdoc import PDFObject, PDFObjectReference, xObjectName

from . import colour
from .errors import GreetcardError, TemplateError
from .rl_hooks import stored_bytes

PT_PER_MM = 72 / 25.4
#: Size mismatch tolerated between artwork and card trim (export rounding).
SIZE_TOLERANCE_MM = 0.5
#: Raster artwork resolution in screen (RGB) output.
SCREEN_DPI = 150
_SKIPPED_KEYS = {"/Parent", "/P", "/StructParent", "/StructParents", "/Annots", "/B", "/Metadata"}
_DEVICE_RGB = re.compile(rb"(?<![A-Za-z])(rg|RG)(?![A-Za-z])")

# A serialised object: literal byte chunks interleaved with indexes of other objects.
Chunks = list[bytes | int]


@dataclass(frozen=True)
class Rect:
    left: float
    bottom: float
    right: float
    top: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom


@dataclass(frozen=True)
class PreparedArtwork:
    """Artwork ready to be linked into any document, plus the facts preflight needs."""

    source: Path
    kind: str
    trim_in_form: Rect
    bbox: Rect
    objects: tuple[Chunks, ...]
    bleed_covered_mm: tuple[float, float, float, float]
    raster_dpi: float | None = None
    device_rgb: bool = False
    unembedded_fonts: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


class _LinkedObject(PDFObject):  # type: ignore[misc]
    """One artwork object inside one document: chunks joined with that document's numbers."""

    __RefOnly__ = 1

    def __init__(self, chunks: Chunks, siblings: list[_LinkedObject]) -> None:
        self.chunks = chunks
        self.siblings = siblings

    def format(self, document: Any) -> bytes:
        parts = []
        for chunk in self.chunks:
            if isinstance(chunk, int):
                reference: PDFObjectReference = document.Reference(self.siblings[chunk])
                parts.append(reference.format(document))
            else:
                parts.append(chunk)
        return b"".join(parts)


def link_into(document: Any, objects: tuple[Chunks, ...], form_name: str) -> None:
    """Register prepared form objects in a reportlab document as the form ``form_name``."""
    siblings: list[_LinkedObject] = []
    siblings.extend(_LinkedObject(chunks, siblings) for chunks in objects)
    document.Reference(siblings[0], xObjectName(form_name))


@dataclass(frozen=True)
class ImportedPage:
    """Any PDF page as form objects, e.g. a finished card placed on a proof sheet."""

    objects: tuple[Chunks, ...]
    bbox: Rect


def import_page(pdf: bytes, page_index: int = 0, box: str = "/MediaBox") -> ImportedPage:
    """A page of a PDF (as bytes) as a form clipped to ``box``."""
    page = PdfReader(io.BytesIO(pdf)).pages[page_index]
    bbox = _rect(page.get(box) or page.mediabox)
    contents = page.get_contents()
    content = contents.get_data() if contents is not None else b""
    resources = _resources_in_use(page, content)
    content = _without_unlisted_font_selections(content, resources)
    return ImportedPage(tuple(_serialise_page_as_form(page, bbox, content, resources, None)), bbox)


# --- preparing ---------------------------------------------------------------


def prepare_artwork(
    path: Path,
    trim_mm: tuple[float, float],
    bleed_mm: float,
    color_model: str = "cmyk",
) -> PreparedArtwork:
    """Turn an artwork file into a reusable form for ``color_model`` output.

    For CMYK, raster images and SVG colours go through the ICC transform and
    DeviceRGB left in a vector PDF is tagged as sRGB; for RGB (screen), the
    page's own CMYK fills and strokes are converted to RGB.
    """
    try:
        return _prepare_artwork(path, trim_mm, bleed_mm, color_model)
    except GreetcardError:
        raise
    except RecursionError:
        raise TemplateError(
            f"{path}: the artwork nests its objects too deeply to read — export it again from the "
            "design program (e.g. as PDF/X-4)"
        ) from None
    except (
        PyPdfError,
        ValueError,
        TypeError,
        LookupError,
        AttributeError,
        ArithmeticError,
    ) as err:
        raise TemplateError(
            f"{path}: cannot read the artwork ({type(err).__name__}: {str(err)[:200]}) — export it again "
            "from the design program (PDF, SVG, PNG or JPEG)"
        ) from None
    except (zlib.error, struct.error, MemoryError) as err:
        raise TemplateError(
            f"{path}: the artwork is damaged or too large to unpack ({type(err).__name__}) — export it again"
        ) from None


def _prepare_artwork(
    path: Path,
    trim_mm: tuple[float, float],
    bleed_mm: float,
    color_model: str,
) -> PreparedArtwork:
    from .limits import LimitError, how_to_raise, limit

    try:
        size = path.stat().st_size
    except OSError as err:
        raise TemplateError(f"{path}: cannot read the artwork ({err.strerror or err})") from None
    if size > limit("artwork_bytes"):
        raise LimitError(
            f"{path}: the artwork file is {size:,} bytes (limit {limit('artwork_bytes'):,}) — export it "
            f"smaller; {how_to_raise('artwork_bytes')}"
        )
    cmyk = color_model == "cmyk"
    suffix = path.suffix.lower()
    notes: list[str] = []
    raster_dpi = None
    if suffix == ".pdf":
        pdf = path.read_bytes()
        kind = "pdf"
    elif suffix == ".svg":
        pdf = _svg_to_pdf(path, cmyk)
        kind = "svg"
    else:
        pdf, raster_dpi = _raster_to_pdf(path, trim_mm, bleed_mm, cmyk)
        kind = "raster"
    try:
        reader = PdfReader(io.BytesIO(pdf))
        if reader.is_encrypted:
            raise TemplateError(f"{path}: the artwork PDF is encrypted — export it without a password")
        page = reader.pages[0]
    except (PdfReadError, IndexError, ValueError) as err:
        raise TemplateError(f"{path}: cannot read the artwork ({err}) — export it again as PDF") from None
    rotate = page.get("/Rotate", 0) or 0
    if isinstance(rotate, IndirectObject):
        rotate = rotate.get_object()
    if not isinstance(rotate, int | float) or not math.isfinite(rotate):
        raise TemplateError(
            f"{path}: the artwork page has an invalid /Rotate value ({str(rotate)[:40]}) — export it again"
        )
    if int(rotate) % 360:
        raise TemplateError(
            f"{path}: the artwork page is rotated — export it upright, at the card's orientation"
        )
    bbox = _rect(page.get("/BleedBox") or page.get("/CropBox") or page.mediabox)
    trim_in_form = _artwork_trim(path, page, bbox, trim_mm)
    # SVG colours are rewritten below; what else is RGB (gradients, embedded images) is tagged sRGB.
    device_rgb = (
        _uses_device_rgb(page) if kind == "pdf" else kind == "svg" and _resources_use_device_rgb(page)
    )
    if device_rgb and cmyk:
        notes.append("artwork uses DeviceRGB; it is tagged as sRGB for CMYK output")
    contents = page.get_contents()
    content = contents.get_data() if contents is not None else b""
    if contents is not None and not cmyk:
        content = _convert_colour_operators(contents, (b"k", b"K"), colour.cmyk_to_rgb)
    elif contents is not None and kind == "svg":
        content = _convert_colour_operators(contents, (b"rg", b"RG"), colour.rgb_to_cmyk)
    resources = _resources_in_use(page, content)
    content = _without_unlisted_font_selections(content, resources)
    srgb_profile = colour.srgb_profile_bytes() if device_rgb and cmyk else None
    # Nested forms carry their own colour operators: in an RGB profile they become RGB too.
    nested = (
        (lambda data: _convert_colour_operators(data, (b"k", b"K"), colour.cmyk_to_rgb)) if not cmyk else None
    )
    objects = _serialise_page_as_form(page, bbox, content, resources, srgb_profile, nested)
    covered = (
        (trim_in_form.left - bbox.left) / PT_PER_MM,
        (trim_in_form.bottom - bbox.bottom) / PT_PER_MM,
        (bbox.right - trim_in_form.right) / PT_PER_MM,
        (bbox.top - trim_in_form.top) / PT_PER_MM,
    )
    return PreparedArtwork(
        source=path,
        kind=kind,
        trim_in_form=trim_in_form,
        bbox=bbox,
        objects=tuple(objects),
        bleed_covered_mm=tuple(round(max(0.0, c), 3) for c in covered),  # type: ignore[arg-type]
        raster_dpi=raster_dpi,
        device_rgb=device_rgb,
        unembedded_fonts=_unembedded_fonts(resources, set()),
        notes=tuple(notes),
    )


def _rect(box: Any) -> Rect:
    values = [float(v) for v in box] if isinstance(box, list | tuple) else []
    if len(values) != 4 or not all(math.isfinite(v) and abs(v) < 1e7 for v in values):
        raise ValueError(f"the page's box {str(box)[:80]} is not four finite numbers")
    return Rect(
        min(values[0], values[2]),
        min(values[1], values[3]),
        max(values[0], values[2]),
        max(values[1], values[3]),
    )


def _artwork_trim(path: Path, page: Any, bbox: Rect, trim_mm: tuple[float, float]) -> Rect:
    """Where the card's trim lies in the artwork: its TrimBox, else centred in the page."""
    width_pt, height_pt = trim_mm[0] * PT_PER_MM, trim_mm[1] * PT_PER_MM
    if "/TrimBox" in page:
        trim = _rect(page["/TrimBox"])
        if (
            abs(trim.width - width_pt) > SIZE_TOLERANCE_MM * PT_PER_MM
            or abs(trim.height - height_pt) > SIZE_TOLERANCE_MM * PT_PER_MM
        ):
            raise TemplateError(
                f"{path}: the artwork's trim is {trim.width / PT_PER_MM:.1f} × "
                f"{trim.height / PT_PER_MM:.1f} mm but the card is {trim_mm[0]:g} × {trim_mm[1]:g} mm "
                "— export the artwork at the card's size (plus bleed)"
            )
        return trim
    tolerance = SIZE_TOLERANCE_MM * PT_PER_MM
    if bbox.width + tolerance < width_pt or bbox.height + tolerance < height_pt:
        raise TemplateError(
            f"{path}: the artwork is {bbox.width / PT_PER_MM:.1f} × {bbox.height / PT_PER_MM:.1f} mm and "
            f"does not cover the card ({trim_mm[0]:g} × {trim_mm[1]:g} mm) — export it at the card's "
            "size plus bleed on every side"
        )
    left = bbox.left + (bbox.width - width_pt) / 2
    bottom = bbox.bottom + (bbox.height - height_pt) / 2
    return Rect(left, bottom, left + width_pt, bottom + height_pt)


def _resources_use_device_rgb(page: Any) -> bool:
    resources = page.get("/Resources")
    return resources is not None and b"/DeviceRGB" in _flat_bytes(resources.get_object(), set())


def _uses_device_rgb(page: Any) -> bool:
    if _resources_use_device_rgb(page):
        return True
    contents = page.get_contents()
    return contents is not None and bool(_DEVICE_RGB.search(contents.get_data()))


def _fonts_showing_text(content: bytes) -> set[str]:
    """Names of the fonts that are current when text is actually shown."""
    from pypdf.generic import ContentStream, DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(content)
    used: set[str] = set()
    current = ""
    for operands, operator in ContentStream(stream, None).operations:
        if operator == b"Tf" and operands:
            current = str(operands[0]).lstrip("/")
        elif operator in (b"Tj", b"TJ", b"'", b'"') and current:
            used.add(current)
    return used


def _resources_in_use(page: Any, content: bytes) -> DictionaryObject:
    """The page's resources without fonts its content never selects.

    PDF writers (reportlab among them) list an initial font on every page even
    when no text is drawn; carried into the form it would be an unembedded font.
    """
    resources = page.get("/Resources")
    copied = DictionaryObject(resources.get_object() if resources is not None else {})
    if "/Font" in copied:
        used = _fonts_showing_text(content)
        listed: Any = copied["/Font"].get_object()
        fonts = DictionaryObject({key: value for key, value in listed.items() if key[1:] in used})
        if fonts:
            copied[NameObject("/Font")] = fonts
        else:
            del copied["/Font"]
    return copied


_FONT_SELECTION = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+[-+]?(?:\d+\.?\d*|\.\d+)\s+Tf\b")


def _without_unlisted_font_selections(content: bytes, resources: Any) -> bytes:
    """Drop ``/F1 12 Tf`` for fonts the form's resources no longer list (they never show text).

    reportlab starts every page with ``BT /F1 12 Tf 14.4 TL ET``; once the unused font is left
    out of the form's resources, that selection points at nothing and viewers warn on every card.
    """
    listed = resources.get("/Font")
    kept = {str(name).lstrip("/") for name in (listed.get_object().keys() if listed is not None else ())}
    return _FONT_SELECTION.sub(
        lambda match: match.group(0) if match.group(1).decode("latin-1") in kept else b"", content
    )


def _unembedded_fonts(resources: Any, seen: set[int]) -> tuple[str, ...]:
    """Fonts the artwork uses without embedding them (print shops reject those)."""
    if resources is None:
        return ()
    resources = resources.get_object()
    names: list[str] = []
    for font in (resources.get("/Font") or {}).values():
        font = font.get_object()
        descendants = font.get("/DescendantFonts")
        target = descendants.get_object()[0].get_object() if descendants else font
        descriptor = target.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else {}
        if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
            names.append(str(font.get("/BaseFont", "?")).lstrip("/"))
    for xobject in (resources.get("/XObject") or {}).values():
        if isinstance(xobject, IndirectObject):
            if xobject.idnum in seen:
                continue
            seen.add(xobject.idnum)
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            names.extend(_unembedded_fonts(xobject.get("/Resources"), seen))
    return tuple(dict.fromkeys(names))


def _flat_bytes(obj: Any, seen: set[int]) -> bytes:
    """All names and keys reachable from ``obj`` (no stream data), to spot colour spaces."""
    if isinstance(obj, IndirectObject):
        if obj.idnum in seen:
            return b""
        seen.add(obj.idnum)
        obj = obj.get_object()
    if isinstance(obj, dict):
        return b" ".join(str(k).encode() + b" " + _flat_bytes(v, seen) for k, v in obj.items())
    if isinstance(obj, list):
        return b" ".join(_flat_bytes(v, seen) for v in obj)
    if isinstance(obj, NameObject):
        return str(obj).encode()
    return b""


_COLOUR_OPERATORS = {b"k": b"rg", b"K": b"RG", b"rg": b"k", b"RG": b"K"}


def _convert_colour_operators(
    contents: Any, source: tuple[bytes, bytes], convert: Callable[[Any], Any]
) -> bytes:
    """Rewrite fill/stroke colour operators (``k``/``K`` ⇄ ``rg``/``RG``) through the ICC transform."""
    from pypdf.generic import ContentStream, FloatObject

    stream = contents if isinstance(contents, ContentStream) else ContentStream(contents, None)
    operations = []
    for operands, operator in stream.operations:
        if operator in source and len(operands) in (3, 4):
            converted = convert(tuple(float(value) for value in operands))
            operands = [FloatObject(round(value, 4)) for value in converted]
            operator = _COLOUR_OPERATORS[operator]
        operations.append((operands, operator))
    stream.operations = operations
    return bytes(stream.get_data())


def _serialise_page_as_form(
    page: Any,
    bbox: Rect,
    content: bytes,
    resources: DictionaryObject,
    srgb_profile: bytes | None,
    convert_forms: Callable[[Any], bytes] | None = None,
) -> list[Chunks]:
    """The page as a Form XObject (object 0) and everything its resources reach.

    ``convert_forms`` rewrites the content of nested form XObjects (colour conversion).
    """
    objects: list[Chunks] = [[]]
    numbers: dict[tuple[int, int], int] = {}

    def new_object() -> int:
        objects.append([])
        return len(objects) - 1

    def write(value: Any, out: Chunks) -> None:
        if isinstance(value, IndirectObject):
            key = (value.idnum, value.generation)
            if key not in numbers:
                numbers[key] = new_object()
                target = value.get_object()
                body: Chunks = []
                if isinstance(target, StreamObject):
                    write_stream(target, body)
                else:
                    write(target, body)
                objects[numbers[key]] = body
            out.append(numbers[key])
        elif isinstance(value, StreamObject):
            # A direct stream is not valid PDF; give it an object of its own.
            index = new_object()
            body = []
            write_stream(value, body)
            objects[index] = body
            out.append(index)
        elif isinstance(value, DictionaryObject):
            out.append(b"<<")
            for key, item in value.items():
                if key in _SKIPPED_KEYS:
                    continue
                out.append(_pdf_bytes(NameObject(key)) + b" ")
                write(item, out)
                out.append(b" ")
            out.append(b">>")
        elif isinstance(value, ArrayObject):
            out.append(b"[")
            for item in value:
                write(item, out)
                out.append(b" ")
            out.append(b"]")
        elif value is None:
            out.append(_pdf_bytes(NullObject()))
        else:
            out.append(_pdf_bytes(value))

    def write_stream(stream: StreamObject, out: Chunks) -> None:
        data = stored_bytes(stream)  # the stored (still encoded) bytes: copied, never re-encoded
        dictionary = DictionaryObject({k: v for k, v in stream.items() if k != "/Length"})
        if convert_forms is not None and stream.get("/Subtype") == "/Form":
            data = convert_forms(stream)
            dictionary = DictionaryObject(
                {k: v for k, v in dictionary.items() if k not in ("/Filter", "/DecodeParms")}
            )
        if "/Filter" not in dictionary:
            data = zlib.compress(data, 6)
            dictionary[NameObject("/Filter")] = NameObject("/FlateDecode")
        write(dictionary, out)
        out[-1:-1] = [f"/Length {len(data)}".encode()]
        out.append(b"\nstream\n" + data + b"\nendstream")

    form: Chunks = [
        b"<< /Type /XObject /Subtype /Form /FormType 1 /BBox [%s] "
        % " ".join(_num(v) for v in (bbox.left, bbox.bottom, bbox.right, bbox.top)).encode()
    ]
    if "/Group" in page:
        form.append(b"/Group ")
        write(page["/Group"], form)
        form.append(b" ")
    form.append(b"/Resources <<")
    for key, item in resources.items():
        if key == "/ColorSpace" and srgb_profile is not None:
            continue
        form.append(_pdf_bytes(NameObject(key)) + b" ")
        write(item, form)
        form.append(b" ")
    if srgb_profile is not None:
        # DefaultRGB makes the artwork's DeviceRGB colour sRGB-managed (allowed in PDF/X-4).
        form.append(b"/ColorSpace <<")
        existing = resources.get("/ColorSpace")
        if existing is not None:
            for key, item in existing.get_object().items():
                if key != "/DefaultRGB":
                    form.append(_pdf_bytes(NameObject(key)) + b" ")
                    write(item, form)
                    form.append(b" ")
        icc_index = new_object()
        compressed = zlib.compress(srgb_profile, 6)
        objects[icc_index] = [
            b"<< /N 3 /Alternate /DeviceRGB /Filter /FlateDecode /Length %d >>\nstream\n" % len(compressed)
            + compressed
            + b"\nendstream"
        ]
        form.extend([b"/DefaultRGB [/ICCBased ", icc_index, b"] >> "])
    form.append(b">>")
    compressed = zlib.compress(content, 6)
    form.append(
        b" /Filter /FlateDecode /Length %d >>\nstream\n" % len(compressed) + compressed + b"\nendstream"
    )
    objects[0] = form
    return objects


def _pdf_bytes(value: Any) -> bytes:
    buffer = io.BytesIO()
    value.write_to_stream(buffer)
    return buffer.getvalue()


def _num(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


# --- other formats become a one-page PDF first ---------------------------------


def _svg_to_pdf(path: Path, cmyk: bool = True) -> bytes:
    from xml.etree import ElementTree

    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as err:
        line, column = err.position
        raise TemplateError(
            f"{path}:{line}:{column + 1}: the SVG is not well-formed XML ({err}) — save it again "
            "from the design program"
        ) from None
    except (LookupError, UnicodeError) as err:  # e.g. <?xml encoding="TF-8"?> (found by fuzzing)
        raise TemplateError(
            f"{path}: the SVG's text encoding cannot be read ({err}) — save it again as UTF-8"
        ) from None
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "image":
            continue
        references = [value for key, value in element.attrib.items() if key.endswith("href")]
        reference = next((value for value in references if not value.startswith("data:")), "")
        if reference or not references:
            raise TemplateError(
                f"{path}: the SVG links an external image ({reference[:60]!r}), which would be left out — "
                "embed the image in the SVG or export the artwork as PDF"
            )
    if any(element.tag.rsplit("}", 1)[-1] == "text" for element in root.iter()):
        raise TemplateError(
            f"{path}: the SVG contains text, which would be drawn in a substitute font — convert the "
            "text to outlines (paths) in the design program"
        )
    from .svgart import svg_to_pdf

    return svg_to_pdf(path, cmyk)


def _raster_to_pdf(
    path: Path, trim_mm: tuple[float, float], bleed_mm: float, cmyk: bool
) -> tuple[bytes, float]:
    from PIL import Image, ImageOps, UnidentifiedImageError
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    from .limits import LimitError, how_to_raise, limit

    image: Any
    try:
        # Chosen by content, never by suffix: formats whose readers run an interpreter (EPS runs
        # Ghostscript) or decode unbounded data are never opened.
        with warnings.catch_warnings():  # the size is judged below, against this card's needs
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path, formats=RASTER_FORMATS)
        width_px, height_px = image.size
        dpi_limit = limit("artwork_dpi")
        allowed = _pixels_at(trim_mm, bleed_mm, dpi_limit)
        if width_px * height_px > allowed:
            raise LimitError(
                f"{path}: the image has {width_px} × {height_px} px, more than this card needs even at "
                f"{dpi_limit} dpi ({allowed:,} px) — scale it to 300–600 dpi at the card's size; "
                f"{how_to_raise('artwork_dpi')}"
            )
        with _pillow_pixel_limit(allowed):
            image.load()
        image = ImageOps.exif_transpose(image)  # cameras and phones store rotation in EXIF
    except UnidentifiedImageError:
        raise TemplateError(
            f"{path}: not a PNG, JPEG or TIFF image (by its content, whatever its name says) — save it "
            "again as PNG or JPEG"
        ) from None
    except (OSError, Image.DecompressionBombError, ValueError, SyntaxError, struct.error) as err:
        raise TemplateError(f"{path}: cannot read the image ({err}) — save it again as PNG or JPEG") from None
    width_px, height_px = image.size
    with_bleed = (trim_mm[0] + 2 * bleed_mm, trim_mm[1] + 2 * bleed_mm)
    aspect = width_px / height_px
    for size_mm in (with_bleed, trim_mm):
        if abs(aspect - size_mm[0] / size_mm[1]) / aspect < 0.01:
            break
    else:
        raise TemplateError(
            f"{path}: the image is {width_px} × {height_px} px, which does not match the card's "
            f"proportions ({with_bleed[0]:g} × {with_bleed[1]:g} mm with bleed) — export it at that size"
        )
    dpi = width_px / (size_mm[0] / 25.4)
    if image.mode in ("P", "LA", "RGBA", "PA"):
        image = _flatten_on_white(image)
    if image.mode not in ("RGB", "CMYK", "L"):
        image = image.convert("RGB")
    if cmyk and image.mode == "RGB":
        image = colour.image_to_cmyk(image)
    elif not cmyk and dpi > SCREEN_DPI:
        # Screen PDFs are for e-mail: 150 dpi looks sharp on any display at a fraction of the size.
        scale = SCREEN_DPI / dpi
        image = image.resize((round(width_px * scale), round(height_px * scale)), resample=3)
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer, pagesize=(size_mm[0] * PT_PER_MM, size_mm[1] * PT_PER_MM), invariant=1, pageCompression=1
    )
    canvas.drawImage(ImageReader(image), 0, 0, size_mm[0] * PT_PER_MM, size_mm[1] * PT_PER_MM)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue(), dpi


#: Raster formats read by content; SVG and PDF have their own readers.
RASTER_FORMATS = ("PNG", "JPEG", "TIFF")


def _pixels_at(trim_mm: tuple[float, float], bleed_mm: float, dpi: int) -> int:
    """Pixels of an image covering the card plus bleed at ``dpi`` (with 1 % for rounding)."""
    width = (trim_mm[0] + 2 * bleed_mm) / 25.4 * dpi
    height = (trim_mm[1] + 2 * bleed_mm) / 25.4 * dpi
    return math.ceil(width * height * 1.01)


@contextmanager
def _pillow_pixel_limit(pixels: int) -> Iterator[None]:
    """Pillow's decompression-bomb limit lowered to what this card needs (restored afterwards)."""
    from PIL import Image

    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = min(previous or pixels, pixels)
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def _flatten_on_white(image: Any) -> Any:
    from PIL import Image

    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")
