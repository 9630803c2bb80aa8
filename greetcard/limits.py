"""Every size and cost limit greetcard puts on untrusted input, in one place.

Lists come from colleagues and templates from outside agencies; a hostile or
broken file must end in a clear message, not a hang or gigabytes of memory.
Each limit is generous for real cards and lists and can be raised for one run
with ``greetcard --limit NAME=VALUE …`` or the environment variable
``GREETCARD_LIMIT_<NAME>`` (e.g. ``GREETCARD_LIMIT_XLSX_UNCOMPRESSED_BYTES``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import GreetcardError

ENVIRONMENT_PREFIX = "GREETCARD_LIMIT_"


@dataclass(frozen=True)
class Limit:
    """A named ceiling with the reason it exists (shown in ``--limit`` errors and the docs)."""

    name: str
    default: int
    holds: str


_LIMITS = (
    Limit("template_bytes", 1_000_000, "size of template.toml in bytes"),
    Limit("template_line_chars", 20_000, "characters in one line of template.toml"),
    Limit("template_nesting", 50, "nesting depth of arrays and tables in template.toml"),
    Limit("field_text_chars", 20_000, "characters one field text may produce for one card"),
    Limit("field_value_chars", 200_000, "characters of any string a field text builds while filling"),
    Limit("field_steps", 50_000, "loop rounds and calls one field text may make for one card"),
    Limit("font_bytes", 256_000_000, "size of one font file in bytes"),
    Limit("font_cmap_codepoints", 0x110000, "characters one font's cmap may map (all of Unicode)"),
    Limit("xlsx_uncompressed_bytes", 200_000_000, "uncompressed size of all parts of an .xlsx file"),
    Limit("xlsx_cells", 5_000_000, "cells read from an .xlsx sheet, empty ones included"),
    Limit("xlsx_cell_chars", 32_767, "characters in one .xlsx cell (Excel's own limit)"),
    Limit("artwork_bytes", 200_000_000, "size of one artwork file in bytes"),
    Limit("artwork_dpi", 1_200, "raster artwork resolution: pixels allowed for the card at this dpi"),
    Limit("artwork_name_chars", 1_000, "characters of a file name in template.toml"),
    Limit("preview_pixels", 100_000_000, "pixels of one preview image (all pages)"),
)
LIMITS = {limit.name: limit for limit in _LIMITS}


class LimitError(GreetcardError):
    """An input exceeds one of the limits; the message names the limit and how to raise it."""


def limit(name: str) -> int:
    """The current value of a limit: the environment's override, else the default."""
    spec = LIMITS[name]
    raw = os.environ.get(ENVIRONMENT_PREFIX + name.upper())
    if raw is None:
        return spec.default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise LimitError(
            f"{ENVIRONMENT_PREFIX}{name.upper()}={raw!r}: must be a whole number (default {spec.default})"
        ) from None
    if value <= 0:
        raise LimitError(f"{ENVIRONMENT_PREFIX}{name.upper()}={raw!r}: must be positive")
    return value


def how_to_raise(name: str) -> str:
    """The sentence every limit message ends with."""
    return f"if the file is genuine, raise the limit with: greetcard --limit {name}=N …"


def set_limits(assignments: tuple[str, ...]) -> None:
    """Apply ``NAME=VALUE`` overrides for this process and its workers (via the environment)."""
    for assignment in assignments:
        name, _, value = assignment.partition("=")
        name = name.strip().lower().replace("-", "_")
        if name not in LIMITS or not value.strip():
            raise LimitError(f"--limit {assignment!r}: give NAME=VALUE with NAME one of: {', '.join(LIMITS)}")
        os.environ[ENVIRONMENT_PREFIX + name.upper()] = value.strip()
        limit(name)  # validate now, not deep inside a run


_READ_BLOCK = 8 << 20


def read_within_limit(path: Path, name: str, what: str, advice: str) -> bytes:
    """A file's bytes, refused with a message when it is larger than the limit ``name``.

    Reads at most one byte past the limit, so a huge or endless file costs nothing; and in
    blocks, as ``read(limit)`` would set aside the whole limit's memory for a small file.
    ``what`` names the file for the messages ("the font"), ``advice`` says what to do instead.
    """
    from .errors import TemplateError

    ceiling = limit(name)
    try:
        with path.open("rb") as handle:
            blocks: list[bytes] = []
            size = 0
            while size <= ceiling:
                block = handle.read(min(_READ_BLOCK, ceiling + 1 - size))
                if not block:
                    break
                blocks.append(block)
                size += len(block)
            data = b"".join(blocks)
    except OSError as err:
        raise TemplateError(f"{path}: cannot read {what} ({err.strerror or err})") from None
    if len(data) > ceiling:
        raise LimitError(f"{path}: {what} is larger than {ceiling:,} bytes — {advice}; {how_to_raise(name)}")
    return data
