"""Links and QR symbols: safe filling, sizes a phone can read, round trip through a decoder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from greetcard.errors import LinkError
from greetcard.qr import (
    LinkPattern,
    ModulesTooSmall,
    check_link,
    make_symbol,
    place_symbol,
    smallest_version,
)
from greetcard.template import QrSpec


def symbol_image(link: str, level: str = "M", scale: int = 6) -> Image.Image:
    symbol = make_symbol(link, level)
    size = (symbol.size + 8) * scale
    image = Image.new("L", (size, size), 255)
    for row, column, length in symbol.dark_runs():
        for x in range(column, column + length):
            image.paste(0, ((x + 4) * scale, (row + 4) * scale, (x + 5) * scale, (row + 5) * scale))
    return image


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_matrix_decodes_to_the_link(level: str) -> None:
    link = "https://www.neujahrsgross-japan.de/?r=%E6%A0%AA0042"
    results = zxingcpp.read_barcodes(symbol_image(link, level))
    assert [r.text for r in results] == [link]


def test_placeholders_are_percent_encoded_and_cannot_change_the_host() -> None:
    pattern = LinkPattern.parse("https://example.org/v?r={id}&c={company}", {"id", "company"})
    link = pattern.fill({"id": "../x?y=1#z", "company": "株式会社 A&B"})
    assert link == "https://example.org/v?r=..%2Fx%3Fy%3D1%23z&c=%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE%20A%26B"


@pytest.mark.parametrize(
    "pattern",
    [
        "https://{id}.example.org/",
        "ftp://example.org/",
        "javascript:alert(1)",
        "example.org",
        "https://example.org/{id!r}",
        "https://example.org/{0}",
    ],
)
def test_unsafe_or_invalid_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(LinkError):
        LinkPattern.parse(pattern, {"id"})


def test_unknown_placeholder_names_the_columns() -> None:
    with pytest.raises(LinkError, match=r"uses \{kunde\}, but the list has no column 'kunde'"):
        LinkPattern.parse("https://example.org/?k={kunde}", {"id", "company"})


def test_check_link_accepts_http_and_https_only() -> None:
    assert check_link("http://a.example/") == "http://a.example/"
    with pytest.raises(LinkError):
        check_link("file:///etc/passwd")


def test_small_modules_are_refused_with_the_fix() -> None:
    long_link = "https://www.neujahrsgross-japan.de/" + "x" * 150
    with pytest.raises(ModulesTooSmall) as error:
        place_symbol(long_link, QrSpec(0, 0, 25, "H"))
    message = str(error.value)
    assert "below the 0.4 mm a phone needs" in message
    assert "make the QR box at least" in message and 'error_correction = "Q"' in message


def test_default_link_in_default_box_has_large_modules() -> None:
    placement = place_symbol("https://www.neujahrsgross-japan.de/", QrSpec(35, 89, 30, "M"))
    assert placement.module_mm >= 0.7
    assert placement.symbol().size == placement.modules


def test_fast_matrix_is_exactly_the_symbol_qrcode_makes() -> None:
    """greetcard.qrencode must choose qrcode's mask and set qrcode's modules, bit for bit."""
    import random

    import qrcode

    from greetcard import qrencode
    from greetcard.qr import _LEVELS, smallest_version

    rng = random.Random(8)
    links = [f"https://www.neujahrsgross-japan.de/?r=R{n:04d}" for n in range(0, 900, 97)]
    links += ["https://x.de/?n=" + "1234567890" * 3]  # a long digit run: qrcode's numeric chunk
    links += [
        "https://x.de/" + "".join(rng.choice("abcXYZ0123456789-_/%.") for _ in range(rng.randint(1, 400)))
        for _ in range(12)
    ]
    for index, link in enumerate(links):
        level = "LMQH"[index % 4]
        code = qrcode.QRCode(error_correction=_LEVELS[level], border=0, box_size=1)
        code.add_data(link.encode())
        code.make(fit=True)
        expected = tuple("".join("1" if dark else "0" for dark in row) for row in code.get_matrix())
        version = smallest_version(link, level)
        assert version == code.version
        mask, rows = qrencode.encode(link.encode(), version, _LEVELS[level])
        assert (mask, rows) == (code.mask_pattern if code.mask_pattern is not None else mask, expected), (
            link,
            level,
        )
    assert max(smallest_version(link, "H") for link in links) >= 7  # version information exercised


def test_error_correction_is_raised_while_the_code_keeps_its_size() -> None:
    per_recipient = "https://www.neujahrsgross-japan.de/?r=JP001-AB"  # 46 bytes: version 4 at M and at Q
    assert len(per_recipient) == 46
    placement = place_symbol(per_recipient, QrSpec(35, 89, 30))
    assert (placement.version, placement.error_correction) == (4, "Q")
    assert placement.symbol().error_correction == "Q" and placement.symbol().version == 4
    for link in ("https://a.example/", "https://www.neujahrsgross-japan.de/", per_recipient + "CDE"):
        placed = place_symbol(link, QrSpec(35, 89, 30))
        levels = "LMQH"
        assert smallest_version(link, placed.error_correction) == smallest_version(link, "M")
        higher = levels[levels.index(placed.error_correction) + 1 :]
        assert all(smallest_version(link, level) > placed.version for level in higher[:1])


def test_a_level_the_template_sets_is_kept() -> None:
    fixed = QrSpec(35, 89, 30, "M", error_correction_fixed=True)
    assert place_symbol("https://a.example/", fixed).error_correction == "M"


def test_rendered_codes_carry_the_raised_level(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    import pypdfium2 as pdfium
    import zxingcpp

    listed = tmp_path / "list.csv"
    listed.write_text("id;company\nJP001-AB;Alpha GmbH\n", encoding="utf-8")
    url = "https://www.neujahrsgross-japan.de/?r={id}"
    assert run_cli("render", listed, "--out", tmp_path / "out", "--url", url, "-q").exit_code == 0
    document = pdfium.PdfDocument(str(next((tmp_path / "out").glob("*.pdf"))))
    image = document[0].render(scale=200 / 72).to_pil()
    document.close()
    (result,) = zxingcpp.read_barcodes(image)
    assert result.text.endswith("?r=JP001-AB") and result.ec_level == "Q"
