"""The Typst baseline: the same card rendered by Typst, one PDF per recipient.

greetcard lays out every card first (not timed); each card's texts, boxes,
sizes, fonts, colours and QR matrix go to Typst as JSON, so Typst draws the
same page and only its compiling and writing is timed.  One ``typst.Compiler``
is reused for all cards, Typst's fastest way to make many documents; the QR
matrices are encoded before the clock starts (Typst has no QR encoder offline),
which favours Typst.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

CARD_TYP = Path(__file__).resolve().parent / "card.typ"


def typst_available() -> str | None:
    """None when the ``typst`` package can be imported, else why not."""
    try:
        import typst  # noqa: F401
    except ImportError:
        return "Typst baseline skipped: the 'typst' package is not installed (pip install '.[bench]')"
    return None


def card_documents(list_path: Path, template: Path, url: str, limit: int | None = None) -> list[str]:
    """Each card of the list as the JSON that bench/card.typ reads, laid out by greetcard."""
    from greetcard.batch import Inputs, prepare
    from greetcard.template import Color

    prepared = prepare(Inputs(recipients=list_path, template=template, url=url))
    page = prepared.template.pages[0]
    assert page.artwork is not None
    documents = []
    for card in prepared.cards[:limit]:
        fields: list[dict[str, Any]] = []
        for fitted in card.pages[0].fields:
            field = fitted.field
            fields.append(
                {
                    "text": fitted.text,
                    "box": [field.box.x_mm, field.box.y_mm, field.box.width_mm, field.box.height_mm],
                    "size": fitted.size_pt,
                    "leading": field.leading,
                    "fonts": [_family(prepared, name) for name in field.fonts],
                    "weight": "bold" if "bold" in field.fonts[0].lower() else "regular",
                    "align": {"left": "left", "center": "center", "right": "right"}[field.align],
                    "valign": {"top": "top", "middle": "horizon", "bottom": "bottom"}[field.valign],
                    "color": list(_cmyk(field.color, Color)),
                }
            )
        qr = card.pages[0].qr
        assert qr is not None
        symbol = qr.symbol()
        rows: list[list[tuple[int, int]]] = [[] for _ in range(symbol.size)]
        for row, column, length in symbol.dark_runs():
            rows[row].append((column, length))
        documents.append(
            json.dumps(
                {
                    "width": prepared.template.width_mm,
                    "height": prepared.template.height_mm,
                    "bleed": prepared.profile.bleed_mm,
                    "artwork": str(page.artwork.name),
                    "fields": fields,
                    "qr": {
                        "x": qr.spec.x_mm,
                        "y": qr.spec.y_mm,
                        "size": qr.spec.size_mm,
                        "module": qr.module_mm,
                        "quiet": qr.spec.quiet_zone_modules,
                        "rows": rows,
                    },
                },
                ensure_ascii=False,
            )
        )
    return documents


def _family(prepared: Any, font_key: str) -> str:
    from greetcard.fonts import load_font

    spec = prepared.template.fonts[font_key]
    face = load_font(spec.path, spec.name)
    from reportlab.pdfbase import pdfmetrics

    name: bytes = pdfmetrics.getFont(face.registered_name).face.familyName
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)


def _cmyk(color: Any, color_type: Any) -> tuple[float, ...]:
    from greetcard import colour

    return tuple(colour.as_cmyk(color))


def render_with_typst(documents: list[str], template: Path, out: Path) -> float:
    """Seconds Typst takes to write one PDF per document into ``out``."""
    import typst

    out.mkdir(parents=True, exist_ok=True)
    root = out / "typst-root"
    root.mkdir(exist_ok=True)
    shutil.copy(CARD_TYP, root / "card.typ")
    for item in template.iterdir():
        if item.is_file() and item.suffix.lower() in (".pdf", ".png", ".svg", ".jpg"):
            shutil.copy(item, root / item.name)
    fonts = [str(Path(__file__).resolve().parent.parent / "assets" / "fonts")]
    started = time.perf_counter()
    compiler = typst.Compiler(
        str(root / "card.typ"), root=str(root), font_paths=fonts, ignore_system_fonts=True
    )
    for number, document in enumerate(documents):
        compiler.compile(output=str(out / f"card{number:05d}.pdf"), sys_inputs={"card": document})
    return time.perf_counter() - started
