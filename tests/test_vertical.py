"""Vertical Japanese text (縦書き): vertical glyph forms, columns right to left, kinsoku, fitting."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from greetcard.fonts import FontChain, load_font
from greetcard.layout import NO_LINE_END, NO_LINE_START, MissingGlyphs, TextDoesNotFit
from greetcard.template import Box, Color, TextField
from greetcard.vertical import fit_vertical, place_glyphs, vertical_substitutions

from .conftest import read_manifest, write_csv

NOTO = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "NotoSansJP-Regular.ttf"
MINCHO = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "BIZUDPMincho-Regular.ttf"
MARKS = "、。ー「」（）"


def vertical_field(
    width: float = 30, height: float = 60, size: float = 14, minimum: float | None = None
) -> TextField:
    return TextField(
        name="v",
        box=Box(10, 10, width, height),
        fonts=("sans",),
        size_pt=size,
        min_size_pt=minimum if minimum is not None else size,
        leading=1.25,
        align="right",
        valign="top",
        color=Color(cmyk=(0, 0, 0, 1)),
        text={"default": ""},
        direction="vertical",
    )


def chain() -> FontChain:
    return FontChain((load_font(NOTO, "sans"),))


def vertical_template(
    folder: Path, text: str, latin: str = "rotated", font: str = "NotoSansJP-Regular.ttf"
) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "template.toml").write_text(
        f"""
link = "https://example.org/"
[card]
width_mm = 100
height_mm = 148
[fonts.jp]
file = "{font}"
[[pages]]
[pages.qr]
box_mm = [10, 105, 30]
[pages.fields.v]
box_mm = [50, 10, 40, 90]
fonts = ["jp"]
size_pt = 18
min_size_pt = 9
direction = "vertical"
vertical_latin = "{latin}"
text = "{text}"
""",
        encoding="utf-8",
    )
    return folder


def render(tmp_path: Path, run_cli: Callable[..., Any], template: Path) -> bytes:
    recipients = write_csv(tmp_path / "list.csv", [["R1", "株式会社ミナト精機", "", "", "ja"]])
    out = tmp_path / "out"
    result = run_cli("render", recipients, "--template", template, "--out", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    return (out / read_manifest(out)[0]["file"]).read_bytes()


def outline(font: Any, glyph_name: str) -> tuple[Any, ...]:
    glyph = font["glyf"][glyph_name]
    coordinates, _, _ = glyph.getCoordinates(font["glyf"])
    return tuple(tuple(point) for point in coordinates)


def embedded_outlines(pdf: bytes) -> set[tuple[Any, ...]]:
    reader = PdfReader(io.BytesIO(pdf))
    shapes: set[tuple[Any, ...]] = set()
    for font in (reader.pages[0]["/Resources"].get_object().get("/Font") or {}).values():
        font = font.get_object()
        target = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = target["/FontDescriptor"].get_object()
        if "/FontFile2" in descriptor:
            program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
            for name in program.getGlyphOrder()[1:]:
                shapes.add(outline(program, name))
    return shapes


@pytest.mark.parametrize("font_file", [NOTO, MINCHO], ids=["noto-sans", "biz-mincho"])
def test_punctuation_and_long_vowel_take_their_vertical_glyphs(
    tmp_path: Path, run_cli: Callable[..., Any], font_file: Path
) -> None:
    pdf = render(
        tmp_path,
        run_cli,
        vertical_template(tmp_path / "t", "「コーヒー」、ありがとう。（株）", font=font_file.name),
    )
    source = TTFont(str(font_file))
    cmap = source.getBestCmap()
    vertical = vertical_substitutions(font_file)
    shapes = embedded_outlines(pdf)
    for mark in "、。ー「」（）":
        assert ord(mark) in vertical, mark
        upright, sideways = outline(source, vertical[ord(mark)]), outline(source, cmap[ord(mark)])
        assert upright != sideways
        assert upright in shapes, f"{mark}: the vertical form is not embedded"
        assert sideways not in shapes, f"{mark}: the horizontal form was drawn"


def test_columns_run_right_to_left_and_top_to_bottom() -> None:
    fitted = fit_vertical("謹賀新年\n令和九年", vertical_field(), chain())
    placed = [glyphs for glyphs in place_glyphs(fitted) if glyphs.text.strip()]
    first, second = placed[:4], placed[4:]
    assert [g.text for g in first] == list("謹賀新年")
    assert all(a.y_mm < b.y_mm for a, b in itertools.pairwise(first))
    assert all(g.x_mm > h.x_mm for g, h in zip(first, second, strict=True))  # second column to the left
    assert max(g.ink_right_mm for g in first) == pytest.approx(
        40
    )  # the first column starts at the right edge


def test_latin_digits_rotated_or_upright_as_chosen(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    rotated = render(tmp_path / "r", run_cli, vertical_template(tmp_path / "r", "令和9年 2027年", "rotated"))
    upright = render(tmp_path / "u", run_cli, vertical_template(tmp_path / "u", "令和9年 2027年", "upright"))

    def matrices(pdf: bytes) -> list[str]:
        content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")
        return re.findall(r"0 -1 1 0 [\d.]+ [\d.]+ Tm", content)

    assert len(matrices(rotated)) == 2  # "9" and "2027", each one rotated run
    assert matrices(upright) == []


alphabet = st.sampled_from(list("あいうえおかきくけこ漢字新年賀謹") + list(MARKS) + list("っゃ…・！？『』"))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet, min_size=1, max_size=60), st.floats(min_value=20, max_value=80))
def test_no_column_breaks_a_kinsoku_rule(text: str, height: float) -> None:
    field = vertical_field(width=80, height=height, size=12, minimum=6)
    try:
        fitted = fit_vertical(text, field, chain())
    except TextDoesNotFit:
        return
    columns = [column.text for column in fitted.lines]
    assert "".join(columns) == text
    for index, column in enumerate(columns):
        if index > 0:
            assert column[0] not in NO_LINE_START, columns
        if index < len(columns) - 1:
            assert column[-1] not in NO_LINE_END, columns
    for glyphs in place_glyphs(fitted):
        assert glyphs.ink_bottom_mm <= field.box.bottom_mm + 1e-6
        assert glyphs.ink_left_mm >= field.box.x_mm - 1e-6


def test_vertical_text_shrinks_then_is_refused() -> None:
    field = vertical_field(width=8, height=30, size=14, minimum=8)
    fitted = fit_vertical("謹賀新年令和九年元旦", field, chain())
    assert fitted.shrunk and fitted.size_pt == 10 and len(fitted.lines) == 2
    with pytest.raises(TextDoesNotFit, match=r"needs \d+ columns in vertical field 'v'"):
        fit_vertical("謹賀新年令和九年元旦" * 4, field, chain())
    with pytest.raises(MissingGlyphs):
        fit_vertical("謹賀\U0001f600", field, chain())


def test_check_and_proof_treat_a_vertical_field_like_any_other(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    template = vertical_template(tmp_path / "t", "{{ company }} 御中")
    recipients = write_csv(
        tmp_path / "list.csv",
        [["R1", "株式会社ミナト精機", "", "", "ja"], ["R2", "株式会社" + "長い名前" * 80, "", "", "ja"]],
    )
    check = run_cli("check", recipients, "--template", template)
    refusal = next(line for line in check.stdout.splitlines() if "columns in vertical field 'v'" in line)
    assert "list.csv:3" in refusal and "R2" in refusal
    proof = run_cli("proof", recipients, "--template", template, "-o", tmp_path / "proof.pdf")
    assert (tmp_path / "proof.pdf").is_file(), proof.stderr
