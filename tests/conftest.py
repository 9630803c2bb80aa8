"""Shared fixtures and independent readers for the PDFs greetcard writes.

Every claim about a PDF is checked with tools that share no code with
greetcard: pypdfium2 renders pages, zxing-cpp decodes QR codes, pypdf reads
boxes, fonts and text.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from click.testing import CliRunner
from pypdf import PdfReader

from greetcard.assets import bundled_template
from greetcard.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "recipients.csv"
HEADER = ["id", "company", "contact", "salutation", "language"]


def decode_qr_codes(pdf: Path | bytes, dpi: int = 200) -> list[list[str]]:
    """Render every page with pdfium and decode its QR codes with zxing-cpp."""
    document = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    texts = []
    try:
        for page in document:
            image = page.render(scale=dpi / 72).to_pil()
            texts.append(
                [
                    result.text
                    for result in zxingcpp.read_barcodes(image)
                    if result.format == zxingcpp.BarcodeFormat.QRCode
                ]
            )
    finally:
        document.close()
    return texts


def page_text(pdf: Path | bytes, page: int = 0) -> str:
    """Text as pypdf extracts it (what copying out of a viewer gives)."""
    reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    return reader.pages[page].extract_text()


def squeeze(text: str) -> str:
    """Text without any white space: wrapping may break lines anywhere in Japanese."""
    return re.sub(r"\s+", "", text)


def embedded_fonts(pdf: Path | bytes) -> list[dict[str, Any]]:
    """Every font dictionary reachable from the pages, with its descriptor facts."""
    reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    found: dict[int, dict[str, Any]] = {}

    def visit_resources(resources: Any) -> None:
        resources = resources.get_object() if resources is not None else {}
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            found[ref.idnum] = {
                "name": str(font.get("/BaseFont")),
                "subtype": str(font.get("/Subtype")),
                "embedded": any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")),
                "truetype": "/FontFile2" in descriptor,
                "to_unicode": "/ToUnicode" in font,
            }
        for ref in (resources.get("/XObject") or {}).values():
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Form":
                visit_resources(xobject.get("/Resources"))

    for page in reader.pages:
        visit_resources(page.get("/Resources"))
    return list(found.values())


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    encoding: str = "utf-8",
    delimiter: str = ";",
    header: Sequence[str] = HEADER,
    line_end: str = "\r\n",
) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def read_manifest(folder: Path) -> list[dict[str, str]]:
    text = (folder / "manifest.csv").read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def run_cli() -> Callable[..., Any]:
    """Invoke the real CLI in-process; stderr is kept apart from stdout."""

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def sample_render(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample rendered once with the default template and profile."""
    out = tmp_path_factory.mktemp("sample") / "cards"
    result = CliRunner().invoke(
        main, ["render", str(SAMPLE), "--out", str(out), "--quiet"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def default_template() -> Path:
    return bundled_template()


@pytest.fixture
def template_copy(tmp_path: Path) -> Path:
    """A copy of the default template that a test may edit."""
    folder = tmp_path / "tpl"
    shutil.copytree(bundled_template(), folder)
    return folder


def edit(folder: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in the folder's template.toml (which must hold it)."""
    file = folder / "template.toml"
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
