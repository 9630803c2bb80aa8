"""The one place that speaks reportlab: laid-out cards → PDF bytes.

The page is drawn at trim + 2 × bleed (plus room for crop marks when a
profile asks for them) with TrimBox and BleedBox set on every page; nothing
is stretched.  Black text and the QR code are 100 % K in CMYK profiles, and
black text overprints so that no white halo shows where plates shift.  The same
code writes one card per file and the whole batch as one file, in which the
artwork, fonts and the ICC profile are stored once.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from . import colour, pdfx
from .artwork import PreparedArtwork, link_into, prepare_artwork
from .cards import Card
from .filling import link_text
from .fonts import FontFace, load_font_spec
from .images import PlacedImage, PreparedImage, prepare_image
from .layout import FittedText, place_lines
from .qr import QrPlacement, QrSymbol
from .rl_hooks import document_of, seed_subset, sign
from .template import Box, CardTemplate, Color, PrintProfile

PT_PER_MM = 72 / 25.4
#: Crop marks: how far they stay from the trim (outside the bleed) and how long they are.
MARK_OFFSET_MM = 3.0
MARK_LENGTH_MM = 5.0
MARK_WIDTH_PT = 0.25

# reportlab's own streams go out Flate-compressed only; its pure-Python ASCII85 would cost time per card.
rl_config.useA85 = 0


@dataclass(frozen=True)
class PageGeometry:
    """Where the trim sits on the sheet, in points from the sheet's bottom-left."""

    trim_width_pt: float
    trim_height_pt: float
    bleed_pt: float
    margin_pt: float  # room outside the bleed for crop marks

    @classmethod
    def for_profile(cls, template: CardTemplate, profile: PrintProfile) -> PageGeometry:
        # Marks start MARK_OFFSET_MM outside the bleed; the sheet reaches 1 mm beyond their ends.
        margin_mm = MARK_OFFSET_MM + MARK_LENGTH_MM + 1 if profile.crop_marks else 0.0
        return cls(
            template.width_mm * PT_PER_MM,
            template.height_mm * PT_PER_MM,
            profile.bleed_mm * PT_PER_MM,
            margin_mm * PT_PER_MM,
        )

    @property
    def trim_left(self) -> float:
        return self.margin_pt + self.bleed_pt

    @property
    def trim_bottom(self) -> float:
        return self.margin_pt + self.bleed_pt

    @property
    def media_size(self) -> tuple[float, float]:
        extra = 2 * (self.margin_pt + self.bleed_pt)
        return (self.trim_width_pt + extra, self.trim_height_pt + extra)

    @property
    def trim_box(self) -> tuple[float, float, float, float]:
        return (
            self.trim_left,
            self.trim_bottom,
            self.trim_left + self.trim_width_pt,
            self.trim_bottom + self.trim_height_pt,
        )

    @property
    def bleed_box(self) -> tuple[float, float, float, float]:
        left, bottom, right, top = self.trim_box
        return (left - self.bleed_pt, bottom - self.bleed_pt, right + self.bleed_pt, top + self.bleed_pt)

    def point_pt(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        """A point in template mm (from the trim's top-left) in PDF points."""
        return (self.trim_left + x_mm * PT_PER_MM, self.trim_bottom + self.trim_height_pt - y_mm * PT_PER_MM)

    def rect_pt(self, box: Box) -> tuple[float, float, float, float]:
        """A template box (mm from the trim's top-left) as x, y, width, height in PDF points."""
        x = self.trim_left + box.x_mm * PT_PER_MM
        y = self.trim_bottom + self.trim_height_pt - box.bottom_mm * PT_PER_MM
        return (x, y, box.width_mm * PT_PER_MM, box.height_mm * PT_PER_MM)


def newest_modification(paths: Sequence[Path]) -> int:
    """The newest modification time of these files (folders: the files inside), in whole seconds.

    Print PDFs carry it as their creation date: a real date for the print shop's intake,
    and still the same bytes for the same inputs.
    """
    times: list[float] = []
    for path in paths:
        files = [f for f in path.rglob("*") if f.is_file()] if path.is_dir() else [path]
        times.extend(f.stat().st_mtime for f in files if f.exists())
    return int(max(times)) if times else 946684800  # 2000-01-01, reportlab's invariant date


def _time_stamp(epoch: int) -> TimeStamp:
    """reportlab's document time stamp for a given moment, in UTC."""
    stamp = TimeStamp(1)
    stamp.t = epoch
    stamp.lt = time.gmtime(epoch)
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    stamp.tzname = "UTC"
    return stamp


#: Jinja tags, expressions and comments: what is left of a field's text is the same on every card.
_JINJA_PARTS = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_LINK_PLACEHOLDERS = re.compile(r"\{[^{}]*\}")
#: Spaces always have code 32 in every subset: they never decide which subset a piece goes to.
_NEUTRAL = frozenset(" \u00a0\n")


def shared_characters(template: CardTemplate, link_pattern: str | None = None) -> dict[str, str]:
    """Per font (its shared name), the characters that the template itself writes.

    These come from the template alone (never from the list), so a card's bytes do not
    depend on which other rows are rendered with it.  Text drawn in these characters goes
    into one subset that is the same on every card and is written once per process;
    the rest (names, …) into a small subset of each card's own.
    """
    chars: dict[str, set[str]] = {}
    link_literal = _LINK_PLACEHOLDERS.sub("", link_pattern or "") + "0123456789"
    for page in template.pages:
        for field in page.fields:
            faces = [load_font_spec(template.fonts[name]) for name in field.fonts]
            for source in field.text.values():
                literal = _JINJA_PARTS.sub("", source)
                if "link" in source:
                    literal += link_literal
                for char in set(literal):
                    if char in _NEUTRAL or char.isspace():
                        continue
                    face = next((face for face in faces if face.has(char)), None)
                    if face is not None:
                        chars.setdefault(face.shared_name, set()).add(char)
    return {name: "".join(sorted(found)) for name, found in sorted(chars.items())}


def _pieces(text: str, shared: frozenset[str]) -> list[tuple[bool, str]]:
    """``text`` cut into pieces drawn from the shared subset (True) or the card's own."""
    pieces: list[tuple[bool, str]] = []
    current: bool | None = None
    start = 0
    for index, char in enumerate(text):
        if char in _NEUTRAL:
            continue
        in_shared = char in shared
        if current is None:
            current = in_shared
        elif in_shared != current:
            pieces.append((current, text[start:index]))
            current, start = in_shared, index
    pieces.append((bool(current), text[start:]))
    return pieces


class CardRenderer:
    """Draws cards for one template and print profile; artwork is prepared once here."""

    def __init__(
        self, template: CardTemplate, profile: PrintProfile, link_pattern: str | None = None
    ) -> None:
        self.template = template
        self.profile = profile
        self.shared_text = shared_characters(template, link_pattern or template.link)
        self.shared_sets = {name: frozenset(text) for name, text in self.shared_text.items()}
        first_font = next(iter(template.fonts.values()))
        self.initial_font = load_font_spec(first_font).registered_name
        self.geometry = PageGeometry.for_profile(template, profile)
        #: Seconds since 1970 stamped as the PDFs' creation date (None: reportlab's fixed 2000-01-01).
        self.created_epoch: int | None = None
        self.artworks: list[PreparedArtwork | None] = [
            prepare_artwork(
                page.artwork, (template.width_mm, template.height_mm), template.bleed_mm, profile.color_model
            )
            if page.artwork is not None
            else None
            for page in template.pages
        ]
        # Artwork per language (e.g. a Japanese front): prepared once each, like the default.
        self.artwork_variants: list[dict[str, PreparedArtwork]] = [
            {
                language: prepare_artwork(
                    path, (template.width_mm, template.height_mm), template.bleed_mm, profile.color_model
                )
                for language, path in page.artwork_variants
            }
            for page in template.pages
        ]
        self._prepared_images: dict[Path, tuple[str, PreparedImage]] = {}

    def render(self, cards: Sequence[Card], title: str | None = None) -> bytes:
        """All pages of ``cards`` as one PDF document."""
        first = cards[0].recipient if cards else None
        document_title = title or (first.company if first else self.template.name)
        buffer = io.BytesIO()
        fingerprint = self.fingerprint(cards)
        canvas = self.new_canvas(
            buffer,
            self.geometry.media_size,
            self.geometry.trim_box,
            self.geometry.bleed_box,
            document_title,
            fingerprint,
        )
        for card in cards:
            for page_index in range(len(card.pages)):
                self.draw_page(canvas, card, page_index)
                if self.profile.crop_marks:
                    self._draw_crop_marks(canvas)
                canvas.showPage()
        self.finish(canvas, document_title, fingerprint)
        return buffer.getvalue()

    def fingerprint(self, cards: Sequence[Card], *extra: str) -> str:
        """What makes a document unique (template, profile, every card's link and text), for its IDs."""
        digest = hashlib.sha256()
        for part in (str(self.template.file), repr(self.profile), repr(self.geometry), *extra):
            digest.update(part.encode() + b"\0")
        for card in cards:
            digest.update(card.recipient.id.encode() + b"\0" + card.link.encode() + b"\0")
            for page in card.pages:
                for fitted in page.fields:
                    digest.update(f"{fitted.field.name}\0{fitted.size_pt}\0{fitted.text}\0".encode())
        return digest.hexdigest()

    def new_canvas(
        self,
        buffer: io.BytesIO,
        size: tuple[float, float],
        trim_box: tuple[float, float, float, float],
        bleed_box: tuple[float, float, float, float],
        title: str,
        fingerprint: str,
    ) -> Canvas:
        """A canvas with this profile's PDF version, boxes and metadata, identified by ``fingerprint``."""
        canvas = Canvas(
            buffer,
            pagesize=size,
            invariant=1,
            pageCompression=1,
            pdfVersion=(1, 6) if self.profile.pdfx else None,
            trimBox=trim_box,
            bleedBox=bleed_box,
            # A TrueType initial font keeps reportlab from adding an unembedded Helvetica.
            initialFontName=self.initial_font,
        )
        canvas.setTitle(title)
        canvas.setAuthor(self.template.name)
        canvas.setCreator("greetcard")
        canvas.setSubject(f"greetcard · {self.template.name} · profile {self.profile.name}")
        # reportlab's invariant mode gives every file the same /ID; the content makes it unique again.
        sign(canvas, fingerprint)
        document = document_of(canvas)
        for name, text in self.shared_text.items():
            seed_subset(pdfmetrics.getFont(name), document, text)
        if self.created_epoch is not None and not os.environ.get("SOURCE_DATE_EPOCH", "").strip():
            document._timeStamp = _time_stamp(self.created_epoch)
        return canvas

    def finish(self, canvas: Canvas, title: str, fingerprint: str) -> None:
        """Add PDF/X-4 when the profile asks for it, and save."""
        if self.profile.pdfx:
            pdfx.add_pdfx4(canvas, title, fingerprint)
        canvas.save()

    def draw_page(self, canvas: Canvas, card: Card, page_index: int) -> None:
        """One page of a card, in this renderer's page geometry; artwork is linked once per document."""
        page = card.pages[page_index]
        artwork = self.artworks[page_index]
        name = f"artwork{page_index + 1}"
        variant = self.artwork_variants[page_index].get(card.recipient.language)
        if variant is not None:
            artwork, name = variant, f"{name}-{card.recipient.language}"
        if artwork is not None:
            document = document_of(canvas)
            if not document.hasForm(name):
                link_into(document, artwork.objects, name)
            self._draw_artwork(canvas, artwork, name)
        for placed in page.images:
            self._draw_image(canvas, placed)
        if page.qr is not None:
            self._draw_qr(canvas, page.qr)
        for fitted in page.fields:
            self._draw_text(canvas, fitted)
        if page.qr is not None and self.profile.color_model == "rgb" and not self.profile.pdfx:
            self._add_link_annotations(canvas, card.link, page.qr, page.fields)

    def _add_link_annotations(
        self, canvas: Canvas, link: str, qr: QrPlacement, fields: Sequence[FittedText]
    ) -> None:
        """Screen PDFs: the QR code and the printed link open the link (a phone cannot scan itself).

        Print profiles get none: PDF/X forbids annotations in the trim area.
        """
        x, y, size, _ = self.geometry.rect_pt(qr.spec.box)
        canvas.linkURL(link, (x, y, x + size, y + size), relative=1, thickness=0)
        shown = (link_text(link), link)
        for fitted in fields:
            if not any(text in fitted.text.replace("\n", "") for text in shown):
                continue
            placed = place_lines(fitted)
            left = min(line.x_mm for line in placed)
            right = max(line.x_mm + line.width_mm for line in placed)
            top = min(line.top_mm for line in placed)
            bottom = max(line.bottom_mm for line in placed)
            x, y, width, height = self.geometry.rect_pt(Box(left, top, right - left, bottom - top))
            canvas.linkURL(link, (x, y, x + width, y + height), relative=1, thickness=0)

    # -- drawing --------------------------------------------------------------

    def _fill(self, canvas: Canvas, color: Color) -> None:
        if self.profile.color_model == "cmyk":
            canvas.setFillColorCMYK(*colour.as_cmyk(color))
        else:
            canvas.setFillColorRGB(*colour.as_rgb(color))

    def _draw_artwork(self, canvas: Canvas, artwork: PreparedArtwork, name: str) -> None:
        canvas.saveState()
        canvas.translate(
            self.geometry.trim_left - artwork.trim_in_form.left,
            self.geometry.trim_bottom - artwork.trim_in_form.bottom,
        )
        canvas.doForm(name)
        canvas.restoreState()

    def _draw_image(self, canvas: Canvas, placed: PlacedImage) -> None:
        """An image field: converted once per distinct file, linked once per document, clipped to its box."""
        path = placed.facts.path
        known = self._prepared_images.get(path)
        if known is None:
            known = (
                f"image{len(self._prepared_images) + 1}",
                prepare_image(placed.facts, self.profile.color_model),
            )
            self._prepared_images[path] = known
        name, prepared = known
        document = document_of(canvas)
        if not document.hasForm(name):
            link_into(document, prepared.objects, name)
        x, y, width, height = self.geometry.rect_pt(placed.box)
        canvas.saveState()
        if placed.field.fit == "cover":
            clip_x, clip_y, clip_width, clip_height = self.geometry.rect_pt(placed.field.box)
            path_object = canvas.beginPath()
            path_object.rect(clip_x, clip_y, clip_width, clip_height)
            canvas.clipPath(path_object, stroke=0, fill=0)
        bbox = prepared.bbox
        canvas.transform(width / bbox.width, 0, 0, height / bbox.height, x, y)
        canvas.translate(-bbox.left, -bbox.bottom)
        canvas.doForm(name)
        canvas.restoreState()

    def _draw_qr(self, canvas: Canvas, placement: QrPlacement) -> None:
        """White plate (quiet zone included), then the dark modules as one vector path in 100 % K."""
        x, y, size, _ = self.geometry.rect_pt(placement.spec.box)
        module = placement.module_mm * PT_PER_MM
        quiet = placement.quiet_zone_mm * PT_PER_MM
        white, black = (
            ("0 0 0 0 k", "0 0 0 1 k") if self.profile.color_model == "cmyk" else ("1 1 1 rg", "0 0 0 rg")
        )
        origin_x, origin_y = x + quiet, y + quiet
        canvas.addLiteral(
            f"q {white} {_pt(x)} {_pt(y)} {_pt(size)} {_pt(size)} re f {black} "
            f"{_pt(module)} 0 0 {_pt(module)} {_pt(origin_x)} {_pt(origin_y)} cm "
            f"{module_path(placement.symbol())} f Q"
        )

    def _draw_text(self, canvas: Canvas, fitted: FittedText) -> None:
        canvas.saveState()
        self._fill(canvas, fitted.field.color)
        if self.profile.color_model == "cmyk" and fitted.field.color.is_pure_black:
            canvas.setFillOverprint(True)
            canvas.setOverprintMask(1)  # nonzero overprint: the 0 % inks do not knock out the artwork
        text = canvas.beginText()
        if fitted.field.tracking:
            text.setCharSpace(fitted.field.tracking * fitted.size_pt / 1000)
        if fitted.field.direction == "vertical":
            self._vertical_text(text, fitted)
            canvas.drawText(text)
            canvas.restoreState()
            return
        current_font = ""
        for placed in place_lines(fitted):
            x, y = self.geometry.point_pt(placed.x_mm, placed.baseline_mm)
            text.setTextOrigin(x, y)
            for run in placed.line.runs:
                for font_name, piece in self._font_pieces(run.face, run.text):
                    if font_name != current_font:
                        text.setFont(font_name, fitted.size_pt)
                        current_font = font_name
                    text.textOut(piece)
        canvas.drawText(text)
        canvas.restoreState()

    def _font_pieces(self, face: FontFace, text: str) -> list[tuple[str, str]]:
        shared = self.shared_sets.get(face.shared_name)
        if not shared:
            return [(face.registered_name, text)]
        return [
            (face.shared_name if in_shared else face.registered_name, piece)
            for in_shared, piece in _pieces(text, shared)
        ]

    def _vertical_text(self, text: Any, fitted: FittedText) -> None:
        """Upright characters one by one (vertical forms), Latin runs turned 90° clockwise."""
        from .vertical import place_glyphs

        for placed in place_glyphs(fitted):
            x, y = self.geometry.point_pt(placed.x_mm, placed.y_mm)
            if placed.rotated:
                text.setTextTransform(0, -1, 1, 0, x, y)
            else:
                text.setTextOrigin(x, y)
            text.setFont(placed.face.registered_name, fitted.size_pt)
            text.textOut(placed.text)

    def _draw_crop_marks(self, canvas: Canvas) -> None:
        draw_crop_marks(
            canvas,
            self.geometry.trim_box,
            self.geometry.bleed_pt + MARK_OFFSET_MM * PT_PER_MM,
            MARK_LENGTH_MM * PT_PER_MM,
            self.profile,
        )


def draw_crop_marks(
    canvas: Canvas,
    trim_box: tuple[float, float, float, float],
    start_pt: float,
    length_pt: float,
    profile: PrintProfile,
) -> None:
    """Marks at the four trim corners, starting ``start_pt`` outside the trim (beyond the bleed)."""
    left, bottom, right, top = trim_box
    lines = []
    for x, y, dx, dy in (
        (left, bottom, -1, -1),
        (right, bottom, 1, -1),
        (left, top, -1, 1),
        (right, top, 1, 1),
    ):
        lines.append((x + dx * start_pt, y, x + dx * (start_pt + length_pt), y))
        lines.append((x, y + dy * start_pt, x, y + dy * (start_pt + length_pt)))
    stroke_marks(canvas, lines, profile)


def stroke_marks(canvas: Canvas, lines: Sequence[tuple[float, ...]], profile: PrintProfile) -> None:
    """Hairlines (x0, y0, x1, y1 in points) in the profile's mark ink: registration or 100 % K."""
    canvas.saveState()
    canvas.setLineWidth(MARK_WIDTH_PT)
    if profile.color_model == "cmyk":
        ink = (1.0, 1.0, 1.0, 1.0) if profile.marks_ink == "registration" else (0.0, 0.0, 0.0, 1.0)
        canvas.setStrokeColorCMYK(*ink)
    else:
        canvas.setStrokeColorRGB(0, 0, 0)
    for x0, y0, x1, y1 in lines:
        canvas.line(x0, y0, x1, y1)
    canvas.restoreState()


def _pt(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


@lru_cache(maxsize=1024)
def module_path(symbol: QrSymbol) -> str:
    """The dark modules as ``re`` operators in module units (integers), bottom row first."""
    rows = symbol.size
    return " ".join(f"{column} {rows - 1 - row} {length} 1 re" for row, column, length in symbol.dark_runs())
