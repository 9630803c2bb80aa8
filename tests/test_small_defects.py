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


def test_print_pdfs_carry_the_newest_input_date_not_2000(
    tmp_path: Path, run_cli: Any, monkeypatch: Any
) -> None:
    import os
    import shutil

    from pypdf import PdfReader

    from greetcard.assets import bundled_template

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    template = tmp_path / "tpl"
    shutil.copytree(bundled_template(), template)
    for file in template.rglob("*"):
        os.utime(file, (1_700_000_000, 1_700_000_000))  # 2023-11-14 22:13:20 UTC
    path = tmp_path / "list.csv"
    path.write_text("id;company\nA1;Alpha GmbH\n", encoding="utf-8")
    os.utime(path, (1_790_000_000, 1_790_000_000))  # 2026-09-21 14:13:20 UTC, the newest input
    outputs = []
    for run in ("a", "b"):
        result = run_cli("render", str(path), "--template", str(template), "--out", str(tmp_path / run), "-q")
        assert result.exit_code == 0, result.output
        outputs.append(next((tmp_path / run).glob("*.pdf")).read_bytes())
    assert outputs[0] == outputs[1]  # still reproducible
    reader = PdfReader(tmp_path / "a" / next((tmp_path / "a").glob("*.pdf")).name)
    assert reader.metadata is not None
    assert reader.metadata["/CreationDate"].startswith("D:20260921141320")
    assert b"<xmp:CreateDate>2026-09-21T14:13:20+00:00</xmp:CreateDate>" in outputs[0] or (
        b"2026-09-21T14:13:20" in outputs[0]
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000000000")  # the reproducible-builds override still wins
    result = run_cli("render", str(path), "--template", str(template), "--out", str(tmp_path / "c"), "-q")
    assert PdfReader(next((tmp_path / "c").glob("*.pdf"))).metadata["/CreationDate"].startswith("D:20010909")
