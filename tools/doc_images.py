"""Regenerate the images in docs/images/ from the bundled sample (run from the project root)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
from click.testing import CliRunner

from greetcard.assets import bundled_template
from greetcard.cli import main

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"


def run(*args: str) -> None:
    result = CliRunner().invoke(main, list(args))
    if result.exit_code != 0:
        sys.exit(result.output)


def pdf_to_png(pdf: Path, png: Path, dpi: int) -> None:
    document = pdfium.PdfDocument(str(pdf))
    document[0].render(scale=dpi / 72).to_pil().convert("RGB").save(png, optimize=True)
    document.close()


def main_images() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    sample = str(ROOT / "recipients.csv")
    for profile in ("print-marks", "screen"):
        run(
            "preview",
            sample,
            "--id",
            "JP002",
            "--profile",
            profile,
            "--dpi",
            "100",
            "-o",
            str(IMAGES / f"nengajo-{profile}.png"),
        )
    run(
        "preview",
        sample,
        "--id",
        "JP010",
        "--guides",
        "--dpi",
        "100",
        "-o",
        str(IMAGES / "nengajo-guides.png"),
    )
    run(
        "preview",
        sample,
        "--id",
        "JP002",
        "--template",
        str(bundled_template("lang")),
        "--dpi",
        "80",
        "-o",
        str(IMAGES / "lang.png"),
    )
    tategaki_images(sample)
    with tempfile.TemporaryDirectory() as folder:
        proof = Path(folder) / "proof.pdf"
        run("proof", sample, "-o", str(proof))
        pdf_to_png(proof, IMAGES / "proof.png", 50)


def tategaki_images(sample: str) -> None:
    """The third template (imported from an SVG with placeholders): a Japanese and a German card."""
    for row_id, name, extra in (
        ("JP002", "tategaki-ja.png", ()),
        ("JP007", "tategaki-de-guides.png", ("--guides",)),
    ):
        run(
            "preview",
            sample,
            "--id",
            row_id,
            "--template",
            str(bundled_template("tategaki")),
            "--dpi",
            "100",
            *extra,
            "-o",
            str(IMAGES / name),
        )


if __name__ == "__main__":
    main_images()
