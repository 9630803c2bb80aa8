"""Writing the batch: safe file names, atomic writes, the manifest.

File names come from data, so they are made safe for Windows, macOS and
Linux (no separators, reserved names, control characters or trailing dots;
length-capped; unique ignoring case).  Every file is written to a temporary
name in the output folder and renamed into place, so an interrupted run never
leaves a half-written PDF, and nothing is ever written outside the folder.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputError
from .escape import visible

TEMP_PREFIX = ".greetcard-partial-"
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
        self.taken: set[str] = set()

    def name_for(self, row_id: str, company: str) -> str:
        stem = safe_stem(f"{row_id}-{company}" if company else row_id)
        candidate, counter = stem, 2
        while f"{candidate}.pdf".casefold() in self.taken:
            candidate = f"{safe_stem(stem, MAX_STEM_BYTES - 6)}-{counter}"
            counter += 1
        self.taken.add(f"{candidate}.pdf".casefold())
        return f"{candidate}.pdf"


#: Lists every file the last run wrote, so the next run can clear them (and nothing else).
WRITTEN_LIST = ".greetcard-written"


def prepare_output_folder(folder: Path, manifest_name: str) -> Path:
    """Create the folder if needed; clear partial files and everything the previous run wrote.

    A folder never mixes last run's cards (perhaps for recipients since deleted, or an
    old press file) with this run's; files greetcard did not write are left alone.
    """
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: exists and is not a folder — choose another --out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{folder}: cannot create the output folder ({err.strerror})") from None
    manifest = folder / manifest_name
    if manifest.exists() and not manifest.is_file():
        raise OutputError(f"{manifest}: is not a file — remove it or choose another --out")
    for leftover in folder.glob(TEMP_PREFIX + "*"):
        leftover.unlink(missing_ok=True)
    manifest.unlink(missing_ok=True)  # an interrupted run must not leave the old manifest behind
    for name in previously_written(folder):
        old = folder / name
        if old.is_file() or old.is_symlink():
            old.unlink()
    return folder.resolve()


LOCK_NAME = ".greetcard-lock"


@contextlib.contextmanager
def output_folder_lock(folder: Path) -> Iterator[None]:
    """One run at a time per output folder (where the platform can lock files)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; runs there are not guarded
        yield
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = (folder / LOCK_NAME).open("a")
    except OSError as err:
        raise OutputError(f"{folder}: cannot use this output folder ({err.strerror or err})") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputError(
                f"{folder}: another greetcard run is writing into this folder — wait for it, "
                "or choose another --out"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def previously_written(folder: Path) -> list[str]:
    """PDF names the last run recorded; anything that is not a plain PDF name is ignored."""
    try:
        names = (folder / WRITTEN_LIST).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return [name for name in names if name.lower().endswith(".pdf") and name == safe_stem(name[:-4]) + ".pdf"]


def record_written(folder: Path, names: list[str]) -> None:
    """Remember what this run wrote, for the next run's clean-up."""
    write_atomically(folder, WRITTEN_LIST, ("\n".join(names) + "\n").encode("utf-8"))


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name`` via a temporary file and a rename.

    The rename replaces whatever has that name, a symbolic link included (never its target).
    """
    if name in ("", ".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise OutputError(f"refusing to write {name!r}: it would land outside {folder}")
    if (folder / name).is_dir():
        raise OutputError(f"{folder / name}: is a folder — remove it or choose another name")
    target = folder / name
    descriptor, temporary = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
    try:
        os.chmod(temporary, 0o666 & ~_UMASK)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


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


MANIFEST_FIELDS = ("id", "company", "file", "link", "status", "message", "line")


#: Characters a spreadsheet may split a CSV line at, whatever separator the user picks on opening.
_CELL_SEPARATORS = ";,\t|"
#: A formula start at the start of the value, or after a separator (and spaces or a quote).
_FORMULA_AFTER_SEPARATOR = re.compile(r"(^|[;,\t|])([ \"]*)(?=[=+\-@])")


def excel_safe(value: str) -> str:
    """A manifest cell that stays text in Excel and LibreOffice, whatever separator they split at.

    A formula start (``= + - @``) at the start or after any separator character gets a
    ``'`` in front, so ``x;=1+1;y`` read as ``;``-separated is ``x`` | ``'=1+1`` | ``y``;
    control and bidi characters (ESC, NUL, BEL, RLO …) are shown as ``\\uXXXX`` escapes.
    """
    value = visible(value)
    return _FORMULA_AFTER_SEPARATOR.sub(lambda match: match[1] + match[2] + "'", value)


def manifest_bytes(entries: Iterable[ManifestEntry]) -> bytes:
    """manifest.csv as UTF-8 with BOM (Excel detects it), one line per recipient."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
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
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
