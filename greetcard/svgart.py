"""SVG artwork drawn as designers export it: embedded images, gradients, opacity, clipping.

svglib turns the SVG into a reportlab drawing; this module then prepares that
drawing for print before it is drawn into a one-page PDF:

* embedded raster images (``data:`` URIs) are converted through the ICC
  transform to CMYK (alpha kept as a soft mask) and drawn as image XObjects;
* gradient stops become CMYK colours, so the shading is DeviceCMYK;
* anything that fails to draw is reported with the element's id and kind.

Flat fill and stroke colours are converted afterwards in the content stream
(see :mod:`greetcard.artwork`); opacity stays live transparency (PDF/X-4).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reportlab.graphics.shapes import DirectDraw
from reportlab.lib.colors import CMYKColor, Color

from . import colour
from .errors import TemplateError
from .rl_hooks import gradient_colors, renderer_canvas, set_gradient_colors, set_soft_mask

#: Embedded images above this many pixels are refused (a decompression bomb, not a logo).
MAX_IMAGE_PIXELS = 120_000_000


class _ConvertedImage(DirectDraw):  # type: ignore[misc]
    """An SVG ``<image>`` drawn as an image XObject in the output colour model."""

    def __init__(self, image: Any, original: Any, cmyk: bool) -> None:
        self._reader = image_reader(image, cmyk)
        self._box = (original.x, original.y, original.width, original.height)
        self._svgid = getattr(original, "svgid", None)

    def drawDirectly(self, renderer: Any) -> None:
        renderer_canvas(renderer).drawImage(self._reader, *self._box, mask="auto")

    def getBounds(self) -> tuple[float, float, float, float]:
        x, y, width, height = self._box
        return (x, y, x + width, y + height)


def image_reader(image: Any, cmyk: bool) -> Any:
    """A reportlab ImageReader for a PIL image: CMYK through the ICC transform, alpha as a soft mask.

    reportlab only builds a soft mask for RGBA/LA images; a CMYK image carries
    its alpha by setting the reader's mask reader explicitly.
    """
    from PIL import Image, ImageOps
    from reportlab.lib.utils import ImageReader

    image = ImageOps.exif_transpose(image)
    alpha = None
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        alpha = rgba.getchannel("A")
        if alpha.getextrema() == (255, 255):
            alpha = None
        image = rgba.convert("RGB")
    elif image.mode not in ("RGB", "CMYK", "L"):
        image = image.convert("RGB")
    if cmyk and image.mode in ("RGB", "L"):
        image = colour.image_to_cmyk(image)
    elif not cmyk and image.mode == "CMYK":
        image = image.convert("RGB")
    reader = ImageReader(image)
    reader.getRGBData()  # decodes now; it would reset the mask reader set below
    if alpha is not None:
        set_soft_mask(reader, ImageReader(alpha.convert("L")))
    assert isinstance(image, Image.Image)
    return reader


def _walk(node: Any) -> Iterator[tuple[Any, int, Any]]:
    """Every (parent, index, child) in a reportlab drawing, depth first."""
    for index, child in enumerate(list(getattr(node, "contents", []) or [])):
        yield node, index, child
        yield from _walk(child)


def _cmyk_color(value: Any) -> Any:
    if isinstance(value, Color) and not isinstance(value, CMYKColor):
        c, m, y, k = colour.rgb_to_cmyk((float(value.red), float(value.green), float(value.blue)))
        return CMYKColor(c, m, y, k, alpha=value.alpha)
    return value


def prepare_drawing(drawing: Any, path: Path, cmyk: bool) -> None:
    """Replace what reportlab cannot draw for print (see the module docstring), in place."""
    from reportlab.graphics.shapes import Image as ImageShape
    from svglib.svglib import LinearGradientShape, RadialGradientShape

    for parent, index, child in list(_walk(drawing)):
        if isinstance(child, ImageShape):
            source = child.path
            if not hasattr(source, "mode"):
                continue
            if source.size[0] * source.size[1] > MAX_IMAGE_PIXELS:
                raise TemplateError(
                    f"{path}: the embedded image {_name(child)} has {source.size[0]} × {source.size[1]} px, "
                    "far more than print needs — export it smaller"
                )
            parent.contents[index] = _ConvertedImage(source, child, cmyk)
        elif isinstance(child, LinearGradientShape | RadialGradientShape):
            if cmyk:
                set_gradient_colors(child, [_cmyk_color(value) for value in gradient_colors(child)])
            # svglib draws the gradient beside the shape it fills; the shape's opacity is the gradient's.
            siblings = parent.contents
            shape = siblings[index + 1] if index + 1 < len(siblings) else None
            alpha = getattr(shape, "fillOpacity", None)
            if alpha is not None and alpha < 1:
                parent.contents[index] = _TransparentGradient(child, float(alpha))


class _TransparentGradient(DirectDraw):  # type: ignore[misc]
    """A gradient drawn with a constant fill alpha (its shape's ``opacity``/``fill-opacity``)."""

    def __init__(self, gradient: Any, alpha: float) -> None:
        self._gradient = gradient
        self._alpha = alpha

    def drawDirectly(self, renderer: Any) -> None:
        # svglib's own drawing fills the clip path with the current colour before the shading
        # (``W* f*``); under an alpha that black would show through, so clip without filling.
        from svglib.svglib import LinearGradientShape, _shape_to_pdf_path

        gradient = self._gradient
        canvas = renderer_canvas(renderer)
        canvas.saveState()
        canvas.setFillAlpha(self._alpha)
        path = _shape_to_pdf_path(canvas, gradient._clip_shape)
        if path:
            canvas.clipPath(path, fill=0, stroke=0)
            if isinstance(gradient, LinearGradientShape):
                canvas.linearGradient(
                    gradient._x0,
                    gradient._y0,
                    gradient._x1,
                    gradient._y1,
                    gradient._rl_colors,
                    gradient._positions,
                    gradient._extend,
                )
            else:
                canvas.radialGradient(
                    gradient._cx,
                    gradient._cy,
                    gradient._r,
                    gradient._rl_colors,
                    gradient._positions,
                    gradient._extend,
                )
        canvas.restoreState()

    def getBounds(self) -> tuple[float, float, float, float]:
        return self._gradient.getBounds()  # type: ignore[no-any-return]


def _name(node: Any) -> str:
    identifier = getattr(node, "svgid", None) or getattr(node, "_svgid", None)
    return f"id={identifier!r}" if identifier else f"<{type(node).__name__.lower()}> without id"


def _nodes_named(drawing: Any) -> Iterator[Any]:
    for _, _, child in _walk(drawing):
        yield child


def svg_to_pdf(path: Path, cmyk: bool = True) -> bytes:
    """Draw an SVG file into a one-page PDF, ready for :func:`greetcard.artwork.prepare_artwork`."""
    from reportlab.graphics import renderPDF
    from svglib.svglib import svg2rlg

    messages: list[str] = []
    handler = _Collector(messages)
    logger = logging.getLogger("svglib")
    logger.addHandler(handler)
    source = _prepared_source(path)
    try:
        drawing = svg2rlg(source)
    except Exception as err:  # svglib raises many kinds on broken files
        raise TemplateError(
            f"{path}: cannot read the SVG artwork ({err}) — save it again as plain SVG"
        ) from None
    finally:
        logger.removeHandler(handler)
    if drawing is None or not getattr(drawing, "contents", None):
        detail = f" ({messages[0]})" if messages else ""
        raise TemplateError(f"{path}: the SVG artwork draws nothing{detail} — save it again as plain SVG")
    prepare_drawing(drawing, path, cmyk)
    buffer = io.BytesIO()
    try:
        renderPDF.drawToFile(drawing, buffer, autoSize=1)
    except Exception:  # find the element reportlab cannot draw, and name it
        culprit = _failing_node(drawing)
        raise TemplateError(
            f"{path}: the SVG element {culprit} cannot be drawn — simplify it in the design program "
            "(expand or rasterise the effect), or export the artwork as PDF"
        ) from None
    return buffer.getvalue()


def _failing_node(drawing: Any) -> str:
    """The deepest element that fails to draw on its own (its id, or its kind)."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.shapes import Drawing

    culprit = "(unknown)"
    for node in _nodes_named(drawing):
        if getattr(node, "contents", None):
            continue  # groups fail through their children
        trial = Drawing(drawing.width, drawing.height)
        trial.add(node)
        try:
            renderPDF.drawToFile(trial, io.BytesIO())
        except Exception:
            culprit = _name(node)
            break
    return culprit


class _Collector(logging.Handler):
    """Keeps svglib's warnings, so a message can say why nothing was drawn."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


#: Embedded images are read by content, and only as these (never EPS, which runs Ghostscript).
RASTER_FORMATS = ("PNG", "JPEG", "TIFF")
_SHAPES = frozenset({"path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "image"})


def _prepared_source(path: Path) -> io.BytesIO:
    """The SVG with embedded images checked and ``opacity`` folded into its shapes.

    svglib ignores ``opacity``: an element's opacity is multiplied into the
    fill/stroke opacity of every shape below it (for a group of overlapping
    shapes a close approximation of group opacity); images get it in their
    alpha channel.  An embedded image that cannot be decoded is named here.
    """
    from xml.etree import ElementTree

    from .svgstyle import SvgStyles, local_name, number, register_namespaces

    register_namespaces()
    tree = ElementTree.parse(path)
    styles = SvgStyles(tree.getroot())
    changed = False
    for element in tree.getroot().iter():
        name = local_name(element)
        if name == "image":
            _check_embedded_image(path, element)
        if name not in _SHAPES:
            continue
        chain = [element, *styles.ancestors(element)]
        if any(local_name(node) in ("defs", "clipPath", "mask", "symbol") for node in chain):
            continue
        opacity = 1.0
        for node in chain:
            opacity *= min(1.0, max(0.0, number(styles.own(node).get("opacity"), 1.0)))
        if opacity >= 1.0:
            continue
        changed = True
        if name == "image":
            _fade_image(element, opacity)
            continue
        declarations = [
            f"{key}:{number(styles.get(element, key, '1'), 1.0) * opacity:.4f}"
            for key in ("fill-opacity", "stroke-opacity")
        ]
        element.set("style", ";".join(filter(None, [element.get("style", ""), *declarations])))
    buffer = io.BytesIO()
    if changed:
        tree.write(buffer)
    else:
        buffer.write(path.read_bytes())
    buffer.seek(0)
    return buffer


def _embedded_image(element: Any) -> tuple[str, bytes] | None:
    """The attribute and decoded bytes of an ``<image>``'s base64 data URI, if it has one."""
    import base64
    import binascii

    for key, value in element.attrib.items():
        if key.endswith("href") and value.startswith("data:") and "," in value:
            header, payload = value.split(",", 1)
            if header.endswith(";base64"):
                try:
                    return key, base64.b64decode("".join(payload.split()), validate=False)
                except (binascii.Error, ValueError):
                    return key, b""
    return None


def _check_embedded_image(path: Path, element: Any) -> None:
    from PIL import Image

    embedded = _embedded_image(element)
    if embedded is None or "svg" in element.get(embedded[0], "")[:30]:
        return
    try:
        with Image.open(io.BytesIO(embedded[1]), formats=RASTER_FORMATS) as image:
            if image.size[0] * image.size[1] > MAX_IMAGE_PIXELS:  # judged before decoding
                raise TemplateError(
                    f"{path}: the embedded <image> has {image.size[0]} × {image.size[1]} px, far more "
                    "than print needs — export it smaller"
                )
            image.load()
    except TemplateError:
        raise
    except Exception as err:  # Pillow raises many kinds on damaged data
        label = element.get("id")
        what = f"id={label!r}" if label else "without id"
        raise TemplateError(
            f"{path}: the embedded <image> {what} cannot be read ({err}) — "
            "place the image again in the design program and export the SVG again"
        ) from None


def _fade_image(element: Any, opacity: float) -> None:
    """Multiply an embedded image's alpha by ``opacity`` (external images are refused elsewhere)."""
    import base64

    from PIL import Image

    for key, value in element.attrib.items():
        if not key.endswith("href") or not value.startswith("data:") or "," not in value:
            continue
        header, payload = value.split(",", 1)
        if not header.endswith(";base64"):
            continue
        try:
            opened = Image.open(io.BytesIO(base64.b64decode(payload)), formats=RASTER_FORMATS)
            image: Image.Image = opened.convert("RGBA")
        except Exception:
            return  # svglib reports the unreadable image itself
        alpha = image.getchannel("A").point(lambda value: round(value * opacity))
        image.putalpha(alpha)
        out = io.BytesIO()
        image.save(out, "PNG")
        element.set(key, "data:image/png;base64," + base64.b64encode(out.getvalue()).decode())
