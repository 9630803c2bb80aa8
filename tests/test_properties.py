"""Properties over generated rows, and a golden image of the default card."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageStat

from greetcard.assets import bundled_template
from greetcard.cards import CardBuilder, RowRefused
from greetcard.recipients import Recipient, RecipientList
from greetcard.render import CardRenderer
from greetcard.template import load_template

from .conftest import ROOT, SAMPLE, decode_qr_codes, page_text, squeeze

GOLDEN = ROOT / "tests" / "golden"
#: Set to 1 to rewrite the golden images after a deliberate change of the design; never leave it on.
REGENERATE = os.environ.get("GREETCARD_REGENERATE_GOLDENS") == "1"


@pytest.fixture(scope="module")
def builder_and_renderer() -> tuple[CardBuilder, CardRenderer]:
    template = load_template(bundled_template())
    columns = ["id", "company", "contact", "salutation", "language"]
    recipients = RecipientList(path=Path("generated.csv"), columns=columns)
    return CardBuilder(template, recipients, "https://www.neujahrsgross-japan.de/?r={id}"), CardRenderer(
        template, template.profile("print")
    )


text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x2FF),
        st.characters(min_codepoint=0x3040, max_codepoint=0x30FF),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from(list("㈱①髙﨑〜・「」。、 „“–")),
        st.characters(min_codepoint=0x1F300, max_codepoint=0x1F5FF),
    ),
    min_size=1,
    max_size=140,
).filter(lambda s: s.strip() != "")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(company=text, contact=st.one_of(st.just(""), text), language=st.sampled_from(["de", "ja", "en"]))
def test_any_row_becomes_a_scannable_card_or_a_located_refusal(
    builder_and_renderer: tuple[CardBuilder, CardRenderer], company: str, contact: str, language: str
) -> None:
    builder, renderer = builder_and_renderer
    company, contact = company.strip(), contact.strip()
    recipient = Recipient(
        values={"id": "X1", "company": company, "contact": contact, "salutation": "", "language": language},
        line=7,
        row_number=6,
    )
    try:
        card = builder.build(recipient)
    except RowRefused as refusal:
        assert refusal.location.line == 7
        assert str(refusal).startswith("generated.csv:7")
        assert " — " in refusal.message  # every refusal says how to fix it
        return
    pdf = renderer.render([card])
    assert squeeze(company) in squeeze(page_text(pdf))
    assert decode_qr_codes(pdf, dpi=150) == [["https://www.neujahrsgross-japan.de/?r=X1"]]


@pytest.mark.parametrize("row_id", ["JP002", "JP010"])
def test_default_card_looks_as_designed(tmp_path: Path, row_id: str) -> None:
    """Compare the rendered card with a reviewed golden image (regenerate deliberately only)."""
    from click.testing import CliRunner

    from greetcard.cli import main

    png = tmp_path / "card.png"
    result = CliRunner().invoke(main, ["preview", str(SAMPLE), "--id", row_id, "--dpi", "72", "-o", str(png)])
    assert result.exit_code == 0, result.output
    golden = GOLDEN / f"nengajo-{row_id}.png"
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_bytes(png.read_bytes())
    actual = Image.open(png).convert("RGB")
    expected = Image.open(golden).convert("RGB")
    assert actual.size == expected.size
    difference = ImageChops.difference(actual, expected).convert("L")
    assert max(ImageStat.Stat(difference).mean) < 1.5  # anti-aliasing may differ; layout may not
    changed = sum(difference.histogram()[65:])
    assert changed < actual.width * actual.height * 0.002, f"{changed} pixels differ from {golden.name}"
