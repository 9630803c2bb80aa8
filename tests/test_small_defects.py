"""Smaller defects found on the same pass as the list and name work, one test each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from reportlab.pdfbase import ttfonts

from .conftest import page_text


def test_supplementary_plane_character_copies_out_as_itself(tmp_path: Path, run_cli: Any) -> None:
    """𠮷 (U+20BB7) used to be written into ToUnicode as <20BB7>, which readers reject."""
    path = tmp_path / "list.csv"
    path.write_text("id;company;language\nY1;𠮷野家ホールディングス;ja\n", encoding="utf-8")
    result = run_cli("render", str(path), "--out", str(tmp_path / "out"), "-q")
    assert result.exit_code == 0, result.output
    pdf = next((tmp_path / "out").glob("*.pdf"))
    assert "𠮷野家ホールディングス" in page_text(pdf)  # pypdf
    document = pdfium.PdfDocument(str(pdf))
    try:
        assert "𠮷野家ホールディングス" in document[0].get_textpage().get_text_range()  # pdfium
    finally:
        document.close()
    assert ttfonts.makeToUnicodeCMap.__module__ == "reportlab.pdfbase.ttfonts"  # the hook is put back
