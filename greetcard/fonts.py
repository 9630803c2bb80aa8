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

from .errors import GreetcardError, TemplateError
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

    def __reduce__(self) -> tuple[object, tuple[Path, str]]:
        # Sent to a worker process by reference: it loads (and caches) the font itself.
        return (load_font, (self.path, self.key))

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
    data = _read_font_file(path)
    check_font_tables(data, path)
    digest = hashlib.sha1(data).hexdigest()[:10]
    registered_name = f"{path.stem}-{digest}"
    font = _PARSED.get(registered_name)
    if font is None:
        try:
            font = SubsetCachingTTFont(registered_name, str(path), shapable=False, asciiReadable=False)
        except Exception as err:
            # A truncated or damaged file fails deep inside reportlab's parser in many ways (the fuzz
            # test found AttributeError, IndexError, struct.error, ZeroDivisionError, …): all mean "damaged".
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
    except GreetcardError:
        raise
    except Exception as err:  # fontTools on a damaged file: many kinds, all "damaged"
        raise TemplateError(
            f"{spec.path}: cannot use this font ({type(err).__name__}: {str(err)[:120]}) — use an intact "
            "TrueType (.ttf) or OpenType (.otf) font"
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


def _read_font_file(path: Path) -> bytes:
    from .limits import read_within_limit

    advice = "use the font's TrueType file for one script"
    return read_within_limit(path, "font_bytes", "the font file", advice)


def check_font_tables(data: bytes, path: Path) -> None:
    """Refuse a font whose table directory or ``cmap`` would make the parser allocate without bound.

    reportlab expands every ``cmap`` group character by character: one changed field
    (a format-12 group from U+0000 to U+FFFFFFFF) took 8 GB.  Checked here, before parsing.
    """
    from .limits import LimitError, how_to_raise, limit

    def damaged(reason: str) -> TemplateError:
        return TemplateError(
            f"{path}: cannot use this font: the file is damaged ({reason}) — use an intact TrueType font"
        )

    def unpack(fmt: str, offset: int) -> tuple[int, ...]:
        size = struct.calcsize(fmt)
        if offset < 0 or offset + size > len(data):
            raise damaged(f"a table points past the end of the file at byte {offset}")
        return struct.unpack_from(fmt, data, offset)

    start = 0
    if data[:4] == b"ttcf":
        (count,) = unpack(">I", 8)
        if count == 0:
            raise damaged("an empty font collection")
        (start,) = unpack(">I", 12)
    (num_tables,) = unpack(">H", start + 4)
    tables: dict[bytes, tuple[int, int]] = {}
    for index in range(num_tables):
        entry = start + 12 + 16 * index
        tag = data[entry : entry + 4]
        _checksum, offset, length = unpack(">III", entry + 4)
        if offset + length > len(data):
            raise damaged(f"table {tag.decode('latin-1')!r} ends past the end of the file")
        tables[tag] = (offset, length)
    if b"cmap" not in tables:
        return
    cmap, cmap_length = tables[b"cmap"]
    (_version, subtables) = unpack(">HH", cmap)
    mapped = 0
    ceiling = limit("font_cmap_codepoints")
    for index in range(subtables):
        (_platform, _encoding, offset) = unpack(">HHI", cmap + 4 + 8 * index)
        if offset >= cmap_length:
            raise damaged("a cmap subtable points outside the cmap table")
        table = cmap + offset
        (table_format,) = unpack(">H", table)
        if table_format not in (12, 13):
            continue
        (_reserved, _length, _language, groups) = unpack(">HIII", table + 2)
        if 16 + 12 * groups > len(data) - table:
            raise damaged("the cmap lists more groups than the file holds")
        for group in range(groups):
            first, last, _glyph = unpack(">III", table + 16 + 12 * group)
            if last < first or last > 0x10FFFF:
                raise damaged(f"a cmap group maps U+{first:04X}..U+{last:04X}, beyond Unicode")
            mapped += last - first + 1
            if mapped > ceiling:
                raise LimitError(
                    f"{path}: the font's cmap maps more than {ceiling:,} characters — the font is damaged "
                    f"or hostile; use an intact TrueType font ({how_to_raise('font_cmap_codepoints')})"
                )
