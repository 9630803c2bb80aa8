"""Scan margin: each code layout degraded as phones and paper degrade it, and still decoded."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from greetcard.assets import bundled_template
from greetcard.margin import CONDITIONS, REQUIRED, Condition, decodes, degrade, template_margin
from greetcard.qr import place_symbol
from greetcard.template import QrSpec, load_template

from .conftest import SAMPLE, page_text

PER_RECIPIENT = [f"https://www.neujahrsgross-japan.de/?r=JP{number:03d}" for number in range(1, 651)]


@pytest.mark.parametrize("name", ["nengajo", "lang"])
def test_default_templates_decode_at_100_dpi_with_blur(name: str) -> None:
    template = load_template(bundled_template(name))
    for links in (["https://www.neujahrsgross-japan.de/"], PER_RECIPIENT):
        report = template_margin(template, links)
        assert report.ok, report.lines()
        passed = report.layouts[0].passed
        assert REQUIRED in passed and "100 dpi" in passed and "150 dpi, 30° tilt" in passed
        assert report.advice == []


def test_raised_level_survives_heavy_blur_better_than_m() -> None:
    """The measurement behind raising the level: same version, same modules, more repair."""
    heavy = Condition("100 dpi, blur 0.35 mm", 100, blur_mm=0.35)
    spec = QrSpec(35, 89, 30)
    decoded = {}
    for level in ("M", "Q"):
        fixed = replace(spec, error_correction=level, error_correction_fixed=True)
        placements = [place_symbol(link, fixed) for link in PER_RECIPIENT[:30]]
        assert {p.version for p in placements} == {4}
        decoded[level] = sum(decodes(degrade(p, heavy), p.link) for p in placements)
    assert decoded["Q"] >= decoded["M"] + 10


def test_a_small_code_is_reported_close_to_the_limit_with_what_to_change() -> None:
    template = load_template(bundled_template())
    page = template.pages[0]
    assert page.qr is not None

    def with_box(size_mm: float) -> Any:
        qr = replace(page.qr, size_mm=size_mm, min_module_mm=0.2)
        return replace(template, pages=(replace(page, qr=qr),))

    close = template_margin(with_box(19), PER_RECIPIENT[:40])
    assert close.ok
    (advice,) = close.advice
    assert "close to the limit" in advice and "make the QR box 24 mm (now 19)" in advice
    assert "shorten the link to 32 bytes" in advice and 'error_correction = "L"' in advice
    too_small = template_margin(with_box(14), PER_RECIPIENT[:40])
    assert not too_small.ok
    assert any(f"must decode at '{REQUIRED}'" in line for line in too_small.lines())


def test_conditions_degrade_in_the_stated_way() -> None:
    placement = place_symbol(PER_RECIPIENT[0], QrSpec(35, 89, 30))
    sharp = degrade(placement, CONDITIONS[0])
    assert sharp.width == pytest.approx((30 * 300 / 25.4) * (1 + 2 / 6), abs=3)
    cream = degrade(placement, Condition("c", 150, paper_grey=215, ink_grey=95))
    low, high = cream.getextrema()
    assert low >= 95 and high <= 215


def test_verify_margin_and_proof_show_the_report(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "cards"
    assert run_cli("render", SAMPLE, "--out", out, "-q").exit_code == 0
    result = run_cli("verify", out, "--margin", "--json")
    assert result.exit_code == 0, result.output
    (margin,) = json.loads(result.stdout)["margin"]
    assert margin["ok"] and margin["required"] == REQUIRED and margin["worst_condition_passed"]
    proof = tmp_path / "proof.pdf"
    assert run_cli("proof", SAMPLE, "-o", proof).exit_code == 0
    assert "scan margin of 'Nengajō 2027'" in page_text(proof)
