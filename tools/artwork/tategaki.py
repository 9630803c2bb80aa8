#!/usr/bin/env python3
# ruff: noqa: E501 - the SVG below is kept as the design program writes it, one element per line
"""Write the designer's SVG for the bundled ``tategaki`` template (年賀はがき, 100 × 148 mm).

The file is what a designer would save from Inkscape 1.x: a mm document with
two layers, artwork (washi ground, a soft radial sun, seigaiha waves with
opacity, a gradient rule) and placeholders in named frames — ``{{ company_line }}``
and friends, a square named ``qr``, a frame ``image-logo`` with the sender's
logo embedded, and 謹賀新年 set as vertical text in the frame ``greeting_ja``.

The template itself is then made the designer's way::

    python tools/artwork/tategaki.py
    greetcard template import tools/artwork/tategaki-design.svg /tmp/tategaki
    # refine /tmp/tategaki/template.toml (link, minimum sizes, Japanese texts)
    # and copy it with artwork.svg and logo.png to assets/templates/tategaki/

Deterministic output (no timestamps, fixed number formatting).
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tools" / "artwork" / "tategaki-design.svg"
FONTS = ROOT / "assets" / "fonts"

CREAM = "#f4ecdf"
VERMILION = "#d9412b"
INDIGO = "#1f3f77"
GOLD = "#c9a24a"


def f(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def logo_png() -> str:
    """The sender's mark: a vermilion seal with a white anchor-like wave, and the city's name (600 × 300 px)."""
    image = Image.new("RGBA", (600, 300), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 284, 284), fill=(217, 65, 43, 255))
    for index in range(3):
        top = 95 + index * 42
        draw.arc((60, top, 150, top + 70), 200, 340, fill=(255, 255, 255, 255), width=14)
        draw.arc((142, top, 232, top + 70), 200, 340, fill=(255, 255, 255, 255), width=14)
    bold = ImageFont.truetype(str(FONTS / "NotoSansJP-Bold.ttf"), 62)
    small = ImageFont.truetype(str(FONTS / "NotoSansJP-Regular.ttf"), 34)
    draw.text((306, 70), "Rhein", font=bold, fill=(31, 63, 119, 255))
    draw.text((306, 136), "hafen", font=bold, fill=(31, 63, 119, 255))
    draw.text((308, 220), "ラインハーフェン", font=small, fill=(201, 162, 74, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode()


def waves() -> str:
    """Seigaiha (青海波) rows along the bottom edge, running into the bleed."""
    arcs = []
    radius = 6.0
    for row in range(4):
        y = 137 + row * 3.2
        shift = 0 if row % 2 == 0 else radius
        x = -3 - shift
        while x < 106:
            for ring in (radius, radius * 0.68, radius * 0.36):
                arcs.append(
                    f'<path d="M {f(x - ring)} {f(y)} A {f(ring)} {f(ring)} 0 0 1 {f(x + ring)} {f(y)}" />'
                )
            x += 2 * radius
    return "\n      ".join(arcs)


def plum(cx: float, cy: float, size: float) -> str:
    """A five-petal plum blossom (梅) as circles."""
    petals = []
    for index in range(5):
        angle = math.radians(-90 + index * 72)
        petals.append(
            f'<circle cx="{f(cx + math.cos(angle) * size)}" cy="{f(cy + math.sin(angle) * size)}" r="{f(size * 0.78)}" />'
        )
    return (
        f'<g style="fill:{VERMILION};opacity:0.85">{"".join(petals)}</g>'
        f'<circle cx="{f(cx)}" cy="{f(cy)}" r="{f(size * 0.42)}" style="fill:{GOLD}" />'
    )


def design() -> str:
    frame = "fill:none;stroke:#ff00ff;stroke-width:0.2"
    sans = "font-family:'Noto Sans JP';-inkscape-font-specification:'Noto Sans JP'"
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with Inkscape (http://www.inkscape.org/) -->

<svg
   width="100mm"
   height="148mm"
   viewBox="0 0 100 148"
   version="1.1"
   id="svg1"
   inkscape:version="1.3.2 (091e20e, 2023-11-25)"
   sodipodi:docname="tategaki-design.svg"
   xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
   xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
   xmlns:xlink="http://www.w3.org/1999/xlink"
   xmlns="http://www.w3.org/2000/svg"
   xmlns:svg="http://www.w3.org/2000/svg">
  <title id="title1">Nengajō 2027 — Tategaki</title>
  <sodipodi:namedview id="namedview1" pagecolor="#ffffff" inkscape:document-units="mm" />
  <defs id="defs1">
    <radialGradient id="sun" cx="0.5" cy="0.5" r="0.5">
      <stop offset="0" style="stop-color:#f6b48f" />
      <stop offset="0.6" style="stop-color:#f4cfb0" />
      <stop offset="1" style="stop-color:{CREAM}" />
    </radialGradient>
    <linearGradient id="rule" x1="0" y1="0" x2="1" y2="0">
      <stop offset="0" style="stop-color:{GOLD}" />
      <stop offset="1" style="stop-color:{VERMILION}" />
    </linearGradient>
    <clipPath id="page"><rect x="-3" y="-3" width="106" height="154" /></clipPath>
  </defs>
  <g inkscape:label="Artwork" inkscape:groupmode="layer" id="layer1" clip-path="url(#page)">
    <rect id="ground" x="-3" y="-3" width="106" height="154" style="fill:{CREAM}" />
    <circle id="sun-glow" cx="82" cy="42" r="34" style="fill:url(#sun);opacity:0.9" />
    <rect id="rule-line" x="10" y="30.2" width="56" height="0.5" style="fill:url(#rule)" />
    <g id="waves" style="fill:none;stroke:{INDIGO};stroke-width:0.35;opacity:0.35">
      {waves()}
    </g>
    {plum(90, 92, 2.2)}
    {plum(84.5, 98, 1.5)}
  </g>
  <g inkscape:label="Felder" inkscape:groupmode="layer" id="layer2">
    <rect id="rect-logo" inkscape:label="image-logo" x="10" y="10" width="40" height="18" style="{frame}" />
    <image id="logo" x="10" y="10" width="36" height="18" preserveAspectRatio="xMinYMid meet"
       xlink:href="data:image/png;base64,{logo_png()}" />
    <rect id="rect-greeting-ja" inkscape:label="greeting_ja" x="72" y="10" width="20" height="66" style="{frame}" />
    <text id="text-greeting-ja" xml:space="preserve" x="82" y="14"
       style="font-size:11.2889px;line-height:1.25;font-family:'BIZ UDPMincho';writing-mode:tb-rl;text-orientation:upright;fill:{VERMILION}"><tspan
         sodipodi:role="line" x="82" y="14" id="tspan-greeting-ja">謹賀新年</tspan></text>
    <rect id="rect-greeting" inkscape:label="greeting" x="10" y="32" width="58" height="7" style="{frame}" />
    <text id="text-greeting" xml:space="preserve" x="10" y="37.4"
       style="font-size:3.88056px;line-height:1.25;{sans};fill:{VERMILION}"><tspan
         sodipodi:role="line" x="10" y="37.4" id="tspan-greeting">Ein gutes neues Jahr 2027</tspan></text>
    <rect id="rect-recipient" inkscape:label="recipient" x="10" y="42" width="58" height="20" style="{frame}" />
    <text id="text-recipient" xml:space="preserve" x="10" y="46.5"
       style="font-weight:bold;font-size:4.23333px;line-height:1.35;{sans};fill:#000000"><tspan
         sodipodi:role="line" x="10" y="46.5" id="tspan-recipient-1">{{{{ company_line }}}}</tspan><tspan
         sodipodi:role="line" x="10" y="52.2" id="tspan-recipient-2" style="font-weight:normal">{{{{ name_line }}}}</tspan></text>
    <rect id="rect-message" inkscape:label="message" x="10" y="65" width="58" height="30" style="{frame}" />
    <text id="text-message" xml:space="preserve" x="10" y="68.2"
       style="font-size:3.0px;line-height:1.5;{sans};fill:#000000"><tspan
         sodipodi:role="line" x="10" y="68.2" id="tspan-message-1">{{{{ salutation_line }}}}</tspan><tspan
         sodipodi:role="line" x="10" y="72.7" id="tspan-message-2">herzlichen Dank für die gute Zusammenarbeit. Unseren Neujahrsgruß senden wir als Video: scannen Sie den QR-Code.</tspan></text>
    <rect id="rect-qr" inkscape:label="qr" x="62" y="100" width="30" height="30" style="fill:none;stroke:#000000;stroke-width:0.2" />
    <rect id="rect-link" inkscape:label="link" x="50" y="131" width="42" height="4.5" style="{frame}" />
    <text id="text-link" xml:space="preserve" x="92" y="133.6"
       style="font-size:2.29306px;line-height:1.25;{sans};text-anchor:end;text-align:end;letter-spacing:0.05em;fill:{INDIGO}"><tspan
         sodipodi:role="line" x="92" y="133.6" id="tspan-link">{{{{ link_text }}}}</tspan></text>
    <rect id="rect-senders" inkscape:label="senders" x="10" y="106" width="48" height="24" style="{frame}" />
    <text id="text-senders" xml:space="preserve" x="10" y="127"
       style="font-size:2.29306px;line-height:1.4;{sans};fill:#333333"><tspan
         sodipodi:role="line" x="10" y="121" id="tspan-senders-1">Stadt Rheinhafen · Amt für Wirtschaftsförderung</tspan><tspan
         sodipodi:role="line" x="10" y="124.2" id="tspan-senders-2">Land Nordmark · Agentur für Außenwirtschaft</tspan><tspan
         sodipodi:role="line" x="10" y="127.4" id="tspan-senders-3">ラインハーフェン市経済振興局</tspan></text>
  </g>
</svg>
"""


def main() -> None:
    OUT.write_text(design(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
