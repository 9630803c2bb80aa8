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
VERMILION_DEEP = CMYKColor(0.05, 0.95, 0.90, 0.15)
GOLD = CMYKColor(0.05, 0.25, 0.75, 0.10)
GOLD_TINT = CMYKColor(0.01, 0.06, 0.20, 0.00)   # soft gold tint for wave fields
GOLD_LINE = CMYKColor(0.04, 0.20, 0.60, 0.06)   # slightly lighter gold for wave rings
BLOSSOM_WHITE = CMYKColor(0.00, 0.00, 0.00, 0.00)
BLOSSOM_PINK = CMYKColor(0.00, 0.22, 0.12, 0.00)
BRANCH = CMYKColor(0.30, 0.55, 0.60, 0.62)      # warm sumi brown


# --- geometry helpers ---------------------------------------------------------
def X(x: float) -> float:
    """Trim x (mm) -> page points."""
    return (x + BLEED) * mm


def Y(y: float) -> float:
    """Trim y (mm, downwards) -> page points (upwards)."""
    return (PAGE_H - BLEED - y) * mm


def r6(v: float) -> float:
    return round(v, 3)


def bezier(p0, p1, p2, p3, n):
    pts = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        x = u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0]
        y = u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1]
        pts.append((x, y))
    return pts


def polyline(points, n_per_seg=10):
    """Smooth-ish centreline through points (Catmull-Rom -> Bezier)."""
    out = [points[0]]
    for i in range(len(points) - 1):
        p0 = points[max(i - 1, 0)]
        p1 = points[i]
        p2 = points[i + 1]
        p3 = points[min(i + 2, len(points) - 1)]
        c1 = (p1[0] + (p2[0] - p0[0]) / 6 * 0.6, p1[1] + (p2[1] - p0[1]) / 6 * 0.6)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6 * 0.6, p2[1] - (p3[1] - p1[1]) / 6 * 0.6)
        out.extend(bezier(p1, c1, c2, p2, n_per_seg)[1:])
    return out


def tapered(c, pts, w0, w1, color):
    """Fill a tapered stroke along centreline pts (trim mm)."""
    n = len(pts)
    left, right = [], []
    for i, (x, y) in enumerate(pts):
        xa, ya = pts[max(i - 1, 0)]
        xb, yb = pts[min(i + 1, n - 1)]
        dx, dy = xb - xa, yb - ya
        ln = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / ln, dx / ln
        w = (w0 + (w1 - w0) * (i / (n - 1))) / 2
        left.append((x + nx * w, y + ny * w))
        right.append((x - nx * w, y - ny * w))
    p = c.beginPath()
    outline = left + right[::-1]
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
def seigaiha(c, clip_path_fn, x0, y0, x1, y1, R=4.2, rings=4):
    """Seigaiha wave field covering the box (trim mm) clipped by clip_path_fn."""
    c.saveState()
    p = c.beginPath()
    clip_path_fn(p)
    c.clipPath(p, stroke=0, fill=0)
    c.setFillColor(GOLD_TINT)
    c.rect(X(x0 - 10), Y(y1 + 10), (x1 - x0 + 20) * mm, (y1 - y0 + 20) * mm, stroke=0, fill=1)
    c.setStrokeColor(GOLD_LINE)
    c.setLineWidth(0.45)
    row = 0
    y = y0 - R
    while y < y1 + 2 * R:
        off = R if row % 2 else 0.0
        x = x0 - 2 * R + off
        while x < x1 + 2 * R:
            cx, cy = X(x), Y(y)
            c.setFillColor(GOLD_TINT)
            c.circle(r6(cx), r6(cy), R * mm, stroke=1, fill=1)
            for k in range(1, rings):
                rr = R * (rings - k) / rings
                c.circle(r6(cx), r6(cy), rr * mm, stroke=1, fill=0)
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
        c.circle(r6(cx + math.cos(a) * pd * mm), r6(cy + math.sin(a) * pd * mm), pr * mm,
                 stroke=1 if outline is not None else 0, fill=1)
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
    c.circle(r6(cx - math.cos(a) * r * 0.55 * mm), r6(cy - math.sin(a) * r * 0.55 * mm),
             r * 0.55 * mm, stroke=0, fill=1)
    c.setFillColor(color)
    c.circle(r6(cx), r6(cy), r * mm, stroke=0, fill=1)


def sun(c, x, y, r):
    c.setFillColor(VERMILION)
    c.circle(X(x), Y(y), r * mm, stroke=0, fill=1)
    c.setStrokeColor(GOLD)
    c.setLineWidth(0.6)
    c.circle(X(x), Y(y), (r + 1.6) * mm, stroke=1, fill=0)


# --- composition -----------------------------------------------------------------
def draw(c, debug=False):
    # paper ground over the full bleed
    c.setFillColor(PAPER)
    c.rect(0, 0, PAGE_W * mm, PAGE_H * mm, stroke=0, fill=1)

    # top wave band, bleeding off the top edge
    def top_clip(p):
        p.moveTo(X(-3), Y(-3))
        p.lineTo(X(103), Y(-3))
        p.lineTo(X(103), Y(7.0))
        p.lineTo(X(-3), Y(7.0))
        p.close()

    seigaiha(c, top_clip, -3, -3, 103, 8)
    c.setStrokeColor(GOLD)
    c.setLineWidth(0.8)
    c.line(X(-3), Y(7.0), X(103), Y(7.0))

    # bottom waves: hem band + rising into the two lower pockets via the side strips
    def bottom_clip(p):
        p.moveTo(X(-3), Y(151))
        p.lineTo(X(-3), Y(112))
        p.curveTo(X(8), Y(113), X(22), Y(118), X(28.5), Y(129))
        p.lineTo(X(28.5), Y(129.3))
        p.lineTo(X(7.3), Y(129.3))
        p.lineTo(X(7.3), Y(144))
        p.lineTo(X(92.7), Y(144))
        p.lineTo(X(92.7), Y(129.3))
        p.lineTo(X(71.5), Y(129.3))
        p.lineTo(X(71.5), Y(129))
        p.curveTo(X(78), Y(118), X(92), Y(113), X(103), Y(112))
        p.lineTo(X(103), Y(151))
        p.close()

    seigaiha(c, bottom_clip, -3, 108, 103, 151)

    # vermilion sun in the lower-right pocket, resting above the waves
    sun(c, 84.0, 101.0, 8.0)

    # plum branch, lower-left pocket, growing in from the left edge
    main = polyline([(-4, 122), (3, 117.5), (9.5, 112), (13, 104.5), (19.5, 99.5), (24, 92.5)], 8)
    tapered(c, main, 3.0, 0.9, BRANCH)
    twig1 = polyline([(9.5, 112), (16, 110.5), (23.5, 106), (27.5, 104.5)], 6)
    tapered(c, twig1, 1.4, 0.45, BRANCH)
    twig2 = polyline([(3, 117.5), (2.5, 108), (4.0, 98), (5.0, 89)], 6)
    tapered(c, twig2, 1.4, 0.45, BRANCH)
    twig3 = polyline([(13, 104.5), (12, 98), (13.5, 92)], 5)
    tapered(c, twig3, 0.9, 0.4, BRANCH)

    blossom(c, 19.0, 100.0, 4.6, 12, VERMILION, center_color=GOLD)
    blossom(c, 23.5, 106.2, 3.6, 40, BLOSSOM_WHITE, outline=GOLD_LINE)
    blossom(c, 9.0, 112.5, 4.0, -8, BLOSSOM_WHITE, outline=GOLD_LINE)
    blossom(c, 3.6, 101.0, 3.3, 30, VERMILION, center_color=GOLD)
    blossom(c, 13.2, 95.0, 2.8, 55, BLOSSOM_WHITE, outline=GOLD_LINE)
    bud(c, 24.6, 92.0, 1.1, 60, VERMILION)
    bud(c, 27.8, 104.2, 0.9, 20, VERMILION)
    bud(c, 5.0, 89.5, 0.9, 80, VERMILION)
    bud(c, 15.5, 110.0, 0.8, 100, BLOSSOM_PINK)

    # small sprig in the upper-right corner, bleeding off the right edge
    sprig = polyline([(104, 10.5), (98.5, 12.5), (94.5, 17.5), (93.5, 24)], 6)
    tapered(c, sprig, 1.6, 0.5, BRANCH)
    blossom(c, 96.6, 14.2, 3.0, 20, VERMILION, center_color=GOLD)
    bud(c, 93.5, 24.5, 0.9, 90, VERMILION)
    bud(c, 95.2, 20.0, 0.75, 10, BLOSSOM_PINK)

    if debug:
        c.setStrokeColor(CMYKColor(0, 1, 1, 0))
        c.setLineWidth(0.5)
        for x0, y0, x1, y1 in CALM_ZONES:
            c.rect(X(x0), Y(y1), (x1 - x0) * mm, (y1 - y0) * mm, stroke=1, fill=0)
        c.setStrokeColor(CMYKColor(1, 0, 0, 0))
        c.rect(X(0), Y(TRIM_H), TRIM_W * mm, TRIM_H * mm, stroke=1, fill=0)
        c.setDash(1, 2)
        c.rect(X(5), Y(TRIM_H - 5), (TRIM_W - 10) * mm, (TRIM_H - 10) * mm, stroke=1, fill=0)


def build(path: Path, debug: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=(PAGE_W * mm, PAGE_H * mm),
                      invariant=1, pageCompression=1)
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
