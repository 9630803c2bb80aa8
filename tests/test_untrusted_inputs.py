"""Lists and templates from outside: nothing read from elsewhere, no hang, no traceback.

Each test pins one defect found by trying greetcard as a hostile supplier would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from greetcard.assets import bundled_template
from greetcard.errors import GreetcardError, TemplateError
from greetcard.template import load_template

from .conftest import ROOT, SAMPLE, edit, write_csv


def run_greetcard(
    *args: str, env: dict[str, str] | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[bytes]:
    """The real command in a separate process (for consoles, tracebacks and environment limits)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.run([sys.executable, "-m", "greetcard", *args], env=environment, timeout=120, **streams)


# --- template confinement -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["/etc/hostname", "../secret.png", "sub/../../secret.png", "link.png"],
    ids=["absolute", "parent", "parent-in-the-middle", "symlink"],
)
def test_artwork_outside_the_template_folder_is_refused(template_copy: Path, name: str) -> None:
    secret = template_copy.parent / "secret.png"
    Image.new("RGB", (106, 154), (255, 0, 0)).save(secret)
    (template_copy / "sub").mkdir()
    (template_copy / "link.png").symlink_to(secret)
    edit(template_copy, 'artwork = "artwork.pdf"', f'artwork = "{name}"')
    with pytest.raises(TemplateError, match=r"outside the template folder|absolute path") as caught:
        load_template(template_copy)
    assert "template.toml:" in str(caught.value)


def test_a_symlink_that_stays_inside_the_template_folder_is_fine(template_copy: Path) -> None:
    (template_copy / "art").mkdir()
    (template_copy / "art" / "front.pdf").symlink_to(template_copy / "artwork.pdf")
    edit(template_copy, 'artwork = "artwork.pdf"', 'artwork = "art/front.pdf"')
    assert load_template(template_copy).pages[0].artwork == (template_copy / "artwork.pdf").resolve()


def test_font_symlinked_from_outside_is_refused(template_copy: Path, tmp_path: Path) -> None:
    from greetcard.assets import assets_folder

    outside = tmp_path / "private.ttf"
    shutil.copy(assets_folder() / "fonts" / "NotoSansJP-Bold.ttf", outside)
    (template_copy / "Mine.ttf").symlink_to(outside)
    edit(template_copy, 'file = "NotoSansJP-Bold.ttf"', 'file = "Mine.ttf"')
    with pytest.raises(TemplateError, match=r"template\.toml:\d+: fonts\.sans-bold\.file: .*outside"):
        load_template(template_copy)
    edit(template_copy, 'file = "Mine.ttf"', 'file = "../private.ttf"')
    with pytest.raises(TemplateError, match="outside the template folder"):
        load_template(template_copy)


@pytest.mark.parametrize(
    "name, message",
    [("art\\u0000.pdf", "control character"), ("a" * 5000 + ".pdf", "file name is 5,004 characters")],
    ids=["nul", "over-long"],
)
def test_nul_or_over_long_artwork_names_are_clear_errors(
    template_copy: Path, name: str, message: str
) -> None:
    edit(template_copy, 'artwork = "artwork.pdf"', f'artwork = "{name}"')
    with pytest.raises(TemplateError, match=message):
        load_template(template_copy)


def test_template_new_refuses_symlinks_instead_of_copying_their_targets(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    source = tmp_path / "agency"
    shutil.copytree(bundled_template(), source)
    private = tmp_path / "private"
    private.mkdir()
    (private / "salaries.txt").write_text("secret", encoding="utf-8")
    (source / "extras").symlink_to(private)
    result = run_cli("template", "new", tmp_path / "copy", "--from", source)
    assert result.exit_code == 1
    assert "extras" in result.stderr and "symbolic link" in result.stderr
    assert not (tmp_path / "copy" / "extras").exists()
    assert not list((tmp_path / "copy").rglob("salaries.txt")) if (tmp_path / "copy").exists() else True


# --- template.toml: limits, not hangs ---------------------------------------------------------


def _key_scan_cost(line: str) -> int:
    """Python lines executed in scanning one long line: a deterministic measure of the work."""
    from greetcard.template import _key_lines

    steps = 0

    def count(frame: Any, event: str, arg: Any) -> Any:
        nonlocal steps
        steps += event == "line"
        return count

    sys.settrace(count)
    try:
        _key_lines(line)
    finally:
        sys.settrace(None)
    return steps


@pytest.mark.parametrize(
    "head, unit",
    [("a", " . a"), ("[", " "), ("a", " ."), ("'", "x")],
    ids=["dotted-keys", "open-header", "dangling-dots", "open-quote"],
)
def test_key_position_scan_is_linear_in_a_long_line(head: str, unit: str) -> None:
    """The old regex backtracked (a 4.8 kB line took 49 s): 4× the input must cost about 4× as much."""
    small_steps = _key_scan_cost(head + unit * 3_000)
    large_steps = _key_scan_cost(head + unit * 12_000)
    assert large_steps / small_steps < 4.5, f"4× longer line took {large_steps / small_steps:.1f}× the steps"


def test_key_positions_are_still_found(template_copy: Path) -> None:
    from greetcard.template import _key_lines

    lines = _key_lines(
        'name = "x"\n[card]\n  width_mm=1\n"a" . b = 2\n[[pages]]\n[pages.qr] # c\nbox_mm = []\n'
    )
    assert lines[("name",)] == 1 and lines[("card", "width_mm")] == 3 and lines[("card", "a", "b")] == 4
    assert lines[("pages", 0, "qr", "box_mm")] == 7


def test_huge_template_file_and_long_line_are_refused_by_limit(template_copy: Path) -> None:
    file = template_copy / "template.toml"
    file.write_text(file.read_text(encoding="utf-8") + "\n# " + "x" * 30_000 + "\n", encoding="utf-8")
    with pytest.raises(GreetcardError, match=r"template\.toml:\d+: line is 30,002 characters.*--limit"):
        load_template(template_copy)
    file.write_bytes(b"#" * 2_000_001)
    with pytest.raises(GreetcardError, match=r"larger than 1,000,000 bytes.*template_bytes"):
        load_template(template_copy)


def test_a_small_file_under_a_large_limit_costs_only_its_own_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``read(limit + 1)`` would set aside the whole limit (hundreds of MB) for a 1 KB file."""
    import tracemalloc

    from greetcard.limits import LimitError, read_within_limit

    small = tmp_path / "small.bin"
    small.write_bytes(b"x" * 1000)
    tracemalloc.start()
    try:
        assert read_within_limit(small, "font_bytes", "the font", "use a smaller one") == b"x" * 1000
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024, peak
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 3000)
    monkeypatch.setenv("GREETCARD_LIMIT_FONT_BYTES", "2000")
    with pytest.raises(LimitError, match="larger than 2,000 bytes"):
        read_within_limit(big, "font_bytes", "the font", "use a smaller one")


def test_limits_can_be_raised_for_a_run(template_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = template_copy / "template.toml"
    file.write_text(file.read_text(encoding="utf-8") + "\n# " + "x" * 30_000 + "\n", encoding="utf-8")
    monkeypatch.setenv("GREETCARD_LIMIT_TEMPLATE_LINE_CHARS", "40000")
    assert load_template(template_copy).name


@pytest.mark.parametrize(
    "nested", ["a = " + "[" * 5000 + "]" * 5000, "a = " + "{b=" * 3000 + "1" + "}" * 3000]
)
def test_deeply_nested_toml_is_a_clear_error(template_copy: Path, nested: str) -> None:
    file = template_copy / "template.toml"
    file.write_text(nested + "\n" + file.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(GreetcardError, match="nested"):
        load_template(template_copy)


# --- field texts: a cost limit, not a hang --------------------------------------------------


def _fill(text: str) -> str:
    from greetcard.filling import compile_fields
    from greetcard.recipients import Recipient

    template = load_template(bundled_template())
    field = template.pages[0].fields[0]
    from dataclasses import replace

    page = replace(template.pages[0], fields=(replace(field, text={"default": text}),))
    compiled = compile_fields(replace(template, pages=(page,)), {"company"})
    recipient = Recipient(values={"company": "ACME", "id": "1"}, line=2, row_number=1)
    return compiled[(0, field.name)].fill(recipient, "https://example.org/")


@pytest.mark.parametrize(
    "text, message",
    [
        ("{{ lipsum(10**6) }}", "too costly"),
        ("{{ 'a' * 10**10 }}", "too costly.*field_value_chars"),
        ("{% for i in range(10**4) %}{% for j in range(10**4) %}{% endfor %}{% endfor %}", "field_steps"),
        ("{% for c in company * 50000 %}{% for d in company * 50000 %}{% endfor %}{% endfor %}", "steps"),
        ("{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}", "steps"),
        ("{%set n=namespace(s='ab')%}{% for i in range(60) %}{% set n.s = n.s ~ n.s %}{% endfor %}", "cost"),
        ("{{ '{:>10000000000}'.format(1) }}", "huge or computed width"),
        ("{{ '%10000000000d' % 1 }}", "huge or computed width"),
        ("{{ company|center(10000000000) }}", "10,000,000,000 as a size"),
        ("{{ (company * 20000)|replace('', company * 1000) }}", "field_value_chars"),
        ("{% for i in range(10000) %}{{ company }}{% endfor %}", "fills more than 20,000 characters"),
        ("{{ '{0}'.format() }}", "cannot be filled"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "calls itself without end"),
        ("{{ company.__class__ }}", "cannot be filled"),
    ],
    ids=[
        "lipsum", "str-times-huge", "nested-ranges", "nested-string-loops", "exponential-macro",
        "doubling-concat", "format-width", "percent-width", "filter-width", "replace-blowup",
        "output-per-card", "format-index", "recursion", "sandbox",
    ],
)  # fmt: skip
def test_field_text_cost_is_limited_with_a_clear_message(text: str, message: str) -> None:
    started = time.perf_counter()
    with pytest.raises(GreetcardError, match=message) as caught:
        _fill(text)
    assert "template.toml:" in str(caught.value) and "field" in str(caught.value)
    assert time.perf_counter() - started < 20  # far below "minutes"; the bound is a step count, not a clock


def test_ordinary_field_texts_still_fill() -> None:
    assert _fill("{% for w in ['a', 'b'] %}{{ w|upper }}{% endfor %} {{ company|truncate(10) }}") == "AB ACME"
    assert _fill("{{ '%s-%s'|format(company, 2) }} {{ '{}!'.format(company) }}") == "ACME-2 ACME!"


# --- artwork: formats by content, sizes, damaged PDFs -----------------------------------------


def _pdf(page_entries: bytes, content: bytes = b"0 0 m", stream_dict: bytes = b"") -> bytes:
    """A one-page PDF with a correct xref, whatever nonsense the page dictionary holds."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R " + page_entries + b" >>",
        b"<< /Length %d %s >>\nstream\n" % (len(content), stream_dict) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _flate_bomb(size: int) -> bytes:
    import zlib

    packer = zlib.compressobj(9)
    chunk = b" " * 1_000_000
    return b"".join(packer.compress(chunk) for _ in range(size // len(chunk))) + packer.flush()


A6_BOX = b"/MediaBox [0 0 300 437]"


@pytest.mark.parametrize(
    "pdf",
    [
        _pdf(b"/MediaBox [0 0 nan 437]"),
        _pdf(b"/MediaBox [0 0 300]"),
        _pdf(A6_BOX + b" /Rotate (x)"),
        _pdf(A6_BOX, _flate_bomb(120_000_000), b"/Filter /FlateDecode"),
        _pdf(A6_BOX + b" /Resources " + b"<< /A " * 20_000 + b"1" + b" >>" * 20_000),
    ],
    ids=["nan-mediabox", "short-mediabox", "rotate-string", "flate-bomb", "deeply-nested"],
)
def test_damaged_pdf_artwork_is_a_clear_error(tmp_path: Path, pdf: bytes) -> None:
    from greetcard.artwork import prepare_artwork

    path = tmp_path / "art.pdf"
    path.write_bytes(pdf)
    with pytest.raises(TemplateError, match=r"art\.pdf: .*(export|again)"):
        prepare_artwork(path, (100, 148), 3)


def test_eps_named_png_is_refused_without_running_ghostscript(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pillow hands EPS to Ghostscript; an endless PostScript loop would hang greetcard."""
    from greetcard.artwork import prepare_artwork

    path = tmp_path / "art.png"
    path.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 300 437\n{ } loop\n%%EOF\n")
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: pytest.fail("a subprocess was started"))
    monkeypatch.setattr(subprocess, "check_call", lambda *a, **k: pytest.fail("a subprocess was started"))
    with pytest.raises(TemplateError, match=r"art\.png: not a PNG, JPEG or TIFF image \(by its content"):
        prepare_artwork(path, (100, 148), 3)


def test_an_image_with_far_more_pixels_than_the_card_needs_is_refused_before_decoding(tmp_path: Path) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    # 163 megapixels, 1 bit: decoding would take 2 GB. Only the header is ever read.
    header = struct.pack(">IIBBBBB", 10_800, 15_100, 1, 0, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + chunk(b"IEND", b"")
    )
    path = tmp_path / "huge.png"
    path.write_bytes(png)
    from greetcard.artwork import prepare_artwork

    with pytest.raises(GreetcardError, match=r"10800 × 15100 px.*1200 dpi.*--limit artwork_dpi"):
        prepare_artwork(path, (100, 148), 3)


def test_svg_use_of_a_file_outside_the_artwork_folder_is_not_drawn(tmp_path: Path) -> None:
    from greetcard.artwork import _svg_to_pdf

    secret = tmp_path / "secret.svg"
    secret.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><g id="g">'
        '<rect width="10" height="10" fill="#ff0000"/></g></svg>',
        encoding="utf-8",
    )
    folder = tmp_path / "tpl"
    folder.mkdir()
    art = folder / "front.svg"
    art.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100mm" '
        'height="100mm" viewBox="0 0 100 100"><rect width="100" height="100" fill="#00ff00"/>'
        '<use xlink:href="../secret.svg#g"/></svg>',
        encoding="utf-8",
    )
    import io

    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(_svg_to_pdf(art))).pages[0]
    content = page.get_contents().get_data()  # type: ignore[union-attr]
    assert b"0 1 0 rg" in content and b"1 0 0 rg" not in content


def test_svg_image_hidden_behind_a_second_href_is_refused(tmp_path: Path) -> None:
    from greetcard.artwork import prepare_artwork

    art = tmp_path / "front.svg"
    art.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink" width="106mm" '
        'height="154mm" viewBox="0 0 106 154"><image href="data:image/png;base64,AAAA" '
        'x:href="../../private/photo.png" width="106" height="154"/></svg>',
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match="links an external image"):
        prepare_artwork(art, (100, 148), 3)


def test_svg_image_with_broken_embedded_data_is_a_clear_error(tmp_path: Path) -> None:
    from greetcard.artwork import prepare_artwork

    art = tmp_path / "front.svg"
    art.write_text(
        '<svg:svg xmlns:svg="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="106mm" height="154mm" viewBox="0 0 106 154"><svg:rect width="106" height="154"/>'
        '<svg:image xlink:href="data:image/png;base64,iVBORw0KGgo=" width="106" height="154"/></svg:svg>',
        encoding="utf-8",
    )
    try:
        prepare_artwork(art, (100, 148), 3)
    except TemplateError as err:
        assert "front.svg" in str(err)


# --- fonts: table sizes checked before parsing ---------------------------------------------------


def tiny_font(path: Path) -> Path:
    """A valid TrueType font with a format-12 cmap (characters A and B), built with fontTools."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    builder = FontBuilder(1000, isTTF=True)
    names = [".notdef", "A", "B"]
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({0x41: "A", 0x42: "B"})
    pen = TTGlyphPen(None)
    pen.moveTo((0, 0))
    pen.lineTo((500, 0))
    pen.lineTo((500, 700))
    pen.closePath()
    glyph = pen.glyph()
    builder.setupGlyf(dict.fromkeys(names, glyph))
    builder.setupHorizontalMetrics(dict.fromkeys(names, (600, 0)))
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Tiny", "styleName": "Regular"})
    builder.setupOS2(fsType=0)
    builder.setupPost()
    subtable = CmapSubtable.newSubtable(12)
    subtable.platformID, subtable.platEncID, subtable.language = 3, 10, 0
    subtable.cmap = {0x41: "A", 0x42: "B"}
    builder.font["cmap"].tables.append(subtable)
    builder.save(str(path))
    return path


def _patch_cmap12_group(data: bytes, first: int, last: int) -> bytes:
    import struct

    tables = {
        data[12 + 16 * i : 16 + 16 * i]: struct.unpack_from(">II", data, 20 + 16 * i)
        for i in range(struct.unpack_from(">H", data, 4)[0])
    }
    cmap = tables[b"cmap"][0]
    for index in range(struct.unpack_from(">H", data, cmap + 2)[0]):
        offset = struct.unpack_from(">I", data, cmap + 8 + 8 * index)[0]
        if struct.unpack_from(">H", data, cmap + offset)[0] == 12:
            group = cmap + offset + 16
            return data[:group] + struct.pack(">II", first, last) + data[group + 8 :]
    raise AssertionError("no format-12 cmap")


@pytest.mark.parametrize(
    "first, last, message",
    [(0x41, 0xFFFFFFF0, "beyond Unicode"), (0x42, 0x41, "beyond Unicode")],
    ids=["huge-range", "reversed-range"],
)
def test_font_with_an_absurd_cmap_range_is_refused_before_allocating(
    tmp_path: Path, first: int, last: int, message: str
) -> None:
    from greetcard.fonts import load_font

    good = tiny_font(tmp_path / "Tiny.ttf")
    assert load_font(good).has("A")
    bad = tmp_path / "Bad.ttf"
    bad.write_bytes(_patch_cmap12_group(good.read_bytes(), first, last))
    with pytest.raises(TemplateError, match=message):
        load_font(bad)


def test_font_cmap_within_unicode_but_over_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from greetcard.fonts import load_font

    bad = tmp_path / "Wide.ttf"
    bad.write_bytes(_patch_cmap12_group(tiny_font(tmp_path / "Tiny.ttf").read_bytes(), 0, 0x10FFFF))
    monkeypatch.setenv("GREETCARD_LIMIT_FONT_CMAP_CODEPOINTS", "100000")
    with pytest.raises(GreetcardError, match=r"more than 100,000 characters.*font_cmap_codepoints"):
        load_font(bad)


# --- xlsx: sizes and damaged XML --------------------------------------------------------------


def _xlsx_with_sheet(path: Path, sheet_xml: bytes, shared: bytes | None = None) -> Path:
    """A minimal workbook whose first sheet is ``sheet_xml`` (written as-is)."""
    import zipfile

    content_types = (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
        b'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    )
    rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        b'<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return path


SHEET_OPEN = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_CLOSE = b"</sheetData></worksheet>"


def _inline_row(number: int, *values: str) -> bytes:
    cells = b"".join(
        b'<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>' % (chr(65 + i).encode(), number, v.encode())
        for i, v in enumerate(values)
    )
    return b'<row r="%d">%s</row>' % (number, cells)


def test_xlsx_zip_bomb_is_refused_before_unpacking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from greetcard.recipients import read_recipients

    monkeypatch.setenv("GREETCARD_LIMIT_XLSX_UNCOMPRESSED_BYTES", "20_000_000")  # the test's bomb is smaller
    filler = b"<row/>" * 4_000_000  # 24 MB of XML, a few dozen kB packed
    path = _xlsx_with_sheet(
        tmp_path / "bomb.xlsx", SHEET_OPEN + _inline_row(1, "id", "company") + filler + SHEET_CLOSE
    )
    assert path.stat().st_size < 2_000_000
    started = time.perf_counter()
    with pytest.raises(GreetcardError, match=r"unpacks to [\d,]+ bytes.*xlsx_uncompressed_bytes"):
        read_recipients(path)
    assert time.perf_counter() - started < 30  # a hang guard: the size is read from the zip's directory


def test_xlsx_over_long_cell_is_refused_with_its_place(tmp_path: Path) -> None:
    from greetcard.recipients import read_recipients

    sheet = SHEET_OPEN + _inline_row(1, "id", "company") + _inline_row(2, "1", "x" * 40_000) + SHEET_CLOSE
    with pytest.raises(GreetcardError, match=r"long\.xlsx:2:2: the cell holds 40,000 characters"):
        read_recipients(_xlsx_with_sheet(tmp_path / "long.xlsx", sheet))


def test_xlsx_with_a_lone_far_row_reads_quickly(tmp_path: Path) -> None:
    from greetcard.recipients import read_recipients

    sheet = SHEET_OPEN + _inline_row(1, "id", "company") + _inline_row(1_000_000, "1", "ACME") + SHEET_CLOSE
    started = time.perf_counter()
    result = read_recipients(_xlsx_with_sheet(tmp_path / "far.xlsx", sheet))
    assert [r.company for r in result.recipients] == ["ACME"]
    assert time.perf_counter() - started < 60  # a hang guard: a million blank rows are never walked


def test_xlsx_sheet_padded_to_the_last_column_is_limited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from greetcard.recipients import read_recipients

    monkeypatch.setenv("GREETCARD_LIMIT_XLSX_CELLS", "500000")

    rows = b"".join(b'<row r="%d"><c r="XFD%d"><v>1</v></c></row>' % (n, n) for n in range(2, 2_000))
    sheet = SHEET_OPEN + _inline_row(1, "id", "company") + rows + SHEET_CLOSE
    with pytest.raises(GreetcardError, match=r"more than 500,000 cells.*xlsx_cells"):
        read_recipients(_xlsx_with_sheet(tmp_path / "wide.xlsx", sheet))


@pytest.mark.parametrize(
    "sheet",
    [
        SHEET_OPEN + _inline_row(1, "id", "company") + b"<row><c><v>1</v></c",
        SHEET_OPEN
        + b'<row r="1"><c r="A1" t="inlineStr"><is><t>'
        + b"x" * 11_000_000
        + b"</t></is></c></row>"
        + SHEET_CLOSE,
        SHEET_OPEN + b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]>" + SHEET_CLOSE,
    ],
    ids=["truncated", "huge-text-node", "doctype"],
)
def test_damaged_xlsx_xml_is_a_clear_error(tmp_path: Path, sheet: bytes) -> None:
    from greetcard.recipients import read_recipients

    with pytest.raises(GreetcardError, match=r"bad\.xlsx"):
        read_recipients(_xlsx_with_sheet(tmp_path / "bad.xlsx", sheet))


# --- text safe everywhere it goes ------------------------------------------------------------------


def test_manifest_cells_stay_text_whatever_separator_the_spreadsheet_splits_at() -> None:
    import csv
    import io

    from greetcard.output import ManifestEntry, manifest_bytes

    hostile = ["x;=1+1;y", "a,+cmd|' /C calc'!A0", "p|@SUM(1)", 'q;"=2', "t\t-3", "=HYPERLINK()"]
    entries = [
        ManifestEntry(str(i), value, "f.pdf", "https://x.org/", "written", value)
        for i, value in enumerate(hostile)
    ]
    text = manifest_bytes(entries).decode("utf-8-sig")
    for separator in ";,\t|":
        for row in csv.reader(io.StringIO(text), delimiter=separator):
            for cell in row:
                assert not cell.lstrip(' "').startswith(("=", "+", "-", "@")), (separator, cell)


def test_manifest_escapes_control_characters() -> None:
    from greetcard.output import ManifestEntry, manifest_bytes

    entry = ManifestEntry("1", "evil\x1b]0;pwned\x07\x00\u202eco", "f.pdf", "", "refused", "bad\x1b[31m")
    text = manifest_bytes([entry]).decode("utf-8-sig")
    assert not any(char in text for char in "\x1b\x07\x00\u202e")
    assert "\\u001b]0" in text and "\\u202e" in text


def test_xmp_stays_well_formed_with_control_characters_in_metadata() -> None:
    from types import SimpleNamespace
    from xml.etree import ElementTree

    from greetcard.pdfx import _xmp

    stamp = SimpleNamespace(YMDhms=(2027, 1, 1, 0, 0, 0), dhh=0, dmm=0)
    info = SimpleNamespace(
        author="Agency\x1b\x00", subject="x\x0c<y>", creator="g", producer="p", keywords=""
    )
    packet = _xmp("Card\x07 & more\ufffe", info, SimpleNamespace(_timeStamp=stamp), "f")
    root = ElementTree.fromstring(packet.split("?>", 1)[1].rsplit("<?xpacket", 1)[0])
    assert "Card\\u0007 & more" in ElementTree.tostring(root, encoding="unicode").replace("&amp;", "&")


def test_control_character_in_the_template_name_is_refused(template_copy: Path) -> None:
    edit(template_copy, 'name = "Nengajō 2027"', 'name = "Neng\\u001b]0;pwned\\u0007"')
    with pytest.raises(
        TemplateError, match=r"template\.toml:\d+: name: contains the invisible control character U\+001B"
    ):
        load_template(template_copy)


def test_header_names_and_messages_reach_the_terminal_escaped(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    path = write_csv(
        tmp_path / "e.csv",
        [["1", "ACME", "", "", "de"]],
        header=["id", "company", "x\x1b]0;pwned\x07", "s", "language"],
    )
    template = tmp_path / "tpl"
    shutil.copytree(bundled_template(), template)
    edit(template, "{{ link_text }}", "{{ link_text }}{{ nosuch\x1b }}")
    for command in ("check", "render"):
        result = (
            run_cli(command, path, "--template", template, "--out", tmp_path / "out")
            if command == "render"
            else run_cli(command, path, "--template", template)
        )
        output = result.stdout + result.stderr
        assert "\x1b" not in output and "\x07" not in output, output


# --- preview pixels ------------------------------------------------------------------------------------


def test_preview_of_a_huge_many_page_template_is_refused_not_rendered(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    folder = tmp_path / "huge"
    folder.mkdir()
    pages = "\n".join("[[pages]]\n[pages.qr]\nbox_mm = [10, 10, 30]\n" for _ in range(40))
    (folder / "template.toml").write_text(
        'name = "Huge"\nlink = "https://example.org/"\n[card]\nwidth_mm = 1000\nheight_mm = 1000\n'
        f'[fonts.sans]\nfile = "NotoSansJP-Regular.ttf"\n{pages}',
        encoding="utf-8",
    )
    started = time.perf_counter()
    result = run_cli("preview", SAMPLE, "--template", folder, "-o", tmp_path / "p.png")
    assert result.exit_code == 1
    assert "40 pages at 150 dpi would have" in result.stderr and "--limit preview_pixels" in result.stderr
    assert not (tmp_path / "p.png").exists() and time.perf_counter() - started < 30


# --- no tracebacks ---------------------------------------------------------------------------------------


def test_an_internal_error_prints_one_line_and_writes_a_report(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import greetcard.batch

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("deep inside")

    monkeypatch.setattr(greetcard.batch, "load_template", broken)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = run_cli("check", SAMPLE)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "internal error (ZeroDivisionError)" in result.stderr
    reports = list(tmp_path.glob("greetcard-error-*.txt"))
    assert len(reports) == 1 and "deep inside" in reports[0].read_text(encoding="utf-8")
    assert str(reports[0]) in result.stderr
    with pytest.raises(ZeroDivisionError):
        run_cli("--debug", "check", SAMPLE)


def test_disk_full_before_the_first_write_is_one_clear_line(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import greetcard.output

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out"))

    monkeypatch.setattr(greetcard.output.tempfile, "mkstemp", full)
    result = run_cli("render", SAMPLE, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code != 0 and "Traceback" not in result.stderr
    assert "No space left on device" in result.stderr and "free some disk space" in result.stderr


def test_check_redirected_on_a_cp1252_console_does_not_crash(tmp_path: Path) -> None:
    """Japanese names cannot be shown in cp1252; they become escapes instead of a UnicodeEncodeError."""
    with (tmp_path / "report.txt").open("wb") as report:
        result = run_greetcard(
            "check", str(SAMPLE), env={"PYTHONIOENCODING": "cp1252"}, stdout=report, stderr=subprocess.PIPE
        )
    text = (tmp_path / "report.txt").read_bytes().decode("cp1252")
    assert result.returncode in (0, 1), result.stderr
    assert b"Traceback" not in result.stderr and "rows:" in text


def test_check_json_is_utf8_whatever_the_console_code_page(tmp_path: Path) -> None:
    import json

    folder = tmp_path / "リスト"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / "liste.csv")
    result = run_greetcard("check", str(folder / "liste.csv"), "--json", env={"PYTHONIOENCODING": "cp1252"})
    assert b"Traceback" not in result.stderr
    document = json.loads(result.stdout.decode("utf-8"))
    assert document["rows"] > 0 and "リスト" in document["recipients"]


def test_eps_embedded_in_an_svg_as_png_is_refused_without_running_ghostscript(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64

    from greetcard.artwork import prepare_artwork

    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n{ } loop\n%%EOF\n"
    art = tmp_path / "front.svg"
    art.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="106mm" '
        'height="154mm" viewBox="0 0 106 154"><rect width="106" height="154" fill="#ffffff"/>'
        f'<image xlink:href="data:image/png;base64,{base64.b64encode(eps).decode()}" width="10" height="10"/>'
        "</svg>",
        encoding="utf-8",
    )
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: pytest.fail("a subprocess was started"))
    monkeypatch.setattr(subprocess, "check_call", lambda *a, **k: pytest.fail("a subprocess was started"))
    with pytest.raises(TemplateError, match=r"embedded <image>.*cannot be read"):
        prepare_artwork(art, (100, 148), 3)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"), blacklist_characters="'")
    )
)
def test_manifest_formula_guard_is_undone_when_read_back(text: str) -> None:
    """What excel_safe guards, unguarded gives back: links and names survive the manifest exactly."""
    from greetcard.output import excel_safe, unguarded

    assert unguarded(excel_safe(text)) == text
