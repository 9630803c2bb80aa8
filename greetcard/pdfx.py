"""PDF/X-4 for reportlab documents: OutputIntent, version keys, XMP metadata.

Open-source reportlab writes no PDF/X.  What ISO 15930-7 asks beyond boxes and
embedded fonts (which the renderer already does) is added here, just before
the canvas is saved: an OutputIntent with the embedded CMYK output profile,
``GTS_PDFXVersion`` and ``Trapped`` in the Info dictionary, and an XMP packet
that repeats the identification and the dates.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape as _escape_markup

from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFDictionary,
    PDFInfo,
    PDFName,
    PDFObject,
    PDFStream,
    PDFString,
)

from . import colour
from .escape import xml_safe
from .rl_hooks import (
    add_to_catalog,
    document_of,
    format_offline,
    formatted_bytes,
    formatted_once,
    hole,
    time_stamp,
)

PDFX_VERSION = "PDF/X-4"


class _PdfxInfo(PDFInfo):  # type: ignore[misc]
    """reportlab's Info dictionary plus the PDF/X identification."""

    def format(self, document: Any) -> bytes:
        base = PDFInfo.format(self, document)
        # Insert our keys before the dictionary's closing '>>'.
        closing = base.rfind(b">>")
        extra = b"\n/GTS_PDFXVersion " + bytes(PDFString(PDFX_VERSION).format(document)) + b"\n"
        return bytes(base[:closing]) + extra + bytes(base[closing:])


def add_pdfx4(canvas: Any, title: str, fingerprint: str) -> None:
    """Add the PDF/X-4 pieces to a canvas's document; call right before ``save()``.

    ``fingerprint`` identifies the content: it becomes the XMP DocumentID, so two
    different cards never share one, while identical input still gives identical bytes.
    """
    document = document_of(canvas)
    info = _PdfxInfo()
    info.__dict__.update(document.info.__dict__)
    info.trapped = "False"
    document.info = info

    profile = document.Reference(formatted_bytes(_output_profile_stream()))
    intent = _output_intent().filled(document, (profile,), reference_only=False)
    add_to_catalog(document, "OutputIntents", PDFArray([intent]))
    document.Catalog.Metadata = document.Reference(
        _MetadataStream(_xmp(title, info, document, fingerprint).encode("utf-8"))
    )


@lru_cache(maxsize=1)
def _output_profile_stream() -> bytes:
    """The ICC profile as a PDF stream, compressed and written out once per process, not per card."""
    stream = PDFStream(
        PDFDictionary({"N": 4, "Alternate": PDFName("DeviceCMYK"), "Filter": PDFName("FlateDecode")}),
        zlib.compress(colour.output_profile_bytes(), 9),
    )
    return format_offline(stream)


@lru_cache(maxsize=1)
def _output_intent() -> Any:
    """The OutputIntent dictionary written out once; hole 0 is the reference to the profile."""
    return formatted_once(
        PDFDictionary(
            {
                "Type": PDFName("OutputIntent"),
                "S": PDFName("GTS_PDFX"),
                "OutputConditionIdentifier": PDFString(colour.OUTPUT_CONDITION_IDENTIFIER),
                "OutputCondition": PDFString(colour.OUTPUT_CONDITION),
                "RegistryName": PDFString(colour.REGISTRY_NAME),
                "Info": PDFString(colour.OUTPUT_CONDITION),
                "DestOutputProfile": hole(0),
            }
        )
    )


class _MetadataStream(PDFObject):  # type: ignore[misc]
    """The XMP packet as an uncompressed stream (readable by every preflight tool)."""

    __RefOnly__ = 1

    def __init__(self, xml: bytes) -> None:
        self.xml = xml

    def format(self, document: Any) -> bytes:
        header = b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(self.xml)
        return header + self.xml + b"\nendstream"


def _xmp(title: str, info: Any, document: Any, fingerprint: str) -> str:
    (year, month, day, hour, minute, second), offset_hours, offset_minutes = time_stamp(document)
    offset = f"{offset_hours:+03d}:{offset_minutes:02d}"
    stamp = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{offset}"
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:pdfxid="http://www.npes.org/pdfx/ns/id/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{escape(str(info.author))}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(str(info.subject))}</rdf:li></rdf:Alt>
   </dc:description>
   <xmp:CreateDate>{stamp}</xmp:CreateDate>
   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>
   <xmp:MetadataDate>{stamp}</xmp:MetadataDate>
   <xmp:CreatorTool>{escape(str(info.creator))}</xmp:CreatorTool>
   <pdf:Producer>{escape(str(info.producer))}</pdf:Producer>
   <pdf:Keywords>{escape(str(info.keywords))}</pdf:Keywords>
   <pdf:Trapped>False</pdf:Trapped>
   <pdfxid:GTS_PDFXVersion>{PDFX_VERSION}</pdfxid:GTS_PDFXVersion>
   <xmpMM:DocumentID>uuid:{_uuid_from(fingerprint)}</xmpMM:DocumentID>
   <xmpMM:VersionID>1</xmpMM:VersionID>
   <xmpMM:RenditionClass>default</xmpMM:RenditionClass>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def escape(text: str) -> str:
    """XML text for the XMP packet: markup escaped, and characters XML forbids shown as escapes."""
    return _escape_markup(xml_safe(text))


def _uuid_from(fingerprint: str) -> str:
    """A UUID that follows the content: identical input gives the same one, different cards never do."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, "greetcard:" + fingerprint))
