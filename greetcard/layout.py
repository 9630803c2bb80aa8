"""Fitting text into a field's box: wrapping, Japanese line breaking, shrinking.

Pure arithmetic on font metrics; nothing here draws.  Text is wrapped at the
largest size that fits, stepping down to the field's minimum; if even that
fails the caller gets :class:`TextDoesNotFit` and the row is refused rather
than clipped or overflowing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .errors import GreetcardError
from .fonts import FontChain, FontFace
from .template import TextField

MM_PER_PT = 25.4 / 72
SIZE_STEP_PT = 0.25

#: Kinsoku shori: characters that must not begin a line (closing marks, small kana, …).
NO_LINE_START = frozenset(
    "、。，．・：；？！゛゜ー―‐〜～ゝゞヽヾ々〻」』）〕］｝〉》】〙〗〟’”»"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    ".,;:!?)]}%‰°"
)
#: Characters that must not end a line (opening marks).
NO_LINE_END = frozenset("「『（〔［｛〈《【〘〖〝‘“„«([{")
_BREAK_AFTER = frozenset("-/–—")


class TextDoesNotFit(GreetcardError):
    """Raised when text needs more room than its field has, even at the minimum size."""


class MissingGlyphs(GreetcardError):
    """Raised when characters exist in none of a field's fonts."""

    def __init__(self, characters: list[str]) -> None:
        super().__init__(characters)
        self.characters = characters


@dataclass(frozen=True)
class Run:
    """A stretch of one line drawn in one font."""

    face: FontFace
    text: str
    width_pt: float


@dataclass(frozen=True)
class Line:
    runs: tuple[Run, ...]
    width_pt: float

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass(frozen=True)
class FittedText:
    """A field's text as it will be drawn: size, lines, and how it was fitted."""

    field: TextField
    size_pt: float
    lines: tuple[Line, ...]

    @property
    def shrunk(self) -> bool:
        return self.size_pt < self.field.size_pt

    @property
    def leading_pt(self) -> float:
        return self.size_pt * self.field.leading

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def describe(self) -> str:
        """How the text was fitted, for proofs and preflight: ``2 lines at 9.5 pt (of 12)``."""
        lines = f"{len(self.lines)} line{'s' if len(self.lines) != 1 else ''}"
        if self.shrunk:
            return f"{lines} at {self.size_pt:g} pt (shrunk from {self.field.size_pt:g})"
        return f"{lines} at {self.size_pt:g} pt"


@dataclass(frozen=True)
class PlacedLine:
    """Where a line's ink sits, in mm from the trim's top-left: start, baseline, extent."""

    line: Line
    x_mm: float
    baseline_mm: float
    width_mm: float
    ascent_mm: float
    descent_mm: float

    @property
    def top_mm(self) -> float:
        return self.baseline_mm - self.ascent_mm

    @property
    def bottom_mm(self) -> float:
        return self.baseline_mm + self.descent_mm


def place_lines(fitted: FittedText) -> list[PlacedLine]:
    """Position each line in its box by the field's alignment (shared by drawing and preflight)."""
    field = fitted.field
    if not fitted.lines:
        return []
    face = fitted.lines[0].runs[0].face if fitted.lines[0].runs else None
    ascent = (face.ascent_per_mille if face else 880.0) / 1000 * fitted.size_pt * MM_PER_PT
    descent = -(face.descent_per_mille if face else -120.0) / 1000 * fitted.size_pt * MM_PER_PT
    leading = fitted.leading_pt * MM_PER_PT
    block = (len(fitted.lines) - 1) * leading + ascent + descent
    box = field.box
    top = box.y_mm
    if field.valign == "middle":
        top += (box.height_mm - block) / 2
    elif field.valign == "bottom":
        top += box.height_mm - block
    placed = []
    baseline = top + ascent
    for line in fitted.lines:
        width = line.width_pt * MM_PER_PT
        if field.align == "center":
            x = box.x_mm + (box.width_mm - width) / 2
        elif field.align == "right":
            x = box.right_mm - width
        else:
            x = box.x_mm
        placed.append(PlacedLine(line, x, baseline, width, ascent, descent))
        baseline += leading
    return placed


def is_cjk(char: str) -> bool:
    """Ideographs, kana and full-width forms: a line may break between any two of them."""
    code = ord(char)
    return (
        0x3000 <= code <= 0x30FF
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
        or 0x3200 <= code <= 0x33FF
        or 0x31F0 <= code <= 0x31FF
        or 0x20000 <= code <= 0x3FFFF
    )


def break_allowed(before: str, after: str) -> bool:
    """May a line end between these two (non-space) characters?"""
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    if is_cjk(before) or is_cjk(after):
        return True
    return before in _BREAK_AFTER and after.isalnum()


def normalise_spaces(text: str) -> str:
    """Every kind of space but the ideographic one becomes a plain space; runs collapse."""
    cleaned = []
    for char in text:
        if char == "\n" or char == "\u3000":
            cleaned.append(char)
        elif char.isspace() or unicodedata.category(char) == "Zs":
            if not cleaned or cleaned[-1] not in " \n":
                cleaned.append(" ")
        else:
            cleaned.append(char)
    return "\n".join(line.strip(" ") for line in "".join(cleaned).split("\n"))


def segments_of(paragraph: str, cjk_breaks: bool = True) -> list[str]:
    """Split a paragraph into unbreakable pieces; ``" "`` pieces are break-and-vanish spaces.

    With ``cjk_breaks=False`` lines may break only at spaces (and after hyphens),
    which keeps space-separated Japanese units such as ``欧州統括本部`` whole.
    """
    pieces: list[str] = []
    current = ""
    for char in paragraph:
        if char == " ":
            if current:
                pieces.append(current)
                current = ""
            pieces.append(" ")
        elif current and break_allowed(current[-1], char) and (cjk_breaks or current[-1] in _BREAK_AFTER):
            pieces.append(current)
            current = char
        else:
            current += char
    if current:
        pieces.append(current)
    return pieces


def wrap(paragraphs: list[list[str]], widths: dict[str, float], max_width: float) -> list[str] | None:
    """Greedy line filling at unit size; ``None`` when one piece alone is too wide."""
    lines: list[str] = []
    for pieces in paragraphs:
        line = ""
        line_width = 0.0
        pending_space = False
        for piece in pieces:
            if piece == " ":
                pending_space = bool(line)
                continue
            piece_width = widths[piece]
            space_width = widths[" "] if pending_space else 0.0
            if line and line_width + space_width + piece_width <= max_width:
                line += (" " if pending_space else "") + piece
                line_width += space_width + piece_width
            else:
                if line:
                    lines.append(line)
                if piece_width > max_width:
                    return None
                line, line_width = piece, piece_width
            pending_space = False
        lines.append(line)
    return lines


def fit_text(text: str, field: TextField, chain: FontChain) -> FittedText:
    """Fit ``text`` into ``field`` at the largest size from ``size_pt`` down to ``min_size_pt``."""
    text = normalise_spaces(text)
    if field.kind == "address":
        text = "\n".join(line for line in text.split("\n") if line.strip())
    missing = chain.missing(text)
    if missing:
        raise MissingGlyphs(missing)
    # Breaking at spaces reads best; breaking between CJK characters is the fallback.
    strategies = [[segments_of(paragraph, cjk_breaks=False) for paragraph in text.split("\n")]]
    if " " in text and any(is_cjk(char) for char in text):
        strategies.append([segments_of(paragraph) for paragraph in text.split("\n")])
    else:
        strategies = [[segments_of(paragraph) for paragraph in text.split("\n")]]
    widths = {" ": chain.width_pt(" ", 1.0) + field.tracking / 1000}
    for paragraphs in strategies:
        for pieces in paragraphs:
            for piece in pieces:
                if piece not in widths:
                    # Tracking (letter spacing) adds its share of an em after every character.
                    widths[piece] = chain.width_pt(piece, 1.0) + len(piece) * field.tracking / 1000
    box_width_pt = field.box.width_mm / MM_PER_PT
    box_height_pt = field.box.height_mm / MM_PER_PT
    glyph_height = (chain.ascent_per_mille - chain.descent_per_mille) / 1000
    size = field.size_pt
    best_effort: tuple[float, int] | None = None
    while size >= field.min_size_pt - 1e-9:
        for paragraphs in strategies:
            lines = wrap(paragraphs, widths, box_width_pt / size)
            if lines is None:
                continue
            height = size * ((len(lines) - 1) * field.leading + glyph_height)
            fits_lines = field.max_lines is None or len(lines) <= field.max_lines
            if height <= box_height_pt + 1e-6 and fits_lines:
                return FittedText(
                    field, size, tuple(_line(line, chain, size, field.tracking) for line in lines)
                )
            best_effort = (size, len(lines))
        size = round(size - SIZE_STEP_PT, 4)
    raise TextDoesNotFit(_not_fit_reason(field, best_effort, glyph_height))


def _not_fit_reason(field: TextField, best_effort: tuple[float, int] | None, glyph_height: float) -> str:
    box = f"{field.box.width_mm:g} × {field.box.height_mm:g} mm"
    if best_effort is None:
        return (
            f"a word is wider than field '{field.name}' ({box}) even at {field.min_size_pt:g} pt — "
            "shorten it, or widen the box / lower min_size_pt in the template"
        )
    size, line_count = best_effort
    room = max(1, int((field.box.height_mm / MM_PER_PT / size - glyph_height) / field.leading) + 1)
    if field.max_lines is not None:
        room = min(room, field.max_lines)
    return (
        f"text needs {line_count} lines in field '{field.name}' ({box}) at {size:g} pt but only "
        f"{room} fit — shorten the text, or enlarge the box / lower min_size_pt in the template"
    )


def _line(text: str, chain: FontChain, size_pt: float, tracking: float = 0.0) -> Line:
    """A line in font runs; with tracking every character is followed by that much space but the last."""
    spacing = tracking * size_pt / 1000
    runs: list[Run] = []
    current_face: FontFace | None = None
    current = ""
    for char in text:
        face = chain.face_for(char) or chain.faces[0]
        if face is not current_face and current:
            assert current_face is not None
            runs.append(
                Run(
                    current_face,
                    current,
                    current_face.text_width_pt(current, size_pt) + spacing * len(current),
                )
            )
            current = ""
        current_face = face
        current += char
    if current and current_face is not None:
        runs.append(
            Run(current_face, current, current_face.text_width_pt(current, size_pt) + spacing * len(current))
        )
    return Line(tuple(runs), sum(run.width_pt for run in runs) - (spacing if text else 0.0))
