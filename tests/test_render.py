"""End to end through the CLI: every card scans, reads right, and is print-ready."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from greetcard.recipients import read_recipients

from .conftest import (
    SAMPLE,
    decode_qr_codes,
    embedded_fonts,
    page_text,
    read_manifest,
    squeeze,
    write_csv,
)

MM = 72 / 25.4


def test_every_sample_card_scans_to_its_link_and_carries_its_name(sample_render: Path) -> None:
    recipients = read_recipients(SAMPLE).recipients
    manifest = read_manifest(sample_render)
    assert len(manifest) == len(recipients) == len(list(sample_render.glob("*.pdf")))
    for recipient, entry in zip(recipients, manifest, strict=True):
        assert entry["status"] == "written" and entry["id"] == recipient.id
        pdf = sample_render / entry["file"]
        assert decode_qr_codes(pdf) == [[entry["link"]]]
        assert squeeze(recipient.company) in squeeze(page_text(pdf))
        if recipient.language == "ja":
            suffix = "様" if recipient.values.get("contact") else "御中"
            assert suffix in page_text(pdf) and ("御中" in page_text(pdf)) != ("様" in page_text(pdf))


def test_pages_have_trim_and_bleed_boxes_at_the_card_size(sample_render: Path) -> None:
    pdf = next(sample_render.glob("*.pdf"))
    page = PdfReader(pdf).pages[0]
    media, bleed, trim = (
        [float(v) for v in box] for box in (page.mediabox, page["/BleedBox"], page["/TrimBox"])
    )
    assert trim[2] - trim[0] == pytest.approx(100 * MM, abs=0.01)
    assert trim[3] - trim[1] == pytest.approx(148 * MM, abs=0.01)
    assert bleed[2] - bleed[0] == pytest.approx(106 * MM, abs=0.01)
    assert trim[0] - bleed[0] == pytest.approx(3 * MM, abs=0.01)
    assert media[0] <= bleed[0] <= trim[0] and trim[2] <= bleed[2] <= media[2]


def test_fonts_are_embedded_truetype_subsets_with_unicode_maps(sample_render: Path) -> None:
    for pdf in list(sample_render.glob("*.pdf"))[:5]:
        fonts = embedded_fonts(pdf)
        assert fonts, pdf
        for font in fonts:
            assert font["embedded"] and font["truetype"] and font["to_unicode"], font
            assert font["name"][1:7].isalpha() and font["name"][7] == "+", font  # subset tag


def test_identical_input_gives_identical_bytes(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    digests = []
    for run in ("a", "b"):
        result = run_cli("render", SAMPLE, "--out", tmp_path / run, "--quiet", "--jobs", "1")
        assert result.exit_code == 0
        digests.append(
            {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / run).iterdir()}
        )
    assert digests[0] == digests[1]


def test_per_recipient_links_are_filled_and_encoded(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    rows = [["A 1/2", "Alpha GmbH", "", "", "de"], ["株7", "株式会社ベータ", "", "", "ja"]]
    path = write_csv(tmp_path / "list.csv", rows)
    result = run_cli(
        "render",
        path,
        "--out",
        tmp_path / "out",
        "--quiet",
        "--url",
        "https://www.neujahrsgross-japan.de/?r={id}",
    )
    assert result.exit_code == 0, result.output
    links = {entry["id"]: entry["link"] for entry in read_manifest(tmp_path / "out")}
    assert links == {
        "A 1/2": "https://www.neujahrsgross-japan.de/?r=A%201%2F2",
        "株7": "https://www.neujahrsgross-japan.de/?r=%E6%A0%AA7",
    }
    for entry in read_manifest(tmp_path / "out"):
        assert decode_qr_codes(tmp_path / "out" / entry["file"]) == [[entry["link"]]]


HOSTILE_ROWS = [
    ["1", "<b>Bold</b> & Co. {{ 7*7 }} {id} ${HOME}", "", "", "de"],
    ["2", '=HYPERLINK("http://evil.example")', "", "", "de"],
    ["3", "", "", "", "de"],
    ["4", "Emoji \U0001f600 GmbH", "", "", "de"],
    ["5", "Zero\u200bWidth AG", "", "", "de"],
    ["6", "Überlänge " * 40, "", "", "de"],
    ["7", "../../etc/passwd", "", "", "de"],
    ["8", "CON", "", "", "de"],
    ["9", "株式会社ガンマ", "", "", "ja"],
]


@pytest.fixture
def hostile_run(tmp_path: Path, run_cli: Callable[..., Any]) -> tuple[Any, Path]:
    path = write_csv(tmp_path / "hostile.csv", HOSTILE_ROWS)
    out = tmp_path / "out"
    return run_cli("render", path, "--out", out, "--quiet"), out


def test_hostile_rows_are_refused_precisely_and_good_rows_still_render(hostile_run: tuple[Any, Path]) -> None:
    result, out = hostile_run
    assert result.exit_code == 1
    errors = result.stderr
    assert "hostile.csv:4:2: company is empty — fill in the company name or delete the row" in errors
    assert (
        "hostile.csv:5:2: company: '\U0001f600' U+1F600 GRINNING FACE cannot be printed: no font of "
        "field 'recipient' (sans-bold, mincho) has it"
    ) in errors
    assert (
        "hostile.csv:6:2: company contains the invisible or control character U+200B ZERO WIDTH SPACE"
        in errors
    )
    assert "hostile.csv:7:2: company: text needs" in errors and "field 'recipient'" in errors
    statuses = {entry["id"]: entry["status"] for entry in read_manifest(out)}
    assert statuses == {
        "1": "written",
        "2": "written",
        "3": "refused",
        "4": "refused",
        "5": "refused",
        "6": "refused",
        "7": "written",
        "8": "written",
        "9": "written",
    }


def test_data_is_printed_literally_never_interpreted(hostile_run: tuple[Any, Path]) -> None:
    _, out = hostile_run
    entries = {entry["id"]: entry for entry in read_manifest(out)}
    text = page_text(out / entries["1"]["file"])
    assert "<b>Bold</b> & Co. {{ 7*7 }} {id} ${HOME}" in " ".join(text.split())
    assert '=HYPERLINK("http://evil.example")' in " ".join(page_text(out / entries["2"]["file"]).split())


def test_manifest_cannot_become_a_formula(hostile_run: tuple[Any, Path]) -> None:
    _, out = hostile_run
    entry = {e["id"]: e for e in read_manifest(out)}["2"]
    assert entry["company"].startswith("'=")


def test_nothing_lands_outside_the_output_folder(tmp_path: Path, hostile_run: tuple[Any, Path]) -> None:
    _, out = hostile_run
    outside = {p for p in tmp_path.rglob("*") if out not in p.parents and p != out}
    assert outside == {tmp_path / "hostile.csv"}
    names = {p.name for p in out.iterdir()}
    assert "7-.._.._etc_passwd.pdf" in names or any("etc_passwd" in n for n in names)
    assert not any(n.upper().startswith("CON.") for n in names)
    assert not any(n.startswith(".greetcard-partial-") for n in names)


def test_strict_writes_nothing_when_a_row_is_bad(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    path = write_csv(tmp_path / "list.csv", [["1", "Good GmbH", "", "", "de"], ["2", "", "", "", "de"]])
    result = run_cli("render", path, "--out", tmp_path / "out", "--strict")
    assert result.exit_code == 3
    assert "list.csv:3:2: company is empty" in result.stderr
    assert "Nothing written (--strict)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_summary_reports_cards_and_time(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    path = write_csv(tmp_path / "list.csv", [["1", "Good GmbH", "", "", "de"]])
    result = run_cli("render", path, "--out", tmp_path / "out")
    assert result.exit_code == 0
    assert "1 card written to" in result.stderr and " s; manifest: " in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "missing.csv: no such file"),
        (["--url", "ftp://example.org/"], "is not an http(s) link"),
        (["--template", "nowhere"], "no template file"),
        (["--profile", "prnt"], "did you mean 'print'"),
    ],
)
def test_user_mistakes_give_one_clear_error_and_no_traceback(
    tmp_path: Path, run_cli: Callable[..., Any], args: list[str], message: str
) -> None:
    if args[0] != "missing.csv":
        args = [str(SAMPLE), *args]
    result = run_cli(
        "render", *[a if a != "missing.csv" else str(tmp_path / a) for a in args], "--out", tmp_path / "out"
    )
    assert result.exit_code in (2, 3)  # usage mistake / nothing written
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_interrupted_write_leaves_no_partial_pdf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from greetcard import output

    def failing_replace(source: str, target: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "replace", failing_replace)
    with pytest.raises(KeyboardInterrupt):
        output.write_atomically(tmp_path, "card.pdf", b"%PDF-1.4 partial")
    assert list(tmp_path.iterdir()) == []


def test_python_m_entry_point_shows_help() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "greetcard", "render", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "Examples:" in result.stdout


def test_batch_with_japanese_cp932_list(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    rows = [["1", "㈱サクラ電子", "", "", "ja"], ["2", "﨑山化学工業株式会社", "髙橋 一郎", "", "ja"]]
    path = write_csv(tmp_path / "sjis.csv", rows, encoding="cp932", delimiter=",")
    result = run_cli("render", path, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 0, result.stderr
    for entry in read_manifest(tmp_path / "out"):
        text = squeeze(page_text(tmp_path / "out" / entry["file"]))
        assert squeeze(entry["company"]) in text
    text = page_text(next((tmp_path / "out").glob("2-*.pdf")))
    assert "髙橋 一郎 様" in text and "御中" not in text


def test_progress_is_reported_up_to_the_number_of_cards(tmp_path: Path) -> None:
    from greetcard.assets import bundled_template
    from greetcard.batch import Inputs, RenderOptions, render_batch

    seen: list[tuple[int, int]] = []
    report = render_batch(
        RenderOptions(Inputs(SAMPLE, bundled_template()), tmp_path / "out", jobs=1),
        progress=lambda *p: seen.append(p),
    )
    assert seen[-1] == (report.written, report.written) == (30, 30)
    assert [done for done, _ in seen] == list(range(1, 31))


def test_xlsx_list_renders_end_to_end(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "Firma", "Ansprechpartner", "Anrede", "language"])
    sheet.append(["X1", "Süßwaren Groß GmbH", "Eva Roth", "Frau", "de"])
    sheet.append(["X2", "株式会社エクセル", "", "", "ja"])
    workbook.save(tmp_path / "list.xlsx")
    result = run_cli(
        "render",
        tmp_path / "list.xlsx",
        "--out",
        tmp_path / "out",
        "--quiet",
        "--url",
        "https://www.neujahrsgross-japan.de/?r={id}",
    )
    assert result.exit_code == 0, result.stderr
    for entry in read_manifest(tmp_path / "out"):
        pdf = tmp_path / "out" / entry["file"]
        assert decode_qr_codes(pdf) == [[entry["link"]]]
        assert squeeze(entry["company"]) in squeeze(page_text(pdf))
    assert "Sehr geehrte Frau Roth," in page_text(tmp_path / "out" / "X1-Süßwaren Groß GmbH.pdf")


def test_longest_real_names_fit_legibly_in_the_default_card(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    german = (
        "Nordrheinische Präzisions- und Antriebstechnik Vertriebsgesellschaft für Industrie- und "
        "Handelsbedarf sowie Logistik mbH & Co. KG"
    )[:120].strip()
    japanese = "株式会社日本精密機械工業欧州統括本部独逸支店産業機器営業部第一課技術営業推進室長"[:40]
    assert len(german) >= 115 and len(japanese) == 40
    path = write_csv(tmp_path / "long.csv", [["1", german, "", "", "de"], ["2", japanese, "", "", "ja"]])
    result = run_cli("check", path, "--json")
    assert result.exit_code == 0, result.output
    import json

    report = json.loads(result.stdout)
    assert report["cards_ok"] == 2
    sizes = [
        float(f["message"].split(" at ")[1].split(" pt")[0])
        for f in report["findings"]
        if f["field"] == "recipient"
    ]
    assert all(size >= 7 for size in sizes)


def test_subset_tags_follow_the_subset_so_merged_cards_cannot_mix_glyphs(sample_render: Path) -> None:
    manifest = read_manifest(sample_render)
    programs: dict[str, set[bytes]] = {}  # subset name → every font program seen under it
    per_card: list[set[str]] = []
    for entry in manifest[:6]:
        reader = PdfReader(sample_render / entry["file"])
        names = set()
        for ref in reader.pages[0]["/Resources"]["/Font"].values():
            font = ref.get_object()
            name = str(font["/BaseFont"])
            program = font["/FontDescriptor"]["/FontFile2"].get_object().get_data()
            programs.setdefault(name, set()).add(program)
            names.add(name)
        per_card.append(names)
    assert all(len(found) == 1 for found in programs.values())  # one tag, one set of glyphs
    on_every_card = set.intersection(*per_card)  # the template's own text: the same subset everywhere
    assert any(name.endswith("+BIZUDPMincho-Regular") for name in on_every_card)  # 謹賀新年
    names_of_one_card = [
        name for name in programs if sum(name in card for card in per_card) == 1 and "-Bold" in name
    ]
    assert len(names_of_one_card) == 6  # six different names, six different subsets


def test_a_cards_bytes_do_not_depend_on_the_other_rows_of_the_list(
    sample_render: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    """The shared font subsets come from the template, never from the list: a reprint is identical."""
    lines = SAMPLE.read_text(encoding="utf-8-sig").splitlines()
    alone = tmp_path / "alone.csv"
    alone.write_text("\n".join([lines[0], lines[7]]) + "\n", encoding="utf-8")
    # The creation date is the newest input's modification time: give the excerpt the sample's.
    stat = SAMPLE.stat()
    os.utime(alone, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = run_cli("render", alone, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 0, result.stderr
    (entry,) = read_manifest(tmp_path / "out")
    assert (tmp_path / "out" / entry["file"]).read_bytes() == (sample_render / entry["file"]).read_bytes()
