"""The output folder's bookkeeping: which files greetcard wrote, proven by their content.

The folder is shared with the user's own files.  greetcard replaces or deletes a file
only when it can prove that it wrote it: the file's SHA-256 must equal one recorded
in ``.greetcard-written`` (the last finished run) or ``.greetcard-journal`` (appended
before each file is renamed into place, so a killed run is still accounted for).
A forged or damaged record therefore deletes nothing that greetcard did not write.
Bookkeeping files are never followed through symbolic links, are size-limited and
are checked line by line before use.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputError

WRITTEN_LIST = ".greetcard-written"
JOURNAL_NAME = ".greetcard-journal"
LOCK_NAME = ".greetcard-lock"
TEMP_PREFIX = ".greetcard-partial-"
BOOKKEEPING_NAMES = (WRITTEN_LIST, JOURNAL_NAME, LOCK_NAME)
_FORMAT_LINE = "greetcard-written 2"
BOOKKEEPING_FIRST_LINE = (_FORMAT_LINE + "\n").encode("utf-8")
#: A record line is a few hundred bytes; this allows several million files and stops a forged giant.
MAX_BOOKKEEPING_BYTES = 512 * 1024 * 1024
_HEX = frozenset("0123456789abcdef")
KINDS = ("card", "press", "manifest")


@dataclass(frozen=True, slots=True)
class Record:
    """One file greetcard wrote: its kind, name, content hash, the inputs' fingerprint and its row's id."""

    kind: str
    name: str
    sha256: str
    fingerprint: str
    row_id: str = ""

    def line(self) -> bytes:
        """The record as one line of a bookkeeping file, newline included."""
        fields = [self.kind, self.name, self.sha256, self.fingerprint, self.row_id]
        return (json.dumps(fields, ensure_ascii=False) + "\n").encode("utf-8")


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of a regular file, never through a symbolic link; None when there is no such file."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        return None
    with os.fdopen(descriptor, "rb") as handle:
        digest = hashlib.sha256()
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _parse_record(text: str, is_safe_name: Callable[[str], bool]) -> Record | None:
    """A record from one line, or None when anything about it is off (it is then ignored)."""
    try:
        fields = json.loads(text)
    except ValueError:
        return None
    if not (isinstance(fields, list) and len(fields) == 5 and all(isinstance(f, str) for f in fields)):
        return None
    kind, name, sha256, fingerprint, row_id = fields
    if kind not in KINDS or not is_safe_name(name):
        return None
    if len(sha256) != 64 or not set(sha256) <= _HEX or len(fingerprint) > 64 or not set(fingerprint) <= _HEX:
        return None
    kind = next(known for known in KINDS if known == kind)  # one shared string, not one per record
    return Record(kind, name, sha256, fingerprint, row_id[:1000])


def _read_bookkeeping(path: Path) -> list[str]:
    """Lines of a bookkeeping file that is a regular file in place (no link), not absurdly large."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return []
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BOOKKEEPING_BYTES:
        os.close(descriptor)
        return []
    with os.fdopen(descriptor, "rb") as handle:
        data = handle.read()
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return []


class Ledger:
    """What greetcard wrote into one output folder, and the proof (hash) for each file."""

    def __init__(self, folder: Path, is_safe_name: Callable[[str], bool]) -> None:
        self.folder = folder
        self.is_safe_name = is_safe_name
        #: file name → every record seen for it, the latest last; dropped once this run vouches for
        #: the name (its new record is then in the new bookkeeping), so memory stays flat
        self.known: dict[str, list[Record]] = {}
        self._state: dict[str, Record | bool | None] = {}
        self._journal: int | None = None
        lines = _read_bookkeeping(folder / WRITTEN_LIST)
        if lines[:1] == [_FORMAT_LINE]:
            self._learn(lines[1:])
        self._learn(_read_bookkeeping(folder / JOURNAL_NAME))

    def _learn(self, lines: Iterable[str]) -> None:
        for text in lines:
            record = _parse_record(text, self.is_safe_name)
            if record is not None:
                self.known.setdefault(record.name, []).append(record)

    def recorded_names(self) -> list[str]:
        """Every name an earlier record mentions that this run has not vouched for (whether or not
        the file is still greetcard's)."""
        return list(self.known)

    def current(self, name: str) -> Record | None:
        """The record proving that ``name`` holds a file greetcard wrote, or None."""
        state = self.state(name)
        return state if isinstance(state, Record) else None

    def state(self, name: str) -> Record | bool | None:
        """A Record when the file is greetcard's; None when there is no file; False when it is not ours."""
        key = name
        if key in self._state:
            return self._state[key]
        path = self.folder / name
        result: Record | bool | None
        if not os.path.lexists(path):
            result = None
        else:
            digest = file_sha256(path)
            records = self.known.get(key, [])
            result = next((r for r in reversed(records) if digest is not None and r.sha256 == digest), False)
            if result is False and records and digest is not None and _damaged_pdf(path):
                result = True  # a card greetcard wrote here, since damaged (cut short): write it again
        self._state[key] = result
        return result

    def is_free(self, name: str) -> bool:
        """True when greetcard may write ``name``: nothing is there, or greetcard's own file."""
        return self.state(name) is not False

    def note_written(self, record: Record) -> None:
        """Journal a file before it is renamed into place, so even a killed run is accounted for.

        The record is also kept here until the run vouches for the name, so a run stopped in
        between still finds the file greetcard's.
        """
        if self._journal is None:
            self._journal = _open_journal(self.folder / JOURNAL_NAME)
        os.write(self._journal, record.line())
        self.known.setdefault(record.name, []).append(record)
        self._state.pop(record.name, None)  # not in place yet: see note_in_place

    def note_in_place(self, record: Record) -> None:
        """The file was renamed into place: it is greetcard's, with this record."""
        self._state[record.name] = record

    def forget(self, name: str) -> None:
        """Look at ``name`` afresh next time (a rename into place failed; or the run is done with it)."""
        self._state.pop(name, None)

    def vouch(self, name: str) -> None:
        """This run's new bookkeeping carries ``name``: drop what is kept about it here.

        A long run thus holds nothing per finished file.  The run must not ask about ``name``
        again (its file names are unique, so it never does).
        """
        self.known.pop(name, None)
        self._state.pop(name, None)

    def note_gone(self, name: str) -> None:
        self._state[name] = None

    def remove(self, name: str) -> bool:
        """Delete ``name`` if, and only if, it is a file greetcard wrote (its hash is recorded)."""
        if self.current(name) is None:
            return False
        try:
            (self.folder / name).unlink()
        except FileNotFoundError:
            pass
        except OSError:
            return False  # held open by another program (Windows): it stays, and is listed
        self.note_gone(name)
        return True

    def close_journal(self) -> None:
        if self._journal is not None:
            os.close(self._journal)
            self._journal = None


def _damaged_pdf(path: Path) -> bool:
    """A PDF cut short (no end-of-file marker at its end), as a failing disk or copy leaves it."""
    try:
        with path.open("rb") as handle:
            if handle.read(5) != b"%PDF-":
                return False
            handle.seek(max(path.stat().st_size - 1024, 0))
            return b"%%EOF" not in handle.read()
    except OSError:
        return False


def _open_journal(path: Path) -> int:
    if path.is_symlink():
        path.unlink()  # our own bookkeeping name; a link there is never followed
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    return os.open(path, flags, 0o644)


def commit_bookkeeping(folder: Path, finished: Path, sha256: str) -> None:
    """Put a finished run's records (the temporary file ``finished``, starting with
    :data:`BOOKKEEPING_FIRST_LINE`) in place as ``.greetcard-written``, and drop the journal."""
    path = folder / WRITTEN_LIST
    if path.is_symlink() or file_sha256(path) != sha256:
        os.replace(finished, path)  # replaces a link, never follows it
    with contextlib.suppress(FileNotFoundError):
        (folder / JOURNAL_NAME).unlink()


def clear_partial_files(folder: Path) -> None:
    """Remove temporary files of an interrupted run (only greetcard writes this prefix)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(TEMP_PREFIX) and not entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """One run at a time per output folder, on every platform (``filelock``)."""
    from filelock import FileLock, Timeout

    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: exists and is not a folder — choose another --out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{folder}: cannot create the output folder ({err.strerror or err})") from None
    lock_path = folder / LOCK_NAME
    if lock_path.is_symlink() or (lock_path.exists() and not lock_path.is_file()):
        raise OutputError(
            f"{lock_path}: is a link or a folder, not greetcard's lock file — remove it and run again"
        )
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise OutputError(
            f"{folder}: another greetcard run is writing into this folder — wait for it, "
            "or choose another --out"
        ) from None
    except OSError as err:
        if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise OutputError(
                f"{folder}: cannot write into this folder ({err.strerror}) — choose another --out"
            ) from None
        if err.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise OutputError(
                f"{folder}: cannot write into this folder ({err.strerror}) — free some disk space, "
                "or choose another --out"
            ) from None
        raise OutputError(f"{folder}: cannot use this output folder ({err.strerror or err})") from None
    try:
        yield
    finally:
        lock.release()
