"""A proof sheet of the list's worst cases, for the designer and the client to sign off.

Which cards are worth a look before 650 go to print: per language the
longest name, the card whose text was shrunk most, the densest Japanese, the
row with the fewest optional fields.  Each is placed on one landscape A3
sheet as vector (the real card, scaled), labelled with its id and how each
field's text was fitted; refused rows are listed with their reasons.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.pdfgen.canvas import Canvas

from .artwork import import_page, link_into
from .cards import Card
from .fonts import FontChain, load_font_spec
from .layout import FittedText, Run, is_cjk, line_in_fonts
from .recipients import KNOWN_COLUMNS, RowProblem
from .render import PT_PER_MM, CardRenderer
from .rl_hooks import document_of

SHEET_MM = (420.0, 297.0)  # A3 landscape
MARGIN_MM = 12.0
LABEL_LINES = 4
LABEL_SIZE_PT = 6.5
MAX_CARDS = 8


@dataclass(frozen=True)
class ProofCase:
    card: Card
    reasons: tuple[str, ...]


def worst_cases(cards: Sequence[Card], limit: int = MAX_CARDS) -> list[ProofCase]:
    """Pick the cards most likely to look wrong, each with why it was picked."""
    picked: dict[str, list[str]] = {}
    order: list[Card] = []

    def pick(card: Card | None, reason: str) -> None:
        if card is None:
            return
        key = card.recipient.id
        if key not in picked:
            picked[key] = []
            order.append(card)
        picked[key].append(reason)

    languages = sorted({card.recipient.language for card in cards})
    for language in languages:
        group = [card for card in cards if card.recipient.language == language]
        pick(max(group, key=lambda c: len(c.recipient.company)), f"longest name ({language})")
        most_shrunk = min(group, key=_smallest_scale)
        if _smallest_scale(most_shrunk) < 1:
            pick(most_shrunk, f"most shrunk text ({language})")
    japanese = [card for card in cards if any(is_cjk(ch) for ch in card.recipient.company)]
    if japanese:
        pick(max(japanese, key=lambda c: sum(is_cjk(ch) for ch in c.recipient.company)), "densest Japanese")
        worst = max(japanese, key=japanese_break_badness)
        if japanese_break_badness(worst) > (0, 0):
            pick(worst, f"worst Japanese break: {worst_japanese_break(worst)}")
    optional = [name for name in KNOWN_COLUMNS if name not in ("id", "company", "language")]
    if cards:
        pick(
            min(cards, key=lambda c: sum(bool(c.recipient.values.get(n)) for n in optional)),
            "fewest optional fields",
        )
        pick(
            max(cards, key=lambda c: sum(bool(c.recipient.values.get(n)) for n in optional)),
            "most optional fields",
        )
    return [ProofCase(card, tuple(picked[card.recipient.id])) for card in order[:limit]]


def japanese_break_badness(card: Card) -> tuple[int, int]:
    """(breaks inside a word, lines) of a card's Japanese fields filled from the list: larger is worse."""
    inside = lines = 0
    for fitted in _japanese_list_fields(card):
        inside += fitted.broke_inside_word
        lines = max(lines, len(fitted.lines))
    return inside, lines


def worst_japanese_break(card: Card) -> str:
    """The lines of the card's worst-broken Japanese field, joined by `` / ``."""
    candidates = _japanese_list_fields(card)
    if not candidates:
        return ""
    worst = max(candidates, key=lambda f: (f.broke_inside_word, len(f.lines)))
    return " / ".join(line.text for line in worst.lines)


def _japanese_list_fields(card: Card) -> list[FittedText]:
    """The card's fields whose Japanese text comes from the list (not the template's fixed text)."""
    language = card.recipient.language
    found = []
    for page in card.pages:
        for fitted in page.fields:
            source = fitted.field.text.get(language, fitted.field.text.get("default", ""))
            if "{{" in source and any(is_cjk(char) for char in fitted.text):
                found.append(fitted)
    return found


def _smallest_scale(card: Card) -> float:
    scales = [fitted.size_pt / fitted.field.size_pt for page in card.pages for fitted in page.fields]
    return min(scales) if scales else 1.0


def proof_sheet(
    renderer: CardRenderer,
    cases: Sequence[ProofCase],
    refused: Sequence[RowProblem],
    title: str,
    notes: Sequence[str] = (),
) -> bytes:
    """One A3 sheet: the cases' cards side by side (all pages), labels, the refused rows and notes.

    ``notes`` are lines printed at the foot of the sheet, e.g. the template's scan margin.
    """
    buffer = io.BytesIO()
    label_face = load_font_spec(next(iter(renderer.template.fonts.values())))
    # Every font of the template, so a label shows what the card shows (no □ for a missing glyph).
    labels = FontChain(tuple(load_font_spec(font) for font in renderer.template.fonts.values()))
    canvas = Canvas(
        buffer,
        pagesize=(SHEET_MM[0] * PT_PER_MM, SHEET_MM[1] * PT_PER_MM),
        invariant=1,
        pageCompression=1,
        initialFontName=label_face.registered_name,
    )
    canvas.setTitle(title)
    sheet_w, sheet_h = SHEET_MM[0] * PT_PER_MM, SHEET_MM[1] * PT_PER_MM
    margin = MARGIN_MM * PT_PER_MM
    canvas.setFillColorCMYK(0, 0, 0, 1)
    canvas.setFont(label_face.registered_name, 11)
    canvas.drawString(margin, sheet_h - margin, title)
    refused_height = (len(refused[:12]) + 1) * LABEL_SIZE_PT * 1.4 if refused else 0
    notes_height = len(notes[:8]) * LABEL_SIZE_PT * 1.4
    area_top = sheet_h - margin - 18
    area_bottom = margin + refused_height + notes_height
    pages = len(renderer.template.pages)
    card_w = renderer.geometry.media_size[0]
    card_h = renderer.geometry.media_size[1] * pages + (pages - 1) * 6
    label_h = LABEL_LINES * LABEL_SIZE_PT * 1.3
    columns, rows, scale = _grid(
        len(cases), card_w, card_h + label_h / 1, sheet_w - 2 * margin, area_top - area_bottom, label_h
    )
    cell_w = (sheet_w - 2 * margin) / max(columns, 1)
    cell_h = (area_top - area_bottom) / max(rows, 1)
    for index, case in enumerate(cases):
        column, row = index % columns, index // columns
        left = margin + column * cell_w
        top = area_top - row * cell_h
        pdf = renderer.render([case.card])
        for page_index in range(pages):
            imported = import_page(pdf, page_index)
            name = f"proof{index}p{page_index}"
            link_into(document_of(canvas), imported.objects, name)
            canvas.saveState()
            y = top - (page_index + 1) * renderer.geometry.media_size[1] * scale - page_index * 6 * scale
            canvas.translate(left, y)
            canvas.scale(scale, scale)
            canvas.translate(-imported.bbox.left, -imported.bbox.bottom)
            canvas.doForm(name)
            canvas.restoreState()
        label_top = top - card_h * scale - LABEL_SIZE_PT * 1.2
        _label(canvas, labels, left, label_top, cell_w - 6, case)
    if refused:
        y = margin + refused_height - LABEL_SIZE_PT
        canvas.setFont(label_face.registered_name, LABEL_SIZE_PT + 1)
        canvas.drawString(margin, y, f"Refused rows ({len(refused)}):")
        for problem in refused[:12]:
            y -= LABEL_SIZE_PT * 1.4
            _draw_label_line(canvas, labels, margin, y, sheet_w - 2 * margin, str(problem))
    if notes:
        y = margin + refused_height + notes_height - LABEL_SIZE_PT
        canvas.setFont(label_face.registered_name, LABEL_SIZE_PT)
        for note in notes[:8]:
            _draw_label_line(canvas, labels, margin, y, sheet_w - 2 * margin, note)
            y -= LABEL_SIZE_PT * 1.4
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _grid(
    count: int, card_w: float, card_h: float, area_w: float, area_h: float, label_h: float
) -> tuple[int, int, float]:
    """Columns, rows and scale that show ``count`` cards as large as the area allows."""
    best = (1, max(count, 1), 0.0)
    for columns in range(1, max(count, 1) + 1):
        rows = -(-max(count, 1) // columns)
        scale = min((area_w / columns - 8) / card_w, (area_h / rows - label_h - 8) / (card_h - label_h))
        if scale > best[2]:
            best = (columns, rows, scale)
    return best[0], best[1], min(best[2], 1.0)


def _label(canvas: Canvas, labels: FontChain, left: float, top: float, width: float, case: ProofCase) -> None:
    recipient = case.card.recipient
    fits = [
        f"{fitted.field.name}: {fitted.describe()}"
        for page in case.card.pages
        for fitted in page.fields
        if fitted.shrunk or fitted.field.name in ("recipient", "address")
    ]
    lines = [
        f"{recipient.id} · {recipient.company}",
        "why: " + ", ".join(case.reasons),
        *(fits or ["all text at full size"]),
    ]
    y = top
    for line in lines[:LABEL_LINES]:
        _draw_label_line(canvas, labels, left, y, width, line)
        y -= LABEL_SIZE_PT * 1.3


def _draw_label_line(
    canvas: Canvas, labels: FontChain, left: float, y: float, width: float, text: str
) -> None:
    """One label line in the template's fonts (per-character fallback), cut to ``width`` by measure.

    Counting characters let full-width Japanese run into the next card's label.
    """
    text = " ".join(text.split())
    if labels.width_pt(text, LABEL_SIZE_PT) > width:
        while text and labels.width_pt(text + "…", LABEL_SIZE_PT) > width:
            text = text[:-1]
        text += "…"
    x = left
    for run in label_runs(text, labels):
        canvas.setFont(run.face.registered_name, LABEL_SIZE_PT)
        canvas.drawString(x, y, run.text)
        x += run.width_pt


def label_runs(text: str, labels: FontChain) -> list[Run]:
    """The label text split into runs of one font each, at the label size."""
    return list(line_in_fonts(text, labels, LABEL_SIZE_PT).runs)
