"""Imposition: cards n-up on press sheets, each with its bleed and crop marks.

For shops that print sheets rather than single cards.  The sheet is filled in
whichever orientation holds more cards; cards keep their bleed, sit a gutter
apart and get crop marks in the gutter.  Multi-page cards alternate front and
back sheets, the back mirrored so that it backs up its front when the sheet
is turned over its long edge (columns swap on a portrait sheet, rows on a
landscape one).  The artwork and fonts are stored
once, as in the press file.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from .cards import Card
from .errors import GreetcardError
from .render import PT_PER_MM, CardRenderer, draw_crop_marks

SHEETS_MM = {
    "A4": (210.0, 297.0),
    "SRA4": (225.0, 320.0),
    "A3": (297.0, 420.0),
    "SRA3": (320.0, 450.0),
    "A3+": (329.0, 483.0),
}
SHEET_MARGIN_MM = 10.0  # gripper and press margin
GUTTER_MM = 10.0  # between the bleed edges of neighbouring cards
MARK_GAP_MM = 1.0  # crop marks start this far outside the bleed
MARK_LENGTH_MM = 3.0


class ImpositionError(GreetcardError):
    """Raised when a sheet is unknown or cannot hold a single card."""


@dataclass(frozen=True)
class SheetPlan:
    """How cards sit on a sheet: sheet size, grid, and the cell size (card + bleed), all in mm."""

    sheet_mm: tuple[float, float]
    columns: int
    rows: int
    cell_mm: tuple[float, float]

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    def cell_origin_mm(self, slot: int, mirrored: bool) -> tuple[float, float]:
        """Bottom-left corner of a slot's bleed box, grid centred on the sheet, slot 0 top-left."""
        column, row = slot % self.columns, slot // self.columns
        if mirrored and self.sheet_mm[0] <= self.sheet_mm[1]:
            column = self.columns - 1 - column  # portrait: the long edge is vertical
        elif mirrored:
            row = self.rows - 1 - row  # landscape: the long edge is horizontal
        grid_w = self.columns * self.cell_mm[0] + (self.columns - 1) * GUTTER_MM
        grid_h = self.rows * self.cell_mm[1] + (self.rows - 1) * GUTTER_MM
        left = (self.sheet_mm[0] - grid_w) / 2 + column * (self.cell_mm[0] + GUTTER_MM)
        top = (self.sheet_mm[1] + grid_h) / 2 - row * (self.cell_mm[1] + GUTTER_MM)
        return left, top - self.cell_mm[1]


def plan_sheet(sheet: str, card_mm: tuple[float, float], bleed_mm: float) -> SheetPlan:
    """The orientation of ``sheet`` that holds the most cards."""
    key = sheet.upper()
    if key not in SHEETS_MM:
        raise ImpositionError(f"unknown sheet {sheet!r} — use one of: {', '.join(SHEETS_MM)}")
    cell = (card_mm[0] + 2 * bleed_mm, card_mm[1] + 2 * bleed_mm)
    best: SheetPlan | None = None
    width, height = SHEETS_MM[key]
    for sheet_mm in ((width, height), (height, width)):
        usable = (sheet_mm[0] - 2 * SHEET_MARGIN_MM, sheet_mm[1] - 2 * SHEET_MARGIN_MM)
        columns = int((usable[0] + GUTTER_MM) // (cell[0] + GUTTER_MM))
        rows = int((usable[1] + GUTTER_MM) // (cell[1] + GUTTER_MM))
        candidate = SheetPlan(sheet_mm, columns, rows, cell)
        if best is None or candidate.per_sheet > best.per_sheet:
            best = candidate
    assert best is not None
    if best.per_sheet == 0:
        raise ImpositionError(
            f"a {card_mm[0]:g} × {card_mm[1]:g} mm card with {bleed_mm:g} mm bleed does not fit on {key} "
            f"with {SHEET_MARGIN_MM:g} mm margins — choose a larger sheet"
        )
    return best


def impose(renderer: CardRenderer, cards: Sequence[Card], sheet: str, title: str) -> bytes:
    """All cards n-up on press sheets, as one PDF."""
    template, geometry = renderer.template, renderer.geometry
    plan = plan_sheet(sheet, (template.width_mm, template.height_mm), renderer.profile.bleed_mm)
    key = sheet.upper()
    sheet_pt = (plan.sheet_mm[0] * PT_PER_MM, plan.sheet_mm[1] * PT_PER_MM)
    whole = (0.0, 0.0, *sheet_pt)
    buffer = io.BytesIO()
    fingerprint = renderer.fingerprint(cards, "impose", key)
    canvas = renderer.new_canvas(buffer, sheet_pt, whole, whole, title, fingerprint)
    bleed_origin = (geometry.trim_left - geometry.bleed_pt, geometry.trim_bottom - geometry.bleed_pt)
    cell_pt = (plan.cell_mm[0] * PT_PER_MM, plan.cell_mm[1] * PT_PER_MM)
    for start in range(0, len(cards), plan.per_sheet):
        group = cards[start : start + plan.per_sheet]
        for page_index in range(len(template.pages)):
            for slot, card in enumerate(group):
                x_mm, y_mm = plan.cell_origin_mm(slot, mirrored=page_index % 2 == 1)
                x, y = x_mm * PT_PER_MM, y_mm * PT_PER_MM
                canvas.saveState()
                clip = canvas.beginPath()
                clip.rect(x, y, *cell_pt)
                canvas.clipPath(clip, stroke=0, fill=0)
                canvas.translate(x - bleed_origin[0], y - bleed_origin[1])
                renderer.draw_page(canvas, card, page_index)
                canvas.restoreState()
                bleed = geometry.bleed_pt
                trim = (x + bleed, y + bleed, x + cell_pt[0] - bleed, y + cell_pt[1] - bleed)
                draw_crop_marks(
                    canvas,
                    trim,
                    bleed + MARK_GAP_MM * PT_PER_MM,
                    MARK_LENGTH_MM * PT_PER_MM,
                    renderer.profile,
                )
            canvas.showPage()
    renderer.finish(canvas, title, fingerprint)
    return buffer.getvalue()
