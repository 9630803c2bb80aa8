"""Preflight: what a print shop would reject, found before anything is printed.

Two kinds of findings: the template's (safe zone, bleed, image resolution,
RGB content) and each card's (text shrunk or refused, glyphs, QR size, ink
outside the safe zone).  ``greetcard check`` shows them all; ``render`` runs
the same checks and refuses what fails.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .artwork import PreparedArtwork
from .cards import Card
from .layout import FittedText, place_lines
from .template import (
    DIN_LANG_CARD_MM,
    DL_WINDOW_CLEARANCE_MM,
    DL_WINDOW_VISIBLE_MM,
    Box,
    CardTemplate,
    PrintProfile,
)

ERROR, WARNING, INFO = "error", "warning", "info"
MIN_RASTER_DPI = 300
#: Below this a QR code still scans up close, but not from arm's length (template.MIN_QR_SIZE_MM refuses).
QR_ARM_LENGTH_MIN_MM = 20
#: Rounding slack, so a box placed exactly on the safe-zone line passes.
TOLERANCE_MM = 0.05


@dataclass(frozen=True)
class Finding:
    """One preflight result; ``where`` is ``template`` or ``file:line`` of the row, ``line`` its number."""

    level: str
    where: str
    message: str
    row_id: str = ""
    company: str = ""
    field: str = ""
    line: int = 0

    def as_dict(self) -> dict[str, str | int]:
        return asdict(self)


def _outside_safe_zone(box: Box, template: CardTemplate) -> list[str]:
    margin = template.safe_margin_mm - TOLERANCE_MM
    sides = []
    if box.x_mm < margin:
        sides.append(f"left by {margin - box.x_mm:.1f} mm")
    if box.y_mm < margin:
        sides.append(f"top by {margin - box.y_mm:.1f} mm")
    if box.right_mm > template.width_mm - margin:
        sides.append(f"right by {box.right_mm - template.width_mm + margin:.1f} mm")
    if box.bottom_mm > template.height_mm - margin:
        sides.append(f"bottom by {box.bottom_mm - template.height_mm + margin:.1f} mm")
    return sides


def template_findings(
    template: CardTemplate,
    profile: PrintProfile,
    artworks: list[PreparedArtwork | None],
    variant_artworks: list[dict[str, PreparedArtwork]] | None = None,
) -> list[Finding]:
    """Checks that hold for every card of this template and profile."""
    findings: list[Finding] = []
    safe = f"the {template.safe_margin_mm:g} mm safe zone"
    for page_number, (page, artwork) in enumerate(zip(template.pages, artworks, strict=True), start=1):
        on_page = f" (page {page_number})" if len(template.pages) > 1 else ""
        if page.qr is not None:
            sides = _outside_safe_zone(page.qr.box, template)
            if sides:
                findings.append(
                    Finding(
                        ERROR,
                        "template",
                        f"QR code{on_page} reaches outside {safe} ({', '.join(sides)}) — move it inwards",
                        field="qr",
                    )
                )
            if page.qr.size_mm < QR_ARM_LENGTH_MIN_MM:
                findings.append(
                    Finding(
                        WARNING,
                        "template",
                        f"QR code{on_page} is {page.qr.size_mm:g} mm; phones at arm's length want 25–30 mm",
                        field="qr",
                    )
                )
        for field in page.fields:
            sides = _outside_safe_zone(field.box, template)
            if sides:
                findings.append(
                    Finding(
                        WARNING,
                        "template",
                        f"field '{field.name}'{on_page} box reaches outside {safe} ({', '.join(sides)}); "
                        "text that lands there is refused",
                        field=field.name,
                    )
                )
            if field.color.rgb is not None and profile.color_model == "cmyk":
                findings.append(
                    Finding(
                        INFO,
                        "template",
                        f"field '{field.name}' colour is RGB; it is converted to CMYK (FOGRA39) — "
                        "give CMYK percentages for exact ink",
                        field=field.name,
                    )
                )
        findings.extend(_image_field_findings(page.images, template, on_page))
        variants = variant_artworks[page_number - 1] if variant_artworks else {}
        for each in (artwork, *variants.values()):
            if each is not None:
                findings.extend(_artwork_findings(each, profile, on_page))
    return findings + overlap_findings(template)


def _artwork_findings(artwork: PreparedArtwork, profile: PrintProfile, on_page: str) -> list[Finding]:
    """Bleed, resolution, fonts and RGB of one artwork file (the default or a language's)."""
    findings: list[Finding] = []
    name = artwork.source.name
    if profile.bleed_mm > 0:
        short = [
            f"{side} {covered:.1f} mm"
            for side, covered in zip(
                ("left", "bottom", "right", "top"), artwork.bleed_covered_mm, strict=True
            )
            if covered < profile.bleed_mm - TOLERANCE_MM
        ]
        if short:
            findings.append(
                Finding(
                    WARNING,
                    "template",
                    f"artwork {name}{on_page} does not reach into the {profile.bleed_mm:g} mm bleed "
                    f"({', '.join(short)}) — export it with bleed, or white edges may show after cutting",
                )
            )
    if artwork.raster_dpi is not None and artwork.raster_dpi < MIN_RASTER_DPI - 1:
        findings.append(
            Finding(
                WARNING if artwork.raster_dpi >= 150 else ERROR,
                "template",
                f"artwork {name}{on_page} has {artwork.raster_dpi:.0f} dpi at its printed size; print "
                f"needs {MIN_RASTER_DPI} dpi — export it larger",
            )
        )
    if artwork.unembedded_fonts:
        findings.append(
            Finding(
                ERROR,
                "template",
                f"artwork {name}{on_page} uses fonts that are not embedded "
                f"({', '.join(artwork.unembedded_fonts)}) — convert its text to outlines "
                "or embed the fonts",
            )
        )
    if artwork.device_rgb and profile.color_model == "cmyk":
        findings.append(
            Finding(
                WARNING,
                "template",
                f"artwork {name}{on_page} contains RGB colour; it is tagged as sRGB (allowed in "
                "PDF/X-4) — convert it to CMYK in the design program for exact colours",
            )
        )
    return findings


def overlap_findings(template: CardTemplate) -> list[Finding]:
    """Text boxes that overlap each other or the QR code's white plate (warnings), or the code (error).

    The code's area is the plate less the narrowest quiet zone it can get (at the smallest module
    size), so a box that reaches into it covers modules for some link.
    """
    findings: list[Finding] = []
    for page_number, page in enumerate(template.pages, start=1):
        on_page = f" (page {page_number})" if len(template.pages) > 1 else ""
        fields = list(page.fields)
        for index, field in enumerate(fields):
            for other in fields[index + 1 :]:
                if _intersect(field.box, other.box):
                    findings.append(
                        Finding(
                            WARNING,
                            "template",
                            f"field '{field.name}'{on_page} box overlaps field '{other.name}' — their texts "
                            "can print over each other; move or shrink one box",
                            field=field.name,
                        )
                    )
            if page.qr is None or not _intersect(field.box, page.qr.box):
                continue
            quiet_mm = page.qr.min_module_mm * page.qr.quiet_zone_modules
            code = Box(
                page.qr.x_mm + quiet_mm,
                page.qr.y_mm + quiet_mm,
                page.qr.size_mm - 2 * quiet_mm,
                page.qr.size_mm - 2 * quiet_mm,
            )
            if _intersect(field.box, code):
                findings.append(
                    Finding(
                        ERROR,
                        "template",
                        f"field '{field.name}'{on_page} box covers the QR code — text there makes the code "
                        "unreadable; move the box off the QR box",
                        field=field.name,
                    )
                )
            else:
                findings.append(
                    Finding(
                        WARNING,
                        "template",
                        f"field '{field.name}'{on_page} box overlaps the QR code's white plate (its quiet "
                        "zone) — text there can stop phones finding the code; move the box off the QR box",
                        field=field.name,
                    )
                )
    return findings


def _intersect(first: Box, second: Box) -> bool:
    """True when two boxes share an area (touching edges do not count)."""
    return (
        first.x_mm < second.right_mm - TOLERANCE_MM
        and second.x_mm < first.right_mm - TOLERANCE_MM
        and first.y_mm < second.bottom_mm - TOLERANCE_MM
        and second.y_mm < first.bottom_mm - TOLERANCE_MM
    )


def _image_field_findings(images: Any, template: CardTemplate, on_page: str) -> list[Finding]:
    """Image boxes in the safe zone; a fixed image's resolution at its printed size."""
    from .images import ImageProblem, place_image

    findings = []
    for image in images:
        sides = _outside_safe_zone(image.box, template)
        if sides:
            findings.append(
                Finding(
                    WARNING,
                    "template",
                    f"image '{image.name}'{on_page} box reaches outside the {template.safe_margin_mm:g} mm "
                    f"safe zone ({', '.join(sides)}) — move it inwards",
                    field=image.name,
                )
            )
        if image.file is None:
            continue
        try:
            placed = place_image(image, image.file)
        except ImageProblem:
            continue  # reported when the cards are built
        finding = _dpi_finding(placed, "template")
        if finding is not None:
            findings.append(finding)
    return findings


def _dpi_finding(placed: Any, where: str, recipient: Any = None) -> Finding | None:
    dpi = placed.dpi
    field = placed.field
    if dpi is None or dpi >= field.min_dpi - 1:
        return None
    return Finding(
        WARNING if dpi >= field.min_dpi / 2 else ERROR,
        where,
        f"image '{field.name}': {placed.facts.path.name} has {dpi:.0f} dpi at its printed size; print needs "
        f"{field.min_dpi:g} dpi — use a larger file ({placed.facts.width:.0f} px wide gives "
        f"{placed.facts.width / field.min_dpi * 25.4:.0f} mm)",
        recipient.id if recipient else "",
        recipient.company if recipient else "",
        field.name,
        recipient.line if recipient else 0,
    )


def card_findings(card: Card, template: CardTemplate, where: str) -> list[Finding]:
    """Checks of one laid-out card: shrunk text (info) and ink outside the safe zone (error)."""
    findings: list[Finding] = []
    recipient = card.recipient
    margin = template.safe_margin_mm - TOLERANCE_MM
    for page in card.pages:
        for image in page.images:
            if image.field.file is None:  # fixed images are the template's findings
                finding = _dpi_finding(image, where, recipient)
                if finding is not None:
                    findings.append(finding)
        for fitted in page.fields:
            field = fitted.field
            if fitted.shrunk:
                findings.append(
                    Finding(
                        INFO,
                        where,
                        f"field '{field.name}': {fitted.describe()}",
                        recipient.id,
                        recipient.company,
                        field.name,
                        recipient.line,
                    )
                )
            if fitted.broke_inside_word:
                shown = " / ".join(line.text for line in fitted.lines)
                findings.append(
                    Finding(
                        INFO,
                        where,
                        f"field '{field.name}': the Japanese text only fits by breaking between characters, "
                        f"inside a word ({shown!r}) — widen the box, lower min_size_pt, or shorten the text",
                        recipient.id,
                        recipient.company,
                        field.name,
                        recipient.line,
                    )
                )
            if field.kind == "address" and (template.width_mm, template.height_mm) == DIN_LANG_CARD_MM:
                outside = _outside_dl_window(fitted)
                if outside:
                    findings.append(
                        Finding(
                            ERROR,
                            where,
                            f"field '{field.name}': address line {outside!r} leaves the part of a DL window "
                            "envelope's window that is visible in every position (x 20–100 mm, y 50–84 mm "
                            f"of the card, {DL_WINDOW_CLEARANCE_MM:g} mm clearance) — shorten the address, "
                            'or use din5008 = "DL" for the address field',
                            recipient.id,
                            recipient.company,
                            field.name,
                            recipient.line,
                        )
                    )
            for shown, ink in _ink_of(fitted):
                if (
                    ink.x_mm < margin
                    or ink.y_mm < margin
                    or ink.right_mm > template.width_mm - margin
                    or ink.bottom_mm > template.height_mm - margin
                ):
                    findings.append(
                        Finding(
                            ERROR,
                            where,
                            f"field '{field.name}': text {shown!r} reaches outside the "
                            f"{template.safe_margin_mm:g} mm safe zone — move the box inwards",
                            recipient.id,
                            recipient.company,
                            field.name,
                            recipient.line,
                        )
                    )
                    break
    return findings


def _outside_dl_window(fitted: FittedText) -> str:
    """The first address line whose ink is outside the window's always-visible area, or ''."""
    x, y, width, height = DL_WINDOW_VISIBLE_MM
    left, top = x + DL_WINDOW_CLEARANCE_MM, y + DL_WINDOW_CLEARANCE_MM
    right, bottom = x + width - DL_WINDOW_CLEARANCE_MM, y + height - DL_WINDOW_CLEARANCE_MM
    for placed in place_lines(fitted):
        tolerance = TOLERANCE_MM
        if (
            placed.x_mm < left - tolerance
            or placed.x_mm + placed.width_mm > right + tolerance
            or placed.top_mm < top - tolerance
            or placed.bottom_mm > bottom + tolerance
        ):
            return placed.line.text
    return ""


def _ink_of(fitted: Any) -> list[tuple[str, Box]]:
    """Each line's (or vertical piece's) text and the box its ink may fill."""
    if fitted.field.direction == "vertical":
        from .vertical import place_glyphs

        return [
            (
                glyphs.text,
                Box(
                    glyphs.ink_left_mm,
                    glyphs.ink_top_mm,
                    glyphs.ink_right_mm - glyphs.ink_left_mm,
                    glyphs.ink_bottom_mm - glyphs.ink_top_mm,
                ),
            )
            for glyphs in place_glyphs(fitted)
        ]
    return [
        (placed.line.text, Box(placed.x_mm, placed.top_mm, placed.width_mm, placed.bottom_mm - placed.top_mm))
        for placed in place_lines(fitted)
    ]


def errors_in(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.level == ERROR]
