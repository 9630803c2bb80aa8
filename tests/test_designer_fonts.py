"""Fonts as agencies license them: CFF .otf, variable fonts, .ttc collections, embedding rules, tracking."""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from greetcard.errors import TemplateError
from greetcard.fontprep import FontRequest, prepared_path
from greetcard.fonts import load_font, load_font_spec
from greetcard.template import FontSpec, load_template

from . import fontmaker
from .conftest import embedded_fonts, page_text, read_manifest, squeeze, write_csv


@pytest.fixture(autouse=True)
def font_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("font-cache")
    monkeypatch.setenv("GREETCARD_CACHE", str(folder))
    yield folder


def font_template(
    folder: Path, font: Path | str, choice: str = "", text: str = "{{ company }}", extra: str = ""
) -> Path:
    """A one-field card whose field uses ``font`` (copied into the folder) first, bundled Noto second."""
    folder.mkdir(exist_ok=True)
    if isinstance(font, Path):
        shutil.copy(font, folder / font.name)
    font_table = f'file = "{font.name if isinstance(font, Path) else font}"\n{choice}'

    (folder / "template.toml").write_text(
        f"""
link = "https://example.org/"
[card]
width_mm = 100
height_mm = 148
[fonts.test]
{font_table}
[fonts.sans]
file = "NotoSansJP-Regular.ttf"
[[pages]]
[pages.qr]
box_mm = [35, 95, 30]
[pages.fields.name]
box_mm = [10, 20, 80, 30]
fonts = ["test", "sans"]
size_pt = 24
min_size_pt = 6
{extra}
text = "{text}"
""",
        encoding="utf-8",
    )
    return folder


def render(tmp_path: Path, run_cli: Callable[..., Any], template: Path, companies: list[str]) -> bytes:
    rows = [[f"R{index}", company, "", "", "de"] for index, company in enumerate(companies, start=1)]
    recipients = write_csv(tmp_path / "list.csv", rows)
    out = tmp_path / "out"
    result = run_cli("render", recipients, "--template", template, "--out", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    return (out / read_manifest(out)[0]["file"]).read_bytes()


def embedded_font_programs(pdf: bytes) -> list[TTFont]:
    """Every embedded TrueType program (FontFile2) on the first page, parsed by fontTools."""
    reader = PdfReader(io.BytesIO(pdf))
    programs = []
    for font in (reader.pages[0]["/Resources"].get_object().get("/Font") or {}).values():
        font = font.get_object()
        target = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = target["/FontDescriptor"].get_object()
        if "/FontFile2" in descriptor:
            programs.append(TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data())))
    return programs


def test_cff_otf_font_renders_with_its_glyphs_embedded(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    otf = fontmaker.cff_otf(tmp_path / "TestCFF-Regular.otf")
    assert otf.read_bytes()[:4] == b"OTTO"
    template = font_template(tmp_path / "t", otf)
    pdf = render(tmp_path, run_cli, template, ["Hafen Logistik GmbH"])
    assert "HafenLogistikGmbH" in squeeze(page_text(pdf))
    fonts = embedded_fonts(pdf)
    cff_fonts = [font for font in fonts if font["name"].endswith("+Test-CFF")]
    assert cff_fonts and all(font["embedded"] and font["truetype"] for font in cff_fonts)
    # The converted outlines are the CFF outlines: same advance widths as the source font.
    source = TTFont(str(otf))
    face = load_font_spec(FontSpec("test", otf))
    for char in "HafenLogistk":
        assert face.widths_per_mille[ord(char)] == pytest.approx(
            source["hmtx"][source.getBestCmap()[ord(char)]][0] * 1000 / source["head"].unitsPerEm, abs=0.5
        )


def test_cff_conversion_happens_once_and_is_cached_by_file_hash(tmp_path: Path, font_cache: Path) -> None:
    otf = fontmaker.cff_otf(tmp_path / "Cached.otf", text="ABC")
    started = time.perf_counter()
    first = prepared_path(FontRequest(otf))
    converting = time.perf_counter() - started
    stamp = first.stat().st_mtime_ns
    started = time.perf_counter()
    second = prepared_path(FontRequest(otf))
    cached = time.perf_counter() - started
    assert first == second and second.stat().st_mtime_ns == stamp
    assert first.parent == font_cache / "fonts"
    assert cached < converting
    assert TTFont(str(first)).sfntVersion == "\x00\x01\x00\x00" and "glyf" in TTFont(str(first))


def _stem_width(pdf: bytes) -> int:
    """The widest glyph (other than .notdef) in the embedded subsets: the variable font's I stem."""
    widths = []
    for program in embedded_font_programs(pdf):
        glyf = program["glyf"]
        for name in program.getGlyphOrder()[1:]:
            glyph = glyf[name]
            if glyph.numberOfContours > 0:
                widths.append(glyph.xMax - glyph.xMin)
    return max(widths)


@pytest.mark.parametrize(
    ("choice", "stem"),
    [("", 80), ("weight = 700", 320), ('instance = "Bold"', 320), ("axes = { wght = 900 }", 480)],
)
def test_variable_font_renders_at_the_chosen_weight(
    tmp_path: Path, run_cli: Callable[..., Any], choice: str, stem: int
) -> None:
    font = fontmaker.variable_ttf(tmp_path / "TestVar.ttf")
    template = font_template(tmp_path / "t", font, choice, text="III")
    pdf = render(tmp_path, run_cli, template, ["x"])
    assert _stem_width(pdf) == stem


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ('instance = "Black"', "no named instance 'Black' (the font has: Regular, Bold)"),
        ("weight = 950", "wght = 950 is outside the font's range 100–900"),
        ("axes = { wdth = 90 }", "the font has no axis 'wdth' (its axes: wght)"),
    ],
)
def test_variable_font_choices_are_checked_against_the_font(
    tmp_path: Path, choice: str, message: str
) -> None:
    font = fontmaker.variable_ttf(tmp_path / "TestVar.ttf")
    template = font_template(tmp_path / "t", font, choice, text="III")
    with pytest.raises(TemplateError, match=r"template\.toml:\d+: fonts\.test") as error:
        load_template(template)
    assert message in str(error.value)


def test_ttc_collection_face_by_index(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    ttc = fontmaker.collection(tmp_path / "Pair.ttc")
    bold = load_font(fontmaker.NOTO_BOLD)
    regular = load_font(fontmaker.NOTO_REGULAR)
    face1 = load_font_spec(FontSpec("b", ttc, face_index=1))
    face0 = load_font_spec(FontSpec("r", ttc, face_index=0))
    assert face1.widths_per_mille[ord("a")] == bold.widths_per_mille[ord("a")]
    assert face0.widths_per_mille[ord("a")] == regular.widths_per_mille[ord("a")]
    assert bold.widths_per_mille[ord("a")] != regular.widths_per_mille[ord("a")]
    template = font_template(tmp_path / "t", ttc, "face = 1")
    pdf = render(tmp_path, run_cli, template, ["Hafen Logistik"])
    assert "Hafen Logistik" in page_text(pdf)
    with pytest.raises(TemplateError, match="the collection has 2 faces"):
        load_template(font_template(tmp_path / "t2", ttc, "face = 2"))


@pytest.mark.parametrize(
    ("fs_type", "allowed"), [(0x0002, False), (0x0200, False), (0x0004, True), (0, True)]
)
def test_font_whose_licence_forbids_embedding_is_refused(tmp_path: Path, fs_type: int, allowed: bool) -> None:
    font = fontmaker.subset_ttf(fontmaker.NOTO_REGULAR, "ABC", tmp_path / "Locked.ttf", fs_type=fs_type)
    template = font_template(tmp_path / "t", font)
    if allowed:
        load_template(template)
        return
    with pytest.raises(
        TemplateError, match=r"template\.toml:\d+: fonts\.test\.file: Locked\.ttf: its licence"
    ):
        load_template(template)


def test_tracking_widens_the_line_by_the_given_em_fraction(tmp_path: Path) -> None:
    from dataclasses import replace

    from greetcard.fonts import FontChain
    from greetcard.layout import fit_text, place_lines

    template = load_template(font_template(tmp_path / "t", "NotoSansJP-Regular.ttf"))
    field = template.pages[0].fields[0]
    chain = FontChain((load_font_spec(template.fonts["test"]),))
    plain = fit_text("HAFEN", field, chain)
    tracked_field = replace(field, tracking=100)
    tracked = fit_text("HAFEN", tracked_field, chain)
    extra_mm = place_lines(tracked)[0].width_mm - place_lines(plain)[0].width_mm
    # 100/1000 em at 24 pt between five letters: four gaps (the last letter gets no trailing space).
    assert extra_mm == pytest.approx(4 * 2.4 * 25.4 / 72, abs=0.01)


def test_tracking_is_drawn_as_character_spacing(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    template = font_template(tmp_path / "t", "NotoSansJP-Regular.ttf", extra="tracking = 120")
    pdf = render(tmp_path, run_cli, template, ["HAFEN"])
    content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data()
    assert b"2.88 Tc" in content  # 120/1000 em at 24 pt
