"""Vertical Japanese text (縦書き): columns top to bottom, right to left.

A field with ``direction = "vertical"`` is set here instead of in
:mod:`greetcard.layout`:

* punctuation, brackets and the long-vowel mark take the font's vertical forms
  (OpenType ``vert``/``vrt2``): a copy of the font whose character map points
  at those glyphs is made once (cached like converted fonts), so the PDF
  embeds the vertical glyphs themselves;
* Latin letters and digits are set rotated (a run turned 90° clockwise, the
  usual way) or upright, one per em, as ``vertical_latin`` says;
* columns break between any two characters except where kinsoku forbids it
  (no 、。」ー… at a column's head, no 「（ at its foot), and the text shrinks
  step by step down to ``min_size_pt`` like horizontal text, else the row is
  refused.

Columns are :class:`~greetcard.layout.Line` objects in a
:class:`~greetcard.layout.FittedText`, so caching, ``check`` and ``proof`` treat
a vertical field like any other; :func:`place_glyphs` says where each piece
is drawn.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .fontprep import cache_folder, save_font
from .fonts import FontChain, FontFace, load_font
from .layout import (
    MM_PER_PT,
    NO_LINE_END,
    NO_LINE_START,
    SIZE_STEP_PT,
    FittedText,
    Line,
    MissingGlyphs,
    Run,
    TextDoesNotFit,
    is_cjk,
    normalise_spaces,
)
from .template import TextField

VERTICAL_FEATURES = ("vert", "vrt2")
#: Bump when the vertical-font copy changes, so cached copies are made again.
VERTICAL_VERSION = "1"


def is_rotated(char: str, latin: str) -> bool:
    """Whether a character is set sideways in a column (Latin and digits, unless upright is asked for)."""
    if latin == "upright" or char == " ":
        return False
    return not is_cjk(char) and not (0xFF01 <= ord(char) <= 0xFF5E)


# --- the font's vertical forms --------------------------------------------------


def vertical_substitutions(path: Path) -> dict[int, str]:
    """Code point → vertical glyph name, from the font's ``vert``/``vrt2`` single substitutions."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        if "GSUB" not in font:
            return {}
        table = font["GSUB"].table
        if table.FeatureList is None or table.LookupList is None:
            return {}
        indexes: list[int] = []
        for record in table.FeatureList.FeatureRecord:
            if record.FeatureTag in VERTICAL_FEATURES:
                indexes.extend(i for i in record.Feature.LookupListIndex if i not in indexes)
        mapping: dict[str, str] = {}
        for index in indexes:
            lookup = table.LookupList.Lookup[index]
            for subtable in lookup.SubTable:
                if lookup.LookupType == 7:
                    subtable = subtable.ExtSubTable
                for source, target in getattr(subtable, "mapping", {}).items():
                    mapping.setdefault(source, target)
        cmap = font.getBestCmap() or {}
        return {code: mapping[glyph] for code, glyph in cmap.items() if glyph in mapping}


_VERTICAL_FACES: dict[str, FontFace] = {}


def vertical_face(face: FontFace) -> FontFace:
    """The face with its character map pointing at the vertical forms (the face itself if it has none)."""
    known = _VERTICAL_FACES.get(face.registered_name)
    if known is None:
        known = _VERTICAL_FACES[face.registered_name] = _make_vertical_face(face)
    return known


def _make_vertical_face(face: FontFace) -> FontFace:
    substitutions = vertical_substitutions(face.path)
    if not substitutions:
        return face
    digest = hashlib.sha256(face.path.read_bytes())
    digest.update(VERTICAL_VERSION.encode())
    target = cache_folder() / f"{face.path.stem}-vert-{digest.hexdigest()[:16]}.ttf"
    if not target.is_file():
        _write_vertical_copy(face.path, substitutions, target)
    return load_font(target, face.key + "-vert")


def _write_vertical_copy(source: Path, substitutions: dict[int, str], target: Path) -> None:
    from fontTools.ttLib import TTFont

    font = TTFont(str(source))
    for subtable in font["cmap"].tables:
        if subtable.isUnicode():
            for code, glyph in substitutions.items():
                if code in subtable.cmap:
                    subtable.cmap[code] = glyph
    names = font["name"]
    base = names.getDebugName(6) or source.stem
    for record in list(names.names):
        if record.nameID == 6:
            names.setName(f"{base}-Vert"[:63], 6, record.platformID, record.platEncID, record.langID)
    save_font(font, target)


# --- fitting -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    """An unbreakable piece of a column: one upright character, or a rotated Latin word."""

    text: str
    length: float  # along the column, in em at unit size
    rotated: bool


def _pieces(paragraph: str, chain: FontChain, field: TextField) -> list[_Piece]:
    tracking = field.tracking / 1000
    pieces: list[_Piece] = []
    word = ""

    def flush() -> None:
        nonlocal word
        if word:
            pieces.append(_Piece(word, chain.width_pt(word, 1.0) + tracking * len(word), True))
            word = ""

    for char in paragraph:
        if is_rotated(char, field.vertical_latin):
            word += char
            continue
        flush()
        if char == " ":
            pieces.append(_Piece(" ", 0.5 + tracking, False))
        else:
            pieces.append(_Piece(char, 1.0 + tracking, False))
    flush()
    return pieces


def _columns(paragraphs: list[list[_Piece]], capacity: float) -> list[list[_Piece]] | None:
    """Greedy columns with kinsoku (push-out); ``None`` when one piece is longer than a column."""
    columns: list[list[_Piece]] = []
    for pieces in paragraphs:
        column: list[_Piece] = []
        used = 0.0
        for piece in pieces:
            if piece.length > capacity + 1e-9:
                return None
            if column and used + piece.length > capacity + 1e-9:
                carried: list[_Piece] = []
                # Oidashi: a mark that may not start a column takes the previous character along;
                # an opening mark may not end one.
                while column and (
                    (carried or [piece])[0].text[0] in NO_LINE_START or column[-1].text[-1] in NO_LINE_END
                ):
                    carried.insert(0, column.pop())
                if not column:
                    return None
                while column and column[-1].text == " ":
                    column.pop()
                columns.append(column)
                while carried and carried[0].text == " ":
                    carried.pop(0)
                column = carried
                used = sum(p.length for p in column)
                if used + piece.length > capacity + 1e-9:
                    return None  # what kinsoku carries over does not fit either: try a smaller size
            if piece.text == " " and not column:
                continue
            column.append(piece)
            used += piece.length
        columns.append(column)
    return columns


def fit_vertical(text: str, field: TextField, chain: FontChain) -> FittedText:
    """Set ``text`` in columns at the largest size from ``size_pt`` down to ``min_size_pt``."""
    text = normalise_spaces(text)
    missing = chain.missing(text)
    if missing:
        raise MissingGlyphs(missing)
    paragraphs = [_pieces(paragraph, chain, field) for paragraph in text.split("\n")]
    box_height_pt = field.box.height_mm / MM_PER_PT
    box_width_pt = field.box.width_mm / MM_PER_PT
    size = field.size_pt
    best_effort: tuple[float, int] | None = None
    while size >= field.min_size_pt - 1e-9:
        columns = _columns(paragraphs, box_height_pt / size)
        if columns is not None:
            width = size * (1 + (len(columns) - 1) * field.leading)
            fits = field.max_lines is None or len(columns) <= field.max_lines
            if width <= box_width_pt + 1e-6 and fits:
                return FittedText(field, size, tuple(_column_line(column, chain, size) for column in columns))
            best_effort = (size, len(columns))
        size = round(size - SIZE_STEP_PT, 4)
    box = f"{field.box.width_mm:g} × {field.box.height_mm:g} mm"
    if best_effort is None:
        raise TextDoesNotFit(
            f"a word is longer than a column of vertical field '{field.name}' ({box}) even at "
            f"{field.min_size_pt:g} pt — shorten it, or make the box taller / lower min_size_pt"
        )
    size, count = best_effort
    room = max(1, int((box_width_pt / size - 1) / field.leading) + 1)
    raise TextDoesNotFit(
        f"text needs {count} columns in vertical field '{field.name}' ({box}) at {size:g} pt but only "
        f"{room} fit — shorten the text, or widen the box / lower min_size_pt in the template"
    )


def _column_line(column: list[_Piece], chain: FontChain, size: float) -> Line:
    """A column as a Line of runs (one per font); its width is its length along the column."""
    runs: list[Run] = []
    kinds: list[tuple[bool, bool]] = []
    for piece in column:
        for char in piece.text:
            face = chain.face_for(char) or chain.faces[0]
            length = (piece.length / len(piece.text)) * size
            # A run is one font and one kind (rotated, upright, space), so its length splits evenly.
            kind = (piece.rotated, char == " ")
            if runs and runs[-1].face is face and kinds[-1] == kind:
                last = runs[-1]
                runs[-1] = Run(face, last.text + char, last.width_pt + length)
            else:
                runs.append(Run(face, char, length))
                kinds.append(kind)
    return Line(tuple(runs), sum(run.width_pt for run in runs))


# --- placing --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedGlyphs:
    """Text drawn at one spot: upright (one character) or rotated (a run), in mm and points."""

    face: FontFace
    text: str
    x_mm: float  # the origin of the text (baseline start), from the trim's left
    y_mm: float  # from the trim's top
    rotated: bool
    ink_left_mm: float
    ink_top_mm: float
    ink_right_mm: float
    ink_bottom_mm: float


def place_glyphs(fitted: FittedText) -> list[PlacedGlyphs]:
    """Where each upright character and rotated run of a vertical field lands."""
    field = fitted.field
    size_mm = fitted.size_pt * MM_PER_PT
    pitch_mm = size_mm * field.leading
    tracking_mm = field.tracking / 1000 * size_mm
    box = field.box
    block_mm = size_mm + (len(fitted.lines) - 1) * pitch_mm
    if field.align == "center":
        right = box.right_mm - (box.width_mm - block_mm) / 2
    elif field.align == "left":
        right = box.x_mm + block_mm
    else:
        right = box.right_mm
    placed: list[PlacedGlyphs] = []
    for index, column in enumerate(fitted.lines):
        centre = right - size_mm / 2 - index * pitch_mm
        length_mm = column.width_pt * MM_PER_PT - (tracking_mm if column.runs else 0.0)
        top = box.y_mm
        if field.valign == "middle":
            top += (box.height_mm - length_mm) / 2
        elif field.valign == "bottom":
            top += box.height_mm - length_mm
        cursor = top
        for run in column.runs:
            face = run.face
            ascent = face.ascent_per_mille / (face.ascent_per_mille - face.descent_per_mille)
            per_char = run.width_pt * MM_PER_PT / len(run.text)
            rotated_text = ""
            rotated_start = cursor
            for char in run.text + "\0":
                if char != "\0" and is_rotated(char, field.vertical_latin):
                    if not rotated_text:
                        rotated_start = cursor
                    rotated_text += char
                    cursor += per_char
                    continue
                if rotated_text:
                    baseline_x = centre - (2 * ascent - 1) * size_mm / 2
                    placed.append(
                        PlacedGlyphs(
                            face,
                            rotated_text,
                            baseline_x,
                            rotated_start,
                            True,
                            centre - size_mm / 2,
                            rotated_start,
                            centre + size_mm / 2,
                            cursor - tracking_mm,
                        )
                    )
                    rotated_text = ""
                if char == "\0":
                    break
                if char != " ":
                    drawn = vertical_face(face) if is_cjk(char) else face
                    advance_mm = drawn.char_width_pt(char, fitted.size_pt) * MM_PER_PT
                    placed.append(
                        PlacedGlyphs(
                            drawn,
                            char,
                            centre - advance_mm / 2,
                            cursor + ascent * size_mm,
                            False,
                            centre - size_mm / 2,
                            cursor,
                            centre + size_mm / 2,
                            cursor + size_mm,
                        )
                    )
                cursor += per_char
    return placed
