"""Image fields: a logo for every card, or a file per row, fitted into a box.

An image file (PNG with or without transparency, JPEG, SVG or PDF) is read
and checked once per distinct file (:func:`inspect_image`) when a row names
it, so a missing or unreadable file refuses that row with its line.  The
renderer then prepares each distinct file once for the output colour model
(:func:`prepare_image`: raster → CMYK through the ICC transform, alpha kept
as a soft mask; SVG/PDF → the same conversion as artwork) and links it into a
document once, however many cards show it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .artwork import RASTER_FORMATS, Chunks, Rect, import_page, prepare_artwork
from .errors import GreetcardError
from .template import Box, ImageField

PT_PER_MM = 72 / 25.4
RASTER_SUFFIXES = (".png", ".jpg", ".jpeg")
#: Above this a file is not a logo but a mistake (or a decompression bomb).
MAX_PIXELS = 80_000_000


class ImageProblem(GreetcardError):
    """An image file that cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class ImageFacts:
    """What is known about an image file without converting it: its kind and natural size."""

    path: Path
    kind: str  # raster, svg or pdf
    width: float  # px for raster, pt for svg/pdf
    height: float

    @property
    def aspect(self) -> float:
        return self.width / self.height


@dataclass(frozen=True)
class PlacedImage:
    """One image field on one card: the file and where it lands (mm from the trim's top-left)."""

    field: ImageField
    facts: ImageFacts
    box: Box  # the image's own rectangle after fitting (may reach outside the field's box for cover)

    @property
    def dpi(self) -> float | None:
        """Effective resolution where it is printed (raster only)."""
        if self.facts.kind != "raster":
            return None
        return self.facts.width / (self.box.width_mm / 25.4)


@dataclass(frozen=True)
class PreparedImage:
    objects: tuple[Chunks, ...]
    bbox: Rect


_FACTS: dict[tuple[Path, int, int], ImageFacts] = {}


def inspect_image(path: Path) -> ImageFacts:
    """Open and check an image file once (cached by path, size and modification time)."""
    try:
        stat = path.stat()
    except OSError as err:
        raise ImageProblem(f"image file {path} not found ({err.strerror})") from None
    key = (path, stat.st_size, stat.st_mtime_ns)
    facts = _FACTS.get(key)
    if facts is None:
        facts = _read_facts(path)
        _FACTS[key] = facts
    return facts


def _read_facts(path: Path) -> ImageFacts:
    suffix = path.suffix.lower()
    if suffix in RASTER_SUFFIXES:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path, formats=RASTER_FORMATS) as image:
                if image.size[0] * image.size[1] > MAX_PIXELS:
                    raise ImageProblem(
                        f"{path.name} has {image.size[0]} × {image.size[1]} px, far more than print needs — "
                        "export it smaller"
                    )
                image.load()
                width, height = image.size
                from PIL import ImageOps

                transposed = ImageOps.exif_transpose(image)
                width, height = transposed.size
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
            raise ImageProblem(
                f"{path.name} cannot be read as an image ({err}) — save it again as PNG or JPEG"
            ) from None
        return ImageFacts(path, "raster", float(width), float(height))
    if suffix == ".pdf":
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(path)
            if reader.is_encrypted:
                raise ImageProblem(f"{path.name} is encrypted — export it without a password")
            page = reader.pages[0]
            box = page.get("/TrimBox") or page.get("/CropBox") or page.mediabox
            values = [float(v) for v in box]
        except (PdfReadError, IndexError, ValueError, KeyError, OSError) as err:
            raise ImageProblem(f"{path.name} cannot be read as a PDF ({err}) — export it again") from None
        return ImageFacts(path, "pdf", abs(values[2] - values[0]), abs(values[3] - values[1]))
    if suffix == ".svg":
        from xml.etree import ElementTree

        from .svgstyle import length_mm, number

        try:
            root = ElementTree.parse(path).getroot()
        except (ElementTree.ParseError, OSError) as err:
            raise ImageProblem(f"{path.name} cannot be read as SVG ({err}) — export it again") from None
        for element in root.iter():
            tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
            if tag == "text":
                raise ImageProblem(
                    f"{path.name} contains text — convert it to outlines in the design program"
                )
            reference = next((v for k, v in element.attrib.items() if k.endswith("href")), "")
            if tag == "image" and reference and not reference.startswith("data:"):
                raise ImageProblem(f"{path.name} links the image {reference[:60]!r} — embed it in the SVG")
        view_box = [number(v) for v in (root.get("viewBox") or "").replace(",", " ").split()]
        width_mm = length_mm(root.get("width", "")) if root.get("width") else None
        height_mm = length_mm(root.get("height", "")) if root.get("height") else None
        if (width_mm is None or height_mm is None) and len(view_box) == 4:
            width_mm, height_mm = view_box[2] * 25.4 / 96, view_box[3] * 25.4 / 96
        if not width_mm or not height_mm or width_mm <= 0 or height_mm <= 0:
            raise ImageProblem(f"{path.name} has no size — export the SVG with width, height or a viewBox")
        return ImageFacts(path, "svg", width_mm * PT_PER_MM, height_mm * PT_PER_MM)
    raise ImageProblem(f"{path.name}: images must be PNG, JPEG, SVG or PDF files")


def resolve_row_image(folder: Path, value: str) -> Path:
    """A file named in a list cell, relative to the list's folder and never outside it."""
    relative = Path(value.strip())
    if relative.is_absolute() or ".." in relative.parts or value.strip().startswith(("\\", "/")):
        raise ImageProblem(
            f"image {value!r}: name the file relative to the list's folder (no absolute path, no ..)"
        )
    try:
        resolved = (folder / relative).resolve()
        if not resolved.is_relative_to(folder.resolve()):
            raise ImageProblem(f"image {value!r} points outside the list's folder — copy the file into it")
        if not resolved.is_file():
            raise ImageProblem(f"image file {value!r} not found in {folder}")
    except (OSError, ValueError) as err:  # over-long names, NUL, link loops
        raise ImageProblem(f"image {value[:80]!r}: not a usable file name ({err})") from None
    return resolved


def fit_box(field: ImageField, facts: ImageFacts) -> Box:
    """The image's rectangle in the field's box: whole (contain) or filling it (cover), aligned."""
    box = field.box
    scale_x = box.width_mm / facts.width
    scale_y = box.height_mm / facts.height
    scale = min(scale_x, scale_y) if field.fit == "contain" else max(scale_x, scale_y)
    width, height = facts.width * scale, facts.height * scale
    x = {"left": box.x_mm, "center": box.x_mm + (box.width_mm - width) / 2, "right": box.right_mm - width}[
        field.align
    ]
    y = {
        "top": box.y_mm,
        "middle": box.y_mm + (box.height_mm - height) / 2,
        "bottom": box.bottom_mm - height,
    }[field.valign]
    return Box(x, y, width, height)


def place_image(field: ImageField, path: Path) -> PlacedImage:
    facts = inspect_image(path)
    return PlacedImage(field, facts, fit_box(field, facts))


def prepare_image(facts: ImageFacts, color_model: str) -> PreparedImage:
    """The image as form objects in the output colour model, ready to link into documents."""
    cmyk = color_model == "cmyk"
    if facts.kind == "raster":
        page = import_page(_raster_page(facts, cmyk))
        return PreparedImage(page.objects, page.bbox)
    size_mm = (facts.width / PT_PER_MM, facts.height / PT_PER_MM)
    prepared = prepare_artwork(facts.path, size_mm, 0.0, color_model)
    return PreparedImage(prepared.objects, prepared.trim_in_form)


def _raster_page(facts: ImageFacts, cmyk: bool) -> bytes:
    """A one-page PDF holding the image (1 px = 1 pt), CMYK with a soft mask when it has alpha."""
    from PIL import Image, ImageOps
    from reportlab.pdfgen.canvas import Canvas

    from .svgart import image_reader

    with Image.open(facts.path, formats=RASTER_FORMATS) as opened:
        image: Any = ImageOps.exif_transpose(opened)
        image.load()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(facts.width, facts.height), invariant=1, pageCompression=1)
    canvas.drawImage(image_reader(image, cmyk), 0, 0, facts.width, facts.height, mask="auto")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
