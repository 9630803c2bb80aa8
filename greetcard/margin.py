"""Scan margin: how much worse than a good print a code may be seen and still decode.

Each distinct code layout (template page × QR version × error-correction
level) is drawn as printed — exact module geometry, optionally grown by dot
gain — and then degraded the way phones and paper degrade it: low resolution,
blur, JPEG compression, cream paper with grey ink, a tilted view.  zxing-cpp
must decode every degraded image.  The report names, per template, the worst
condition under which every code still decodes, and what to change when a
layout is close to the limit.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

from .qr import LEVEL_ORDER, ModulesTooSmall, QrPlacement, place_symbol, smallest_version
from .template import CardTemplate

MM_PER_INCH = 25.4
#: The print is drawn this many times finer than the capture, then averaged (a sensor's pixels).
SUPERSAMPLE = 6
#: Links tried per layout, spread over the list: different data makes different matrices.
SAMPLES_PER_LAYOUT = 12


@dataclass(frozen=True)
class Condition:
    """One way the world degrades a printed code, mild to harsh."""

    name: str
    dpi: float
    blur_mm: float = 0.0
    jpeg_quality: int | None = None
    paper_grey: int = 255  # 255: white paper
    ink_grey: int = 0  # 0: full black
    dot_gain_mm: float = 0.0
    tilt_degrees: float = 0.0


#: In order of severity; the default templates must pass up to REQUIRED.
CONDITIONS = (
    Condition("300 dpi", 300),
    Condition("150 dpi", 150),
    Condition("100 dpi", 100),
    Condition("100 dpi, blur 0.15 mm", 100, blur_mm=0.15),
    Condition(
        "150 dpi, cream paper, grey ink, dot gain 0.05 mm", 150, paper_grey=215, ink_grey=95, dot_gain_mm=0.05
    ),
    Condition("150 dpi, 30° tilt", 150, tilt_degrees=30),
    Condition("100 dpi, JPEG quality 15", 100, jpeg_quality=15),
    Condition("60 dpi", 60),
    Condition("100 dpi, blur 0.25 mm", 100, blur_mm=0.25),
    Condition(
        "100 dpi, blur 0.3 mm, 20° tilt, JPEG 40, cream paper",
        100,
        blur_mm=0.3,
        jpeg_quality=40,
        paper_grey=220,
        ink_grey=90,
        tilt_degrees=20,
    ),
    Condition("100 dpi, blur 0.35 mm", 100, blur_mm=0.35),
    Condition("100 dpi, blur 0.45 mm", 100, blur_mm=0.45),
)
REQUIRED = "100 dpi, blur 0.15 mm"


@dataclass(frozen=True)
class LayoutMargin:
    """One code layout and the conditions under which all its sample codes decoded."""

    page: int
    version: int
    level: str
    module_mm: float
    size_mm: float
    samples: tuple[str, ...]
    passed: tuple[str, ...]  # condition names, all samples decoded
    failed: tuple[str, ...]

    @property
    def worst_passed(self) -> str | None:
        """The harshest condition (in CONDITIONS order) before the first failure."""
        worst = None
        for condition in CONDITIONS:
            if condition.name in self.failed:
                break
            worst = condition.name
        return worst


@dataclass
class TemplateMargin:
    """The margin report of one template for a set of links."""

    template: str
    layouts: list[LayoutMargin] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every layout decodes at least up to the required condition."""
        required = [c.name for c in CONDITIONS[: _index(REQUIRED) + 1]]
        return all(not set(required) & set(layout.failed) for layout in self.layouts)

    @property
    def worst_passed(self) -> str | None:
        names = [layout.worst_passed for layout in self.layouts]
        if not names or None in names:
            return None
        return min(names, key=lambda name: _index(name or ""))

    def lines(self) -> list[str]:
        head = f"scan margin of '{self.template}': "
        worst = self.worst_passed
        lines = [head + (f"every code decodes up to '{worst}'" if worst else "a code fails even at 300 dpi")]
        for layout in self.layouts:
            failed = "; ".join(layout.failed) or "none"
            lines.append(
                f"  page {layout.page}: version {layout.version}, level {layout.level}, "
                f"{layout.module_mm:.2f} mm modules in {layout.size_mm:g} mm — fails: {failed}"
            )
        lines.extend(f"  advice: {text}" for text in self.advice)
        if not self.ok:
            lines.append(f"  FAILED: the codes must decode at '{REQUIRED}'")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "ok": self.ok,
            "worst_condition_passed": self.worst_passed,
            "required": REQUIRED,
            "layouts": [
                {
                    "page": layout.page,
                    "version": layout.version,
                    "error_correction": layout.level,
                    "module_mm": round(layout.module_mm, 3),
                    "size_mm": layout.size_mm,
                    "samples": list(layout.samples),
                    "passed": list(layout.passed),
                    "failed": list(layout.failed),
                }
                for layout in self.layouts
            ],
            "advice": list(self.advice),
        }


def _index(name: str) -> int:
    return next((i for i, condition in enumerate(CONDITIONS) if condition.name == name), len(CONDITIONS))


# --- images ----------------------------------------------------------------------


def printed_code(placement: QrPlacement, dpi: float, dot_gain_mm: float = 0.0) -> Image.Image:
    """The QR box (quiet zone included) as a sensor at ``dpi`` would see a perfect print: area-averaged."""
    symbol = placement.symbol()
    fine = dpi * SUPERSAMPLE / MM_PER_INCH  # fine pixels per mm
    size = round(placement.spec.size_mm * fine)
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    quiet = placement.quiet_zone_mm
    module = placement.module_mm
    gain = dot_gain_mm * fine
    for row, column, length in symbol.dark_runs():
        left = (quiet + column * module) * fine - gain
        top = (quiet + row * module) * fine - gain
        right = (quiet + (column + length) * module) * fine + gain
        bottom = (quiet + (row + 1) * module) * fine + gain
        draw.rectangle((round(left), round(top), round(right) - 1, round(bottom) - 1), fill=0)
    captured = max(1, round(size / SUPERSAMPLE))
    return image.resize((captured, captured), Image.Resampling.BOX)


def degrade(placement: QrPlacement, condition: Condition) -> Image.Image:
    """The code as seen under ``condition``."""
    image = printed_code(placement, condition.dpi, condition.dot_gain_mm)
    if condition.paper_grey != 255 or condition.ink_grey != 0:
        span = condition.paper_grey - condition.ink_grey
        image = image.point(lambda value: condition.ink_grey + value * span // 255)
    # Surroundings: the phone sees the card around the code, not a clipped image.
    border = max(4, image.width // 6)
    framed = Image.new("L", (image.width + 2 * border, image.height + 2 * border), condition.paper_grey)
    framed.paste(image, (border, border))
    image = framed
    if condition.tilt_degrees:
        image = _tilted(image, condition.tilt_degrees, condition.paper_grey)
    if condition.blur_mm:
        image = image.filter(ImageFilter.GaussianBlur(condition.blur_mm * condition.dpi / MM_PER_INCH))
    if condition.jpeg_quality is not None:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=condition.jpeg_quality)
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    return image


def _tilted(image: Image.Image, degrees: float, background: int) -> Image.Image:
    """The image seen with its top edge tipped away by ``degrees`` from a phone ten code widths away.

    The far edge comes out shorter and the whole code foreshortened: a trapezoid.
    """
    import math

    width, height = float(image.width), float(image.height)
    angle = math.radians(degrees)
    far_scale = 10 / (10 + math.sin(angle))
    inset = width * (1 - far_scale) / 2
    top = height * (1 - math.cos(angle))
    seen = [(inset, top), (width - inset, top), (width, height), (0.0, height)]
    source = [(0.0, 0.0), (width, 0.0), (width, height), (0.0, height)]
    return image.transform(
        image.size,
        Image.Transform.PERSPECTIVE,
        _perspective_coefficients(seen, source),
        Image.Resampling.BILINEAR,
        fillcolor=background,
    )


def _perspective_coefficients(
    seen: Sequence[tuple[float, float]], source: Sequence[tuple[float, float]]
) -> tuple[float, ...]:
    """PIL's eight perspective coefficients mapping output points ``seen`` to input points ``source``."""
    rows: list[list[float]] = []
    for (x, y), (u, v) in zip(seen, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    # Gaussian elimination with partial pivoting on the 8 × 9 augmented matrix.
    for column in range(8):
        pivot = max(range(column, 8), key=lambda r: abs(rows[r][column]))
        rows[column], rows[pivot] = rows[pivot], rows[column]
        for r in range(8):
            if r != column:
                factor = rows[r][column] / rows[column][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[column], strict=True)]
    return tuple(rows[i][8] / rows[i][i] for i in range(8))


def decodes(image: Image.Image, link: str) -> bool:
    import zxingcpp

    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    return any(result.text == link for result in found)


# --- the report ------------------------------------------------------------------


def template_margin(template: CardTemplate, links: Sequence[str]) -> TemplateMargin:
    """Degrade every distinct code layout of ``template`` for ``links`` and report the margin."""
    report = TemplateMargin(template.name)
    for page_index, page in enumerate(template.pages):
        if page.qr is None:
            continue
        layouts: dict[tuple[int, str], list[QrPlacement]] = {}
        for link in dict.fromkeys(links):
            try:
                placement = place_symbol(link, page.qr)
            except ModulesTooSmall:
                continue  # refused at render time already
            layouts.setdefault((placement.version, placement.error_correction), []).append(placement)
        for (version, level), placements in sorted(layouts.items()):
            samples = _samples(placements)
            passed, failed = [], []
            for condition in CONDITIONS:
                if all(decodes(degrade(sample, condition), sample.link) for sample in samples):
                    passed.append(condition.name)
                else:
                    failed.append(condition.name)
            layout = LayoutMargin(
                page_index + 1,
                version,
                level,
                samples[0].module_mm,
                page.qr.size_mm,
                tuple(sample.link for sample in samples),
                tuple(passed),
                tuple(failed),
            )
            report.layouts.append(layout)
            report.advice.extend(_advice(layout, samples[0]))
    return report


def _samples(placements: Sequence[QrPlacement]) -> list[QrPlacement]:
    """Up to SAMPLES_PER_LAYOUT links spread evenly over the layout, the longest first."""
    ordered = sorted(placements, key=lambda p: (-len(p.link), p.link))
    step = max(1, len(ordered) / SAMPLES_PER_LAYOUT)
    picked = {
        ordered[int(i * step)].link: ordered[int(i * step)]
        for i in range(min(len(ordered), SAMPLES_PER_LAYOUT))
    }
    return list(picked.values())


def _advice(layout: LayoutMargin, placement: QrPlacement) -> list[str]:
    """What to change when a layout fails a condition up to and just past the required one."""
    close_to = [c.name for c in CONDITIONS[: _index(REQUIRED) + 6]]
    if not set(layout.failed) & set(close_to):
        return []
    spec = placement.spec
    bigger = spec.size_mm * 1.25
    hints = [
        f"page {layout.page}: close to the limit — make the QR box {bigger:.0f} mm (now {spec.size_mm:g})"
    ]
    if layout.version > 1:
        fits = _bytes_in_version(layout.version - 1, layout.level)
        hints.append(f"or shorten the link to {fits} bytes (version {layout.version - 1}, larger modules)")
    for lower in reversed(LEVEL_ORDER[: LEVEL_ORDER.index(layout.level)]):
        if smallest_version(placement.link, lower) < layout.version:
            hints.append(
                f'or set error_correction = "{lower}" (smaller version, larger modules, less repair)'
            )
            break
    return [", ".join(hints)]


def _bytes_in_version(version: int, level: str) -> int:
    """The most bytes a link may have to fit ``version`` at ``level``."""
    probe = "https://x/"
    while smallest_version(probe + "a", level) <= version:
        probe += "a"
    return len(probe)
