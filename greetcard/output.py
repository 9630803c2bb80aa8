"""Writing the batch: safe file names, atomic writes, the manifest.

File names come from data, so they are made safe for Windows, macOS and
Linux (no separators, reserved names, control characters or trailing dots;
length-capped; unique ignoring case).  Every file is written to a temporary
name in the output folder and renamed into place, so an interrupted run never
leaves a half-written PDF, and nothing is ever written outside the folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import OutputError
from .escape import visible
from .folder import TEMP_PREFIX
from .keys import row_key

MAX_STEM_BYTES = 120
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CONIN$",
    "CONOUT$",
    *(f"COM{i}" for i in "0123456789¹²³"),
    *(f"LPT{i}" for i in "0123456789¹²³"),
}
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
#: Values starting with these become formulas when a CSV is opened in Excel.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_stem(text: str, max_bytes: int = MAX_STEM_BYTES) -> str:
    """A file name stem that every common file system accepts and shows as-is."""
    text = unicodedata.normalize("NFC", text)
    cleaned = []
    for char in text:
        category = unicodedata.category(char)
        if _FORBIDDEN.match(char) or category[0] == "C" or category in ("Zl", "Zp"):
            cleaned.append("_")
        elif char.isspace():
            cleaned.append(" ")
        else:
            cleaned.append(char)
    stem = re.sub(r"[ _]{2,}", lambda m: m.group(0)[0], "".join(cleaned)).strip(" ._-")
    while len(stem.encode("utf-8")) > max_bytes:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    if not stem or set(stem) <= {"."}:
        stem = "card"
    if stem.split(".")[0].upper().rstrip() in _WINDOWS_RESERVED or stem.startswith(_FORMULA_STARTS):
        stem = "_" + stem  # reserved on Windows, or a file name a spreadsheet would run as a formula
    return stem


class FileNamer:
    """Hands out unique, safe PDF names (unique ignoring case, as on Windows and macOS)."""

    def __init__(self) -> None:
        self.taken: set[int] = set()  # row_key of each name given out, ignoring case

    def name_for(self, row_id: str, company: str, is_free: Callable[[str], bool] | None = None) -> str:
        """The row's name, or the next ``-2``, ``-3`` … when taken here or not ``is_free`` on disk."""
        stem = safe_stem(f"{row_id}-{company}" if company else row_id)
        candidate, counter = stem, 2
        while self.is_taken(f"{candidate}.pdf") or (is_free and not is_free(f"{candidate}.pdf")):
            candidate = f"{safe_stem(stem, MAX_STEM_BYTES - 6)}-{counter}"
            counter += 1
        self.take(f"{candidate}.pdf")
        return f"{candidate}.pdf"

    def take(self, name: str) -> None:
        """Give ``name`` out (e.g. the press file's), so no card gets it."""
        self.taken.add(row_key(name.casefold()))

    def is_taken(self, name: str) -> bool:
        return row_key(name.casefold()) in self.taken

    @staticmethod
    def first_choice(row_id: str, company: str) -> str:
        """The name a row gets when nothing else has it."""
        return safe_stem(f"{row_id}-{company}" if company else row_id) + ".pdf"


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name`` via a temporary file and a rename.

    The rename replaces whatever has that name, a symbolic link included (never its target).
    """
    if name in ("", ".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise OutputError(f"refusing to write {name!r}: it would land outside {folder}")
    if (folder / name).is_dir():
        raise OutputError(f"{folder / name}: is a folder — remove it or choose another name")
    target = folder / name
    temporary, handle = open_temporary(folder)
    try:
        with handle:
            handle.write(data)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def open_temporary(folder: Path) -> tuple[Path, BinaryIO]:
    """A new temporary file in ``folder``, open for writing, with a finished file's permissions."""
    descriptor, temporary = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
    try:
        os.chmod(temporary, 0o666 & ~_UMASK)
        return Path(temporary), os.fdopen(descriptor, "wb")
    except BaseException:
        os.close(descriptor)
        Path(temporary).unlink(missing_ok=True)
        raise


def write_temporary(folder: Path, data: bytes) -> tuple[Path, str]:
    """Write ``data`` to a new temporary file in ``folder``; its path and SHA-256.

    The caller renames it into place with :func:`replace_into` (or deletes it).
    """
    temporary, handle = open_temporary(folder)
    try:
        with handle:
            handle.write(data)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary, hashlib.sha256(data).hexdigest()


def replace_into(temporary: Path, folder: Path, name: str) -> None:
    """Rename a finished temporary file to ``name`` (a link there is replaced, never followed)."""
    try:
        os.replace(temporary, folder / name)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _read_umask() -> int:
    """The process umask (mkstemp creates 0600 files; finished cards get normal permissions)."""
    current = os.umask(0)
    os.umask(current)
    return current


_UMASK = _read_umask()


def write_file(path: Path, data: bytes, suffix: str) -> Path:
    """Write one file the user named (a preview, a proof) atomically, with one clear error."""
    if path.suffix.lower() != suffix:
        raise OutputError(f"{path}: this writes a {suffix} file — name it e.g. card{suffix}")
    folder = path.parent if str(path.parent) else Path(".")
    blocking = next((parent for parent in (folder, *folder.parents) if parent.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise OutputError(f"{path}: {blocking} is a file, not a folder — choose another -o")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return write_atomically(folder, path.name, data)
    except OSError as err:
        raise OutputError(f"{path}: cannot write here ({err.strerror or err}) — choose another -o") from None


@dataclass(frozen=True)
class ManifestEntry:
    """One row of manifest.csv: what became of one recipient."""

    row_id: str
    company: str
    file: str
    link: str
    status: str
    message: str
    line: int | None = None
    fingerprint: str = ""


MANIFEST_FIELDS = ("id", "company", "file", "link", "status", "message", "line", "fingerprint")
#: How every manifest greetcard writes begins (a file that starts so is recognised as greetcard's).
MANIFEST_START = "\ufeff" + ",".join(MANIFEST_FIELDS[:5])


#: Characters a spreadsheet may split a CSV line at, whatever separator the user picks on opening.
_CELL_SEPARATORS = ";,\t|"
#: A formula start at the start of the value, or after a separator (and spaces or a quote).
_FORMULA_AFTER_SEPARATOR = re.compile(r"(^|[;,\t|])([ \"]*)(?=[=+\-@])")
_FORMULA_GUARD = re.compile(r"(^|[;,\t|])([ \"]*)'(?=[=+\-@])")


def excel_safe(value: str) -> str:
    """A manifest cell that stays text in Excel and LibreOffice, whatever separator they split at.

    A formula start (``= + - @``) at the start or after any separator character gets a
    ``'`` in front, so ``x;=1+1;y`` read as ``;``-separated is ``x`` | ``'=1+1`` | ``y``;
    control and bidi characters (ESC, NUL, BEL, RLO …) are shown as ``\\uXXXX`` escapes.
    """
    value = visible(value)
    return _FORMULA_AFTER_SEPARATOR.sub(lambda match: match[1] + match[2] + "'", value)


def unguarded(cell: str) -> str:
    """A manifest cell with the formula guards of :func:`excel_safe` taken out again (for reading it back)."""
    return _FORMULA_GUARD.sub(lambda match: match[1] + match[2], cell)


def manifest_bytes(entries: Iterable[ManifestEntry], header: bool = True) -> bytes:
    """manifest.csv as UTF-8 with BOM (Excel detects it), one line per recipient."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(MANIFEST_FIELDS)
    for entry in entries:
        writer.writerow(
            [
                excel_safe(entry.row_id),
                excel_safe(entry.company),
                excel_safe(entry.file),
                excel_safe(entry.link),
                entry.status,
                excel_safe(entry.message),
                "" if entry.line is None else str(entry.line),
                entry.fingerprint,
            ]
        )
    return (("\ufeff" if header else "") + buffer.getvalue()).encode("utf-8")


def read_manifest_entries(path: Path) -> list[ManifestEntry]:
    """The rows of a manifest greetcard wrote, formula guards undone (for what runs after render)."""

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return []
    return [manifest_entry(row) for row in csv.DictReader(io.StringIO(text, newline=""))]


def manifest_entry(row: dict[str, str]) -> ManifestEntry:
    """One manifest row as read by ``csv.DictReader``, formula guards undone; missing cells empty."""
    line = row.get("line") or ""
    return ManifestEntry(
        unguarded(row.get("id") or ""),
        unguarded(row.get("company") or ""),
        unguarded(row.get("file") or ""),
        unguarded(row.get("link") or ""),
        row.get("status") or "",
        unguarded(row.get("message") or ""),
        int(line) if line.isdigit() else None,
        row.get("fingerprint") or "",
    )
