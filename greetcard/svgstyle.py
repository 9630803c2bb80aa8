"""The styles and geometry of SVG elements as design programs write them.

Illustrator puts styles in a ``<style>`` block (``.cls-1{fill:#e2412f;}``),
Inkscape in ``style="…"`` attributes, Affinity in both plus presentation
attributes.  :class:`SvgStyles` resolves an element's declarations in CSS
order (presentation attribute < style sheet rule < ``style`` attribute) with
inheritance; transforms and lengths are turned into millimetres here too.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
INKSCAPE_NS = "http://www.inkscape.org/namespaces/inkscape"
#: Properties that pass from a parent to its children (the subset greetcard reads).
INHERITED = frozenset(
    {
        "fill",
        "fill-opacity",
        "stroke",
        "stroke-opacity",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "text-anchor",
        "text-align",
        "letter-spacing",
        "line-height",
        "writing-mode",
        "color",
        "visibility",
    }
)
#: CSS units per millimetre; ``px`` and user units are 96 per inch (CSS and every modern tool).
_MM_PER_UNIT = {
    "mm": 1.0,
    "cm": 10.0,
    "in": 25.4,
    "pt": 25.4 / 72,
    "pc": 25.4 / 6,
    "px": 25.4 / 96,
    "": 25.4 / 96,
    "q": 0.25,
}
_LENGTH = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Z%]*)\s*$")


def register_namespaces() -> None:
    """Keep the usual prefixes when an SVG is written back (ElementTree's registry is global)."""
    from xml.etree import ElementTree

    for prefix, uri in (
        ("", SVG_NS),
        ("xlink", XLINK_NS),
        ("inkscape", INKSCAPE_NS),
        ("sodipodi", "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"),
        ("serif", "http://www.serif.com/"),
    ):
        ElementTree.register_namespace(prefix, uri)


def local_name(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_declarations(text: str) -> dict[str, str]:
    """``fill:#fff; font-size:12px`` as a dict (later declarations win)."""
    declarations: dict[str, str] = {}
    for part in text.split(";"):
        if ":" in part:
            name, value = part.split(":", 1)
            declarations[name.strip().lower()] = value.replace("!important", "").strip()
    return declarations


@dataclass(frozen=True)
class _Rule:
    selector: str
    specificity: tuple[int, int, int]
    order: int
    declarations: dict[str, str]


class SvgStyles:
    """Computed styles for the elements of one SVG document."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.rules: list[_Rule] = []
        self.parents: dict[Any, Any] = {child: parent for parent in root.iter() for child in parent}
        order = 0
        for element in root.iter():
            if local_name(element) != "style" or not element.text:
                continue
            css = re.sub(r"/\*.*?\*/", "", element.text, flags=re.S)
            for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
                declarations = parse_declarations(body)
                for selector in selectors.split(","):
                    selector = selector.strip()
                    if selector and not selector.startswith("@"):
                        order += 1
                        self.rules.append(_Rule(selector, _specificity(selector), order, declarations))
        self.rules.sort(key=lambda rule: (rule.specificity, rule.order))
        self._own: dict[Any, dict[str, str]] = {}

    def own(self, element: Any) -> dict[str, str]:
        """Declarations set on the element itself, in CSS precedence."""
        cached = self._own.get(element)
        if cached is not None:
            return cached
        declarations: dict[str, str] = {}
        for key, value in element.attrib.items():
            if "}" not in key and key not in ("style", "class", "id", "transform", "d"):
                declarations[key] = value.strip()
        for rule in self.rules:
            if _matches(rule.selector, element):
                declarations.update(rule.declarations)
        declarations.update(parse_declarations(element.get("style", "")))
        self._own[element] = declarations
        return declarations

    def get(self, element: Any, name: str, default: str = "") -> str:
        """A property's value, inherited from ancestors when the property inherits."""
        node: Any = element
        while node is not None:
            value = self.own(node).get(name)
            if value is not None and value != "inherit":
                return value
            if name not in INHERITED:
                return default
            node = self.parents.get(node)
        return default

    def parent(self, element: Any) -> Any:
        return self.parents.get(element)

    def ancestors(self, element: Any) -> list[Any]:
        """The element's ancestors, nearest first."""
        found = []
        node = self.parents.get(element)
        while node is not None:
            found.append(node)
            node = self.parents.get(node)
        return found


def _specificity(selector: str) -> tuple[int, int, int]:
    tags = len(re.findall(r"(?:^|[\s>+~])[a-zA-Z]", selector))
    return (selector.count("#"), selector.count(".") + selector.count("["), tags)


def _matches(selector: str, element: Any) -> bool:
    """Simple selectors only (``tag``, ``.class``, ``#id``, ``tag.class``, ``*``): what tools export."""
    if not re.fullmatch(r"[\w\-.#*]+", selector):
        return False
    match = re.fullmatch(r"([\w\-]+|\*)?((?:[.#][\w\-]+)*)", selector)
    if not match:
        return False
    tag, rest = match[1], match[2]
    if tag and tag != "*" and tag != local_name(element):
        return False
    classes = set(element.get("class", "").split())
    for kind, name in re.findall(r"([.#])([\w\-]+)", rest):
        if kind == "." and name not in classes:
            return False
        if kind == "#" and element.get("id") != name:
            return False
    return True


# --- lengths and transforms -------------------------------------------------

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def length_mm(text: str, per_unit_mm: float = _MM_PER_UNIT["px"]) -> float | None:
    """A CSS length in mm; unitless numbers are user units of ``per_unit_mm``."""
    match = _LENGTH.match(text or "")
    if not match:
        return None
    unit = match[2].lower()
    if unit == "":
        return float(match[1]) * per_unit_mm
    if unit not in _MM_PER_UNIT:
        return None
    return float(match[1]) * _MM_PER_UNIT[unit]


def number(text: str | None, default: float = 0.0) -> float:
    match = _LENGTH.match(text or "")
    return float(match[1]) if match else default


def multiply(first: Matrix, second: Matrix) -> Matrix:
    """``first`` applied after ``second`` (SVG: parent transform × child transform)."""
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = second
    return (
        a1 * a2 + c1 * b2,
        b1 * a2 + d1 * b2,
        a1 * c2 + c1 * d2,
        b1 * c2 + d1 * d2,
        a1 * e2 + c1 * f2 + e1,
        b1 * e2 + d1 * f2 + f1,
    )


def apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return (a * x + c * y + e, b * x + d * y + f)


def parse_transform(text: str | None) -> Matrix:
    """An SVG ``transform`` attribute as one matrix."""
    matrix = IDENTITY
    for name, arguments in re.findall(r"(\w+)\s*\(([^)]*)\)", text or ""):
        values = [float(v) for v in re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", arguments)]
        step: Matrix = IDENTITY
        if name == "matrix" and len(values) == 6:
            step = tuple(values)  # type: ignore[assignment]
        elif name == "translate" and values:
            step = (1, 0, 0, 1, values[0], values[1] if len(values) > 1 else 0.0)
        elif name == "scale" and values:
            step = (values[0], 0, 0, values[1] if len(values) > 1 else values[0], 0, 0)
        elif name == "rotate" and values:
            angle = math.radians(values[0])
            cos, sin = math.cos(angle), math.sin(angle)
            step = (cos, sin, -sin, cos, 0, 0)
            if len(values) == 3:
                cx, cy = values[1], values[2]
                step = multiply(multiply((1, 0, 0, 1, cx, cy), step), (1, 0, 0, 1, -cx, -cy))
        elif name == "skewX" and values:
            step = (1, 0, math.tan(math.radians(values[0])), 1, 0, 0)
        elif name == "skewY" and values:
            step = (1, math.tan(math.radians(values[0])), 0, 1, 0, 0)
        matrix = multiply(matrix, step)
    return matrix


def is_rotated(matrix: Matrix) -> bool:
    return abs(matrix[1]) > 1e-6 or abs(matrix[2]) > 1e-6
