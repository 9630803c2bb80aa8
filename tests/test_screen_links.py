"""The e-mail PDF: pure RGB, and the QR code and the printed link are clickable; print PDFs have no links."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from pypdf import PdfReader
from pypdf.generic import ContentStream

from .conftest import SAMPLE, read_manifest

URL = "https://www.neujahrsgross-japan.de/?r={id}"
MM = 72 / 25.4


def _cmyk_uses(reader: PdfReader, content: Any, resources: Any, seen: set[int]) -> int:
    """k/K operators, DeviceCMYK colour spaces and CMYK images in a content stream and every form it draws."""
    count = 0
    for operands, operator in ContentStream(content, reader).operations:
        sets_cmyk_space = operator in (b"cs", b"CS") and operands and operands[0] == "/DeviceCMYK"
        if operator in (b"k", b"K") or sets_cmyk_space:
            count += 1
        elif operator == b"Do":
            reference = resources["/XObject"].raw_get(operands[0])
            xobject = reference.get_object()
            if reference.idnum in seen:
                continue
            seen.add(reference.idnum)
            if xobject.get("/Subtype") == "/Image":
                count += xobject.get("/ColorSpace") == "/DeviceCMYK"
            else:
                inner = xobject.get("/Resources")
                count += _cmyk_uses(reader, xobject, inner.get_object() if inner else {}, seen)
    return count


def _render(tmp_path: Path, run_cli: Callable[..., Any], profile: str) -> tuple[Path, dict[str, str]]:
    out = tmp_path / profile
    result = run_cli("render", SAMPLE, "--out", out, "--url", URL, "--profile", profile, "-q")
    assert result.exit_code == 0, result.output
    row = read_manifest(out)[5]
    return out / row["file"], row


def test_screen_pdf_has_no_cmyk_anywhere_and_links_over_code_and_printed_link(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    pdf, row = _render(tmp_path, run_cli, "screen")
    reader = PdfReader(pdf)
    page = reader.pages[0]
    assert _cmyk_uses(reader, page.get_contents(), page["/Resources"].get_object(), set()) == 0
    annotations = [a.get_object() for a in page["/Annots"]]
    assert [a["/Subtype"] for a in annotations] == ["/Link", "/Link"]
    assert all(a["/A"]["/S"] == "/URI" and a["/A"]["/URI"] == row["link"] for a in annotations)
    code_rect, text_rect = ([float(v) for v in a["/Rect"]] for a in annotations)
    # The QR box of the default template: 30 mm at (35, 89) from the trim's top-left (no bleed on screen).
    height = float(page.mediabox.height)
    expected = [35 * MM, height - 119 * MM, 65 * MM, height - 89 * MM]
    assert all(abs(a - b) < 0.5 for a, b in zip(code_rect, expected, strict=True))
    # pdfium, independently: the text under the second link is the printed link, and clicks find the URI.
    document = pdfium.PdfDocument(str(pdf))
    try:
        text = document[0].get_textpage().get_text_bounded(*text_rect)
        assert text.replace("\r\n", "") == row["link"].removeprefix("https://")
    finally:
        document.close()


def test_print_pdfs_have_no_annotations(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    for profile in ("print", "print-marks"):
        pdf, _ = _render(tmp_path, run_cli, profile)
        assert all("/Annots" not in page for page in PdfReader(pdf).pages), profile
