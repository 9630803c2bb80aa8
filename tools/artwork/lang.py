#!/usr/bin/env python3
"""Generate the DIN lang landscape template artwork (New Year 2027).

Outputs (trim 210 x 99 mm, 3 mm bleed -> page 216 x 105 mm):

* assets/templates/lang/front.svg  picture side, flat-colour vector SVG,
  viewBox 0 0 216 105 (1 unit = 1 mm), no text, no external references,
  no filters / masks / gradients / opacity -> converts faithfully with svglib.
* assets/templates/lang/back.png   text side, 2551 x 1240 px (300 dpi), RGB,
  a light white ground with soft gold ornaments and a faint washi fibre
  texture confined to the margins.

Both files are deterministic (fixed random seed, fixed number formatting,
no timestamps).

Calm zones (mm from the trim's top-left corner):
  front: x 120-200, y 60-92   short greeting line (flat snow colour)
  back:  x 20-105,  y 45-90   DIN 5008 address window (pure white)
         x 115-200, y 8-92    greeting + QR code (flat white)
         x 20-105,  y 8-40    sender / notes (flat white)

Run from the repository root:  python tools/artwork/lang.py
``--debug DIR`` additionally writes debug previews with the calm zones
outlined in red (never use those as deliverables).
"""

from __future__ import annotations

import argparse
import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "assets" / "templates" / "lang"

TRIM_W, TRIM_H = 210.0, 99.0
BLEED = 3.0
PAGE_W, PAGE_H = TRIM_W + 2 * BLEED, TRIM_H + 2 * BLEED  # 216 x 105

FRONT_CALM = [(120, 60, 200, 92)]
BACK_CALM = [(20, 45, 105, 90), (115, 8, 200, 92), (20, 8, 105, 40)]

# --- palette (hex; the tool converts to CMYK) ---------------------------------
SKY = "#F4ECDF"  # warm washi cream
SKY_HIGH = "#EFE5D4"  # slightly deeper cream near the top
MIST = "#EBD9AE"  # soft gold kasumi (mist bands)
MIST_LINE = "#D9B870"  # gold edge of the mist bands
SUN = "#E2412F"  # vermilion
FAR_HILLS = "#D5DDE2"  # distant snowy ridges, cool grey-blue
FAR_SNOW = "#EEF2F4"
MID_HILLS = "#B9C7D0"
TOWN = "#8294A3"  # slate blue town silhouette
TOWN_2 = "#7A8C9C"
TOWN_DARK = "#6E8192"
FIR = "#6A7F86"
WINDOW = "#F1D48C"  # warm lit windows
TOWN_SNOW = "#F2F4F5"
SNOW = "#FBF9F5"  # foreground snow (calm zone colour)
SNOW_SHADE = "#E9EEF1"  # blue-grey snow shadow
SNOW_EDGE = "#DCE3E8"  # fine contour of snow lying on branches
BRANCH = "#4B3A33"  # warm sumi brown
BLOSSOM_WHITE = "#FFFFFF"
BLOSSOM_EDGE = "#D9B870"
GOLD = "#C9A24A"
WOOL = "#F6F0E4"
WOOL_EDGE = "#D8CCB6"
SHEEP_DARK = "#3F3835"


def f(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def T(x: float, y: float) -> tuple[float, float]:
    """Trim mm -> SVG/page units."""
    return x + BLEED, y + BLEED


# --- geometry -------------------------------------------------------------------
def bezier(p0, p1, p2, p3, n):
    pts = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        pts.append(
            (
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            )
        )
    return pts


def spline(points, n=8, tension=0.6):
    out = [points[0]]
    for i in range(len(points) - 1):
        p0 = points[max(i - 1, 0)]
        p1, p2 = points[i], points[i + 1]
        p3 = points[min(i + 2, len(points) - 1)]
        c1 = (p1[0] + (p2[0] - p0[0]) / 6 * tension, p1[1] + (p2[1] - p0[1]) / 6 * tension)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6 * tension, p2[1] - (p3[1] - p1[1]) / 6 * tension)
        out.extend(bezier(p1, c1, c2, p2, n)[1:])
    return out


def tapered_outline(pts, w0, w1):
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
    return left + right[::-1]


# =================================================================================
# FRONT (SVG)
# =================================================================================
class Svg:
    def __init__(self):
        self.items: list[str] = []

    def add(self, s: str) -> None:
        self.items.append(s)

    def rect(self, x, y, w, h, fill, rx=None):
        r = f' rx="{f(rx)}" ry="{f(rx)}"' if rx else ""
        self.add(f'<rect x="{f(x)}" y="{f(y)}" width="{f(w)}" height="{f(h)}"{r} fill="{fill}"/>')

    def circle(self, cx, cy, r, fill, stroke=None, sw=None):
        s = f' stroke="{stroke}" stroke-width="{f(sw)}"' if stroke else ""
        self.add(f'<circle cx="{f(cx)}" cy="{f(cy)}" r="{f(r)}" fill="{fill}"{s}/>')

    def ellipse(self, cx, cy, rx, ry, fill, rot=0.0):
        t = f' transform="rotate({f(rot)} {f(cx)} {f(cy)})"' if rot else ""
        self.add(f'<ellipse cx="{f(cx)}" cy="{f(cy)}" rx="{f(rx)}" ry="{f(ry)}" fill="{fill}"{t}/>')

    def poly(self, pts, fill, stroke=None, sw=None):
        d = "M" + " L".join(f"{f(x)} {f(y)}" for x, y in pts) + " Z"
        s = f' stroke="{stroke}" stroke-width="{f(sw)}" stroke-linejoin="round"' if stroke else ""
        self.add(f'<path d="{d}" fill="{fill}"{s}/>')

    def line(self, x1, y1, x2, y2, stroke, sw):
        self.add(
            f'<line x1="{f(x1)}" y1="{f(y1)}" x2="{f(x2)}" y2="{f(y2)}" stroke="{stroke}" '
            f'stroke-width="{f(sw)}" stroke-linecap="round"/>'
        )

    def group(self, ident: str):
        self.add(f'<g id="{ident}">')

    def end(self):
        self.add("</g>")

    def render(self) -> str:
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
            f'width="{f(PAGE_W)}mm" height="{f(PAGE_H)}mm" viewBox="0 0 {f(PAGE_W)} {f(PAGE_H)}">\n'
            "<!-- New Year 2027: lang card front artwork (generated by tools/artwork/lang.py) -->\n"
        )
        return head + "\n".join(self.items) + "\n</svg>\n"


def branch(svg: Svg, pts, w0, w1, color=BRANCH, n=8):
    c = spline(pts, n)
    svg.poly(tapered_outline(c, w0, w1), color)
    svg.circle(c[0][0], c[0][1], w0 / 2, color)
    svg.circle(c[-1][0], c[-1][1], w1 / 2, color)
    widths = [w0 + (w1 - w0) * i / (len(c) - 1) for i in range(len(c))]
    return list(zip(c, widths, strict=False))


def blossom(svg: Svg, x, y, r, angle, petal, edge=None, centre=SUN):
    pr, pd = r * 0.5, r * 0.52
    for i in range(5):
        a = math.radians(angle + i * 72)
        if edge:
            svg.circle(x + math.cos(a) * pd, y + math.sin(a) * pd, pr, petal, edge, 0.18)
        else:
            svg.circle(x + math.cos(a) * pd, y + math.sin(a) * pd, pr, petal)
    if edge:
        svg.circle(x, y, r * 0.42, petal)
    for i in range(10):
        a = math.radians(angle + 18 + i * 36)
        ln = r * (0.42 if i % 2 else 0.52)
        ex, ey = x + math.cos(a) * ln, y + math.sin(a) * ln
        svg.line(x, y, ex, ey, GOLD, 0.12)
        svg.circle(ex, ey, r * 0.06 + 0.05, GOLD)
    svg.circle(x, y, r * 0.17, centre)


def bud(svg: Svg, x, y, r, color=SUN):
    svg.circle(x, y, r, color)


def snow_cap(svg: Svg, seg, thickness):
    """A soft cushion of snow lying on the upper edge of a branch segment.

    seg: list of ((x, y), width) from branch(); the cushion rests on the
    branch's upper edge (smaller y) and swells to ``thickness`` in the middle."""
    base, top = [], []
    m = len(seg) - 1
    for i, ((x, y), w) in enumerate(seg):
        k = math.sin(math.pi * i / m) ** 0.5
        base.append((x, y - w / 2 + w * 0.4 * k))
        top.append((x, y - w / 2 - thickness * k))
    svg.poly(top + base[::-1], "#FFFFFF", SNOW_EDGE, 0.12)


def kasumi(svg: Svg, x0, x1, y, h, steps):
    """Suyari-gasumi: stepped, round-ended mist band in soft gold."""
    for dx0, dx1, dy in steps:
        svg.rect(
            x0 + dx0 - 0.25,
            y + dy - 0.25,
            x1 - x0 - dx0 - dx1 + 0.5,
            h + 0.5,
            MIST_LINE,
            rx=h / 2 + 0.25,
        )
    for dx0, dx1, dy in steps:
        svg.rect(x0 + dx0, y + dy, x1 - x0 - dx0 - dx1, h, MIST, rx=h / 2)


def sheep(svg: Svg, x, y, s=1.0, facing=1, grazing=False):
    """Small stylised sheep; (x, y) = centre of the body, s = scale (mm)."""
    for lx in (-2.5, -1.1, 1.5, 2.8):
        svg.rect(
            x + lx * s * facing - 0.33 * s, y + 1.0 * s, 0.66 * s, 3.1 * s, SHEEP_DARK, rx=0.3 * s
        )
    wool = [
        (-3.1, 0.2, 1.8),
        (-2.0, -1.3, 1.9),
        (-0.2, -1.8, 2.0),
        (1.7, -1.5, 1.9),
        (3.1, -0.1, 1.7),
        (2.0, 1.2, 1.8),
        (-0.3, 1.4, 1.9),
        (-2.2, 1.2, 1.7),
        (0.2, -0.1, 2.4),
    ]
    for wx, wy, wr in wool:
        svg.circle(x + wx * s * facing, y + wy * s, (wr + 0.3) * s, WOOL_EDGE)
    for wx, wy, wr in wool:
        svg.circle(x + wx * s * facing, y + wy * s, wr * s, WOOL)
    if grazing:
        hx, hy, rot = x + 4.4 * s * facing, y + 2.0 * s, 70 * facing
    else:
        hx, hy, rot = x + 4.6 * s * facing, y - 1.5 * s, 35 * facing
    svg.ellipse(
        hx - 0.9 * s * facing,
        hy - 0.6 * s,
        1.0 * s,
        0.42 * s,
        SHEEP_DARK,
        rot=(-25 if not grazing else 30) * facing,
    )  # ear
    svg.ellipse(hx, hy, 1.75 * s, 1.1 * s, SHEEP_DARK, rot=rot)  # head
    svg.circle(
        hx - 0.9 * s * facing, hy - 0.9 * s if not grazing else hy - 1.3 * s, 0.9 * s, WOOL
    )  # woolly poll


def fir(svg: Svg, x, base, h, color=FIR):
    """Snowy conifer: three stacked tiers, each with snow on its upper part."""
    w = h * 0.36
    svg.rect(x - 0.3, base - h * 0.15, 0.6, h * 0.2, color)
    for k in range(3):
        top = base - h + k * h * 0.27
        bot = top + h * 0.46
        ww = w * (0.55 + 0.25 * k)
        svg.poly([(x, top), (x + ww, bot), (x - ww, bot)], color)
        svg.poly(
            [
                (x, top),
                (x + ww * 0.45, top + (bot - top) * 0.45),
                (x, top + (bot - top) * 0.36),
                (x - ww * 0.45, top + (bot - top) * 0.45),
            ],
            TOWN_SNOW,
        )


def town(svg: Svg, x0: float, base: float):
    """A quiet, generic German townscape: gabled and step-gabled houses,
    a twin-spired minster and a town-hall tower, snow on the roofs and a few
    warmly lit windows.  Runs into the right-hand bleed."""
    walls = (TOWN, TOWN_2)
    plan = [  # (kind, width, wall height, roof height)
        ("gable", 5.0, 4.5, 3.2),
        ("step", 4.6, 6.5, 4.0),
        ("gable", 5.5, 5.0, 3.6),
        ("minster", 10.5, 9.0, 0),
        ("gable", 4.8, 6.0, 3.6),
        ("step", 5.2, 7.5, 4.4),
        ("gable", 6.0, 4.6, 3.0),
        ("tower", 4.0, 13.5, 0),
        ("gable", 5.0, 6.2, 3.8),
        ("step", 4.4, 5.6, 3.6),
        ("gable", 6.4, 4.8, 3.4),
        ("gable", 4.6, 6.6, 3.6),
        ("step", 5.4, 5.2, 3.8),
        ("gable", 6.0, 4.4, 3.0),
        ("gable", 5.0, 5.8, 3.4),
        ("gable", 6.0, 4.8, 3.2),
    ]
    x = x0
    win = []
    for i, (kind, w, h, rh) in enumerate(plan):
        col = walls[i % 2]
        top = base - h
        if kind == "gable":
            svg.poly(
                [(x, base + 3), (x, top), (x + w / 2, top - rh), (x + w, top), (x + w, base + 3)],
                col,
            )
            svg.poly(
                [
                    (x - 0.35, top + 0.35),
                    (x + w / 2, top - rh - 0.2),
                    (x + w + 0.35, top + 0.35),
                    (x + w / 2, top - rh + 1.0),
                ],
                TOWN_SNOW,
            )
            win.append((x + w / 2 - 0.3, top + 1.4))
        elif kind == "step":  # Hanseatic stepped gable
            st, tw = 3, 1.4
            run = (w / 2 - tw / 2) / st
            ys = [top - rh * (k + 1) / (st + 1) for k in range(st)]
            pts = [(x, base + 3), (x, top)]
            cx = x
            treads = []
            for k in range(st):
                pts += [(cx, ys[k]), (cx + run, ys[k])]
                treads.append((cx, ys[k]))
                cx += run
            pts += [(cx, top - rh), (cx + tw, top - rh)]
            treads.append((cx, top - rh, tw))
            cx += tw
            for k in reversed(range(st)):
                pts += [(cx, ys[k]), (cx + run, ys[k])]
                treads.append((cx, ys[k]))
                cx += run
            pts += [(x + w, top), (x + w, base + 3)]
            svg.poly(pts, col)
            for t in treads:
                tx, ty = t[0], t[1]
                tl = t[2] if len(t) > 2 else run
                svg.rect(tx - 0.1, ty - 0.35, tl + 0.2, 0.35, TOWN_SNOW)
            win += [(x + w / 2 - 1.2, top + 1.3), (x + w / 2 + 0.6, top + 1.3)]
        elif kind == "minster":
            nave = 4.5
            svg.poly(
                [
                    (x, base + 3),
                    (x, top + 3),
                    (x + w / 2, top - 0.5),
                    (x + w, top + 3),
                    (x + w, base + 3),
                ],
                TOWN_DARK,
            )
            svg.poly(
                [
                    (x - 0.3, top + 3.3),
                    (x + w / 2, top - 0.7),
                    (x + w + 0.3, top + 3.3),
                    (x + w / 2, top + 0.4),
                ],
                TOWN_SNOW,
            )
            for sx in (x + 0.4, x + w - 3.0):
                svg.poly(
                    [
                        (sx, base + 3),
                        (sx, top - 3),
                        (sx + 1.3, top - 11),
                        (sx + 2.6, top - 3),
                        (sx + 2.6, base + 3),
                    ],
                    TOWN_DARK,
                )
                svg.rect(sx + 0.9, top - 1.8, 0.8, 1.4, WINDOW)
            svg.circle(x + w / 2, top + 3.4, 0.8, WINDOW)
            del nave
        elif kind == "tower":
            svg.poly([(x, base + 3), (x, top), (x + w, top), (x + w, base + 3)], TOWN_DARK)
            svg.poly([(x - 0.3, top), (x + w / 2, top - 4.2), (x + w + 0.3, top)], TOWN_DARK)
            svg.poly(
                [
                    (x - 0.3, top + 0.1),
                    (x + w / 2, top - 4.3),
                    (x + w + 0.3, top + 0.1),
                    (x + w / 2, top - 3.1),
                ],
                TOWN_SNOW,
            )
            svg.line(x + w / 2, top - 4.2, x + w / 2, top - 5.6, TOWN_DARK, 0.25)
            svg.circle(x + w / 2, top + 2.0, 0.75, WINDOW)
        x += w
    for wx, wy in win[::2]:
        svg.rect(wx, wy, 0.6, 0.8, WINDOW)
    return x


def build_front() -> str:
    svg = Svg()
    W, H = PAGE_W, PAGE_H

    svg.group("sky")
    svg.rect(-1, -1, W + 2, H + 2, SKY)
    svg.end()

    svg.group("sun")
    svg.circle(170, 28, 13.0, SUN)
    svg.end()

    svg.group("mist")
    kasumi(svg, 132, 222, 34.5, 3.2, [(12, 0, 0), (0, 40, 2.0)])
    kasumi(svg, -6, 100, 9.0, 3.0, [(0, 30, 0), (24, 0, 1.9)])
    svg.end()

    # distant ridges
    svg.group("far-hills")
    ridge = spline(
        [
            (-3, 56),
            (20, 49),
            (42, 53),
            (66, 45),
            (92, 51),
            (118, 47),
            (146, 52),
            (176, 47),
            (200, 50),
            (220, 47),
        ],
        8,
    )
    svg.poly([(-3, 70), *ridge, (220, 70)], FAR_HILLS)
    svg.end()

    svg.group("town")
    fir(svg, 127.5, 59.5, 6.0)
    fir(svg, 131.5, 59.5, 8.0)
    town(svg, 134.5, 58.5)
    svg.end()

    svg.group("mid-hills")
    mid = spline(
        [
            (-3, 62),
            (30, 57.5),
            (60, 60.5),
            (95, 56.5),
            (122, 59.5),
            (160, 58.5),
            (190, 59.5),
            (220, 57.5),
        ],
        8,
    )
    svg.poly([(-3, 75), *mid, (220, 75)], MID_HILLS)
    svg.end()

    # foreground snow field (flat; holds the calm zone)
    svg.group("snow")
    field = spline([(-3, 65), (40, 61.5), (80, 64.0), (118, 61.0), (160, 62.0), (220, 60.5)], 10)
    svg.poly([(-3, H + 3), *field, (220, H + 3)], SNOW)
    shade = spline([(-3, 84), (20, 80), (48, 83.5), (80, 90), (106, 98), (116, 109)], 10)
    svg.poly([(-3, H + 3), *shade], SNOW_SHADE)
    svg.end()

    # plum tree on the left, leaning into the sky
    svg.group("plum-tree")
    trunk = branch(
        svg,
        [(1, 110), (8, 97), (5, 85), (11, 72), (18, 63), (22, 54), (28, 45), (31, 37)],
        9.0,
        2.6,
        n=10,
    )
    b1 = branch(svg, [(22, 54), (33, 51), (45, 43), (57, 40.5), (69, 32)], 3.4, 0.8)
    b2 = branch(svg, [(31, 37), (34, 27), (42, 20), (45, 12)], 2.4, 0.6)
    b3 = branch(svg, [(11, 72), (4, 64), (1.5, 52)], 2.8, 0.8)
    b4 = branch(svg, [(45, 43), (49, 33), (55, 27)], 1.3, 0.45)
    b5 = branch(svg, [(57, 40.5), (66, 43), (76, 42)], 1.3, 0.45)
    b6 = branch(svg, [(33, 51), (36, 58), (42, 61)], 1.2, 0.45)
    b7 = branch(svg, [(34, 27), (25, 23), (19, 15)], 1.3, 0.45)
    b8 = branch(svg, [(18, 63), (26, 66), (31, 71)], 1.4, 0.45)
    # snow lying on the near-horizontal branches
    snow_cap(svg, b1[4:17], 1.5)
    snow_cap(svg, b1[20:30], 1.0)
    snow_cap(svg, b5[2:13], 0.8)
    snow_cap(svg, b7[3:12], 0.75)
    snow_cap(svg, b8[1:10], 0.8)
    del trunk, b2, b3, b4, b6
    # blossoms
    for x, y, r, a, kind in [
        (45.5, 42.2, 3.5, 10, "red"),
        (57.5, 39.0, 2.9, 40, "white"),
        (69.5, 31.6, 2.6, 0, "red"),
        (55.2, 26.6, 2.3, 25, "white"),
        (42.0, 19.2, 3.0, 60, "red"),
        (45.0, 11.6, 2.2, 5, "white"),
        (25.0, 22.8, 2.7, 35, "white"),
        (19.0, 14.5, 2.2, 15, "red"),
        (1.8, 52.0, 2.8, 20, "red"),
        (6.0, 63.4, 2.3, 50, "white"),
        (76.2, 41.6, 2.2, 20, "white"),
        (42.2, 61.0, 2.4, 70, "red"),
        (31.2, 36.6, 2.6, 48, "white"),
        (34.6, 51.0, 2.1, 12, "red"),
        (31.2, 71.0, 2.2, 30, "white"),
    ]:
        if kind == "red":
            blossom(svg, x, y, r, a, SUN, centre="#F2C14E")
        else:
            blossom(svg, x, y, r, a, BLOSSOM_WHITE, edge=BLOSSOM_EDGE)
    for x, y, r, c in [
        (48.8, 33.4, 0.8, SUN),
        (64.0, 35.0, 0.7, SUN),
        (34.0, 27.0, 0.85, SUN),
        (66.4, 43.0, 0.6, "#F4C6BC"),
        (38.5, 59.4, 0.7, SUN),
        (28.5, 20.4, 0.6, "#F4C6BC"),
        (3.2, 59.0, 0.7, SUN),
        (25.5, 66.0, 0.65, SUN),
    ]:
        bud(svg, x, y, r, c)
    svg.end()

    # a small flock in the snow - 2027 is the Year of the Sheep
    svg.group("sheep")
    sheep(svg, 66, 82.0, 1.15, facing=1, grazing=True)
    sheep(svg, 84, 75.5, 0.9, facing=-1)
    sheep(svg, 99, 85.0, 1.3, facing=1)
    svg.end()

    return svg.render()


# =================================================================================
# BACK (PNG)
# =================================================================================
PX_W, PX_H = 2551, 1240
SS = 2  # supersampling factor
PPM = PX_W / PAGE_W  # pixels per mm (~11.81)

B_GOLD = (201, 162, 74)
B_GOLD_SOFT = (232, 214, 168)
B_GOLD_FAINT = (243, 233, 208)
B_VERMILION = (226, 65, 47)
B_VERMILION_SOFT = (238, 150, 135)
B_FIBRE = (241, 235, 224)
B_BRANCH = (140, 118, 104)


def _px(v: float) -> float:
    return v * PPM * SS


def _pt(x: float, y: float) -> tuple[float, float]:
    """Trim mm -> supersampled pixel coordinates."""
    return _px(x + BLEED), _px(y + BLEED)


def _ellipse(d: ImageDraw.ImageDraw, x, y, r, fill=None, outline=None, width=1):
    cx, cy = _pt(x, y)
    rr = _px(r)
    d.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), fill=fill, outline=outline, width=width)


def _calm_mask(margin_mm: float) -> Image.Image:
    """L mask, 255 inside the (grown) back calm zones."""
    m = Image.new("L", (PX_W * SS, PX_H * SS), 0)
    d = ImageDraw.Draw(m)
    for x0, y0, x1, y1 in BACK_CALM:
        a = _pt(x0 - margin_mm, y0 - margin_mm)
        b = _pt(x1 + margin_mm, y1 + margin_mm)
        d.rectangle((a[0], a[1], b[0], b[1]), fill=255)
    return m


def _seigaiha_fan(d, cx, cy, R, rings, fill, line, lw):
    """Scales of a seigaiha field in trim mm drawn into ImageDraw."""
    _ellipse(d, cx, cy, R, fill=fill, outline=line, width=lw)
    for k in range(1, rings):
        _ellipse(d, cx, cy, R * (rings - k) / rings, outline=line, width=lw)


def _back_blossom(d, x, y, r, angle, petal, edge):
    pr, pd = r * 0.5, r * 0.52
    lw = max(2, int(_px(0.12)))
    for i in range(5):
        a = math.radians(angle + i * 72)
        _ellipse(
            d, x + math.cos(a) * pd, y + math.sin(a) * pd, pr, fill=petal, outline=edge, width=lw
        )
    _ellipse(d, x, y, r * 0.42, fill=petal)
    for i in range(10):
        a = math.radians(angle + 18 + i * 36)
        ln = r * (0.42 if i % 2 else 0.52)
        ex, ey = x + math.cos(a) * ln, y + math.sin(a) * ln
        d.line((*_pt(x, y), *_pt(ex, ey)), fill=B_GOLD, width=lw)
        _ellipse(d, ex, ey, r * 0.06 + 0.05, fill=B_GOLD)
    _ellipse(d, x, y, r * 0.17, fill=B_VERMILION)


def _branch_png(d, pts, w0, w1, color):
    c = spline(pts, 10)
    outline = [_pt(x, y) for x, y in tapered_outline(c, w0, w1)]
    d.polygon(outline, fill=color)
    _ellipse(d, c[0][0], c[0][1], w0 / 2, fill=color)
    _ellipse(d, c[-1][0], c[-1][1], w1 / 2, fill=color)


def build_back(debug: bool = False) -> Image.Image:
    rng = random.Random(2027)
    W, H = PX_W * SS, PX_H * SS
    img = Image.new("RGB", (W, H), (255, 255, 255))

    # ---- faint washi fibres, only in the margins -----------------------------
    fib = Image.new("L", (W, H), 0)
    fd = ImageDraw.Draw(fib)
    for _ in range(420):
        x = rng.uniform(-3, 213)
        y = rng.uniform(-3, 102)
        ln = rng.uniform(1.5, 7.0)
        a = rng.uniform(0, math.pi)
        bend = rng.uniform(-0.6, 0.6)
        pts = []
        for i in range(7):
            t = i / 6 - 0.5
            pts.append(
                _pt(
                    x + math.cos(a) * ln * t - math.sin(a) * bend * (1 - 4 * t * t),
                    y + math.sin(a) * ln * t + math.cos(a) * bend * (1 - 4 * t * t),
                )
            )
        fd.line(pts, fill=rng.randint(110, 255), width=rng.choice((2, 2, 3)), joint="curve")
    # keep fibres away from every calm zone (4 mm soft margin)
    keep = _calm_mask(4.0).filter(ImageFilter.BoxBlur(int(_px(1.5))))
    keep = Image.eval(keep, lambda v: 255 - v)
    fib = Image.composite(fib, Image.new("L", (W, H), 0), keep)
    img.paste(Image.new("RGB", (W, H), B_FIBRE), (0, 0), fib)

    d = ImageDraw.Draw(img)
    lw = max(2, int(_px(0.18)))

    # ---- left edge: a column of soft gold seigaiha bleeding off the left -----
    band = Image.new("RGB", (W, H), (255, 255, 255))
    bd = ImageDraw.Draw(band)
    R = 3.6
    row = 0
    y = -3 - R
    while y < 102 + 2 * R:
        x = -3 - 2 * R + (R if row % 2 else 0)
        while x < 14:
            _seigaiha_fan(bd, x, y, R, 4, B_GOLD_FAINT, B_GOLD_SOFT, lw)
            x += 2 * R
        y += R / 2
        row += 1
    band_mask = Image.new("L", (W, H), 0)
    bm = ImageDraw.Draw(band_mask)
    edge_x = 9.0
    bm.rectangle((0, 0, _pt(edge_x, 0)[0], H), fill=255)
    img.paste(band, (0, 0), band_mask)
    d.line((*_pt(edge_x, -3), *_pt(edge_x, 102)), fill=B_GOLD, width=int(_px(0.3)))

    # ---- plum sprig over the band, upper left ---------------------------------
    _branch_png(d, [(-4, 22), (4, 16.5), (11, 9.5), (15.5, 5.5)], 1.9, 0.5, B_BRANCH)
    _branch_png(d, [(4, 16.5), (9.5, 19.5), (14.5, 19.0)], 0.9, 0.35, B_BRANCH)
    _back_blossom(d, 10.6, 10.0, 3.1, 15, (255, 255, 255), B_GOLD_SOFT)
    _back_blossom(d, 14.6, 19.2, 2.2, 40, B_VERMILION_SOFT, B_VERMILION_SOFT)
    _ellipse(d, 15.8, 5.2, 0.8, fill=B_VERMILION_SOFT)

    # ---- lower left: a second small sprig ---------------------------------------
    _branch_png(d, [(-4, 86), (3.5, 90.5), (10.5, 93.0), (17.5, 96.5)], 1.6, 0.45, B_BRANCH)
    _back_blossom(d, 9.2, 92.6, 2.6, 30, B_VERMILION_SOFT, B_VERMILION_SOFT)
    _back_blossom(d, 16.8, 96.2, 1.9, 0, (255, 255, 255), B_GOLD_SOFT)

    # ---- divider between address side and greeting side ------------------------
    dx = 110.0
    d.line((*_pt(dx, 14), *_pt(dx, 86)), fill=B_GOLD_SOFT, width=int(_px(0.3)))
    _back_blossom(d, dx, 10.2, 1.9, 90 - 72 / 2 + 90, (255, 255, 255), B_GOLD_SOFT)
    for yy in (88.2, 90.6):
        _ellipse(d, dx, yy, 0.45, fill=B_GOLD_SOFT)

    # ---- lower-right corner: quarter seigaiha fan bleeding off -----------------
    fan = Image.new("RGB", (W, H), (255, 255, 255))
    fnd = ImageDraw.Draw(fan)
    R2 = 3.0
    row = 0
    y = 84.0
    while y < 102 + 2 * R2:
        x = 192.0 + (R2 if row % 2 else 0)
        while x < 214 + 2 * R2:
            _seigaiha_fan(fnd, x, y, R2, 4, B_GOLD_FAINT, B_GOLD_SOFT, lw)
            x += 2 * R2
        y += R2 / 2
        row += 1
    fan_mask = Image.new("L", (W, H), 0)
    fm = ImageDraw.Draw(fan_mask)
    # big circle centred beyond the corner -> a soft quarter-disc outline
    cx, cy = _pt(212.0, 101.0)
    rr = _px(13.0)
    fm.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), fill=255)
    img.paste(fan, (0, 0), fan_mask)
    d.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), outline=B_GOLD, width=int(_px(0.3)))

    out = img.resize((PX_W, PX_H), Image.LANCZOS)

    # the calm zones must be exactly flat white - fail loudly if a decoration strays
    for x0, y0, x1, y1 in BACK_CALM:
        box = (
            math.floor((x0 + BLEED) * PPM),
            math.floor((y0 + BLEED) * PPM),
            math.ceil((x1 + BLEED) * PPM),
            math.ceil((y1 + BLEED) * PPM),
        )
        lo, _hi = zip(*out.crop(box).getextrema(), strict=False)
        if min(lo) != 255:
            raise SystemExit(f"back.png: calm zone {(x0, y0, x1, y1)} is not pure white")

    if debug:
        out = out.copy()
        dd = ImageDraw.Draw(out)
        for x0, y0, x1, y1 in BACK_CALM:
            dd.rectangle(
                (
                    round((x0 + BLEED) * PPM),
                    round((y0 + BLEED) * PPM),
                    round((x1 + BLEED) * PPM),
                    round((y1 + BLEED) * PPM),
                ),
                outline=(255, 0, 0),
                width=4,
            )
        dd.rectangle(
            (
                round(BLEED * PPM),
                round(BLEED * PPM),
                round((BLEED + TRIM_W) * PPM),
                round((BLEED + TRIM_H) * PPM),
            ),
            outline=(0, 160, 255),
            width=3,
        )
    return out


def save_png(img: Image.Image, path: Path) -> None:
    img.save(path, format="PNG", dpi=(300, 300), optimize=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR)
    ap.add_argument("--debug", type=Path, help="also write calm-zone debug previews into this dir")
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)

    front = args.out_dir / "front.svg"
    front.write_text(build_front(), encoding="utf-8", newline="\n")
    print(f"wrote {front} ({front.stat().st_size} bytes)")

    back = args.out_dir / "back.png"
    save_png(build_back(), back)
    print(f"wrote {back} ({back.stat().st_size} bytes)")

    if args.debug:
        args.debug.mkdir(parents=True, exist_ok=True)
        svg = build_front()
        rects = "".join(
            f'<rect x="{f(x0 + BLEED)}" y="{f(y0 + BLEED)}" '
            f'width="{f(x1 - x0)}" height="{f(y1 - y0)}" '
            f'fill="none" stroke="#FF0000" stroke-width="0.35"/>'
            for x0, y0, x1, y1 in FRONT_CALM
        )
        rects += (
            f'<rect x="{f(BLEED)}" y="{f(BLEED)}" width="{f(TRIM_W)}" height="{f(TRIM_H)}" '
            f'fill="none" stroke="#00A0FF" stroke-width="0.3"/>'
        )
        (args.debug / "lang_front_debug.svg").write_text(svg.replace("</svg>", rects + "</svg>"))
        save_png(build_back(debug=True), args.debug / "lang_back_debug.png")
        print(f"wrote debug previews to {args.debug}")


if __name__ == "__main__":
    main()
