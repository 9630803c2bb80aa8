"""Links exactly as typed: IDNA 2008 / UTS #46 hosts, readable under the QR, shown in the summary."""

from __future__ import annotations

from pathlib import Path

from greetcard.filling import link_text
from greetcard.qr import check_link, readable_host

from .conftest import decode_qr_codes, page_text


def test_fussball_de_is_encoded_with_idna_2008_not_as_fussball() -> None:
    assert check_link("https://fußball.de/") == "https://xn--fuball-cta.de/"
    assert check_link("https://Fußball.DE/tor?r=1") == "https://xn--fuball-cta.de/tor?r=1"


def test_the_printed_link_shows_the_readable_host() -> None:
    assert readable_host("xn--fuball-cta.de") == "fußball.de"
    assert link_text("https://xn--fuball-cta.de/") == "fußball.de"
    assert link_text("https://xn--fuball-cta.de:8443/xn--path?q=1") == "fußball.de:8443/xn--path?q=1"
    assert link_text("https://www.example.org/a") == "www.example.org/a"


def test_idna_card_scans_to_the_punycode_host_and_prints_the_readable_one(
    tmp_path: Path,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "list.csv"
    path.write_text("id;company\nA1;Alpha GmbH\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("render", str(path), "--out", str(out), "--url", "https://fußball.de/?r={id}")
    assert result.exit_code == 0, result.output
    pdf = next(out.glob("*.pdf"))
    assert decode_qr_codes(pdf) == [["https://xn--fuball-cta.de/?r=A1"]]
    assert "fußball.de/?r=A1" in page_text(pdf)
    assert "link: https://fußball.de/?r={id} (e.g. https://xn--fuball-cta.de/?r=A1)" in result.output


def test_check_summary_prints_the_link_pattern_and_one_example(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "list.csv"
    path.write_text("id;company\nA1;Alpha GmbH\nB2;Beta AG\n", encoding="utf-8")
    result = run_cli("check", str(path), "--url", "https://example.org/?r={id}")
    assert "link: https://example.org/?r={id} (e.g. https://example.org/?r=A1)" in result.output
