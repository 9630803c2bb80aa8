"""``greetcard template import``: a designer's SVG with placeholders becomes a template folder.

The designer lays out the card in Inkscape, Illustrator or Affinity, types
``{{ company }}`` where text goes, draws a rectangle (a *frame*) around each
text and one for the QR code, names the frames in the layers panel, and
exports SVG.  This module finds the frames and placeholders, turns them into
``template.toml`` fields (box from the frame, font, size, weight, colour and
alignment from the placeholder's style) and writes the rest as the artwork.

Frames are recognised by name (Inkscape ``inkscape:label``, Illustrator
``data-name``, Affinity ``serif:id``, else ``id``):

* ``qr`` (or ``qr-code``, ``qrcode``): the QR code's box;
* ``image-NAME``: an image field; an embedded image inside it becomes the
  fixed image ``NAME.png``, otherwise the list column ``NAME`` names a file;
* any other rectangle that contains a placeholder text: that text's field.

Nothing is dropped silently: everything that cannot be mapped becomes a
:class:`Note` naming the element's id and what to do.
"""

from __future__ import annotations

import base64
import io
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from .errors import TemplateError
from .svgstyle import (
    INKSCAPE_NS,
    Matrix,
    SvgStyles,
    apply,
    is_rotated,
    length_mm,
    local_name,
    multiply,
    number,
    parse_transform,
    register_namespaces,
)
from .template import TEMPLATE_FILE, bundled_fonts_folder

SERIF_NS = "http://www.serif.com/"
SODIPODI_NS = "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
PT_PER_MM = 72 / 25.4
ARTWORK_FILE = "artwork.svg"
DEFAULT_BLEED_MM = 3.0
#: Card sizes designers commonly use (mm), to tell which resolution a unitless SVG was written at.
COMMON_CARD_SIZES = (
    (100, 148),
    (105, 148),
    (148, 210),
    (210, 297),
    (99, 210),
    (210, 99),
    (120, 120),
    (140, 140),
    (127, 178),
    (110, 220),
    (114, 162),
)
_UNNAMED = re.compile(
    r"^(rect|rectangle|path|svg|g|group|text|tspan|flowroot|flowregion|layer|shape|frame|use|image|"
    r"ebene|calque|レイヤー|長方形)[-_ ]?\d*$",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_QR_NAMES = {"qr", "qr-code", "qr_code", "qrcode"}
_SHAPE_TAGS = {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "image", "use"}


@dataclass(frozen=True)
class Note:
    """Something the import could not map exactly: which element, and what to do."""

    element: str
    message: str

    def __str__(self) -> str:
        return f"{self.element}: {self.message}"


@dataclass
class Frame:
    element: Any
    name: str
    box: tuple[float, float, float, float]  # x, y, width, height in mm from the trim's top-left
    used: bool = False
    filled: bool = False  # a visible rectangle: a frame only where no empty frame fits


@dataclass
class Placeholder:
    element: Any
    label: str
    text: str
    anchor: tuple[float, float]  # the first line's start (or anchor) point in mm, on the baseline
    style: dict[str, Any]
    frame_element: Any | None = None  # flowed text: the shape it flows into
    vertical: bool = False


@dataclass
class ImportResult:
    template_file: Path
    artwork_file: Path
    field_names: list[str]
    notes: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class _FontMatch:
    key: str
    file_name: str
    source: Path | None  # a file to copy into the template folder (None: bundled)
    face: int = 0  # a collection's face
    weight: float | None = None  # a variable font's wght, when not its default


def import_svg(
    svg_path: Path,
    target: Path,
    width_mm: float | None = None,
    bleed_mm: float = DEFAULT_BLEED_MM,
    font_folders: tuple[Path, ...] = (),
) -> ImportResult:
    """Read ``svg_path`` and write a template folder ``target`` (template.toml + artwork.svg)."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise TemplateError(f"{target}: exists and is not an empty folder — choose a new folder")
    register_namespaces()
    try:
        tree = ElementTree.parse(svg_path)
    except ElementTree.ParseError as err:
        line, column = err.position
        raise TemplateError(
            f"{svg_path}:{line}:{column + 1}: the SVG is not well-formed XML ({err}) — export it again"
        ) from None
    except OSError as err:
        raise TemplateError(f"{svg_path}: cannot read the SVG ({err.strerror})") from None
    root = tree.getroot()
    if local_name(root) != "svg":
        raise TemplateError(f"{svg_path}: not an SVG file (the root element is <{local_name(root)}>)")
    importer = _Importer(svg_path, root, width_mm, font_folders)
    importer.collect()
    target.mkdir(parents=True, exist_ok=True)
    toml = importer.template_toml(target, bleed_mm)
    importer.remove_template_elements()
    importer.note_undrawable_artwork()
    artwork = target / ARTWORK_FILE
    _expand_page_for_bleed(root, importer, bleed_mm)
    tree.write(artwork, encoding="utf-8", xml_declaration=True)
    template_file = target / TEMPLATE_FILE
    template_file.write_text(toml, encoding="utf-8")
    return ImportResult(template_file, artwork, importer.field_names, importer.notes)


def _expand_page_for_bleed(root: Any, importer: _Importer, bleed_mm: float) -> None:
    """Widen the artwork's page by the bleed, so shapes that run past the page edge print into it."""
    if bleed_mm <= 0:
        return
    per_unit = importer.mm_per_unit
    x, y, width, height = importer.view_box
    bleed_units = bleed_mm / per_unit
    root.set(
        "viewBox",
        " ".join(
            _fmt(v)
            for v in (x - bleed_units, y - bleed_units, width + 2 * bleed_units, height + 2 * bleed_units)
        ),
    )
    root.set("width", f"{_fmt(importer.width_mm + 2 * bleed_mm)}mm")
    root.set("height", f"{_fmt(importer.height_mm + 2 * bleed_mm)}mm")
    root.set("preserveAspectRatio", "xMidYMid meet")


class _Importer:
    def __init__(self, path: Path, root: Any, width_mm: float | None, font_folders: tuple[Path, ...]) -> None:
        self.path = path
        self.root = root
        self.styles = SvgStyles(root)
        self.notes: list[Note] = []
        self.frames: list[Frame] = []
        self.placeholders: list[Placeholder] = []
        self.images: list[tuple[Any, tuple[float, float, float, float]]] = []
        self.static_texts: list[Placeholder] = []
        self.to_remove: list[Any] = []
        self.field_names: list[str] = []
        self.font_folders = (path.parent, path.parent / "fonts", *font_folders)
        self.snapped_height_mm: float | None = None
        self._page_geometry(width_mm)

    # -- page size --------------------------------------------------------------

    def _page_geometry(self, width_override: float | None) -> None:
        root = self.root
        view_box = [number(v) for v in re.split(r"[\s,]+", root.get("viewBox", "").strip()) if v]
        width_attr, height_attr = root.get("width", ""), root.get("height", "")
        if len(view_box) != 4:
            width_units, height_units = number(width_attr, 0.0), number(height_attr, 0.0)
            if width_units <= 0 or height_units <= 0:
                raise TemplateError(
                    f"{self.path}: the SVG has neither a viewBox nor a width and height — export it again "
                    "with the document's size"
                )
            view_box = [0.0, 0.0, width_units, height_units]
        self.view_box = tuple(view_box)
        units_wide = view_box[2]
        physical = length_mm(width_attr) if width_attr and not width_attr.strip().endswith("%") else None
        has_unit = bool(re.search(r"(mm|cm|in|pt|pc|px|q)\s*$", width_attr.strip(), re.I))
        if width_override is not None:
            width_mm = width_override
        elif physical is not None and has_unit and not width_attr.strip().endswith("px"):
            width_mm = physical
        else:
            width_mm = self._guess_width_mm(units_wide, view_box[3], width_attr)
        self.mm_per_unit = width_mm / units_wide
        self.width_mm = round(width_mm, 3)
        self.height_mm = self.snapped_height_mm or round(view_box[3] * self.mm_per_unit, 3)
        # User units (the viewBox) to mm from the page's top-left corner.
        self.base: Matrix = (
            self.mm_per_unit,
            0,
            0,
            self.mm_per_unit,
            -view_box[0] * self.mm_per_unit,
            -view_box[1] * self.mm_per_unit,
        )

    def _guess_width_mm(self, units_wide: float, units_high: float, width_attr: str) -> float:
        """The page width for an SVG sized in px or not at all: which resolution it was written at."""
        source = ElementTree.tostring(self.root, encoding="unicode")[:4000]
        illustrator = "data-name" in source or "Layer_1" in source or "Adobe Illustrator" in self._head()
        candidates = [("72 dpi (Illustrator: 1 px = 1 pt)", 72.0)] if illustrator else []
        candidates += [("96 dpi (CSS px)", 96.0), ("72 dpi", 72.0), ("300 dpi", 300.0), ("150 dpi", 150.0)]
        chosen = None
        for label, dpi in candidates:
            size = (units_wide / dpi * 25.4, units_high / dpi * 25.4)
            if any(abs(size[0] - w) < 0.3 and abs(size[1] - h) < 0.3 for w, h in COMMON_CARD_SIZES):
                chosen = (label, dpi)
                break
        if chosen is None:
            chosen = candidates[0]
        label, dpi = chosen
        width_mm = units_wide / dpi * 25.4
        for standard_width, standard_height in COMMON_CARD_SIZES:
            if abs(width_mm - standard_width) < 0.3 and abs(units_high / dpi * 25.4 - standard_height) < 0.3:
                width_mm = float(standard_width)  # the tool rounded the page to whole pixels
                self.snapped_height_mm = float(standard_height)
        self.notes.append(
            Note(
                "<svg>",
                f"the page size is given in px{'' if width_attr else ' or not at all'}; read it at {label} "
                f"as {width_mm:.1f} × {units_high / dpi * 25.4:.1f} mm — if that is wrong, import again "
                "with --width-mm (export with mm units to avoid this)",
            )
        )
        return width_mm

    def _head(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8", errors="replace")[:600]
        except OSError:
            return ""

    # -- walking ------------------------------------------------------------------

    def collect(self) -> None:
        self._walk(self.root, self.base, hidden=False)
        self._assign_frames()

    def _walk(self, element: Any, parent_matrix: Matrix, hidden: bool) -> None:
        name = local_name(element)
        if name in ("defs", "clipPath", "mask", "symbol", "marker", "pattern", "style", "metadata", "title"):
            return
        if name == "namedview":
            return
        matrix = multiply(parent_matrix, parse_transform(element.get("transform")))
        hidden = hidden or self.styles.own(element).get("display") == "none"
        if name in ("text", "flowRoot"):
            self._text(element, matrix)
            return
        if name == "rect":
            self._rect(element, matrix, hidden)
        elif name == "image":
            box = self._rect_box(element, matrix)
            if box is not None:
                self.images.append((element, box))
        elif name == "use":
            # Affinity places images as <use> of an <image> in <defs>.
            target = self._use_target(element)
            if target is not None and local_name(target) == "image":
                offset = (1.0, 0.0, 0.0, 1.0, number(element.get("x")), number(element.get("y")))
                box = self._rect_box(
                    target, multiply(multiply(matrix, offset), parse_transform(target.get("transform")))
                )
                if box is not None:
                    self.images.append((element, box))
        for child in list(element):
            # Illustrator wraps content in <switch> with a foreignObject fallback: take the SVG branch.
            if name == "switch" and local_name(child) == "foreignObject":
                continue
            self._walk(child, matrix, hidden)

    def _use_target(self, element: Any) -> Any:
        reference = next((v for k, v in element.attrib.items() if k.endswith("href")), "")
        if not reference.startswith("#"):
            return None
        return next((node for node in self.root.iter() if node.get("id") == reference[1:]), None)

    def label_of(self, element: Any) -> str:
        for key in (f"{{{INKSCAPE_NS}}}label", "data-name", f"{{{SERIF_NS}}}id", "id"):
            value = element.get(key)
            if value:
                return str(value).strip()
        return ""

    def describe(self, element: Any) -> str:
        identifier = element.get("id")
        label = self.label_of(element)
        tag = local_name(element)
        if identifier and label and label != identifier:
            return f"<{tag}> id={identifier!r} ({label!r})"
        if identifier or label:
            return f"<{tag}> id={identifier or label!r}"
        return f"<{tag}> without id"

    def _rect_box(self, element: Any, matrix: Matrix) -> tuple[float, float, float, float] | None:
        x, y = number(element.get("x")), number(element.get("y"))
        width, height = number(element.get("width")), number(element.get("height"))
        if width <= 0 or height <= 0:
            return None
        if is_rotated(matrix):
            self.notes.append(
                Note(
                    self.describe(element),
                    "is rotated or skewed; frames must be upright rectangles — straighten it",
                )
            )
            return None
        corners = [apply(matrix, px, py) for px, py in ((x, y), (x + width, y + height))]
        left, right = sorted(c[0] for c in corners)
        top, bottom = sorted(c[1] for c in corners)
        return (left, top, right - left, bottom - top)

    def _rect(self, element: Any, matrix: Matrix, hidden: bool) -> None:
        label = self.label_of(element)
        box = self._rect_box(element, matrix)
        if box is None or any(frame.element is element for frame in self.frames):
            return
        named = bool(label) and not _UNNAMED.match(label)
        parent = self.styles.parent(element)
        if not named and parent is not None and local_name(parent) == "g" and len(parent) == 1:
            # Affinity names the layer, a group around the rectangle.
            label = self.label_of(parent)
            named = bool(label) and not _UNNAMED.match(label)
            if named:
                element = parent
        fill = self.styles.get(element, "fill", "black").strip().lower()
        filled = (
            fill not in ("none", "transparent")
            and number(self.styles.get(element, "fill-opacity", "1"), 1) > 0
        )
        if box[2] * box[3] >= 0.9 * self.width_mm * self.height_mm:
            named = False  # the background, whatever its name
        self.frames.append(Frame(element, _field_name(label) if named else "", box, filled=filled))
        if local_name(element) == "g":
            self.frames[-1].element = element  # removing the frame removes its group
        if hidden and not named:
            self.frames.pop()

    def _text(self, element: Any, matrix: Matrix) -> None:
        text = "\n".join(_text_lines(element)).strip("\n")
        if not text.strip():
            return
        first = _first_positioned(element)
        x = number(first.get("x", element.get("x")))
        y = number(first.get("y", element.get("y")))
        flow_frame = None
        shape_inside = self.styles.get(element, "shape-inside")
        reference = re.search(r"url\(\s*#([^)\s]+)\s*\)", shape_inside or "")
        if reference:
            flow_frame = self.root.find(f".//*[@id='{reference[1]}']")
        if local_name(element) == "flowRoot":
            flow_frame = next(
                (
                    shape
                    for region in element
                    if local_name(region) == "flowRegion"
                    for shape in region
                    if local_name(shape) == "rect"
                ),
                None,
            )
        if flow_frame is not None:
            # Flowed text wraps by itself: its exported lines are not paragraphs.
            text = " ".join(_text_lines(element)) if local_name(element) == "text" else text
        style = self._text_style(_first_text_node(element), matrix)
        writing_mode = self.styles.get(element, "writing-mode")
        target = self.placeholders if _PLACEHOLDER.search(text) else self.static_texts
        target.append(
            Placeholder(
                element,
                self.label_of(element),
                text,
                apply(matrix, x, y),
                style,
                frame_element=flow_frame,
                vertical=writing_mode in ("vertical-rl", "tb-rl", "tb", "vertical-lr"),
            )
        )
        if flow_frame is not None and flow_frame not in [frame.element for frame in self.frames]:
            flow_matrix = matrix
            if flow_frame.get("transform"):
                flow_matrix = multiply(matrix, parse_transform(flow_frame.get("transform")))
            box = self._rect_box(flow_frame, flow_matrix)
            if box is not None:
                self.frames.append(Frame(flow_frame, "", box))

    def _text_style(self, node: Any, matrix: Matrix) -> dict[str, Any]:
        scale = math.sqrt(abs(matrix[0] * matrix[3] - matrix[1] * matrix[2]))
        get = self.styles.get
        size_units = _font_size_units(get(node, "font-size", "16"))
        size_pt = size_units * scale * PT_PER_MM
        weight_text = get(node, "font-weight", "normal").lower()
        weight = {"normal": 400, "bold": 700, "bolder": 700, "lighter": 300}.get(weight_text)
        if weight is None:
            weight = int(number(weight_text, 400))
        family = get(node, "font-family", "sans-serif")
        variation = get(node, "font-variation-settings")
        wght = re.search(r"['\"]wght['\"]\s+([\d.]+)", variation or "")
        if wght:
            weight = int(float(wght[1]))  # Inkscape writes a variable font's weight here
        spacing = get(node, "letter-spacing", "normal")
        tracking = 0.0
        if spacing not in ("normal", ""):
            if spacing.endswith("em"):
                tracking = number(spacing) * 1000
            else:
                tracking = number(spacing) * scale * PT_PER_MM / size_pt * 1000 if size_pt else 0.0
        line_height = get(node, "line-height", "")
        leading = None
        if line_height and line_height != "normal":
            if line_height.endswith("%"):
                leading = number(line_height) / 100
            elif re.fullmatch(r"[\d.]+", line_height):
                leading = number(line_height)
            else:
                leading = _font_size_units(line_height) / size_units if size_units else None
        anchor = get(node, "text-anchor", "start")
        text_align = get(node, "text-align", "")
        align = {"middle": "center", "end": "right"}.get(anchor, "left")
        if text_align in ("center", "right", "end"):
            align = "right" if text_align == "end" else text_align
        return {
            "families": [f.strip().strip("'\"") for f in family.split(",") if f.strip()],
            "size_pt": size_pt,
            "weight": weight,
            "italic": get(node, "font-style", "normal") in ("italic", "oblique"),
            "fill": get(node, "fill", "black"),
            "align": align,
            "anchor_given": anchor != "start" or bool(text_align),
            "tracking": tracking,
            "leading": leading,
            "variation": variation,
        }

    def _frame_at(self, point: tuple[float, float]) -> Frame | None:
        """The named text frame around a point: the smallest, empty frames before filled rectangles."""
        candidates = [
            f
            for f in self.frames
            if f.name  # an unnamed rectangle is artwork (a background, say), never a frame
            and f.name not in _QR_NAMES
            and not f.name.startswith("image")
            and _contains(f.box, point)
        ]
        if not candidates:
            return None
        return min(candidates, key=lambda f: (f.filled, f.box[2] * f.box[3]))

    def _merge_lines(self) -> None:
        """Texts sharing one frame are one field: Affinity writes each line as its own <text>."""
        groups: dict[int, list[Placeholder]] = {}
        frames: dict[int, Frame] = {}
        for placeholder in self.placeholders:
            if placeholder.frame_element is not None:
                continue
            frame = self._frame_at(placeholder.anchor)
            if frame is not None:
                groups.setdefault(id(frame), []).append(placeholder)
                frames[id(frame)] = frame
        for key, inside in groups.items():
            if len(inside) < 2:
                continue
            inside.sort(key=lambda p: (p.anchor[1], p.anchor[0]))
            first = inside[0]
            first.text = "\n".join(p.text for p in inside)
            for other in inside[1:]:
                self.placeholders.remove(other)
                self.to_remove.append(other.element)
            first.frame_element = frames[key].element

    def _assign_frames(self) -> None:
        for static in self.static_texts:
            # Fixed text in a named frame (e.g. 謹賀新年 set vertically) becomes a field with that text.
            explicit = any(f.element is static.frame_element and f.name for f in self.frames)
            if explicit or self._frame_at(static.anchor) is not None:
                if not explicit:
                    static.frame_element = None
                self.placeholders.append(static)  # a field of its own, or a line of the frame's field
                continue
            self.notes.append(
                Note(
                    self.describe(static.element),
                    f"text {static.text.strip()[:40]!r} has no placeholder and no named frame; it stays in "
                    "the artwork, where text is refused — convert it to outlines before export (Inkscape: "
                    "Path ▸ Object to Path; Illustrator: Type ▸ Create Outlines; Affinity: Layer ▸ Convert "
                    "to Curves), or draw a named frame around it to make it a field",
                )
            )
        self._merge_lines()
        for placeholder in self.placeholders:
            frame = None
            if placeholder.frame_element is not None:
                frame = next((f for f in self.frames if f.element is placeholder.frame_element), None)
            if frame is None:
                frame = self._frame_at(placeholder.anchor)
                if frame is not None and frame.used:
                    frame = None
            if frame is not None:
                frame.used = True
                placeholder.frame_element = frame.element

    # -- writing ------------------------------------------------------------------

    def template_toml(self, target: Path, bleed_mm: float) -> str:
        fonts: dict[str, _FontMatch] = {}
        out: list[str] = [
            f"# Imported from {self.path.name} by 'greetcard template import'.",
            "# Boxes are [x, y, width, height] in mm from the trim's top-left corner; refine freely",
            "# (min_size_pt, fallback fonts, text variants per language, the link) — see docs/templates.md.",
            "",
            f"name = {_toml_string(self._title())}",
            'default_language = "de"',
            'link = "https://example.org/"  # TODO: the QR code\'s link, e.g. "https://example.org/?r={id}"',
            "",
            "[card]",
            f"width_mm = {_fmt(self.width_mm)}",
            f"height_mm = {_fmt(self.height_mm)}",
            f"bleed_mm = {_fmt(bleed_mm)}",
            "safe_margin_mm = 5",
            "",
        ]
        body: list[str] = ["[[pages]]", f'artwork = "{ARTWORK_FILE}"', ""]
        qr_frames = [f for f in self.frames if f.name in _QR_NAMES]
        if qr_frames:
            frame = qr_frames[0]
            x, y, width, height = frame.box
            size = min(width, height)
            if abs(width - height) > 0.2:
                self.notes.append(
                    Note(
                        self.describe(frame.element),
                        f"the QR frame is {width:.1f} × {height:.1f} mm, not square; the code uses "
                        f"{size:.1f} mm at its top-left — draw a square frame",
                    )
                )
            body += ["[pages.qr]", f"box_mm = [{_fmt(x)}, {_fmt(y)}, {_fmt(size)}]", ""]
            self.to_remove.append(frame.element)
            for extra in qr_frames[1:]:
                self.notes.append(Note(self.describe(extra), "a second QR frame; only the first is used"))
        else:
            self.notes.append(
                Note(
                    "<svg>",
                    "no frame named 'qr' — draw a square and name it qr; for now the QR code sits at the "
                    "bottom centre (see [pages.qr])",
                )
            )
            size = min(30.0, self.width_mm / 3)
            body += [
                "[pages.qr]  # TODO: no 'qr' frame in the SVG",
                f"box_mm = [{_fmt((self.width_mm - size) / 2)}, {_fmt(self.height_mm - size - 12)}, "
                f"{_fmt(size)}]",
                "",
            ]
        body += self._image_tables(target)
        taken: set[str] = set()
        for placeholder in self.placeholders:
            body += self._field_table(placeholder, fonts, taken)
        for frame in self.frames:
            if (
                frame.name
                and not frame.used
                and not frame.filled
                and frame.name not in _QR_NAMES
                and not frame.name.startswith("image")
            ):
                self.notes.append(
                    Note(
                        self.describe(frame.element),
                        "a named frame without a placeholder inside; it stays in the artwork — put a "
                        "placeholder text in it, or rename it if it is meant to be drawn",
                    )
                )
        font_lines: list[str] = []
        for match in fonts.values():
            if match.source is not None:
                shutil.copy2(match.source, target / match.file_name)
            font_lines += [f"[fonts.{match.key}]", f'file = "{match.file_name}"']
            if match.face:
                font_lines.append(f"face = {match.face}")
            if match.weight:
                font_lines.append(f"weight = {match.weight:g}  # the SVG's font-weight in the variable font")
            font_lines.append("")
        if not fonts:
            font_lines += ["[fonts.sans]", 'file = "NotoSansJP-Regular.ttf"', ""]
        return "\n".join(out + font_lines + body).rstrip() + "\n"

    def _title(self) -> str:
        title = next((el.text for el in self.root if local_name(el) == "title" and el.text), None)
        return (title or self.path.stem).strip()

    def _image_tables(self, target: Path) -> list[str]:
        lines: list[str] = []
        for frame in self.frames:
            if not frame.name.startswith("image"):
                continue
            name = _field_name(frame.name[len("image") :].lstrip("-_ ")) or "image"
            x, y, width, height = frame.box
            lines += [
                f"[pages.images.{name}]",
                f"box_mm = [{_fmt(x)}, {_fmt(y)}, {_fmt(width)}, {_fmt(height)}]",
            ]
            inside = [(element, box) for element, box in self.images if _contains(frame.box, _centre(box))]
            embedded = None
            for element, _box in inside:
                source = self._use_target(element) if local_name(element) == "use" else element
                embedded = _write_embedded_image(source, target / name)
                if embedded is not None:
                    self.to_remove.append(element)
                    if source is not element:
                        self.to_remove.append(source)  # Affinity's <image> in <defs>
                    break
            if embedded is not None:
                lines.append(f'file = "{embedded.name}"')
            else:
                if inside:
                    self.notes.append(
                        Note(
                            self.describe(inside[0][0]),
                            "the image in this frame is linked, not embedded; it stays out — embed it, or "
                            "put the file into the template folder and set "
                            f'file = "…" in [pages.images.{name}]',
                        )
                    )
                lines.append(f'column = "{name}"  # the list column naming each row\'s image file')
                self.notes.append(
                    Note(
                        self.describe(frame.element),
                        f"image frame without an embedded image: each row's image file is taken from the "
                        f'list column {name!r} — add that column, or set file = "logo.png" for one image',
                    )
                )
            lines += ['fit = "contain"', 'align = "center"', 'valign = "middle"', ""]
            frame.used = True
            self.to_remove.append(frame.element)
        return lines

    def _field_table(
        self, placeholder: Placeholder, fonts: dict[str, _FontMatch], taken: set[str]
    ) -> list[str]:
        style = placeholder.style
        frame = next((f for f in self.frames if f.element is placeholder.frame_element), None)
        base_name = (frame.name if frame and frame.name else "") or _field_name(placeholder.label)
        if not base_name or _UNNAMED.match(base_name):
            variables = re.findall(r"\{\{\s*([A-Za-z_]\w*)", placeholder.text)
            base_name = variables[0] if variables else "text"
        name = base_name
        counter = 2
        while name in taken:
            name = f"{base_name}_{counter}"
            counter += 1
        taken.add(name)
        self.field_names.append(name)
        self.to_remove.append(placeholder.element)
        size_pt = round(style["size_pt"] * 4) / 4
        ascent_mm = size_pt * 0.88 / PT_PER_MM
        if frame is not None:
            box = frame.box
            self.to_remove.append(frame.element)
        else:
            ax, ay = placeholder.anchor
            width = (
                max(10.0, self.width_mm - 5 - ax)
                if style["align"] == "left"
                else min(ax, self.width_mm - ax) * 2 - 10
            )
            height = size_pt * 1.3 / PT_PER_MM * max(1, placeholder.text.count("\n") + 1)
            left = {"left": ax, "center": ax - width / 2, "right": ax - width}[style["align"]]
            box = (max(0.0, left), ay - ascent_mm, max(10.0, width), height)
            self.notes.append(
                Note(
                    self.describe(placeholder.element),
                    f"placeholder {placeholder.text.splitlines()[0][:30]!r} has no frame; its box "
                    f"({_fmt(box[0])}, {_fmt(box[1])}, {_fmt(box[2])} × {_fmt(box[3])} mm) is a guess — "
                    "draw a "
                    "rectangle around it and name it, or correct box_mm",
                )
            )
        font = self._font_for(style, placeholder, fonts)
        align = style["align"]
        if frame is not None and not style["anchor_given"] and not placeholder.vertical:
            align = self._infer_alignment(placeholder, frame.box, font, size_pt)
        valign = "top"
        if frame is not None and not placeholder.vertical:
            top_gap = placeholder.anchor[1] - ascent_mm - frame.box[1]
            lines = placeholder.text.count("\n") + 1
            block = (
                ascent_mm
                + (lines - 1) * size_pt * (style["leading"] or 1.25) / PT_PER_MM
                + size_pt * 0.12 / PT_PER_MM
            )
            bottom_gap = frame.box[1] + frame.box[3] - (placeholder.anchor[1] - ascent_mm + block)
            if abs(top_gap - bottom_gap) < max(1.0, 0.2 * frame.box[3]) and top_gap > 0.5:
                valign = "middle"
            elif bottom_gap < top_gap:
                valign = "bottom"
        x, y, width, height = box
        lines_out = [
            f"[pages.fields.{name}]",
            f"box_mm = [{_fmt(x)}, {_fmt(y)}, {_fmt(width)}, {_fmt(height)}]",
            f'fonts = ["{font.key}"]',
            f"size_pt = {_fmt(size_pt)}",
        ]
        if style["leading"]:
            lines_out.append(f"leading = {_fmt(min(3.0, max(0.8, style['leading'])))}")
        if placeholder.vertical:
            lines_out.append('direction = "vertical"')
        else:
            lines_out.append(f'align = "{align}"')
        lines_out.append(f'valign = "{valign}"')
        colour = _colour(style["fill"])
        if colour is None:
            self.notes.append(
                Note(
                    self.describe(placeholder.element),
                    f"fill {style['fill']!r} is not a flat colour; the field is black — set color",
                )
            )
            colour = '"black"'
        lines_out.append(f"color = {colour}")
        if abs(style["tracking"]) >= 1:
            lines_out.append(f"tracking = {_fmt(round(style['tracking']))}")
        lines_out.append(f"text = {_toml_text(placeholder.text)}")
        return [*lines_out, ""]

    def _infer_alignment(
        self,
        placeholder: Placeholder,
        box: tuple[float, float, float, float],
        font: _FontMatch,
        size_pt: float,
    ) -> str:
        """Illustrator writes where text starts, not how it is aligned: measure the placeholder to tell."""
        width_mm = _text_width_mm(font, placeholder.text.splitlines()[0], size_pt)
        if width_mm is None:
            return "left"
        start = placeholder.anchor[0]
        gaps = {
            "left": abs(start - box[0]),
            "center": abs(start + width_mm / 2 - (box[0] + box[2] / 2)),
            "right": abs(start + width_mm - (box[0] + box[2])),
        }
        return min(gaps, key=lambda key: gaps[key])

    def _font_for(
        self, style: dict[str, Any], placeholder: Placeholder, fonts: dict[str, _FontMatch]
    ) -> _FontMatch:
        families = style["families"]
        weight = style["weight"]
        found = _find_font(families, weight, style["italic"], self.font_folders)
        if found is None:
            serif = any(word in " ".join(families).lower() for word in ("serif", "mincho", "明朝", "times"))
            fallback_file = (
                "BIZUDPMincho-Regular.ttf"
                if serif
                else ("NotoSansJP-Bold.ttf" if weight >= 600 else "NotoSansJP-Regular.ttf")
            )
            self.notes.append(
                Note(
                    self.describe(placeholder.element),
                    f"font {', '.join(families) or '(none)'} (weight {weight}) was not found next to the "
                    "SVG; "
                    f"using the bundled {fallback_file} — put the font file (.ttf/.otf) into the template "
                    "folder and set its [fonts] file",
                )
            )
            path, key = bundled_fonts_folder() / fallback_file, _font_key(Path(fallback_file).stem)
            source = None
        else:
            path, key, face, setting = found
            source = None if path.parent == bundled_fonts_folder() else path
            fonts_key = key
            existing = fonts.get(fonts_key)
            if existing is not None:
                return existing
            match = _FontMatch(key, path.name, source, face, setting)
            fonts[fonts_key] = match
            return match
        existing = fonts.get(key)
        if existing is not None:
            return existing
        match = _FontMatch(key, path.name, source)
        fonts[key] = match
        return match

    def remove_template_elements(self) -> None:
        parents = self.styles.parents
        for element in self.to_remove:
            parent = parents.get(element)
            if parent is not None and element in list(parent):
                parent.remove(element)

    def note_undrawable_artwork(self) -> None:
        """What stays in the artwork but cannot be printed from SVG: say so now, naming the element."""
        for element in self.root.iter():
            name = local_name(element)
            own = self.styles.own(element)
            problem = ""
            if name == "foreignObject":
                problem = "foreign content (HTML) is not drawn — delete it or convert it to shapes"
            elif own.get("filter", "none") != "none" or name == "filter":
                problem = (
                    "uses a filter (blur, shadow), which is not drawn — expand or rasterise the effect "
                    "(Inkscape: Edit ▸ Make a Bitmap Copy; Illustrator: Object ▸ Rasterize; Affinity: "
                    "Layer ▸ Rasterise) or export the artwork as PDF"
                )
            elif own.get("mask", "none") != "none":
                problem = (
                    "uses a mask, which is not drawn — use a clipping path, or export the artwork as PDF"
                )
            elif name == "image":
                reference = next((v for k, v in element.attrib.items() if k.endswith("href")), "")
                if reference and not reference.startswith(("data:", "#")):
                    problem = (
                        f"links the file {reference[:60]!r}, which is refused in artwork — embed the image "
                        "(Inkscape: Extensions ▸ Images ▸ Embed Images; Illustrator: Images: Embed; "
                        "Affinity: Embed images)"
                    )
            if problem and name != "filter":
                self.notes.append(Note(self.describe(element), problem))


# --- helpers ---------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _field_name(label: str) -> str:
    name = re.sub(r"[^0-9A-Za-z_\-]+", "_", label.strip()).strip("_-").lower()
    for prefix in ("field-", "field_", "frame-", "frame_", "text-", "text_"):
        if name.startswith(prefix) and len(name) > len(prefix):
            name = name[len(prefix) :]
    return name


def _font_key(stem: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", stem.lower()).strip("-") or "font"


def _contains(box: tuple[float, float, float, float], point: tuple[float, float]) -> bool:
    x, y, width, height = box
    return x - 0.01 <= point[0] <= x + width + 0.01 and y - 0.01 <= point[1] <= y + height + 0.01


def _centre(box: tuple[float, float, float, float]) -> tuple[float, float]:
    return (box[0] + box[2] / 2, box[1] + box[3] / 2)


def _font_size_units(value: str) -> float:
    """A font size in user units (px and unitless are user units; pt/mm convert at 96 dpi)."""
    value = value.strip()
    if value.endswith("pt"):
        return number(value) * 96 / 72
    if value.endswith("mm"):
        return number(value) * 96 / 25.4
    return number(value, 16.0)


def _first_text_node(element: Any) -> Any:
    """The innermost element that holds the first placeholder character (its style is the field's)."""
    for node in element.iter():
        if node.text and node.text.strip():
            return node
    return element


def _first_positioned(element: Any) -> Any:
    for node in element.iter():
        if node.get("x") is not None and node.get("y") is not None:
            return node
    return element


def _text_lines(element: Any) -> list[str]:
    """The text's lines: Inkscape line tspans, tspans on a new ``y``, flowed paragraphs."""
    sodipodi_role = f"{{{SODIPODI_NS}}}role"
    name = local_name(element)
    if name == "flowRoot":
        return ["".join(para.itertext()) for para in element if local_name(para) in ("flowPara", "flowDiv")]
    lines: list[str] = []
    current = element.text or ""
    last_y = element.get("y")
    for child in element:
        if local_name(child) == "tspan" and (
            child.get(sodipodi_role) == "line" or (child.get("y") is not None and child.get("y") != last_y)
        ):
            if current.strip() or lines:
                lines.append(current)
            current = "".join(child.itertext())
            last_y = child.get("y", last_y)
        else:
            current += "".join(child.itertext())
        current += child.tail or ""
    lines.append(current)
    cleaned = [re.sub(r"[ \t\r\n]+", " ", line).strip() for line in lines]
    while cleaned and not cleaned[0]:
        cleaned.pop(0)
    return cleaned


def _colour(fill: str) -> str | None:
    fill = fill.strip().lower()
    named = {"black": "#000000", "white": "#ffffff", "red": "#ff0000", "none": ""}
    fill = named.get(fill, fill)
    if re.fullmatch(r"#[0-9a-f]{3}", fill):
        fill = "#" + "".join(c * 2 for c in fill[1:])
    match = re.fullmatch(r"rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)", fill)
    if match:
        fill = "#" + "".join(f"{min(255, int(v)):02x}" for v in match.groups())
    match = re.fullmatch(
        r"device-cmyk\(\s*([\d.]+%?)[\s,]+([\d.]+%?)[\s,]+([\d.]+%?)[\s,]+([\d.]+%?)\s*\)", fill
    )
    if match:
        values = [number(v) if v.endswith("%") else number(v) * 100 for v in match.groups()]
        return "[" + ", ".join(_fmt(round(v, 1)) for v in values) + "]"
    if not re.fullmatch(r"#[0-9a-f]{6}", fill):
        return None
    if fill == "#000000":
        return '"black"'  # pure K: the usual wish for black text in print
    return f'"{fill}"'


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_text(text: str) -> str:
    if "\n" not in text:
        return _toml_string(text)
    return '"""\n' + text.replace("\\", "\\\\").replace('"""', '\\"""') + '"""'


def _write_embedded_image(element: Any, stem: Path) -> Path | None:
    """Write an ``<image>``'s data URI as a file beside the template; ``None`` if it links a file."""
    for key, value in element.attrib.items():
        if not key.endswith("href") or not value.startswith("data:") or "," not in value:
            continue
        header, payload = value.split(",", 1)
        kind = header[5:].split(";")[0].lower()
        suffix = {
            "image/png": ".png",
            "image/jpeg": ".jpg",
            "image/jpg": ".jpg",
            "image/svg+xml": ".svg",
        }.get(kind)
        if suffix is None:
            return None
        data = base64.b64decode("".join(payload.split())) if header.endswith(";base64") else payload.encode()
        if suffix != ".svg":
            from PIL import Image

            try:
                with Image.open(io.BytesIO(data), formats=("PNG", "JPEG", "TIFF")) as image:
                    image.verify()
            except Exception:
                return None
        path = stem.with_suffix(suffix)
        path.write_bytes(data)
        return path
    return None


# --- fonts -----------------------------------------------------------------------


_FaceNames = tuple[set[str], int, bool, tuple[float, float, float] | None]


def _font_names(path: Path) -> list[_FaceNames]:
    """Per face: the names it answers to (family, full, PostScript), weight class, italic, wght axis."""
    from fontTools.ttLib import TTCollection, TTFont

    faces: list[_FaceNames] = []
    try:
        fonts = (
            TTCollection(str(path), lazy=True).fonts
            if path.suffix.lower() == ".ttc"
            else [TTFont(str(path), lazy=True, fontNumber=0)]
        )
    except Exception:  # not a font, or damaged: not a candidate
        return faces
    for font in fonts:
        names = set()
        for record in font["name"].names:
            if record.nameID in (1, 4, 6, 16):
                try:
                    names.add(record.toUnicode().strip().lower())
                except UnicodeDecodeError:
                    continue
        weight = font["OS/2"].usWeightClass if "OS/2" in font else 400
        italic = bool(font["OS/2"].fsSelection & 1) if "OS/2" in font else False
        axis = None
        if "fvar" in font:
            for candidate in font["fvar"].axes:
                if candidate.axisTag == "wght":
                    axis = (candidate.minValue, candidate.defaultValue, candidate.maxValue)
        faces.append((names, weight, italic, axis))
    return faces


def _find_font(
    families: list[str], weight: float, italic: bool, folders: tuple[Path, ...]
) -> tuple[Path, str, int, float | None] | None:
    """The font file (and face, and variable weight) for a CSS font family and weight."""
    wanted = [
        family.lower() for family in families if family.lower() not in ("sans-serif", "serif", "monospace")
    ]
    if not wanted:
        return None
    candidates: list[tuple[float, Path, int, float | None]] = []
    for folder in (*folders, bundled_fonts_folder()):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in (".ttf", ".otf", ".ttc", ".otc"):
                continue
            for face, (names, face_weight, face_italic, axis) in enumerate(_font_names(path)):
                if not any(family in names or family.replace(" ", "") in names for family in wanted):
                    continue
                exact_name = any(family in names and "-" in family for family in wanted)
                setting = None
                if axis is not None and axis[0] <= weight <= axis[2]:
                    face_weight = int(weight)  # a variable font has every weight in its range
                    setting = None if weight == axis[1] else weight
                score = abs(face_weight - weight) + (0 if face_italic == italic else 500)
                candidates.append((score - (1000 if exact_name else 0), path, face, setting))
    if not candidates:
        return None
    _, best, face, setting = min(candidates, key=lambda item: item[0])
    key = _font_key(best.stem) + (f"-{face}" if face else "") + (f"-{setting:g}" if setting else "")
    return best, key, face, setting


def _text_width_mm(font: _FontMatch, text: str, size_pt: float) -> float | None:
    from .fonts import load_font_spec
    from .template import FontSpec

    path = font.source if font.source is not None else bundled_fonts_folder() / font.file_name
    axes = (("wght", float(font.weight)),) if font.weight else ()
    try:
        face = load_font_spec(FontSpec(font.key, path, font.face, "", axes))
    except Exception:  # a font that cannot be measured: alignment stays as exported
        return None
    return face.text_width_pt(text, size_pt) / PT_PER_MM
