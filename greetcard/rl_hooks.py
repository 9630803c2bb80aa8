"""Every use of reportlab's and pypdf's private internals, in one place.

greetcard needs a few things the public APIs do not offer: the canvas's
document (for PDF/X objects and linked artwork), a content-derived /ID, the
document's time stamp (for XMP), extra catalog keys, subset tags derived from
the subset, cached font subsets, and a pypdf stream's stored bytes.  Each hook
is small, has its own test (tests/test_rl_hooks.py) and is covered by the
version pins in pyproject.toml: when a new reportlab or pypdf changes one of
these internals, the tests here fail first and name the hook.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reportlab.pdfbase import pdfdoc, pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

# --- canvas and document -------------------------------------------------------


def document_of(canvas: Any) -> Any:
    """The ``PDFDocument`` behind a canvas (``canvas._doc``)."""
    return canvas._doc


def sign(canvas: Any, fingerprint: str) -> None:
    """Make the file's /ID follow ``fingerprint`` (invariant mode gives every file the same /ID)."""
    canvas._doc.updateSignature(fingerprint)


def time_stamp(document: Any) -> tuple[tuple[int, int, int, int, int, int], int, int]:
    """The document's creation time as (Y, M, D, h, m, s), UTC offset hours and minutes."""
    stamp = document._timeStamp
    return tuple(stamp.YMDhms), int(stamp.dhh), int(stamp.dmm)


def add_to_catalog(document: Any, key: str, value: Any) -> None:
    """Set a catalog entry that reportlab's catalog does not know (it writes only listed keys)."""
    catalog = document.Catalog
    setattr(catalog, key, value)
    if key not in catalog.__NoDefault__:
        catalog.__NoDefault__ = [*catalog.__NoDefault__, key]


# --- reportlab graphics and svglib ---------------------------------------------


def set_soft_mask(reader: Any, mask: Any) -> None:
    """Give an ``ImageReader`` a soft mask (another ``ImageReader``, greyscale) for drawImage."""
    reader._dataA = mask


def gradient_colors(shape: Any) -> list[Any]:
    """The stop colours of an svglib gradient shape."""
    colors: list[Any] = shape._rl_colors
    return colors


def set_gradient_colors(shape: Any, colors: list[Any]) -> None:
    shape._rl_colors = colors


def renderer_canvas(renderer: Any) -> Any:
    """The canvas a ``renderPDF`` renderer draws on (for shapes that draw themselves)."""
    return renderer._canvas


# --- pypdf ---------------------------------------------------------------------


def stored_bytes(stream: Any) -> bytes:
    """A pypdf stream's bytes as stored in the file (still encoded), to copy without re-encoding."""
    data: bytes = stream._data
    return data


# --- TrueType subsets ----------------------------------------------------------


def subset_tag(face_name: bytes, codepoints: tuple[int, ...]) -> bytes:
    """Six capital letters from the font and the characters of a subset (PDF 32000 9.6.4)."""
    digest = hashlib.sha256(face_name + b"|" + ",".join(map(str, codepoints)).encode()).digest()
    return bytes(65 + byte % 26 for byte in digest[:6])


class _Formatted(pdfdoc.PDFObject):  # type: ignore[misc]
    """A PDF object already written out: its bytes go into every document unchanged."""

    def __init__(self, data: bytes, reference_only: bool) -> None:
        self.data = data
        if reference_only:
            self.__RefOnly__ = 1

    def format(self, document: Any) -> bytes:
        return self.data


class _OfflineDocument(pdfdoc.DummyDoc):  # type: ignore[misc]
    """Enough of a document to write objects that refer to no others (no encryption, no filters)."""

    defaultStreamFilters = None


def format_offline(obj: Any) -> bytes:
    """An object that refers to no others, written out once for reuse in many documents."""
    return bytes(obj.format(_OfflineDocument()))


class _Hole(pdfdoc.PDFObject):  # type: ignore[misc]
    """Stands for a per-document value while an object is written out once."""

    def __init__(self, number: int) -> None:
        self.number = number

    def format(self, document: Any) -> bytes:
        return b"\0hole%d\0" % self.number


class _Holes:
    """An object written out once, with holes for what differs between documents."""

    def __init__(self, obj: Any) -> None:
        text = format_offline(obj)
        self.parts: list[bytes] = []
        self.holes: list[int] = []
        for index, piece in enumerate(text.split(b"\0")):
            if index % 2:
                self.holes.append(int(piece[len(b"hole") :]))
            else:
                self.parts.append(piece)

    def filled(self, document: Any, values: tuple[Any, ...], reference_only: bool) -> _Formatted:
        """The bytes for ``document``: a PDF object is filled in as a reference, bytes as they are."""
        out = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            value = values[hole]
            out.append(value if isinstance(value, bytes) else document.Reference(value).format(document))
            out.append(part)
        return _Formatted(b"".join(out), reference_only)


def formatted_once(obj: Any) -> _Holes:
    """``obj`` written out now; its ``_Hole(i)`` values are filled per document by ``filled``."""
    return _Holes(obj)


def hole(number: int) -> Any:
    return _Hole(number)


def formatted_bytes(data: bytes, reference_only: bool = True) -> Any:
    """A PDF object whose bytes are already written (a fresh wrapper for each document)."""
    return _Formatted(data, reference_only)


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


@dataclass(frozen=True)
class _SubsetObjects:
    """A font subset's objects, written once per process; references are filled per document."""

    base_font: str
    to_unicode: bytes
    font_file: bytes
    descriptor: _Holes  # hole 0: the font file
    font: _Holes  # hole 0: the internal name, 1: ToUnicode, 2: the descriptor


#: Subsets kept as bytes: the few shared ones repeat on every card, names rarely do.
_SUBSET_CACHE_LIMIT = 64


@lru_cache(maxsize=_SUBSET_CACHE_LIMIT)
def _subset_objects(face: Any, subset: tuple[int, ...], compressed: bool) -> _SubsetObjects:
    """reportlab's own objects for a subset, formatted once: a repeated subset costs nothing."""
    base_font = b"".join((subset_tag(bytes(face.name), subset), b"+", face.name, face.subfontNameX)).decode(
        "pdfdoc"
    )
    widths = pdfdoc.PDFArray(list(map(face.getCharWidth, subset)))
    cmap = pdfdoc.PDFStream()
    cmap.content = to_unicode_cmap(base_font, list(subset))
    font_file = pdfdoc.PDFStream()
    font_file.content = face.makeSubset(list(subset))
    font_file.dictionary["Length1"] = len(font_file.content)
    if compressed:
        cmap.filters = [pdfdoc.PDFZCompress]
        font_file.filters = [pdfdoc.PDFZCompress]
    descriptor = pdfdoc.PDFDictionary(
        {
            "Type": "/FontDescriptor",
            "Ascent": face.ascent,
            "CapHeight": face.capHeight,
            "Descent": face.descent,
            "Flags": (face.flags & ~ttfonts.FF_NONSYMBOLIC) | ttfonts.FF_SYMBOLIC,
            "FontBBox": pdfdoc.PDFArray(face.bbox),
            "FontName": pdfdoc.PDFName(base_font),
            "ItalicAngle": face.italicAngle,
            "StemV": face.stemV,
            "FontFile2": _Hole(0),
            "MissingWidth": face.defaultWidth,
        }
    )
    font = pdfdoc.PDFTrueTypeFont()
    font.Name = "HOLE"
    font.BaseFont = base_font
    font.FirstChar = 0
    font.LastChar = len(subset) - 1
    font.Widths = widths
    font.ToUnicode = _Hole(1)
    font.FontDescriptor = _Hole(2)
    font_holes = _Holes(font)
    # The internal name is written as a PDF name: put hole 0 where "/HOLE" stands.
    font_holes.parts = [part.replace(b"/HOLE", b"\0") for part in font_holes.parts]
    parts, holes = [], []
    for index, part in enumerate(font_holes.parts):
        pieces = part.split(b"\0")
        parts.append(pieces[0])
        for extra in pieces[1:]:
            holes.append(0)
            parts.append(extra)
        if index < len(font_holes.holes):
            holes.append(font_holes.holes[index])
    font_holes.parts, font_holes.holes = parts, holes
    return _SubsetObjects(
        base_font,
        format_offline(cmap),
        format_offline(font_file),
        _Holes(descriptor),
        font_holes,
    )


class SubsetCachingTTFont(TTFont):  # type: ignore[misc]
    """A TTFont whose subsets are tagged by their characters and written once per process.

    reportlab tags the subsets of every file AAAAAA+, AAAAAB+, …; when a shop merges
    single cards, different subsets then share one name and a RIP may mix their glyphs
    (garbled names).  Here equal tags mean equal subsets.  And reportlab builds,
    compresses and formats each subset anew for every document; here a subset seen
    before (the text every card shares) is copied as bytes.
    """

    def addObjects(self, doc: Any) -> None:
        # reportlab's TTFont.addObjects, with the per-subset work cached.
        try:
            state = self.state[doc]
        except KeyError:
            state = self.state[doc] = TTFont.State(self._asciiReadable, self)
        state.frozen = 1
        basic_fonts = doc.idToObject["BasicFonts"].dict
        face = self.face
        for number, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(number, doc)[1:]
            parts = _subset_objects(face, tuple(subset), bool(doc.compression))
            # Fresh wrappers: reportlab marks every object it registers with its name in one document.
            to_unicode = doc.Reference(
                _Formatted(parts.to_unicode, reference_only=True), "toUnicodeCMap:" + parts.base_font
            )
            font_file = doc.Reference(
                _Formatted(parts.font_file, reference_only=True),
                f"fontFile:{face.filename}({parts.base_font})",
            )
            descriptor = doc.Reference(
                parts.descriptor.filled(doc, (font_file,), reference_only=True),
                "fontDescriptor:" + parts.base_font,
            )
            name = b"/" + internal_name.encode("ascii")
            font = parts.font.filled(doc, (name, to_unicode, descriptor), reference_only=True)
            doc.Reference(font, internal_name)
            basic_fonts[internal_name] = font
        del self.state[doc]

    def register_twin(self, name: str) -> SubsetCachingTTFont:
        """Register a second font over the same parsed file, with subsets of its own.

        ``pdfmetrics.registerFont`` would map a second name of a face to the first
        font (one subset state for both), so the twin goes into its table directly.
        """
        from weakref import WeakKeyDictionary

        twin: SubsetCachingTTFont = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin.fontName = name
        twin.state = WeakKeyDictionary()
        pdfmetrics._fonts[name] = twin
        return twin


def cache_font_tables(font: TTFont) -> None:
    """reportlab slices every table out of the font file again for each subset it writes
    (the glyf table of a Japanese font is megabytes); the tables never change, so keep them."""
    face = font.face
    face.get_table = lru_cache(maxsize=None)(face.get_table)


def seed_subset(font: TTFont, document: Any, text: str) -> None:
    """Give ``text``'s characters their codes in ``document`` now, in this order.

    A font seeded with the same text in every document gets the same subset in
    every document, so its objects are written once (see SubsetCachingTTFont).
    """
    font.splitString(text, document)
