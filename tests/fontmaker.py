"""Test fonts made on the spot with fontTools: CFF .otf, variable, collection, no-embedding.

Nothing is downloaded: outlines come from the bundled Noto Sans JP (subset to
the characters a test needs) or are simple rectangles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fontTools import subset
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont
from fontTools.ttLib.tables.TupleVariation import TupleVariation

ROOT = Path(__file__).resolve().parent.parent
NOTO_REGULAR = ROOT / "assets" / "fonts" / "NotoSansJP-Regular.ttf"
NOTO_BOLD = ROOT / "assets" / "fonts" / "NotoSansJP-Bold.ttf"
ASCII = "".join(chr(code) for code in range(32, 127))


def subset_ttf(source: Path, text: str, path: Path, fs_type: int | None = None) -> Path:
    """The bundled font cut down to ``text`` (small and fast), optionally with another fsType."""
    font = TTFont(str(source))
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    if fs_type is not None:
        font["OS/2"].fsType = fs_type
    font.save(str(path))
    return path


def cff_otf(path: Path, text: str = ASCII, source: Path = NOTO_REGULAR) -> Path:
    """A CFF-flavoured OpenType font (``OTTO``) with the bundled font's outlines for ``text``."""
    small = subset_ttf(source, text, path.with_suffix(".src.ttf"))
    ttf = TTFont(str(small))
    glyph_set = ttf.getGlyphSet()
    order = ttf.getGlyphOrder()
    charstrings: dict[str, Any] = {}
    for name in order:
        pen = T2CharStringPen(ttf["hmtx"][name][0], glyph_set)
        glyph_set[name].draw(pen)
        charstrings[name] = pen.getCharString()
    builder = FontBuilder(ttf["head"].unitsPerEm, isTTF=False)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(ttf.getBestCmap())
    builder.setupCFF("TestCFF-Regular", {"FullName": "Test CFF Regular"}, charstrings, {})
    builder.setupHorizontalMetrics({name: ttf["hmtx"][name] for name in order})
    builder.setupHorizontalHeader(ascent=ttf["hhea"].ascent, descent=ttf["hhea"].descent)
    builder.setupNameTable({"familyName": "Test CFF", "styleName": "Regular"})
    builder.setupOS2(
        sTypoAscender=ttf["OS/2"].sTypoAscender,
        sTypoDescender=ttf["OS/2"].sTypoDescender,
        usWinAscent=ttf["OS/2"].usWinAscent,
        usWinDescent=ttf["OS/2"].usWinDescent,
        fsType=0,
    )
    builder.setupPost()
    builder.save(str(path))
    small.unlink()
    return path


def _rectangle(left: int, bottom: int, right: int, top: int) -> Any:
    pen = TTGlyphPen(None)
    pen.moveTo((left, bottom))
    pen.lineTo((left, top))
    pen.lineTo((right, top))
    pen.lineTo((right, bottom))
    pen.closePath()
    return pen.glyph()


def variable_ttf(path: Path, fs_type: int = 0) -> Path:
    """A variable font (wght 100–900, instances Regular and Bold) whose ``I`` stem widens with weight.

    At wght 400 the stem is 80 units wide; at 900 it is 480, so at 700 it is 320.
    """
    builder = FontBuilder(1000, isTTF=True)
    order = [".notdef", "space", "I", "H"]
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap({32: "space", ord("I"): "I", ord("H"): "H"})
    glyphs = {
        ".notdef": _rectangle(50, 0, 450, 700),
        "space": TTGlyphPen(None).glyph(),
        "I": _rectangle(100, 0, 180, 700),
        "H": _rectangle(100, 0, 500, 700),
    }
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics(
        {".notdef": (500, 50), "space": (300, 0), "I": (600, 100), "H": (600, 100)}
    )
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": "Test Variable", "styleName": "Regular"})
    builder.setupOS2(
        sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120, fsType=fs_type
    )
    builder.setupPost()
    builder.setupFvar(
        [("wght", 100, 400, 900, "Weight")],
        [
            {"location": {"wght": 400}, "stylename": "Regular"},
            {"location": {"wght": 700}, "stylename": "Bold"},
        ],
    )
    widen = [(0, 0), (0, 0), (400, 0), (400, 0), (0, 0), (0, 0), (0, 0), (0, 0)]
    builder.setupGvar({"I": [TupleVariation({"wght": (0.0, 1.0, 1.0)}, widen)]})
    builder.save(str(path))
    return path


def collection(path: Path, text: str = ASCII) -> Path:
    """A .ttc with two faces: Noto Sans JP Regular (face 0) and Bold (face 1), cut down to ``text``."""
    regular = subset_ttf(NOTO_REGULAR, text, path.with_suffix(".0.ttf"))
    bold = subset_ttf(NOTO_BOLD, text, path.with_suffix(".1.ttf"))
    faces = TTCollection()
    faces.fonts = [TTFont(str(regular)), TTFont(str(bold))]
    faces.save(str(path))
    regular.unlink()
    bold.unlink()
    return path
