"""Looking at a card before printing: a PNG of one card, optionally with guides.

The card is rendered exactly as ``render`` would (same PDF), rasterised with
pdfium, and the guides are drawn on top with Pillow: trim, bleed, the safe
zone, every field box with its name, and the QR box.  Pages of a multi-page
card are stacked top to bottom.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from .assets import assets_folder
from .cards import Card
from .render import PT_PER_MM, CardRenderer
from .template import Box

DEFAULT_DPI = 150
PAGE_GAP_PX = 24
GUIDE_COLOURS = {
    "bleed": (0, 160, 230),
    "trim": (230, 0, 120),
    "safe": (0, 170, 80),
    "field": (255, 120, 0),
    "qr": (120, 60, 220),
}


@dataclass(frozen=True)
class _Frame:
    """Maps template millimetres onto the rendered page's pixels."""

    px_per_mm: float
    trim_left_px: float
    trim_top_px: float

    def rect(self, box: Box) -> tuple[float, float, float, float]:
        x0 = self.trim_left_px + box.x_mm * self.px_per_mm
        y0 = self.trim_top_px + box.y_mm * self.px_per_mm
        return (x0, y0, x0 + box.width_mm * self.px_per_mm, y0 + box.height_mm * self.px_per_mm)


def card_pages_png(
    renderer: CardRenderer, card: Card, dpi: int = DEFAULT_DPI, guides: bool = False
) -> Image.Image:
    """All pages of ``card`` as one RGB image, guides drawn when asked."""
    import pypdfium2 as pdfium

    check_preview_size(renderer, dpi)
    pdf = renderer.render([card])
    document = pdfium.PdfDocument(pdf)
    images = []
    try:
        for page_index in range(len(document)):
            image = document[page_index].render(scale=dpi / 72).to_pil().convert("RGB")
            if guides:
                _draw_guides(image, renderer, page_index, dpi)
            images.append(image)
    finally:
        document.close()
    width = max(image.width for image in images)
    height = sum(image.height for image in images) + PAGE_GAP_PX * (len(images) - 1)
    sheet = Image.new("RGB", (width, height), (235, 235, 235))
    top = 0
    for image in images:
        sheet.paste(image, (0, top))
        top += image.height + PAGE_GAP_PX
    return sheet


def check_preview_size(renderer: CardRenderer, dpi: int) -> None:
    """Refuse before rendering when the image would be huge (40 pages of 1000 mm took 11 GB)."""
    from .limits import LimitError, how_to_raise, limit

    width_pt, height_pt = renderer.geometry.media_size
    pages = len(renderer.template.pages)
    pixels = round(width_pt * dpi / 72) * (round(height_pt * dpi / 72) + PAGE_GAP_PX) * pages
    ceiling = limit("preview_pixels")
    if pixels > ceiling:
        fitting = max(1, int(dpi * (ceiling / pixels) ** 0.5))
        raise LimitError(
            f"a preview of {pages} page{'s' if pages != 1 else ''} at {dpi} dpi would have {pixels:,} pixels "
            f"(limit {ceiling:,}) — use --dpi {fitting} or less; {how_to_raise('preview_pixels')}"
        )


def write_png(image: Image.Image, dpi: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi), optimize=True)
    return buffer.getvalue()


def _label_font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(assets_folder() / "fonts" / "NotoSansJP-Regular.ttf"), size_px)
    except OSError:
        return ImageFont.load_default()


def _draw_guides(image: Image.Image, renderer: CardRenderer, page_index: int, dpi: int) -> None:
    template = renderer.template
    geometry = renderer.geometry
    px_per_pt = dpi / 72
    px_per_mm = PT_PER_MM * px_per_pt
    media_height_pt = geometry.media_size[1]
    frame = _Frame(
        px_per_mm,
        geometry.trim_left * px_per_pt,
        (media_height_pt - geometry.trim_bottom - geometry.trim_height_pt) * px_per_pt,
    )
    draw = ImageDraw.Draw(image, "RGBA")
    font = _label_font(max(10, round(dpi / 14)))
    width, height = template.width_mm, template.height_mm
    bleed = renderer.profile.bleed_mm
    safe = template.safe_margin_mm
    line = max(1, round(dpi / 150))
    draw.rectangle(
        frame.rect(Box(-bleed, -bleed, width + 2 * bleed, height + 2 * bleed)),
        outline=GUIDE_COLOURS["bleed"],
        width=line,
    )
    draw.rectangle(frame.rect(Box(0, 0, width, height)), outline=GUIDE_COLOURS["trim"], width=line)
    draw.rectangle(
        frame.rect(Box(safe, safe, width - 2 * safe, height - 2 * safe)),
        outline=GUIDE_COLOURS["safe"],
        width=line,
    )
    page = template.pages[page_index]
    for field in page.fields:
        box = frame.rect(field.box)
        draw.rectangle(box, outline=GUIDE_COLOURS["field"], fill=(*GUIDE_COLOURS["field"], 28), width=line)
        draw.text((box[0] + 2, box[1] + 1), field.name, fill=GUIDE_COLOURS["field"], font=font)
    for image_field in page.images:  # image boxes, in the QR code's colour
        box = frame.rect(image_field.box)
        draw.rectangle(box, outline=GUIDE_COLOURS["qr"], width=line)
        draw.text((box[0] + 2, box[1] + 1), f"image {image_field.name}", fill=GUIDE_COLOURS["qr"], font=font)
    if page.qr is not None:
        box = frame.rect(page.qr.box)
        draw.rectangle(box, outline=GUIDE_COLOURS["qr"], width=line)
        draw.text(
            (box[0] + 2, box[3] - font.size - 3 if hasattr(font, "size") else box[1]),
            "qr",
            fill=GUIDE_COLOURS["qr"],
            font=font,
        )
    legend = "bleed · trim · safe zone · fields · QR" + (" · images" if page.images else "")
    draw.text((4, 2), legend, fill=(90, 90, 90), font=font)
