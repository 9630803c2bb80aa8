"""The card template: a folder with ``template.toml``, artwork and fonts.

A template is data.  This module reads the TOML file, checks every key against
the tables below (unknown keys get a "did you mean"), and returns frozen
dataclasses in millimetres and points.  Nothing here draws.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Location, TemplateError, located

TEMPLATE_FILE = "template.toml"
ALIGNMENTS = ("left", "center", "right")
VERTICAL_ALIGNMENTS = ("top", "middle", "bottom")
ERROR_CORRECTION_LEVELS = ("L", "M", "Q", "H")
COLOR_MODELS = ("cmyk", "rgb")
FIELD_KINDS = ("text", "address")
#: DIN 5008 form B: the address zone of the window (x, y, width, height in mm from the top-left).
DIN5008_FORM_B_ADDRESS_MM = (20.0, 62.7, 85.0, 27.3)
#: A DIN lang card (210 × 99 mm) in a DL window envelope (220 × 110 mm, window 90 × 45 mm at 20 mm
#: from the left and 15 mm from the bottom, DIN 680) slides up to 10 mm sideways and 11 mm up and
#: down: only this part of the card (x, y, width, height) shows through the window in every position.
DL_WINDOW_VISIBLE_MM = (20.0, 50.0, 80.0, 34.0)
DIN_LANG_CARD_MM = (210.0, 99.0)
#: Room kept between the address and the window's always-visible edge.
DL_WINDOW_CLEARANCE_MM = 1.5
#: din5008 = "DL": the address zone inside that area, below a 4 mm return-address line.
DL_WINDOW_ADDRESS_MM = (21.5, 56.0, 77.0, 26.5)
DIN5008_MAX_LINES = 6
DIN5008_MIN_SIZE_PT = 8.0
MIN_QR_SIZE_MM = 10.0


@dataclass(frozen=True)
class Box:
    """A rectangle in millimetres, measured from the trim's top-left corner."""

    x_mm: float
    y_mm: float
    width_mm: float
    height_mm: float

    @property
    def right_mm(self) -> float:
        return self.x_mm + self.width_mm

    @property
    def bottom_mm(self) -> float:
        return self.y_mm + self.height_mm


@dataclass(frozen=True)
class Color:
    """A colour as the designer gave it: CMYK fractions, or RGB fractions from ``#rrggbb``."""

    cmyk: tuple[float, float, float, float] | None = None
    rgb: tuple[float, float, float] | None = None

    @property
    def is_pure_black(self) -> bool:
        return self.cmyk == (0.0, 0.0, 0.0, 1.0)


BLACK = Color(cmyk=(0.0, 0.0, 0.0, 1.0))
WHITE = Color(cmyk=(0.0, 0.0, 0.0, 0.0))


@dataclass(frozen=True)
class FontSpec:
    """A font the template names, by its key in ``[fonts]``: file, collection face, variable instance."""

    name: str
    path: Path
    face_index: int = 0
    instance: str = ""
    axes: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class TextField:
    """A box that receives text: fitted by wrapping, then shrinking down to ``min_size_pt``."""

    name: str
    box: Box
    fonts: tuple[str, ...]
    size_pt: float
    min_size_pt: float
    leading: float
    align: str
    valign: str
    color: Color
    text: dict[str, str]
    kind: str = "text"
    max_lines: int | None = None
    where: str = ""
    direction: str = "horizontal"
    tracking: float = 0.0  # extra space between characters, in 1/1000 em
    vertical_latin: str = "rotated"


@dataclass(frozen=True)
class ImageField:
    """A box that receives an image: one fixed file, or a file named per row in a list column."""

    name: str
    box: Box
    file: Path | None
    column: str | None
    fit: str = "contain"
    align: str = "center"
    valign: str = "middle"
    min_dpi: float = 300.0
    where: str = ""


@dataclass(frozen=True)
class QrSpec:
    """Where the QR code sits; ``size_mm`` includes the quiet zone and white plate."""

    x_mm: float
    y_mm: float
    size_mm: float
    error_correction: str = "M"
    quiet_zone_modules: int = 4
    min_module_mm: float = 0.4
    where: str = ""
    #: True when the template sets the level; otherwise it is the minimum, raised while the version holds.
    error_correction_fixed: bool = False

    @property
    def box(self) -> Box:
        return Box(self.x_mm, self.y_mm, self.size_mm, self.size_mm)


@dataclass(frozen=True)
class PageSpec:
    """One page of the card: optional artwork, text fields and an optional QR code."""

    artwork: Path | None
    fields: tuple[TextField, ...]
    qr: QrSpec | None
    images: tuple[ImageField, ...] = ()
    #: Artwork by language (``artwork = { default = "…", ja = "…" }``); ``artwork`` is the default.
    artwork_variants: tuple[tuple[str, Path], ...] = ()

    def artwork_for(self, language: str) -> Path | None:
        return dict(self.artwork_variants).get(language, self.artwork)


@dataclass(frozen=True)
class PrintProfile:
    """How a card goes out: bleed, crop marks, colour model and PDF/X."""

    name: str
    bleed_mm: float
    crop_marks: bool
    color_model: str
    pdfx: bool
    marks_ink: str = "registration"
    description: str = ""
    sheet_gutter_mm: float = 0.0  # imposition: between neighbouring cards' bleed edges
    sheet_margin_mm: float = 5.0  # imposition: sheet edge to the grid (crop marks sit here)


BUILTIN_PROFILES = {
    "print": PrintProfile(
        "print", 3.0, False, "cmyk", True, description="print shop: 3 mm bleed, CMYK, PDF/X-4"
    ),
    "print-marks": PrintProfile(
        "print-marks",
        3.0,
        True,
        "cmyk",
        True,
        description="as 'print' plus crop marks outside the bleed",
    ),
    "screen": PrintProfile("screen", 0.0, False, "rgb", False, description="trimmed, RGB, small: for e-mail"),
}


@dataclass(frozen=True)
class CardTemplate:
    """Everything a template file says, resolved to paths and numbers."""

    folder: Path
    file: Path
    name: str
    width_mm: float
    height_mm: float
    bleed_mm: float
    safe_margin_mm: float
    link: str
    default_language: str
    fonts: dict[str, FontSpec]
    pages: tuple[PageSpec, ...]
    profiles: dict[str, PrintProfile] = field(default_factory=dict)

    def profile(self, name: str) -> PrintProfile:
        """A profile by name: the template's own first, then the built-in ones."""
        if name in self.profiles:
            return self.profiles[name]
        if name in BUILTIN_PROFILES:
            base = BUILTIN_PROFILES[name]
            if name != "screen" and base.bleed_mm != self.bleed_mm:
                return PrintProfile(
                    base.name,
                    self.bleed_mm,
                    base.crop_marks,
                    base.color_model,
                    base.pdfx,
                    base.marks_ink,
                    base.description,
                )
            return base
        known = sorted({*BUILTIN_PROFILES, *self.profiles})
        raise TemplateError(
            f"unknown print profile {name!r} — use one of: {', '.join(known)}" + _did_you_mean(name, known)
        )


# --- reading -----------------------------------------------------------------

_TOP_KEYS = {"name", "default_language", "link", "card", "fonts", "pages", "profiles"}
_CARD_KEYS = {"width_mm", "height_mm", "bleed_mm", "safe_margin_mm"}
_FONT_KEYS = {"file", "face", "instance", "weight", "axes"}
_PAGE_KEYS = {"artwork", "fields", "qr", "images"}
_IMAGE_KEYS = {"box_mm", "file", "column", "fit", "align", "valign", "min_dpi"}
FIT_MODES = ("contain", "cover")
DIRECTIONS = ("horizontal", "vertical")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".pdf")
_FIELD_KEYS = {
    "type",
    "box_mm",
    "fonts",
    "font",
    "size_pt",
    "min_size_pt",
    "leading",
    "align",
    "valign",
    "color",
    "text",
    "max_lines",
    "din5008",
    "direction",
    "tracking",
    "vertical_latin",
}
_QR_KEYS = {"box_mm", "error_correction", "quiet_zone_modules", "min_module_mm"}
_PROFILE_KEYS = {
    "bleed_mm",
    "crop_marks",
    "color",
    "pdfx",
    "marks_ink",
    "description",
    "sheet_gutter_mm",
    "sheet_margin_mm",
}
_NAMED_COLORS = {"black": BLACK, "white": WHITE}


def load_template(folder: Path | str) -> CardTemplate:
    """Read and validate a template folder (or a template file directly)."""
    folder = Path(folder)
    file = folder if folder.is_file() else folder / TEMPLATE_FILE
    folder = file.parent
    if not file.is_file():
        raise TemplateError(
            f"{file}: no template file — a template is a folder with {TEMPLATE_FILE}; "
            "create one with 'greetcard template new DIR'"
        )
    if file.suffix.lower() != ".toml":
        raise TemplateError(f"{file}: not a template file — pass the template folder (with {TEMPLATE_FILE})")
    text = _read_template_text(file)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise TemplateError(
            f"{file}: arrays or tables are nested too deeply to read — a template needs only a few levels"
        ) from None
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"line (\d+), column (\d+)", str(err))
        where = Location(file, int(match[1]), int(match[2])) if match else Location(file)
        raise TemplateError(located(where, f"not valid TOML: {err}")) from None
    return _TemplateReader(file, text).read(data)


def _read_template_text(file: Path) -> str:
    """The template file's text, within the size, line-length and nesting limits."""
    from .limits import LimitError, how_to_raise, limit, read_within_limit

    data = read_within_limit(file, "template_bytes", "the template file", "a template needs a few kilobytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise TemplateError(
            f"{file}: byte {err.start} is not UTF-8 — save the template file as UTF-8"
        ) from None
    max_line = limit("template_line_chars")
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > max_line:
            raise LimitError(
                located(
                    Location(file, number),
                    f"line is {len(line):,} characters long (limit {max_line:,}) — break long texts "
                    f'with a multi-line string ("""…"""); {how_to_raise("template_line_chars")}',
                )
            )
    depth = _bracket_depth(text)
    if depth > limit("template_nesting"):
        raise LimitError(
            f"{file}: arrays or tables are nested {depth} levels deep — a template needs only a few; "
            f"{how_to_raise('template_nesting')}"
        )
    return text


def _bracket_depth(text: str) -> int:
    """Deepest nesting of [ ] and { } outside strings and comments (an upper bound; linear)."""
    depth = deepest = 0
    quote = ""
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if quote:
            if text.startswith(quote, index):
                index += len(quote)
                quote = ""
                continue
            if char == "\\" and quote[0] == '"':
                index += 2
                continue
            if char == "\n" and len(quote) == 1:
                quote = ""
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, index) else char
            index += len(quote)
            continue
        elif char == "#":
            newline = text.find("\n", index)
            index = length if newline < 0 else newline
            continue
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
        index += 1
    return deepest


class _TemplateReader:
    """Validates the parsed TOML while remembering where each key stands in the file."""

    def __init__(self, file: Path, text: str) -> None:
        self.file = file
        self.folder = file.parent
        self.lines = _key_lines(text)

    # -- errors ---------------------------------------------------------------

    def fail(self, path: tuple[str | int, ...], message: str) -> TemplateError:
        line = self._line_of(path)
        return TemplateError(located(Location(self.file, line), f"{_dotted(path)}: {message}"))

    def _line_of(self, path: tuple[str | int, ...]) -> int | None:
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def check_keys(self, table: dict[str, Any], allowed: set[str], path: tuple[str | int, ...]) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(
                    (*path, key),
                    f"unknown key {key!r}{_did_you_mean(key, allowed)} "
                    f"(allowed here: {', '.join(sorted(allowed))})",
                )

    def table(self, value: Any, path: tuple[str | int, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"must be a table, got {type(value).__name__}")
        return value

    def number(
        self,
        table: dict[str, Any],
        key: str,
        path: tuple[str | int, ...],
        default: float | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float:
        if key not in table:
            if default is None:
                raise self.fail(path, f"missing key {key!r} — add e.g. {key} = 10")
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail((*path, key), f"must be a number, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.fail((*path, key), f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise self.fail((*path, key), f"must be at most {maximum}, got {value}")
        return float(value)

    def string(
        self,
        table: dict[str, Any],
        key: str,
        path: tuple[str | int, ...],
        default: str | None = None,
        choices: tuple[str, ...] | None = None,
    ) -> str:
        if key not in table:
            if default is None:
                raise self.fail(path, f"missing key {key!r}")
            return default
        value = table[key]
        if not isinstance(value, str):
            raise self.fail((*path, key), f"must be a string, got {value!r}")
        if choices is not None and value not in choices:
            raise self.fail(
                (*path, key),
                f"{value!r} is not one of {', '.join(choices)}{_did_you_mean(value, choices)}",
            )
        return value

    def whole_number(
        self, table: dict[str, Any], key: str, path: tuple[str | int, ...], default: int, minimum: int
    ) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail((*path, key), f"must be a whole number, got {value!r}")
        if value < minimum:
            raise self.fail((*path, key), f"must be at least {minimum}, got {value}")
        return value

    def boolean(self, table: dict[str, Any], key: str, path: tuple[str | int, ...], default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail((*path, key), f"must be true or false, got {value!r}")
        return value

    def numbers(
        self, table: dict[str, Any], key: str, path: tuple[str | int, ...], count: int
    ) -> list[float]:
        value = table.get(key)
        if (
            not isinstance(value, list)
            or len(value) != count
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
            )
        ):
            example = {4: "[10, 20, 80, 15]", 3: "[35, 90, 30]"}.get(count, "[…]")
            raise self.fail((*path, key), f"must be a list of {count} numbers in mm, e.g. {example}")
        return [float(v) for v in value]

    def check_file_name(self, name: str, path: tuple[str | int, ...]) -> None:
        """Refuse names that no file system accepts before they reach one."""
        from .limits import how_to_raise, limit

        if "\x00" in name or any(ord(char) < 32 for char in name):
            raise self.fail(path, f"{name!r} contains a control character — give the plain file name")
        if len(name) > limit("artwork_name_chars") or any(
            len(part.encode("utf-8", "surrogatepass")) > 255 for part in Path(name).parts
        ):
            raise self.fail(
                path,
                f"the file name is {len(name):,} characters long — give the plain file name "
                f"({how_to_raise('artwork_name_chars')})",
            )
        if Path(name).is_absolute() or Path(name).drive or name.startswith(("/", "\\")):
            raise self.fail(
                path,
                f"{name!r} is an absolute path — put the file into the template folder and give its "
                "name relative to template.toml",
            )

    def display_name(self, data: dict[str, Any]) -> str:
        """The template's name: shown in terminals, PDF metadata and file titles, so plain text only."""
        import unicodedata

        name = self.string(data, "name", (), default=self.folder.name)
        hidden = next((c for c in name if unicodedata.category(c) in ("Cc", "Cf", "Cs")), None)
        if hidden is not None:
            raise self.fail(
                ("name",),
                f"contains the invisible control character U+{ord(hidden):04X} — use plain text",
            )
        return name

    # -- the tables -----------------------------------------------------------

    def read(self, data: dict[str, Any]) -> CardTemplate:
        self.check_keys(data, _TOP_KEYS, ())
        card = self.table(data.get("card", {}), ("card",))
        self.check_keys(card, _CARD_KEYS, ("card",))
        width = self.number(card, "width_mm", ("card",), minimum=20, maximum=1000)
        height = self.number(card, "height_mm", ("card",), minimum=20, maximum=1000)
        bleed = self.number(card, "bleed_mm", ("card",), default=3.0, minimum=0, maximum=20)
        safe = self.number(card, "safe_margin_mm", ("card",), default=5.0, minimum=0, maximum=50)
        link = self.string(data, "link", (), default="")
        default_language = self.string(data, "default_language", (), default="de", choices=("de", "ja", "en"))
        fonts = self.read_fonts(self.table(data.get("fonts", {}), ("fonts",)))
        pages_data = data.get("pages")
        if not isinstance(pages_data, list) or not pages_data:
            raise self.fail(("pages",), "missing — add at least one [[pages]] table")
        pages = tuple(self.read_page(page, ("pages", index), fonts) for index, page in enumerate(pages_data))
        if not any(page.qr for page in pages):
            raise self.fail(("pages",), "no page has a QR code — add a [pages.qr] table with box_mm")
        profiles = {
            name: self.read_profile(name, self.table(value, ("profiles", name)), bleed)
            for name, value in self.table(data.get("profiles", {}), ("profiles",)).items()
        }
        return CardTemplate(
            folder=self.folder,
            file=self.file,
            name=self.display_name(data),
            width_mm=width,
            height_mm=height,
            bleed_mm=bleed,
            safe_margin_mm=safe,
            link=link,
            default_language=default_language,
            fonts=fonts,
            pages=pages,
            profiles=profiles,
        )

    def read_fonts(self, table: dict[str, Any]) -> dict[str, FontSpec]:
        if not table:
            raise self.fail(
                ("fonts",), 'missing — add e.g. [fonts.sans] with file = "NotoSansJP-Regular.ttf"'
            )
        fonts = {}
        for name, spec in table.items():
            path = ("fonts", name)
            spec = self.table(spec, path)
            self.check_keys(spec, _FONT_KEYS, path)
            file_name = self.string(spec, "file", path)
            self.check_file_name(file_name, (*path, "file"))
            resolved = resolve_font_file(self.folder, file_name)
            outside = next(
                (
                    candidate
                    for candidate in (self.folder / file_name, self.folder / "fonts" / file_name)
                    if _exists(candidate) and not _inside_template_roots(candidate, self.folder)
                ),
                None,
            )
            if outside is not None:
                raise self.fail((*path, "file"), _outside_message(file_name, outside, self.folder))
            if resolved is None:
                raise self.fail(
                    (*path, "file"),
                    f"font file {file_name!r} not found in {self.folder} or the bundled fonts — "
                    "put the .ttf file into the template folder",
                )
            with resolved.open("rb") as handle:
                signature = handle.read(4)
            if signature not in (b"\x00\x01\x00\x00", b"true", b"ttcf", b"OTTO"):
                raise self.fail(
                    (*path, "file"),
                    f"{file_name!r} is not a TrueType or OpenType font file — use a .ttf, .otf or .ttc font",
                )
            fonts[name] = self.read_font_choice(name, resolved, spec, path)
        return fonts

    def read_font_choice(
        self, name: str, resolved: Path, spec: dict[str, Any], path: tuple[str | int, ...]
    ) -> FontSpec:
        """Collection face, variable instance or axis values; checked against the font itself."""
        from .fontprep import FontProblem, FontRequest, check_request

        face = self.whole_number(spec, "face", path, default=0, minimum=0)
        instance = self.string(spec, "instance", path, default="")
        axes: dict[str, float] = {}
        if "weight" in spec:
            axes["wght"] = self.number(spec, "weight", path, minimum=1, maximum=1000)
        if "axes" in spec:
            table = self.table(spec["axes"], (*path, "axes"))
            for tag in table:
                if not isinstance(tag, str) or len(tag) != 4:
                    raise self.fail(
                        (*path, "axes", tag), "axis tags have four letters, e.g. wght, wdth, opsz"
                    )
                axes[tag] = self.number(table, tag, (*path, "axes"))
        request = FontRequest(resolved, face, instance, tuple(sorted(axes.items())))
        try:
            check_request(request)
        except FontProblem as err:
            key = next((k for k in ("instance", "weight", "axes", "face") if k in spec), "file")
            raise self.fail((*path, key), f"{resolved.name}: {err}") from None
        return FontSpec(name, resolved, face, instance, request.axes)

    def read_images(self, page: dict[str, Any], path: tuple[str | int, ...]) -> tuple[ImageField, ...]:
        """``[pages.images.NAME]``: a fixed ``file`` in the template folder, or a list ``column``."""
        images = []
        for name, spec in self.table(page.get("images", {}), (*path, "images")).items():
            where = (*path, "images", name)
            spec = self.table(spec, where)
            self.check_keys(spec, _IMAGE_KEYS, where)
            box = Box(*self.numbers(spec, "box_mm", where, 4))
            if box.width_mm <= 0 or box.height_mm <= 0:
                raise self.fail(
                    (*where, "box_mm"), "width and height must be positive: [x, y, width, height]"
                )
            if ("file" in spec) == ("column" in spec):
                raise self.fail(
                    where,
                    'give either file = "logo.png" (one image for every card) or column = "logo_file" '
                    "(each row names its image file)",
                )
            file = None
            if "file" in spec:
                file_name = self.string(spec, "file", where)
                file = self.confined_file(file_name, (*where, "file"), IMAGE_SUFFIXES, "image")
            column = self.string(spec, "column", where) if "column" in spec else None
            images.append(
                ImageField(
                    name=name,
                    box=box,
                    file=file,
                    column=column,
                    fit=self.string(spec, "fit", where, default="contain", choices=FIT_MODES),
                    align=self.string(spec, "align", where, default="center", choices=ALIGNMENTS),
                    valign=self.string(spec, "valign", where, default="middle", choices=VERTICAL_ALIGNMENTS),
                    min_dpi=self.number(spec, "min_dpi", where, default=300, minimum=50, maximum=2400),
                    where=f"{self.file}:{self._line_of(where) or ''}".rstrip(":"),
                )
            )
        return tuple(images)

    def confined_file(
        self, file_name: str, path: tuple[str | int, ...], suffixes: tuple[str, ...], what: str
    ) -> Path:
        """A file named relative to the template folder, never outside it.

        A template comes from outside: it may use only its own files, never an absolute path,
        ``..`` or a symbolic link that leads elsewhere on the disk.
        """
        self.check_file_name(file_name, path)
        relative = Path(file_name)
        if relative.is_absolute() or ".." in relative.parts or not file_name.strip():
            raise self.fail(
                path,
                f"{file_name!r} is outside the template folder: name the {what} relative to the template "
                'folder, e.g. "logo.png"',
            )
        candidate = self.folder / relative
        if _exists(candidate) and not _inside_template_roots(candidate, self.folder):
            raise self.fail(path, _outside_message(file_name, candidate, self.folder))
        resolved = candidate.resolve()
        if not resolved.is_file():
            raise self.fail(path, f"{what} file {file_name!r} not found in {self.folder}")
        if resolved.suffix.lower() not in suffixes:
            raise self.fail(path, f"{file_name!r}: the {what} must be one of {', '.join(suffixes)}")
        return resolved

    def read_page(self, page: Any, path: tuple[str | int, ...], fonts: dict[str, FontSpec]) -> PageSpec:
        page = self.table(page, path)
        self.check_keys(page, _PAGE_KEYS, path)
        artwork = None
        variants: tuple[tuple[str, Path], ...] = ()
        if isinstance(page.get("artwork"), dict):
            by_language = self.table(page["artwork"], (*path, "artwork"))
            resolved_variants = {}
            for language in by_language:
                if language not in ("default", "de", "ja", "en"):
                    raise self.fail(
                        (*path, "artwork", language),
                        f"unknown language {language!r} — artwork variants are keyed by default, de, ja "
                        "or en",
                    )
                resolved_variants[language] = self.confined_file(
                    self.string(by_language, language, (*path, "artwork")),
                    (*path, "artwork", language),
                    (".pdf", ".svg", ".png", ".jpg", ".jpeg"),
                    "artwork",
                )
            if "default" not in resolved_variants:
                raise self.fail(
                    (*path, "artwork"),
                    "artwork by language needs a default, "
                    'e.g. artwork = { default = "de.pdf", ja = "ja.pdf" }',
                )
            artwork = resolved_variants.pop("default")
            variants = tuple(sorted(resolved_variants.items()))
        elif "artwork" in page:
            name = self.string(page, "artwork", path)
            artwork = self.confined_file(
                name, (*path, "artwork"), (".pdf", ".svg", ".png", ".jpg", ".jpeg"), "artwork"
            )
        fields_table = self.table(page.get("fields", {}), (*path, "fields"))
        fields = tuple(
            self.read_field(name, self.table(spec, (*path, "fields", name)), (*path, "fields", name), fonts)
            for name, spec in fields_table.items()
        )
        qr = None
        if "qr" in page:
            qr_path = (*path, "qr")
            table = self.table(page["qr"], qr_path)
            self.check_keys(table, _QR_KEYS, qr_path)
            x, y, size = self.numbers(table, "box_mm", qr_path, 3)
            if size < MIN_QR_SIZE_MM:
                raise self.fail(
                    (*qr_path, "box_mm"),
                    f"a {size:g} mm QR code is too small to scan — give at least {MIN_QR_SIZE_MM:g} mm "
                    "(25–30 mm for phones at arm's length)",
                )
            qr = QrSpec(
                x,
                y,
                size,
                error_correction=self.string(
                    table, "error_correction", qr_path, default="M", choices=ERROR_CORRECTION_LEVELS
                ),
                quiet_zone_modules=self.whole_number(
                    table, "quiet_zone_modules", qr_path, default=4, minimum=4
                ),
                min_module_mm=self.number(table, "min_module_mm", qr_path, default=0.4, minimum=0.1),
                where=f"{self.file}:{self._line_of(qr_path) or ''}".rstrip(":"),
                error_correction_fixed="error_correction" in table,
            )
        return PageSpec(
            artwork=artwork,
            fields=fields,
            qr=qr,
            images=self.read_images(page, path),
            artwork_variants=variants,
        )

    def read_field(
        self, name: str, spec: dict[str, Any], path: tuple[str | int, ...], fonts: dict[str, FontSpec]
    ) -> TextField:
        self.check_keys(spec, _FIELD_KEYS, path)
        kind = self.string(spec, "type", path, default="text", choices=FIELD_KINDS)
        if "din5008" in spec:
            form = self.string(spec, "din5008", path, choices=("B", "DL"))
            if kind != "address":
                raise self.fail(
                    (*path, "din5008"), 'only an address field has a DIN 5008 position — add type = "address"'
                )
            box = Box(*(DIN5008_FORM_B_ADDRESS_MM if form == "B" else DL_WINDOW_ADDRESS_MM))
        else:
            box = Box(*self.numbers(spec, "box_mm", path, 4))
        if box.width_mm <= 0 or box.height_mm <= 0:
            raise self.fail((*path, "box_mm"), "width and height must be positive: [x, y, width, height]")
        font_names = spec.get("fonts", spec.get("font"))
        if isinstance(font_names, str):
            font_names = [font_names]
        if (
            not isinstance(font_names, list)
            or not font_names
            or not all(isinstance(f, str) for f in font_names)
        ):
            raise self.fail((*path, "fonts"), 'must name fonts from [fonts], e.g. fonts = ["sans"]')
        for font_name in font_names:
            if font_name not in fonts:
                raise self.fail(
                    (*path, "fonts"),
                    f"font {font_name!r} is not defined in [fonts]{_did_you_mean(font_name, fonts)}",
                )
        size = self.number(spec, "size_pt", path, minimum=2, maximum=400)
        minimum_default = DIN5008_MIN_SIZE_PT if kind == "address" else size
        min_size = self.number(spec, "min_size_pt", path, default=min(size, minimum_default), minimum=2)
        if kind == "address" and min_size < DIN5008_MIN_SIZE_PT:
            raise self.fail((*path, "min_size_pt"), "an address needs at least 8 pt (DIN 5008)")
        if min_size > size:
            raise self.fail((*path, "min_size_pt"), f"must not exceed size_pt ({size})")
        text = self.read_text(spec, path, kind)
        max_lines: int | None = None
        if "max_lines" in spec:
            max_lines = self.whole_number(spec, "max_lines", path, default=1, minimum=1)
        elif kind == "address":
            max_lines = DIN5008_MAX_LINES
        return TextField(
            name=name,
            box=box,
            fonts=tuple(font_names),
            size_pt=size,
            min_size_pt=min_size,
            leading=self.number(spec, "leading", path, default=1.25, minimum=0.8, maximum=3),
            # Vertical columns start at the right edge, as Japanese is read.
            align=self.string(
                spec,
                "align",
                path,
                default="right" if spec.get("direction") == "vertical" else "left",
                choices=ALIGNMENTS,
            ),
            valign=self.string(spec, "valign", path, default="top", choices=VERTICAL_ALIGNMENTS),
            color=self.read_color(spec.get("color", "black"), (*path, "color")),
            text=text,
            kind=kind,
            max_lines=max_lines,
            where=f"{self.file}:{self._line_of(path) or ''}".rstrip(":"),
            direction=self.string(spec, "direction", path, default="horizontal", choices=DIRECTIONS),
            tracking=self.number(spec, "tracking", path, default=0, minimum=-200, maximum=1000),
            vertical_latin=self.string(
                spec, "vertical_latin", path, default="rotated", choices=("rotated", "upright")
            ),
        )

    def read_text(self, spec: dict[str, Any], path: tuple[str | int, ...], kind: str) -> dict[str, str]:
        value = spec.get("text")
        if value is None and kind == "address":
            value = DEFAULT_ADDRESS_TEXT
        if isinstance(value, str):
            return {"default": value}
        if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
            for key in value:
                if key not in ("default", "de", "ja", "en"):
                    raise self.fail(
                        (*path, "text", key),
                        f"unknown language {key!r}{_did_you_mean(key, ('default', 'de', 'ja', 'en'))} "
                        "— text variants are keyed by default, de, ja or en",
                    )
            return dict(value)
        raise self.fail(
            (*path, "text"),
            'must be a string, or a table of strings by language, e.g. text = { default = "…", ja = "…" }',
        )

    def read_color(self, value: Any, path: tuple[str | int, ...]) -> Color:
        if isinstance(value, str):
            if value in _NAMED_COLORS:
                return _NAMED_COLORS[value]
            if re.fullmatch(r"#[0-9a-fA-F]{6}", value):
                return Color(rgb=tuple(int(value[i : i + 2], 16) / 255 for i in (1, 3, 5)))  # type: ignore[arg-type]
        if (
            isinstance(value, list)
            and len(value) == 4
            and all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 100 for v in value)
        ):
            if all(v <= 1 for v in value) and any(0 < v < 1 for v in value):
                percent = [round(v * 100) for v in value]
                raise self.fail(path, f"CMYK values are percentages from 0 to 100 — did you mean {percent}?")
            return Color(cmyk=tuple(float(v) / 100 for v in value))  # type: ignore[arg-type]
        raise self.fail(
            path,
            f'colour {value!r} not understood — use "black", CMYK percentages like [0, 90, 85, 0], '
            'or "#rrggbb"',
        )

    def read_profile(self, name: str, table: dict[str, Any], bleed: float) -> PrintProfile:
        path = ("profiles", name)
        self.check_keys(table, _PROFILE_KEYS, path)
        base = BUILTIN_PROFILES.get(name, BUILTIN_PROFILES["print"])
        return PrintProfile(
            name=name,
            bleed_mm=self.number(
                table, "bleed_mm", path, default=bleed if base.bleed_mm else 0.0, minimum=0, maximum=20
            ),
            crop_marks=self.boolean(table, "crop_marks", path, base.crop_marks),
            color_model=self.string(table, "color", path, default=base.color_model, choices=COLOR_MODELS),
            pdfx=self.boolean(table, "pdfx", path, base.pdfx),
            marks_ink=self.string(
                table, "marks_ink", path, default=base.marks_ink, choices=("registration", "k")
            ),
            description=self.string(table, "description", path, default=""),
            sheet_gutter_mm=self.number(
                table, "sheet_gutter_mm", path, default=base.sheet_gutter_mm, minimum=0, maximum=100
            ),
            sheet_margin_mm=self.number(
                table, "sheet_margin_mm", path, default=base.sheet_margin_mm, minimum=4, maximum=100
            ),
        )


DEFAULT_ADDRESS_TEXT = """{{ company }}
{{ department }}
{% if contact %}{{ title }} {{ contact }}{% endif %}
{{ street }}
{{ postcode }} {{ city }}
{{ country }}"""


def bundled_fonts_folder() -> Path:
    """The fonts shipped with greetcard (checkout: assets/fonts; installed: greetcard/_assets/fonts)."""
    from .assets import assets_folder

    return assets_folder() / "fonts"


def resolve_font_file(folder: Path, file_name: str) -> Path | None:
    """A font next to the template wins; otherwise a bundled font of that name.

    Only files that stay inside the template folder or the bundled assets count.
    """
    for candidate in (folder / file_name, folder / "fonts" / file_name, bundled_fonts_folder() / file_name):
        if _exists(candidate) and candidate.is_file() and _inside_template_roots(candidate, folder):
            return candidate.resolve()
    return None


def _exists(path: Path) -> bool:
    """``path.exists()`` that treats unusable names (too long, NUL, loops) as missing."""
    try:
        return path.exists() or path.is_symlink()
    except (OSError, ValueError):
        return False


def _inside_template_roots(path: Path, folder: Path) -> bool:
    """Whether ``path``, with every symbolic link followed, lies in ``folder`` or the bundled assets."""
    from .assets import assets_folder

    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return False
    roots = (folder.resolve(), assets_folder().resolve())
    return any(resolved.is_relative_to(root) for root in roots)


def _outside_message(name: str, path: Path, folder: Path) -> str:
    how = "a symbolic link to a file" if path.is_symlink() else "a file"
    return (
        f"{name!r} is {how} outside the template folder {folder} — a template may use only its own "
        "files: copy the file into the template folder and name it there"
    )


def _did_you_mean(word: str, choices: Any) -> str:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" — did you mean {matches[0]!r}?" if matches else ""


def _dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "template"


_BARE_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _table_header(line: str) -> tuple[str, str] | None:
    """``("[[" or "[", "dotted.name")`` when the line is a table header; one pass, no backtracking."""
    text = line.strip()
    if not text.startswith("["):
        return None
    opener = "[[" if text.startswith("[[") else "["
    closing = text.find("]", len(opener))
    if closing < 0:
        return None
    name = text[len(opener) : closing].strip()
    rest = text[closing:]
    rest = rest[2:] if rest.startswith("]]") else rest[1:]
    rest = rest.lstrip()
    if not name or (rest and not rest.startswith("#")):
        return None
    return opener, name


def _is_key_line(line: str) -> bool:
    """Whether the line starts with ``key =`` or ``dotted . "key" =``; linear in the line's length."""
    index, length = 0, len(line)

    def skip_space(at: int) -> int:
        while at < length and line[at] in " \t":
            at += 1
        return at

    index = skip_space(index)
    while True:
        if index >= length:
            return False
        char = line[index]
        if char in "\"'":
            end = line.find(char, index + 1)
            if end < 0:
                return False
            index = end + 1
        elif char in _BARE_KEY_CHARS:
            while index < length and line[index] in _BARE_KEY_CHARS:
                index += 1
        else:
            return False
        index = skip_space(index)
        if index < length and line[index] == ".":
            index = skip_space(index + 1)
            continue
        return index < length and line[index] == "="


def _key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Map each table and key path to its line, so errors can say where to look.

    tomllib gives no positions; this scan understands the subset of TOML that
    templates use (tables, arrays of tables, plain and dotted keys).
    """
    lines: dict[tuple[str | int, ...], int] = {}
    array_counts: dict[tuple[str | int, ...], int] = {}
    current: tuple[str | int, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _table_header(line)
        if header:
            parts = [p.strip().strip('"') for p in header[1].split(".")]
            path: tuple[str | int, ...] = ()
            for index, part in enumerate(parts):
                path = (*path, part)
                is_last = index == len(parts) - 1
                if header[0] == "[[" and is_last:
                    count = array_counts.get(path, -1) + 1
                    array_counts[path] = count
                    path = (*path, count)
                elif path in array_counts:
                    path = (*path, array_counts[path])
            current = path
            lines.setdefault(current, number)
            continue
        if _is_key_line(line):
            dotted = line.split("=", 1)[0]
            parts = [p.strip().strip('"').strip("'") for p in dotted.split(".")]
            lines.setdefault((*current, *parts), number)
    return lines
