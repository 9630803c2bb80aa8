"""TrueType fonts: loading once, glyph coverage and advance widths.

Layout needs to know, per character, which font of a field's chain has the
glyph and how wide it is.  Fonts are parsed once per process and registered
with reportlab under a stable name, so every card of a batch shares them.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError

from .errors import TemplateError
from .rl_hooks import SubsetCachingTTFont, cache_font_tables
from .template import FontSpec

#: Characters that never need a glyph: line breaks are layout, not ink.
_INVISIBLE = {"\n"}


@dataclass(frozen=True)
class FontFace:
    """A loaded TrueType font: its reportlab name, glyph coverage and metrics."""

    key: str
    registered_name: str  # for text that varies from card to card (names)
    shared_name: str  # the same file, for text every card shares: one subset, written once
    path: Path
    codepoints: frozenset[int]
    widths_per_mille: dict[int, float]
    default_width_per_mille: float
    ascent_per_mille: float
    descent_per_mille: float

    def has(self, char: str) -> bool:
        return ord(char) in self.codepoints or char in _INVISIBLE

    def text_width_pt(self, text: str, size_pt: float) -> float:
        return sum(self.char_width_pt(char, size_pt) for char in text)

    def char_width_pt(self, char: str, size_pt: float) -> float:
        code = 32 if char == "\u00a0" else ord(char)
        return self.widths_per_mille.get(code, self.default_width_per_mille) * size_pt / 1000


#: Fonts parsed so far, by content: a file used under several keys (or paths) is parsed once.
_PARSED: dict[str, SubsetCachingTTFont] = {}


@lru_cache(maxsize=64)
def load_font(path: Path, key: str = "") -> FontFace:
    """Parse a TrueType file once per process and register it with reportlab."""
    data = path.read_bytes()
    digest = hashlib.sha1(data).hexdigest()[:10]
    registered_name = f"{path.stem}-{digest}"
    font = _PARSED.get(registered_name)
    if font is None:
        try:
            font = SubsetCachingTTFont(registered_name, str(path), shapable=False, asciiReadable=False)
        except (TTFError, OSError, ValueError, KeyError, IndexError, struct.error, ZeroDivisionError) as err:
            # A truncated or damaged file fails deep inside reportlab's parser in many ways.
            raise TemplateError(
                f"{path}: cannot use this font ({err}) — use a TrueType (.ttf) font with glyf outlines "
                "that allows embedding"
            ) from None
        pdfmetrics.registerFont(font)
        font.register_twin(registered_name + "-shared")
        cache_font_tables(font)
        _PARSED[registered_name] = font
    face = font.face
    return FontFace(
        key=key or path.stem,
        registered_name=registered_name,
        shared_name=registered_name + "-shared",
        path=path,
        codepoints=frozenset(face.charToGlyph),
        widths_per_mille=dict(face.charWidths),
        default_width_per_mille=float(face.defaultWidth),
        ascent_per_mille=float(face.ascent),
        descent_per_mille=float(face.descent),
    )


def load_font_spec(spec: FontSpec) -> FontFace:
    """A template's font: CFF, variable and collection fonts become static TrueType first (cached)."""
    from .fontprep import FontProblem, FontRequest, prepared_path

    request = FontRequest(spec.path, spec.face_index, spec.instance, spec.axes)
    try:
        path = prepared_path(request)
    except FontProblem as err:
        raise TemplateError(f"{spec.path}: cannot use this font: {err}") from None
    except Exception as err:  # a damaged file fails deep inside fontTools in many ways
        raise TemplateError(
            f"{spec.path}: cannot use this font ({err}) — the file is damaged; export it again"
        ) from None
    return load_font(path, spec.name)


@dataclass(frozen=True)
class FontChain:
    """A field's fonts in order of preference; each character takes the first that has it."""

    faces: tuple[FontFace, ...]
    _choice: dict[str, FontFace | None] = field(default_factory=dict, compare=False, repr=False)

    def face_for(self, char: str) -> FontFace | None:
        try:
            return self._choice[char]
        except KeyError:
            face = next((face for face in self.faces if face.has(char)), None)
            self._choice[char] = face
            return face

    def missing(self, text: str) -> list[str]:
        """Characters of ``text`` that no font of the chain can draw, in order, once each."""
        seen: dict[str, None] = {}
        for char in text:
            if char not in seen and not char.isspace() and self.face_for(char) is None:
                seen[char] = None
        return list(seen)

    def width_pt(self, text: str, size_pt: float) -> float:
        total = 0.0
        for char in text:
            face = self.face_for(char) or self.faces[0]
            total += face.char_width_pt(char, size_pt)
        return total

    @property
    def ascent_per_mille(self) -> float:
        return self.faces[0].ascent_per_mille

    @property
    def descent_per_mille(self) -> float:
        return self.faces[0].descent_per_mille
