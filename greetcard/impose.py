"""Imposition: cards n-up on press sheets, each with its bleed and crop marks.

For shops that print sheets rather than single cards.  The sheet is filled in
whichever orientation holds more cards; cards keep their bleed and sit a gutter
apart (none by default: neighbouring bleeds touch, so an SRA3 sheet takes eight
hagaki-size cards); crop marks sit outside the grid on every trim line.  Multi-page cards alternate front and
back sheets, the back mirrored so that it backs up its front when the sheet
is turned over its long edge (columns swap on a portrait sheet, rows on a
landscape one).  The artwork and fonts are stored
once, as in the press file.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from .cards import Card
from .errors import GreetcardError
from .render import PT_PER_MM, CardRenderer, stroke_marks

SHEETS_MM = {
    "A4": (210.0, 297.0),
    "SRA4": (225.0, 320.0),
    "A3": (297.0, 420.0),
    "SRA3": (320.0, 450.0),
    "A3+": (329.0, 483.0),
}
#: Defaults: cells abut (gutter 0, so neighbouring bleeds touch and trims sit 2 × bleed apart)
#: and the grid keeps 5 mm from the sheet edge, room for the crop marks outside it.
SHEET_MARGIN_MM = 5.0
GUTTER_MM = 0.0
MARK_GAP_MM = 1.0  # crop marks start this far outside the grid's bleed edge
MARK_LENGTH_MM = 3.0
_FIT_TOLERANCE_MM = 1e-6  # 2 × 154 mm fits into 308 mm even in floating point


class ImpositionError(GreetcardError):
    """Raised when a sheet is unknown or cannot hold a single card."""


@dataclass(frozen=True)
class SheetPlan:
    """How cards sit on a sheet: sheet size, grid, cell size (card + bleed), gutter and margin, in mm."""

    sheet_mm: tuple[float, float]
    columns: int
    rows: int
    cell_mm: tuple[float, float]
    gutter_mm: float = GUTTER_MM
    margin_mm: float = SHEET_MARGIN_MM
    name: str = ""

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    def sheets_for(self, cards: int) -> int:
        return -(-cards // self.per_sheet)

    def summary(self, cards: int, pages_per_card: int) -> str:
        """What the press gets, for the run's summary."""
        width, height = self.sheet_mm
        sheets = self.sheets_for(cards)
        both_sides = (
            " printed on both sides (backs mirrored for work and turn)" if pages_per_card == 2 else ""
        )
        extra = f" ({pages_per_card} pages each)" if pages_per_card > 2 else ""
        return (
            f"imposed {self.per_sheet} per {self.name or 'sheet'} sheet ({width:g} × {height:g} mm, "
            f"{self.columns} × {self.rows}): {sheets} sheet{'s' if sheets != 1 else ''}{extra} "
            f"for {cards} card{'s' if cards != 1 else ''}{both_sides}"
        )

    def cell_slot(self, slot: int, mirrored: bool) -> tuple[int, int]:
        """(column, row) of a slot, slot 0 top-left; backs mirrored across the sheet's long edge."""
        column, row = slot % self.columns, slot // self.columns
        if mirrored and self.sheet_mm[0] <= self.sheet_mm[1]:
            column = self.columns - 1 - column  # portrait: the long edge is vertical
        elif mirrored:
            row = self.rows - 1 - row  # landscape: the long edge is horizontal
        return column, row

    @property
    def grid_mm(self) -> tuple[float, float, float, float]:
        """The grid's outer bleed edges: left, bottom, right, top (centred on the sheet)."""
        grid_w = self.columns * self.cell_mm[0] + (self.columns - 1) * self.gutter_mm
        grid_h = self.rows * self.cell_mm[1] + (self.rows - 1) * self.gutter_mm
        left = (self.sheet_mm[0] - grid_w) / 2
        bottom = (self.sheet_mm[1] - grid_h) / 2
        return left, bottom, left + grid_w, bottom + grid_h

    def cell_origin_mm(self, slot: int, mirrored: bool) -> tuple[float, float]:
        """Bottom-left corner of a slot's bleed box."""
        column, row = self.cell_slot(slot, mirrored)
        left, _, _, top = self.grid_mm
        x = left + column * (self.cell_mm[0] + self.gutter_mm)
        y = top - row * (self.cell_mm[1] + self.gutter_mm) - self.cell_mm[1]
        return x, y


def plan_sheet(
    sheet: str,
    card_mm: tuple[float, float],
    bleed_mm: float,
    gutter_mm: float = GUTTER_MM,
    margin_mm: float = SHEET_MARGIN_MM,
) -> SheetPlan:
    """The orientation of ``sheet`` that holds the most cards (portrait on a tie)."""
    key = sheet.upper()
    if key not in SHEETS_MM:
        raise ImpositionError(f"unknown sheet {sheet!r} — use one of: {', '.join(SHEETS_MM)}")
    if not (math.isfinite(gutter_mm) and 0 <= gutter_mm <= 100):
        raise ImpositionError(f"the gutter must be from 0 to 100 mm, got {gutter_mm:g}")
    marks_need = MARK_GAP_MM + MARK_LENGTH_MM
    if not (math.isfinite(margin_mm) and marks_need <= margin_mm <= 100):
        raise ImpositionError(
            f"the sheet margin must be from {marks_need:g} mm (room for the crop marks) to 100 mm, "
            f"got {margin_mm:g}"
        )
    cell = (card_mm[0] + 2 * bleed_mm, card_mm[1] + 2 * bleed_mm)
    best: SheetPlan | None = None
    width, height = SHEETS_MM[key]
    for sheet_mm in ((width, height), (height, width)):
        usable = (sheet_mm[0] - 2 * margin_mm, sheet_mm[1] - 2 * margin_mm)
        columns = max(0, int((usable[0] + gutter_mm + _FIT_TOLERANCE_MM) // (cell[0] + gutter_mm)))
        rows = max(0, int((usable[1] + gutter_mm + _FIT_TOLERANCE_MM) // (cell[1] + gutter_mm)))
        candidate = SheetPlan(sheet_mm, columns, rows, cell, gutter_mm, margin_mm, key)
        if best is None or candidate.per_sheet > best.per_sheet:
            best = candidate
    assert best is not None
    if best.per_sheet == 0:
        raise ImpositionError(
            f"a {card_mm[0]:g} × {card_mm[1]:g} mm card with {bleed_mm:g} mm bleed does not fit on {key} "
            f"with {margin_mm:g} mm margins — choose a larger sheet"
        )
    return best


def mark_segments(
    plan: SheetPlan, slots: Sequence[tuple[int, int]], bleed_mm: float
) -> list[tuple[float, float, float, float]]:
    """Crop marks (x0, y0, x1, y1 in mm) outside the grid, on every trim line of the cards placed.

    The bleeds of neighbouring cards may touch, so no mark goes between cards: each
    trim line is marked where it leaves the grid, in the sheet margin, as a guillotine
    operator cuts a gang-run sheet.
    """
    left, bottom, right, top = plan.grid_mm
    start, end = MARK_GAP_MM, MARK_GAP_MM + MARK_LENGTH_MM
    segments = []
    for column in sorted({column for column, _ in slots}):
        cell_left = left + column * (plan.cell_mm[0] + plan.gutter_mm)
        for x in (cell_left + bleed_mm, cell_left + plan.cell_mm[0] - bleed_mm):
            segments.append((x, top + start, x, top + end))
            segments.append((x, bottom - start, x, bottom - end))
    for row in sorted({row for _, row in slots}):
        cell_top = top - row * (plan.cell_mm[1] + plan.gutter_mm)
        for y in (cell_top - bleed_mm, cell_top - plan.cell_mm[1] + bleed_mm):
            segments.append((left - start, y, left - end, y))
            segments.append((right + start, y, right + end, y))
    return segments


def sheet_plan_for(
    renderer: CardRenderer, sheet: str, gutter_mm: float | None = None, margin_mm: float | None = None
) -> SheetPlan:
    """The plan for this renderer's cards: options first, then the profile's (a shop's) values."""
    profile = renderer.profile
    return plan_sheet(
        sheet,
        (renderer.template.width_mm, renderer.template.height_mm),
        profile.bleed_mm,
        profile.sheet_gutter_mm if gutter_mm is None else gutter_mm,
        profile.sheet_margin_mm if margin_mm is None else margin_mm,
    )


def impose(
    renderer: CardRenderer,
    cards: Sequence[Card],
    sheet: str,
    title: str,
    gutter_mm: float | None = None,
    margin_mm: float | None = None,
) -> bytes:
    """All cards n-up on press sheets, as one PDF."""
    template, geometry = renderer.template, renderer.geometry
    plan = sheet_plan_for(renderer, sheet, gutter_mm, margin_mm)
    key = sheet.upper()
    sheet_pt = (plan.sheet_mm[0] * PT_PER_MM, plan.sheet_mm[1] * PT_PER_MM)
    whole = (0.0, 0.0, *sheet_pt)
    buffer = io.BytesIO()
    fingerprint = renderer.fingerprint(cards, "impose", key, repr(plan))
    canvas = renderer.new_canvas(buffer, sheet_pt, whole, whole, title, fingerprint)
    bleed_origin = (geometry.trim_left - geometry.bleed_pt, geometry.trim_bottom - geometry.bleed_pt)
    cell_pt = (plan.cell_mm[0] * PT_PER_MM, plan.cell_mm[1] * PT_PER_MM)
    for start in range(0, len(cards), plan.per_sheet):
        group = cards[start : start + plan.per_sheet]
        for page_index in range(len(template.pages)):
            mirrored = page_index % 2 == 1
            for slot, card in enumerate(group):
                x_mm, y_mm = plan.cell_origin_mm(slot, mirrored)
                x, y = x_mm * PT_PER_MM, y_mm * PT_PER_MM
                canvas.saveState()
                clip = canvas.beginPath()
                clip.rect(x, y, *cell_pt)
                canvas.clipPath(clip, stroke=0, fill=0)
                canvas.translate(x - bleed_origin[0], y - bleed_origin[1])
                renderer.draw_page(canvas, card, page_index)
                canvas.restoreState()
            slots = [plan.cell_slot(slot, mirrored) for slot in range(len(group))]
            segments = mark_segments(plan, slots, renderer.profile.bleed_mm)
            stroke_marks(canvas, [tuple(v * PT_PER_MM for v in line) for line in segments], renderer.profile)
            canvas.showPage()
    renderer.finish(canvas, title, fingerprint)
    return buffer.getvalue()
