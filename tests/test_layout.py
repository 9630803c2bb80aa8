"""Text fitting: wrapping, Japanese line breaking, shrinking, refusing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from greetcard.assets import assets_folder
from greetcard.fonts import FontChain, load_font
from greetcard.layout import (
    NO_LINE_START,
    MissingGlyphs,
    TextDoesNotFit,
    fit_text,
    link_segments,
    segments_of,
)
from greetcard.template import BLACK, Box, TextField

FONTS = assets_folder() / "fonts"


@pytest.fixture(scope="module")
def chain() -> FontChain:
    return FontChain((load_font(FONTS / "NotoSansJP-Regular.ttf", "sans"),))


def field(width_mm: float = 40, height_mm: float = 20, size: float = 12, minimum: float = 6) -> TextField:
    return TextField(
        name="recipient",
        box=Box(0, 0, width_mm, height_mm),
        fonts=("sans",),
        size_pt=size,
        min_size_pt=minimum,
        leading=1.25,
        align="left",
        valign="top",
        color=BLACK,
        text={"default": ""},
    )


def test_short_text_keeps_full_size(chain: FontChain) -> None:
    fitted = fit_text("Müller GmbH", field(), chain)
    assert (fitted.size_pt, len(fitted.lines), fitted.shrunk) == (12, 1, False)


def test_long_text_wraps_then_shrinks_and_stays_inside_the_box(chain: FontChain) -> None:
    name = (
        "Nippon Süßwaren Vertriebsgesellschaft für Groß- und Einzelhandel in Deutschland, "
        "Österreich und der Schweiz mbH & Co. KG"
    )
    assert len(name) == 120
    box = field(width_mm=84, height_mm=19)
    fitted = fit_text(name, box, chain)
    assert fitted.shrunk and fitted.size_pt >= box.min_size_pt
    assert fitted.text.replace("\n", " ") == name
    width_pt = 84 / 25.4 * 72
    assert all(line.width_pt <= width_pt + 1e-6 for line in fitted.lines)


def test_no_closing_punctuation_at_line_start(chain: FontChain) -> None:
    text = (
        "旧年中は格別のご厚誼を賜り、誠にありがとうございました。本年もよろしくお願い申し上げます。「未来」へ"
    )
    for width in (20, 23, 27, 31, 37, 41):
        fitted = fit_text(text, field(width_mm=width, height_mm=200, size=10, minimum=10), chain)
        assert len(fitted.lines) > 1
        for line in fitted.lines[1:]:
            assert line.text[0] not in NO_LINE_START, (width, line.text)
        for line in fitted.lines[:-1]:
            assert line.text[-1] not in "「『（", (width, line.text)
        assert "".join(line.text for line in fitted.lines) == text


def test_cjk_breaks_between_characters_latin_only_at_spaces() -> None:
    assert segments_of("株式会社ABC") == ["株", "式", "会", "社", "ABC"]
    assert segments_of("Alpha Beta") == ["Alpha", " ", "Beta"]
    assert segments_of("ご覧ください。") == ["ご", "覧", "く", "だ", "さ", "い。"]


def test_text_that_cannot_fit_is_refused_not_clipped(chain: FontChain) -> None:
    with pytest.raises(TextDoesNotFit, match=r"text needs \d+ lines in field 'recipient' \(40 × 8 mm\)"):
        fit_text(
            "Eins Zwei Drei Vier Fünf Sechs Sieben Acht Neun Zehn Elf Zwölf " * 3,
            field(height_mm=8, minimum=9),
            chain,
        )


def test_a_word_wider_than_the_box_is_refused(chain: FontChain) -> None:
    with pytest.raises(TextDoesNotFit, match="a word is wider than field 'recipient'"):
        fit_text("Donaudampfschifffahrtsgesellschaftskapitänsmütze", field(width_mm=20, minimum=10), chain)


def test_missing_glyphs_are_named(chain: FontChain) -> None:
    with pytest.raises(MissingGlyphs) as error:
        fit_text("Firma \U0001f600 ≒", field(), chain)
    assert error.value.characters == ["\U0001f600", "≒"]


def test_fallback_font_supplies_missing_glyphs() -> None:
    sans = load_font(FONTS / "NotoSansJP-Regular.ttf", "sans")
    mincho = load_font(FONTS / "BIZUDPMincho-Regular.ttf", "mincho")
    fitted = fit_text("A≒B", field(), FontChain((sans, mincho)))
    faces = [run.face.key for run in fitted.lines[0].runs]
    assert faces == ["sans", "mincho", "sans"]


def test_max_lines_is_respected(chain: FontChain) -> None:
    address = replace(field(height_mm=80), max_lines=2, kind="address")
    with pytest.raises(TextDoesNotFit):
        fit_text("a\nb\nc", address, chain)
    assert len(fit_text("a\n\nb", address, chain).lines) == 2  # blank lines dropped in addresses


def test_space_separated_japanese_units_break_at_spaces_first(chain: FontChain) -> None:
    name = "日本精密機械工業株式会社 欧州統括本部 ドイツ支店 産業機器営業部 第一課 御中"
    units = name.split(" ")
    fitted = fit_text(name, field(width_mm=84, height_mm=19, size=12, minimum=7), chain)
    assert len(fitted.lines) == 2 and not fitted.shrunk
    for line in fitted.lines:
        assert all(unit in units for unit in line.text.split(" ")), line.text
    assert " ".join(line.text for line in fitted.lines) == name


def test_unspaced_japanese_still_breaks_between_characters(chain: FontChain) -> None:
    name = "日本精密機械工業株式会社欧州統括本部ドイツ支店産業機器営業部第一課"
    fitted = fit_text(name, field(width_mm=40, height_mm=30, size=12, minimum=12), chain)
    assert len(fitted.lines) > 1 and "".join(line.text for line in fitted.lines) == name


@pytest.mark.parametrize(
    "link",
    [
        "www.neujahrsgross-japan.de/?r=NEUJAHR-2027-0001&lang=de",
        "www.neujahrsgross-japan.de/grusse/video/?r=JP-7",
    ],
)
@pytest.mark.parametrize("width_mm", [20, 35, 51, 80])
def test_printed_link_never_breaks_inside_the_host_or_at_a_hyphen(
    chain: FontChain, link: str, width_mm: float
) -> None:
    try:
        fitted = fit_text(link, field(width_mm, 12, 9, 4), chain, links=(link,))
    except TextDoesNotFit:
        assert width_mm == 20  # the host alone is wider than 20 mm at 4 pt: refused, never broken
        return
    lines = [line.text for line in fitted.lines]
    assert "".join(lines) == link  # nothing added at a break, nothing lost
    assert lines[0].startswith("www.neujahrsgross-japan.de")
    for line in lines[1:]:
        assert line[0] in "/?&", lines


def test_link_segments_keep_the_host_whole() -> None:
    assert link_segments("https://www.a-b.de/x-y/?r=1-2&l=de") == [
        "https://www.a-b.de",
        "/x-y",
        "/",
        "?r=1-2",
        "&l=de",
    ]
    assert link_segments("www.a-b.de/") == ["www.a-b.de/"]
