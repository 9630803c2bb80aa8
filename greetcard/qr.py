"""Links and QR symbols: URL → module matrix, sized so a phone can read it.

The matrix is ``qrcode``'s (built by :mod:`.qrencode`, faster) without a border; the quiet zone is the
layout's job (it is part of the QR box).  Link patterns such as
``https://example.org/?r={id}`` are filled per recipient with percent-encoded
values, so data can never change the link's structure.
"""

from __future__ import annotations

import re
import string
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache

import idna
import qrcode
import qrcode.constants
from qrcode.exceptions import DataOverflowError

from . import qrencode
from .errors import GreetcardError, LinkError
from .template import QrSpec
from .tokens import TOKEN_PLACEHOLDER

_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
_LOWER_LEVEL = {"H": "Q", "Q": "M", "M": "L"}
_DARK_RUN = re.compile("1+")
LEVEL_ORDER = "LMQH"


@dataclass(frozen=True)
class QrSymbol:
    """The dark modules of a QR code, row by row, without quiet zone."""

    link: str
    version: int
    error_correction: str
    rows: tuple[str, ...]  # "1" dark, "0" light: compact, quick to hash and to scan

    @property
    def size(self) -> int:
        return len(self.rows)

    @property
    def modules(self) -> tuple[tuple[bool, ...], ...]:
        return tuple(tuple(module == "1" for module in row) for row in self.rows)

    def dark_runs(self) -> list[tuple[int, int, int]]:
        """Horizontal runs of dark modules as (row, first column, length): fewer path segments."""
        width = len(self.rows) + 1  # each row and a light separator, scanned as one string
        return [
            (run.start() // width, run.start() % width, run.end() - run.start())
            for run in _DARK_RUN.finditer("0".join(self.rows))
        ]


@dataclass(frozen=True)
class QrPlacement:
    """A link placed in a QR box: its version and module size, checked before drawing.

    The matrix itself (with its costly mask search) is made when drawing, so
    that work runs in the rendering processes, not in the serial layout pass.
    """

    link: str
    spec: QrSpec
    version: int
    module_mm: float
    error_correction: str = "M"  # the level used: the template's, or raised from it

    @property
    def modules(self) -> int:
        return 4 * self.version + 17

    @property
    def quiet_zone_mm(self) -> float:
        return self.module_mm * self.spec.quiet_zone_modules

    def symbol(self) -> QrSymbol:
        return make_symbol(self.link, self.error_correction)


class ModulesTooSmall(GreetcardError):
    """Raised when a QR box cannot hold a link with phone-readable modules."""


_SYMBOLS: dict[tuple[str, str], QrSymbol] = {}
_SYMBOL_CACHE_LIMIT = 2_000  # about 16 KB each: a long list must not fill memory


def make_symbol(link: str, error_correction: str = "M") -> QrSymbol:
    """Encode a link at the smallest version; each link is encoded once per process."""
    key = (link, error_correction)
    symbol = _SYMBOLS.get(key)
    if symbol is None:
        version = smallest_version(link, error_correction)
        # qrencode gives qrcode's matrix (same mask choice) at a tenth of the time.
        _, rows = qrencode.encode(link.encode("utf-8"), version, _LEVELS[error_correction])
        symbol = QrSymbol(link, version, error_correction, rows)
        remember_symbols([symbol])
    return symbol


def remember_symbols(symbols: list[QrSymbol]) -> None:
    """Keep symbols made elsewhere (e.g. in worker processes) so they are not encoded again."""
    if len(_SYMBOLS) + len(symbols) > _SYMBOL_CACHE_LIMIT:
        _SYMBOLS.clear()
    for symbol in symbols:
        _SYMBOLS[(symbol.link, symbol.error_correction)] = symbol


@lru_cache(maxsize=4096)
def smallest_version(link: str, error_correction: str = "M") -> int:
    """The QR version ``link`` needs, without building the matrix (no mask search)."""
    try:
        return qrencode.smallest_version(link.encode("utf-8"), _LEVELS[error_correction])
    except (ValueError, DataOverflowError):
        raise ModulesTooSmall(
            f"the link is {len(link.encode('utf-8'))} bytes, more than a QR code at level "
            f"{error_correction} holds — use a shorter link"
        ) from None


def place_symbol(link: str, spec: QrSpec) -> QrPlacement:
    """Size ``link``'s QR code for ``spec``; refuse modules below the minimum size."""
    version = smallest_version(link, spec.error_correction)
    modules = 4 * version + 17
    module_mm = spec.size_mm / (modules + 2 * spec.quiet_zone_modules)
    if module_mm < spec.min_module_mm - 1e-9:
        needed = spec.min_module_mm * (modules + 2 * spec.quiet_zone_modules)
        hints = [f"make the QR box at least {needed:.1f} mm", "use a shorter link"]
        if spec.error_correction in _LOWER_LEVEL:
            hints.append(f'use error_correction = "{_LOWER_LEVEL[spec.error_correction]}"')
        raise ModulesTooSmall(
            f"the link ({len(link)} characters) needs QR version {version} "
            f"({modules} modules + {spec.quiet_zone_modules} quiet on each side); in a "
            f"{spec.size_mm:g} mm box a module is {module_mm:.2f} mm, below the "
            f"{spec.min_module_mm:g} mm a phone needs — " + ", or ".join(hints)
        )
    level = spec.error_correction
    if not spec.error_correction_fixed:
        level = boosted_level(link, level)
    return QrPlacement(link, spec, version, module_mm, level)


def boosted_level(link: str, minimum: str = "M") -> str:
    """The highest error-correction level at which ``link`` needs no larger version than at ``minimum``.

    Free robustness (as segno's ``boost_error``): the code keeps its size and module size, and
    survives more blur, damage and dirt.
    """
    version = smallest_version(link, minimum)
    level = minimum
    for higher in LEVEL_ORDER[LEVEL_ORDER.index(minimum) + 1 :]:
        try:
            if smallest_version(link, higher) != version:
                break
        except ModulesTooSmall:
            break
        level = higher
    return level


def check_link(link: str, what: str = "link") -> str:
    """Accept only absolute http(s) links with a clear host; return them in plain ASCII.

    International hosts become their IDNA form and other non-ASCII characters are
    percent-encoded, so every phone reads the same address out of the QR code.
    """
    try:
        parsed = urllib.parse.urlsplit(link)
        parsed.port  # noqa: B018 — raises for a malformed host:port
    except ValueError as err:
        raise LinkError(f"{what} {link!r} is not a valid address ({err})") from None
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        raise LinkError(
            f"{what} {link!r} is not an http(s) link — give a full address such as "
            "https://www.neujahrsgross-japan.de/"
        )
    if any(c.isspace() or ord(c) < 32 for c in link):
        raise LinkError(f"{what} {link!r} contains spaces or control characters — percent-encode them")
    if "\\" in parsed.netloc or "@" in parsed.netloc:
        raise LinkError(
            f"{what} {link!r}: the host part must not hold '\\' or '@' — give the plain host name"
        )
    if link.isascii():
        return link
    try:
        # IDNA 2008 with UTS #46 mapping, as browsers do: fußball.de stays fußball.de (not fussball.de).
        host = idna.encode(parsed.hostname or "", uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise LinkError(f"{what} {link!r}: the host name is not a valid international domain name") from None
    netloc = host + (f":{parsed.port}" if parsed.port else "")
    keep = "/?&=#:;,+@!$'()*%~-._"
    return urllib.parse.urlunsplit(
        (
            parsed.scheme,
            netloc,
            urllib.parse.quote(parsed.path, safe=keep),
            urllib.parse.quote(parsed.query, safe=keep),
            urllib.parse.quote(parsed.fragment, safe=keep),
        )
    )


def readable_host(host: str) -> str:
    """``xn--fuball-cta.de`` → ``fußball.de``: the host as people type it (ASCII hosts unchanged)."""
    if "xn--" not in host.lower():
        return host
    try:
        return str(idna.decode(host, uts46=True))
    except (idna.IDNAError, UnicodeError):
        return host


@dataclass(frozen=True)
class LinkPattern:
    """A link with ``{column}`` placeholders, filled per recipient with percent-encoded values."""

    pattern: str
    columns: tuple[str, ...]

    @classmethod
    def parse(cls, pattern: str, available_columns: set[str] | None = None) -> LinkPattern:
        columns: list[str] = []
        try:
            parsed = list(string.Formatter().parse(pattern))
        except ValueError as err:
            raise LinkError(
                f"link {pattern!r}: {err} — placeholders look like {{id}}; write {{{{ and }}}} for braces"
            ) from None
        for _literal, name, format_spec, conversion in parsed:
            if name is None:
                continue
            if not name.isidentifier() or format_spec or conversion:
                raise LinkError(
                    f"link {pattern!r}: placeholder {{{name}{'!' + conversion if conversion else ''}"
                    f"{':' + format_spec if format_spec else ''}}} is not a column name — use e.g. {{id}}"
                )
            if available_columns is not None and name not in available_columns and name != TOKEN_PLACEHOLDER:
                raise LinkError(
                    f"link {pattern!r} uses {{{name}}}, but the list has no column {name!r} "
                    f"(columns: {', '.join(sorted(available_columns))})"
                )
            columns.append(name)
        # Check the shape with a marker for every value: scheme and host must not come from data.
        marker = "greetcardplaceholder"
        sample = check_link(pattern.format(**{name: marker for name in columns}))
        parts = urllib.parse.urlsplit(sample)
        if marker in parts.scheme or marker in parts.netloc:
            raise LinkError(f"link {pattern!r}: placeholders may stand in the path or query, not the host")
        return cls(pattern, tuple(columns))

    def fill(self, values: dict[str, str]) -> str:
        """The link for one recipient; every value is percent-encoded (UTF-8), ``{{`` becomes ``{``."""
        return self.pattern.format(
            **{name: urllib.parse.quote(values.get(name, ""), safe="") for name in self.columns}
        )
