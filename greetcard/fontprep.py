"""Fonts as agencies license them, made embeddable as TrueType once.

reportlab embeds TrueType (``glyf``) outlines only.  Most licensed type is
CFF-flavoured OpenType (``.otf``), variable, or a ``.ttc`` collection; this
module turns each into one static TrueType file with fontTools:

* a collection's face is taken by index (``face = 1``);
* a variable font is instanced at a named instance or axis values
  (``instance = "Bold"``, ``weight = 700``, ``axes = { wdth = 90 }``);
* CFF/CFF2 outlines are converted to quadratic TrueType outlines (cu2qu,
  within 1 font unit).

The result is cached by the source file's hash and the options, so a font is
converted once per machine, not once per batch.  A font whose ``fsType``
forbids embedding is refused.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: fsType bits (OpenType OS/2): restricted licence, bitmap embedding only.
FSTYPE_RESTRICTED = 0x0002
FSTYPE_BITMAP_ONLY = 0x0200
#: Bump when the conversion changes, so cached files are made again.
CONVERSION_VERSION = "2"
#: cu2qu's tolerance in font units (1/1000 em for most CFF fonts: invisible in print).
MAX_CURVE_ERROR = 1.0


class FontProblem(Exception):
    """A font that cannot be used as asked; the message says why and what to do."""


@dataclass(frozen=True)
class FontRequest:
    """A font file plus how to pick one static TrueType face from it."""

    path: Path
    face_index: int = 0
    instance: str = ""
    axes: tuple[tuple[str, float], ...] = ()


def cache_folder() -> Path:
    """Where converted fonts are kept (``GREETCARD_CACHE`` or the user's cache folder)."""
    base = os.environ.get("GREETCARD_CACHE") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return (root if os.environ.get("GREETCARD_CACHE") else root / "greetcard") / "fonts"


def needs_preparing(request: FontRequest) -> bool:
    """Whether reportlab can read the file as it is (static TrueType, first face)."""
    with request.path.open("rb") as handle:
        signature = handle.read(4)
    if signature in (b"OTTO", b"ttcf") or request.face_index or request.instance or request.axes:
        return True
    return _is_variable(request.path)


def _is_variable(path: Path) -> bool:
    from fontTools.ttLib import TTFont

    try:
        with TTFont(str(path), lazy=True) as font:
            return "fvar" in font
    except Exception:  # damaged: reportlab's own parser reports it
        return False


def check_request(request: FontRequest) -> None:
    """Refuse, with a reason, what cannot become an embeddable face (cheap: reads tables only)."""
    from fontTools.ttLib import TTCollection, TTFont, TTLibError

    try:
        with request.path.open("rb") as handle:
            signature = handle.read(4)
        collection = signature == b"ttcf"
        if collection:
            faces = TTCollection(str(request.path), lazy=True).fonts
            if request.face_index >= len(faces):
                raise FontProblem(
                    f"the collection has {len(faces)} faces (0–{len(faces) - 1}); face {request.face_index} "
                    "does not exist"
                )
            font = faces[request.face_index]
        else:
            if request.face_index:
                raise FontProblem("face is only for .ttc/.otc collections; this file holds one face")
            font = TTFont(str(request.path), lazy=True)
        if collection or signature == b"OTTO" or "fvar" in font:
            # A font that will be converted is read through now (a damaged one fails here, at its
            # template line); a plain TrueType file is left to the loader, which reports damage itself.
            for tag in ("head", "maxp", "hmtx"):
                _ = font[tag]
            if not font.getBestCmap():
                raise FontProblem("the font maps no characters (no Unicode cmap)")
        _check_embedding(font)
    except FontProblem:
        raise
    except (TTLibError, OSError, ValueError, KeyError, AssertionError, IndexError, TypeError) as err:
        raise FontProblem(
            f"not a usable font file, damaged or truncated ({err or type(err).__name__})"
        ) from None
    except Exception as err:  # fontTools' parsers raise many kinds on damaged data
        raise FontProblem(f"not a usable font file, damaged or truncated ({type(err).__name__})") from None
    if request.instance or request.axes:
        if "fvar" not in font:
            raise FontProblem("instance/weight/axes need a variable font; this font is static")
        axes = {axis.axisTag: axis for axis in font["fvar"].axes}
        for tag, value in request.axes:
            if tag not in axes:
                raise FontProblem(f"the font has no axis {tag!r} (its axes: {', '.join(axes)})")
            axis = axes[tag]
            if not axis.minValue <= value <= axis.maxValue:
                raise FontProblem(
                    f"{tag} = {value:g} is outside the font's range {axis.minValue:g}–{axis.maxValue:g}"
                )
        if request.instance:
            _instance_location(font, request.instance)
    if "glyf" not in font and "CFF " not in font and "CFF2" not in font:
        raise FontProblem("the font has no outlines (glyf or CFF) — it may be a bitmap or colour font")


def _check_embedding(font: Any) -> None:
    fs_type = font["OS/2"].fsType if "OS/2" in font else 0
    if fs_type & FSTYPE_RESTRICTED and not fs_type & 0x000C:
        raise FontProblem(
            "its licence forbids embedding (fsType: restricted licence) — ask the font's vendor for an "
            "embeddable licence or choose another font"
        )
    if fs_type & FSTYPE_BITMAP_ONLY:
        raise FontProblem(
            "its licence allows only bitmap embedding (fsType bit 9), which print cannot use — choose "
            "another font"
        )


def _instance_location(font: Any, instance: str) -> dict[str, float]:
    names = []
    for candidate in font["fvar"].instances:
        record = font["name"].getDebugName(candidate.subfamilyNameID) or ""
        names.append(record)
        if record.lower() == instance.lower():
            return dict(candidate.coordinates)
    raise FontProblem(f"no named instance {instance!r} (the font has: {', '.join(names) or 'none'})")


def prepared_path(request: FontRequest) -> Path:
    """A static TrueType file for ``request``: the file itself, or a converted copy from the cache."""
    if not needs_preparing(request):
        return request.path
    check_request(request)
    digest = hashlib.sha256(request.path.read_bytes())
    digest.update(repr((CONVERSION_VERSION, request.face_index, request.instance, request.axes)).encode())
    target = cache_folder() / f"{request.path.stem}-{digest.hexdigest()[:20]}.ttf"
    if target.is_file():
        return target
    try:
        font = _static_truetype(request)
    except Exception as err:  # conversion of a damaged font fails deep inside fontTools
        raise FontProblem(f"cannot convert the font ({type(err).__name__}: {err})") from None
    save_font(font, target)
    return target


def save_font(font: Any, target: Path) -> None:
    """Save a fontTools font into the cache beside ``target`` and rename it into place.

    Parallel renders never read half a file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(handle)
    try:
        font.save(temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _static_truetype(request: FontRequest) -> Any:
    from fontTools.ttLib import TTFont

    font = TTFont(str(request.path), fontNumber=request.face_index)
    if "fvar" in font:
        from fontTools.varLib import instancer

        location = {axis.axisTag: axis.defaultValue for axis in font["fvar"].axes}
        if request.instance:
            location.update(_instance_location(font, request.instance))
        location.update(dict(request.axes))
        font = instancer.instantiateVariableFont(font, location, updateFontNames=False)
        # Each instance needs its own PostScript name: PDF readers (and reportlab) tell fonts apart by it.
        suffix = "".join(f"{tag}{value:g}" for tag, value in sorted(location.items()))
        _rename_postscript(font, suffix)
    if "CFF " in font or "CFF2" in font:
        _cff_to_truetype(font)
    return font


def _rename_postscript(font: Any, suffix: str) -> None:
    name_table = font["name"]
    base = name_table.getDebugName(6) or "Font"
    new_name = "".join(c for c in f"{base}-{suffix}" if c.isalnum() or c in "-_")[:63]
    for record in list(name_table.names):
        if record.nameID == 6:
            name_table.setName(new_name, 6, record.platformID, record.platEncID, record.langID)
    if not any(record.nameID == 6 for record in name_table.names):
        name_table.setName(new_name, 6, 3, 1, 0x409)


def _cff_to_truetype(font: Any) -> None:
    """Replace CFF outlines by quadratic glyf outlines (fontTools' otf2ttf recipe)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_CURVE_ERROR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = glyphs
    for tag in ("CFF ", "CFF2", "VORG"):
        if tag in font:
            del font[tag]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for key in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
    ):
        setattr(maxp, key, 1 if key == "maxZones" else 0)
    maxp.maxComponentElements = max((len(getattr(g, "components", [])) for g in glyphs.values()), default=0)
    maxp.compile(font)
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = glyph_order
    try:
        post.compile(font)
    except (OverflowError, ValueError):
        post.formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"
