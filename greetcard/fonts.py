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

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

from .errors import GreetcardError, TemplateError
from .template import FontSpec

#: Characters that never need a glyph: line breaks are layout, not ink.
_INVISIBLE = {"\n"}


@dataclass(frozen=True)
class FontFace:
    """A loaded TrueType font: its reportlab name, glyph coverage and metrics."""

    key: str
    registered_name: str
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


class _ContentTaggedTTFont(TTFont):  # type: ignore[misc]
    """A TTFont whose subset tags follow the subset's characters.

    reportlab tags the subsets of every file AAAAAA+, AAAAAB+, …; when a shop merges
    single cards, different subsets then share one name and a RIP may mix their glyphs
    (garbled names).  Here equal tags mean equal subsets.  The same hook writes the
    ToUnicode map correctly for characters beyond U+FFFF (:func:`to_unicode_cmap`).
    """

    def addObjects(self, doc: object) -> None:
        state = self.state.get(doc)
        subsets = [tuple(subset) for subset in state.subsets] if state is not None else []
        face_name = bytes(self.face.name)
        original, original_cmap = ttfonts.SUBSETN, ttfonts.makeToUnicodeCMap
        ttfonts.SUBSETN = lambda n, *_: subset_tag(face_name, subsets[n])
        ttfonts.makeToUnicodeCMap = to_unicode_cmap
        try:
            super().addObjects(doc)
        finally:
            ttfonts.SUBSETN, ttfonts.makeToUnicodeCMap = original, original_cmap


def to_unicode_cmap(font_name: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap, with characters beyond U+FFFF as UTF-16 surrogate pairs.

    reportlab writes ``<20BB7>`` for 𠮷, an odd-length string that readers reject, so the
    character copied out of the PDF as something else; PDF 32000 9.10.3 wants UTF-16BE.
    """
    entries = [
        f"<{index:02X}> <{chr(code).encode('utf-16-be').hex().upper()}>" for index, code in enumerate(subset)
    ]
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({font_name})",
            f"/Ordering ({font_name})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{font_name} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(subset)} beginbfchar",
            *entries,
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


def subset_tag(face_name: bytes, codepoints: tuple[int, ...]) -> bytes:
    """Six capital letters from the font and the characters of a subset (PDF 32000 9.6.4)."""
    digest = hashlib.sha256(face_name + b"|" + ",".join(map(str, codepoints)).encode()).digest()
    return bytes(65 + byte % 26 for byte in digest[:6])


@lru_cache(maxsize=64)
def load_font(path: Path, key: str = "") -> FontFace:
    """Parse a TrueType file once per process and register it with reportlab."""
    data = _read_font_file(path)
    check_font_tables(data, path)
    digest = hashlib.sha1(data).hexdigest()[:10]
    registered_name = f"{path.stem}-{digest}"
    try:
        font = _ContentTaggedTTFont(registered_name, str(path), shapable=False, asciiReadable=False)
    except Exception as err:
        # A truncated or damaged file fails deep inside reportlab's parser in many ways (the fuzz
        # test found AttributeError, IndexError, struct.error, ZeroDivisionError, …): all mean "damaged".
        raise TemplateError(
            f"{path}: cannot use this font ({err}) — use a TrueType (.ttf) font with glyf outlines "
            "that allows embedding"
        ) from None
    pdfmetrics.registerFont(font)
    face = font.face
    # reportlab slices every table out of the font file again for each subset it writes (the glyf
    # table of a Japanese font is megabytes); the tables never change, so keep them.
    face.get_table = lru_cache(maxsize=None)(face.get_table)
    return FontFace(
        key=key or path.stem,
        registered_name=registered_name,
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
    from .limits import LimitError, how_to_raise, limit

    ceiling = limit("font_bytes")
    try:
        with path.open("rb") as handle:
            data = handle.read(ceiling + 1)
    except OSError as err:
        raise TemplateError(f"{path}: cannot read the font ({err.strerror or err})") from None
    if len(data) > ceiling:
        raise LimitError(
            f"{path}: the font file is larger than {ceiling:,} bytes — use the font's TrueType file "
            f"for one script; {how_to_raise('font_bytes')}"
        )
    return data


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
