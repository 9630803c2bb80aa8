#!/usr/bin/env python3
"""Generate the default nengajo background artwork (Japanese New Year postcard).

Output: assets/templates/nengajo/artwork.pdf

* trim 100 x 148 mm portrait, 3 mm bleed on every side -> page 106 x 154 mm
* one page, pure vector, CMYK only, no text / fonts
* reportlab ``invariant=1`` -> byte-identical output on every run

Design: "first sunrise over the sea, with plum blossoms"
  - warm paper ground over the full bleed
  - a band of gold seigaiha waves bleeding off the bottom edge and rising in
    the two lower side pockets beside the QR code, plus a slim wave band
    bleeding off the top edge
  - a vermilion sun disc (no rays) in the lower-right pocket, resting on the waves
  - an ume (plum) branch growing from the left edge in the lower-left pocket
    and a small sprig from the upper-right corner

Calm zones (mm from the trim's top-left corner) are kept flat paper colour:
  A: x 8-92  y 12-88   greeting, recipient, message
  B: x 31-69 y 88-130  QR code and its URL
  C: x 8-92  y 130-143 senders

Run from the repository root:  python tools/artwork/nengajo.py
Optional: ``--debug PATH`` additionally writes a preview PDF with the calm
zones outlined in red (never use that file as a deliverable).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from curves import bezier, spline, tapered_outline
from reportlab.lib.colors import CMYKColor
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "assets" / "templates" / "nengajo" / "artwork.pdf"

TRIM_W, TRIM_H = 100.0, 148.0
BLEED = 3.0
PAGE_W, PAGE_H = TRIM_W + 2 * BLEED, TRIM_H + 2 * BLEED

CALM_ZONES = [  # (x0, y0, x1, y1) in trim mm, y downwards
    (8, 12, 92, 88),
    (31, 88, 69, 130),
    (8, 130, 92, 143),
]

# --- palette (CMYK, 0..1) ----------------------------------------------------
PAPER = CMYKColor(0.00, 0.02, 0.06, 0.00)
VERMILION = CMYKColor(0.00, 0.90, 0.85, 0.00)
GOLD = CMYKColor(0.05, 0.25, 0.75, 0.10)
GOLD_TINT = CMYKColor(0.01, 0.06, 0.20, 0.00)  # soft gold tint for wave fields
GOLD_LINE = CMYKColor(0.04, 0.20, 0.60, 0.06)  # slightly lighter gold for wave rings
BLOSSOM_WHITE = CMYKColor(0.00, 0.00, 0.00, 0.00)
BLOSSOM_PINK = CMYKColor(0.00, 0.22, 0.12, 0.00)
BRANCH = CMYKColor(0.30, 0.55, 0.60, 0.62)  # warm sumi brown


# --- geometry helpers ---------------------------------------------------------
def X(x: float) -> float:
    """Trim x (mm) -> page points."""
    return (x + BLEED) * mm


def Y(y: float) -> float:
    """Trim y (mm, downwards) -> page points (upwards)."""
    return (PAGE_H - BLEED - y) * mm


def r6(v: float) -> float:
    return round(v, 3)


def polyline(points, n_per_seg=10):
    """Smooth-ish centreline through points (Catmull-Rom -> Bezier)."""
    return spline(points, n_per_seg, 0.6)


def tapered(c, pts, w0, w1, color):
    """Fill a tapered stroke along centreline pts (trim mm)."""
    outline = tapered_outline(pts, w0, w1)
    p = c.beginPath()
    p.moveTo(r6(X(outline[0][0])), r6(Y(outline[0][1])))
    for x, y in outline[1:]:
        p.lineTo(r6(X(x)), r6(Y(y)))
    p.close()
    c.setFillColor(color)
    c.drawPath(p, stroke=0, fill=1)
    # round caps
    c.circle(X(pts[0][0]), Y(pts[0][1]), w0 / 2 * mm, stroke=0, fill=1)
    c.circle(X(pts[-1][0]), Y(pts[-1][1]), w1 / 2 * mm, stroke=0, fill=1)


# --- motifs --------------------------------------------------------------------
def define_scale(c, name, R, rings):
    """One seigaiha scale as a Form XObject centred on the origin (points)."""
    c.beginForm(name, lowerx=-R * mm - 1, lowery=-R * mm - 1, upperx=R * mm + 1, uppery=R * mm + 1)
    c.setStrokeColor(GOLD_LINE)
    c.setLineWidth(0.45)
    c.setFillColor(GOLD_TINT)
    c.circle(0, 0, R * mm, stroke=1, fill=1)
    for k in range(1, rings):
        c.circle(0, 0, R * (rings - k) / rings * mm, stroke=1, fill=0)
    c.endForm()


def seigaiha(c, clip_path_fn, inside, x0, y0, x1, y1, R=4.2, rings=4, name="scale"):
    """Seigaiha wave field over the box (trim mm), clipped by clip_path_fn.

    ``inside(x, y)`` is a cheap test of the clip region, used only to skip
    scales that cannot be visible (keeps the file small)."""
    c.saveState()
    p = c.beginPath()
    clip_path_fn(p)
    c.clipPath(p, stroke=0, fill=0)
    row = 0
    y = y0 - R
    probe = [(0, 0)] + [(math.cos(a * math.pi / 6) * R, math.sin(a * math.pi / 6) * R) for a in range(12)]
    while y < y1 + 2 * R:
        off = R if row % 2 else 0.0
        x = x0 - 2 * R + off
        while x < x1 + 2 * R:
            if any(inside(x + dx, y + dy) for dx, dy in probe):
                c.saveState()
                c.translate(r6(X(x)), r6(Y(y)))
                c.doForm(name)
                c.restoreState()
            x += 2 * R
        y += R / 2
        row += 1
    c.restoreState()


def blossom(c, x, y, r, angle, petal_color, center_color=VERMILION, open_=1.0, outline=None):
    """Five-petalled ume blossom, centre (x, y) trim mm, radius r mm."""
    cx, cy = X(x), Y(y)
    pr = r * 0.50
    pd = r * 0.52
    if outline is not None:
        c.setStrokeColor(outline)
        c.setLineWidth(0.35)
    c.setFillColor(petal_color)
    for i in range(5):
        a = math.radians(angle + i * 72)
        c.circle(
            r6(cx + math.cos(a) * pd * mm),
            r6(cy + math.sin(a) * pd * mm),
            pr * mm,
            stroke=1 if outline is not None else 0,
            fill=1,
        )
    if outline is not None:  # re-fill centre area to hide inner outline crossings
        c.setFillColor(petal_color)
        c.circle(r6(cx), r6(cy), r * 0.42 * mm, stroke=0, fill=1)
    # stamens
    c.setStrokeColor(GOLD)
    c.setLineWidth(0.35)
    c.setLineCap(1)
    c.setFillColor(GOLD)
    for i in range(10):
        a = math.radians(angle + 18 + i * 36)
        ln = r * (0.42 if i % 2 else 0.52) * open_
        ex, ey = cx + math.cos(a) * ln * mm, cy + math.sin(a) * ln * mm
        c.line(r6(cx), r6(cy), r6(ex), r6(ey))
        c.circle(r6(ex), r6(ey), r * 0.055 * mm + 0.15, stroke=0, fill=1)
    c.setFillColor(center_color)
    c.circle(r6(cx), r6(cy), r * 0.16 * mm, stroke=0, fill=1)


def bud(c, x, y, r, angle, color):
    cx, cy = X(x), Y(y)
    a = math.radians(angle)
    c.setFillColor(BRANCH)
    c.circle(
        r6(cx - math.cos(a) * r * 0.55 * mm),
        r6(cy - math.sin(a) * r * 0.55 * mm),
        r * 0.55 * mm,
        stroke=0,
        fill=1,
    )
    c.setFillColor(color)
    c.circle(r6(cx), r6(cy), r * mm, stroke=0, fill=1)


def sun(c, x, y, r):
    c.setFillColor(VERMILION)
    c.circle(X(x), Y(y), r * mm, stroke=0, fill=1)
    c.setStrokeColor(GOLD)
    c.setLineWidth(0.6)
    c.circle(X(x), Y(y), (r + 1.6) * mm, stroke=1, fill=0)


# --- composition -----------------------------------------------------------------
def path_from(p, poly):
    p.moveTo(r6(X(poly[0][0])), r6(Y(poly[0][1])))
    for x, y in poly[1:]:
        p.lineTo(r6(X(x)), r6(Y(y)))
    p.close()


def point_in(poly, x, y):
    inside = False
    n = len(poly)
    for i in range(n):
        xa, ya = poly[i]
        xb, yb = poly[(i + 1) % n]
        if (ya > y) != (yb > y) and x < xa + (y - ya) * (xb - xa) / (yb - ya):
            inside = not inside
    return inside


TOP_BAND = 7.0  # lower edge of the top wave band (trim mm)

# The calm zones B + C form an inverted "T" of paper in the lower half; the
# bottom waves wrap around it.  Window edges sit 1 mm outside the calm zones.
WIN_L, WIN_R = 30.0, 70.0  # QR column
ROW_L, ROW_R = 7.0, 93.0  # senders row
ROW_T, ROW_B = 129.0, 144.0
CREST_L, CREST_R = 121.5, 115.0  # where the wave crests meet the QR column


def fillet(poly, radii):
    """Round polygon vertices {index: radius} (quadratic approximation)."""
    out = []
    n = len(poly)
    for i, v in enumerate(poly):
        if i not in radii:
            out.append(v)
            continue
        radius = radii[i]
        pv, nv = poly[i - 1], poly[(i + 1) % n]
        d1 = math.hypot(pv[0] - v[0], pv[1] - v[1])
        d2 = math.hypot(nv[0] - v[0], nv[1] - v[1])
        t1 = (v[0] + (pv[0] - v[0]) / d1 * radius, v[1] + (pv[1] - v[1]) / d1 * radius)
        t2 = (v[0] + (nv[0] - v[0]) / d2 * radius, v[1] + (nv[1] - v[1]) / d2 * radius)
        for k in range(9):
            t = k / 8
            u = 1 - t
            out.append(
                (
                    u * u * t1[0] + 2 * u * t * v[0] + t * t * t2[0],
                    u * u * t1[1] + 2 * u * t * v[1] + t * t * t2[1],
                )
            )
    return out


def bottom_waves_poly():
    """Wave region: from the left bleed edge, crest, around the paper T, crest."""
    left = bezier((-3, 112.5), (8, 112.0), (22, 115.5), (WIN_L, CREST_L), 24)
    right = bezier((WIN_R, CREST_R), (78, 110.0), (90, 105.5), (103, 105.0), 24)
    t = [
        (WIN_L, CREST_L),
        (WIN_L, ROW_T),
        (ROW_L, ROW_T),
        (ROW_L, ROW_B),
        (ROW_R, ROW_B),
        (ROW_R, ROW_T),
        (WIN_R, ROW_T),
        (WIN_R, CREST_R),
    ]
    poly = [(-3, 151), *left[:-1], *t, *right[1:], (103, 151)]
    i0 = len(left)  # index of t[0] in poly
    radii = {i0 + k: 2.5 for k in range(1, 7)}  # window corners
    radii.update({i0: 1.5, i0 + 7: 1.5})  # crest meets QR column
    return fillet(poly, radii)


def draw(c, debug=False):
    define_scale(c, "scale", 4.2, 4)

    # paper ground over the full bleed
    c.setFillColor(PAPER)
    c.rect(0, 0, PAGE_W * mm, PAGE_H * mm, stroke=0, fill=1)

    # top wave band, bleeding off the top edge
    top = [(-3, -3), (103, -3), (103, TOP_BAND), (-3, TOP_BAND)]
    seigaiha(c, lambda p: path_from(p, top), lambda x, y: point_in(top, x, y), -3, -3, 103, TOP_BAND + 1)
    c.setStrokeColor(GOLD)
    c.setLineWidth(0.8)
    c.line(X(-3), Y(TOP_BAND), X(103), Y(TOP_BAND))

    # vermilion sun (soft gold halo, no rays) in the lower-right pocket, half risen from the waves
    c.setFillColor(GOLD_TINT)
    c.circle(X(84.5), Y(101.5), 11.4 * mm, stroke=0, fill=1)
    c.setFillColor(VERMILION)
    c.circle(X(84.5), Y(101.5), 9.0 * mm, stroke=0, fill=1)

    # bottom waves wrapping the paper "T" (QR column + senders row)
    bottom = bottom_waves_poly()
    seigaiha(c, lambda p: path_from(p, bottom), lambda x, y: point_in(bottom, x, y), -3, 100, 103, 151)
    # fine gold contour along the crests and around the paper window
    c.setStrokeColor(GOLD)
    c.setLineWidth(0.8)
    c.setLineJoin(1)
    c.setLineCap(1)
    contour = bottom[1:-1]
    p = c.beginPath()
    p.moveTo(r6(X(contour[0][0])), r6(Y(contour[0][1])))
    for x, y in contour[1:]:
        p.lineTo(r6(X(x)), r6(Y(y)))
    c.drawPath(p, stroke=1, fill=0)

    # plum branch, lower-left pocket, growing in from the left edge
    main = polyline([(-4, 124), (3, 118.5), (9.5, 112), (13, 104.5), (19.5, 99.5), (24, 92.5)], 8)
    tapered(c, main, 3.0, 0.9, BRANCH)
    twig1 = polyline([(9.5, 112), (16, 110.5), (23.5, 106), (27.5, 104.5)], 6)
    tapered(c, twig1, 1.4, 0.45, BRANCH)
    twig2 = polyline([(3, 118.5), (2.8, 108), (4.2, 98), (5.2, 90)], 6)
    tapered(c, twig2, 1.4, 0.45, BRANCH)
    twig3 = polyline([(13, 104.5), (12, 98), (13.5, 92)], 5)
    tapered(c, twig3, 0.9, 0.4, BRANCH)

    blossom(c, 19.0, 100.0, 4.6, 12, VERMILION, center_color=GOLD)
    blossom(c, 23.5, 106.2, 3.6, 40, BLOSSOM_WHITE, outline=GOLD_LINE)
    blossom(c, 9.0, 112.5, 4.0, -8, BLOSSOM_WHITE, outline=GOLD_LINE)
    blossom(c, 3.8, 102.0, 2.9, 30, VERMILION, center_color=GOLD)
    blossom(c, 13.2, 95.0, 2.8, 55, BLOSSOM_WHITE, outline=GOLD_LINE)
    bud(c, 24.6, 92.0, 1.1, 60, VERMILION)
    bud(c, 27.8, 104.2, 0.9, 20, VERMILION)
    bud(c, 5.2, 90.0, 0.9, 80, VERMILION)
    bud(c, 15.5, 110.0, 0.8, 100, BLOSSOM_PINK)

    # sprig from the upper-right corner, over the top band and down the right margin
    sprig = polyline([(104.5, -1.5), (99.0, 5.0), (96.0, 12.0), (96.8, 20.0), (95.2, 30.0)], 7)
    tapered(c, sprig, 2.0, 0.5, BRANCH)
    side = polyline([(99.0, 5.0), (94.5, 7.0), (91.0, 6.5)], 5)
    tapered(c, side, 1.0, 0.4, BRANCH)
    blossom(c, 96.4, 11.8, 3.4, 20, BLOSSOM_WHITE, outline=GOLD_LINE)
    blossom(c, 96.2, 21.5, 2.8, -15, VERMILION, center_color=GOLD)
    bud(c, 91.0, 6.5, 0.9, 180, VERMILION)
    bud(c, 95.2, 30.5, 0.9, 90, VERMILION)
    bud(c, 97.3, 16.5, 0.7, 10, BLOSSOM_PINK)

    if debug:
        c.setStrokeColor(CMYKColor(0, 1, 1, 0))
        c.setLineWidth(0.5)
        for x0, y0, x1, y1 in CALM_ZONES:
            c.rect(X(x0), Y(y1), (x1 - x0) * mm, (y1 - y0) * mm, stroke=1, fill=0)
        c.setStrokeColor(CMYKColor(1, 0, 0, 0))
        c.rect(X(0), Y(TRIM_H), TRIM_W * mm, TRIM_H * mm, stroke=1, fill=0)
        c.setDash(1, 2)
        c.rect(X(5), Y(TRIM_H - 5), (TRIM_W - 10) * mm, (TRIM_H - 10) * mm, stroke=1, fill=0)


class _Canvas(canvas.Canvas):
    """reportlab canvas that does not select an initial font.

    The stock preamble emits ``BT /F1 12 Tf ... ET`` and thereby pulls a
    Helvetica font resource into every page; the artwork must be font-free."""

    def _make_preamble(self):
        self._preamble = "1 0 0 1 0 0 cm"


def build(path: Path, debug: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    c = _Canvas(str(path), pagesize=(PAGE_W * mm, PAGE_H * mm), invariant=1, pageCompression=1)
    c.setTitle("Nengajo 2027 background artwork")
    c.setAuthor("greeting-card tool")
    c.setBleedBox((0, 0, PAGE_W * mm, PAGE_H * mm))
    c.setTrimBox((BLEED * mm, BLEED * mm, (BLEED + TRIM_W) * mm, (BLEED + TRIM_H) * mm))
    draw(c, debug=debug)
    c.showPage()
    c.save()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--debug", type=Path, help="also write a calm-zone debug PDF here")
    args = ap.parse_args()
    build(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    if args.debug:
        build(args.debug, debug=True)
        print(f"wrote {args.debug} (debug)")


if __name__ == "__main__":
    main()
