"""What the page works on: one list, one template, one print setting, and the last render.

Everything here calls the same library functions as the CLI (``prepare``,
``preflight_findings``, ``render_batch``, ``card_pages_png``, ``proof_sheet``);
this module only remembers choices, caches what was drawn, and keeps paths
inside the folders the user chose.  It knows nothing of HTTP.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import itertools
import re
import shutil
import tempfile
import threading
import time
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import Image

from ..assets import bundled_templates
from ..batch import (
    MANIFEST_NAME,
    Inputs,
    Prepared,
    RenderOptions,
    RenderReport,
    link_summary,
    preflight_findings,
    prepare,
    render_batch,
    scan_margin,
)
from ..errors import GreetcardError, OutputError
from ..filling import columns_used
from ..margin import margin_finding
from ..output import write_atomically
from ..preflight import ERROR, INFO, WARNING, Finding
from ..qr import LinkPattern
from ..template import BUILTIN_PROFILES, CardTemplate, load_template

#: An uploaded list larger than this is refused before it is read (a 650-row list is about 100 KB).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
THUMBNAIL_DPI = 40
CARD_DPI = 110
PROOF_DPI = 50
#: Drawn images kept in memory (thumbnails are ~20 KB, large previews ~300 KB).
IMAGE_CACHE_ITEMS = 1500
IMPOSE_SHEETS = ("A4", "SRA4", "A3", "SRA3", "A3+")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "cp932", "mac_roman", "utf-16")
DELIMITERS = {";": ";", ",": ",", "tab": "\t"}
OK, NOTE, WARN, REFUSED = "ok", "note", "warning", "refused"


#: Who draws first when several wait: the open card and whole-list work, then thumbnails in list
#: order; the proof sheet (a second or two for a long list) after the first screenful of thumbnails.
URGENT = (0, 0)
PROOF_PRIORITY = (1, 12)


class PriorityLock:
    """One drawing at a time (reportlab and pdfium are not known to be thread-safe), lowest priority first.

    A plain lock wakes an arbitrary waiter, so with a screenful of thumbnails requested at once the
    first ones could come last.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._held = False
        self._closed = False
        self._waiting: list[tuple[tuple[int, int], int]] = []
        self._arrivals = itertools.count()

    @contextlib.contextmanager
    def hold(self, priority: tuple[int, int] = URGENT) -> Iterator[None]:
        with self._condition:
            ticket = (priority, next(self._arrivals))
            heapq.heappush(self._waiting, ticket)
            while (self._held or self._waiting[0] != ticket) and not self._closed:
                self._condition.wait()
            if self._closed and priority != URGENT:
                self._waiting.remove(ticket)
                heapq.heapify(self._waiting)
                self._condition.notify_all()
                raise StoppingError("greetcard serve is stopping")
            while self._held:  # urgent work (a render, the list) still finishes when stopping
                self._condition.wait()
            self._waiting.remove(ticket)
            heapq.heapify(self._waiting)
            self._held = True
        try:
            yield
        finally:
            with self._condition:
                self._held = False
                self._condition.notify_all()

    def close(self) -> None:
        """Refuse what is still waiting for previews, so that stopping does not wait for them."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()


class StoppingError(LookupError):
    """Raised for a preview asked for while the server stops (answered as "not found")."""


class UploadTooLarge(GreetcardError):
    """Raised when an uploaded list is larger than :data:`MAX_UPLOAD_BYTES`."""


@dataclass(frozen=True)
class RowView:
    """One line of the list as the page shows it: its status and the CLI's messages."""

    line: int
    row_id: str
    company: str
    status: str
    messages: tuple[str, ...]
    card_index: int | None


@dataclass(frozen=True)
class ListView:
    """How the list was read, and every row."""

    name: str
    encoding: str
    delimiter: str
    columns: tuple[str, ...]
    used_columns: tuple[str, ...]
    rows: tuple[RowView, ...]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)


@dataclass(frozen=True)
class TemplateView:
    """The chosen template: its size, pages and profiles, and what preflight says about it."""

    name: str
    folder: str
    bundled: bool
    width_mm: float
    height_mm: float
    pages: int
    profiles: tuple[str, ...]
    default_language: str
    findings: tuple[tuple[str, str], ...]
    link_pattern: str = ""
    link_example: str = ""


@dataclass
class RenderJob:
    """A render started from the page: progress while it runs, then its report or its error."""

    out: Path
    started: float = field(default_factory=time.perf_counter)
    done: int = 0
    total: int = 0
    report: RenderReport | None = None
    error: str | None = None
    finished: bool = False
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return not self.finished


@dataclass(frozen=True)
class Settings:
    """The user's choices; every change makes a new generation (and new preview URLs)."""

    list_path: Path | None = None
    list_name: str = ""
    template: Path | None = None
    encoding: str | None = None
    delimiter: str | None = None
    profile: str = "print"
    out: Path | None = None


@dataclass(frozen=True)
class LinkChoice:
    """The link given to ``greetcard serve`` (``--url``, ``--secret-file``, ``--campaign``), as the
    CLI's render takes it; fixed for the page's life, since the link is the office's, not the page's."""

    url: str | None = None
    secret_file: Path | None = None
    campaign: str | None = None


class Workspace:
    """The page's state for one user; thread-safe, since previews are drawn in worker threads."""

    def __init__(
        self,
        list_path: Path | None = None,
        template: Path | None = None,
        temp_parent: Path | None = None,
        link: LinkChoice = LinkChoice(),
    ) -> None:
        self.link = link
        self.upload_folder = Path(tempfile.mkdtemp(prefix="greetcard-serve-", dir=temp_parent))
        self.settings = Settings(
            list_path=list_path,  # as given, so messages name it as the CLI does
            list_name=list_path.name if list_path else "",
            template=template,
        )
        self.generation = 1
        self.job: RenderJob | None = None
        self._uploads = 0
        self._state_lock = threading.RLock()
        self._drawing = PriorityLock()
        self._prepared: tuple[tuple[object, ...], Prepared | None, str | None] | None = None
        self._scan_margin: tuple[Prepared, Finding | None] | None = None
        self._images: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self._images_lock = threading.Lock()  # never held while taking another lock
        self._closing = threading.Event()
        self._warming: threading.Thread | None = None
        self._template_cache: tuple[tuple[object, ...], CardTemplate | None, str | None] | None = None

    # --- choices ----------------------------------------------------------------

    def change(self, **changes: object) -> None:
        """Apply new choices (keys of :class:`Settings`) and start a new generation."""
        with self._state_lock:
            self.settings = replace(self.settings, **changes)  # type: ignore[arg-type]
            self.generation += 1

    def template_changed(self) -> None:
        """The template folder changed on disk (designer mode): read it again."""
        with self._state_lock:
            self.generation += 1

    def save_upload(self, file_name: str, chunks: list[bytes]) -> Path:
        """Keep an uploaded list in the private upload folder and make it the current list."""
        size = sum(len(chunk) for chunk in chunks)
        if size > MAX_UPLOAD_BYTES:
            raise UploadTooLarge(upload_too_large_message(size))
        with self._state_lock:
            self._uploads += 1
            folder = self.upload_folder / str(self._uploads)
        folder.mkdir(mode=0o700)
        name = upload_file_name(file_name)
        path = folder / name
        with path.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        self.change(list_path=path, list_name=name, encoding=None, delimiter=None)
        return path

    @property
    def default_out(self) -> Path:
        """A ``cards`` folder next to the list when the user named one, else in the working folder."""
        settings = self.settings
        if settings.list_path is not None and not self.is_upload(settings.list_path):
            return settings.list_path.resolve().parent / "cards"
        return Path.cwd() / "cards"

    @property
    def out(self) -> Path:
        return self.settings.out or self.default_out

    def is_upload(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.upload_folder.resolve())

    def display(self, text: str) -> str:
        """Messages as the CLI prints them for the list's own name, not the private upload path."""
        path = self.settings.list_path
        if path is not None and self.is_upload(path):
            return text.replace(str(path), self.settings.list_name)
        return text

    # --- reading ------------------------------------------------------------------

    def inputs(self) -> Inputs | None:
        settings = self.settings
        if settings.list_path is None:
            return None
        return Inputs(
            recipients=settings.list_path,
            template=settings.template,
            encoding=settings.encoding,
            delimiter=settings.delimiter,
            profile=settings.profile,
            url=self.link.url,
            secret_file=self.link.secret_file,
            campaign=self.link.campaign,
        )

    def template(self) -> tuple[CardTemplate | None, str | None]:
        """The chosen template, or the error that explains why it cannot be read."""
        folder = self.settings.template or bundled_templates()[0]
        key = (folder, self.generation)
        with self._state_lock:
            if self._template_cache is None or self._template_cache[0] != key:
                try:
                    self._template_cache = (key, load_template(folder), None)
                except GreetcardError as err:
                    self._template_cache = (key, None, str(err))
            return self._template_cache[1], self._template_cache[2]

    def prepared(self) -> tuple[Prepared | None, str | None]:
        """The list laid out against the template (cached per generation), or why it cannot be."""
        inputs = self.inputs()
        if inputs is None:
            return None, None
        key = (inputs, self.generation)
        with self._state_lock:
            if self._prepared is None or self._prepared[0] != key:
                try:
                    with self._drawing.hold():
                        self._prepared = (key, prepare(inputs), None)
                except GreetcardError as err:
                    self._prepared = (key, None, self.display(str(err)))
            return self._prepared[1], self._prepared[2]

    def list_view(self) -> ListView | None:
        prepared, _ = self.prepared()
        if prepared is None:
            return None
        return list_view(prepared, self.settings.list_name, self.display)

    def template_view(self) -> TemplateView | None:
        template, _ = self.template()
        if template is None:
            return None
        prepared, _ = self.prepared()
        findings: tuple[tuple[str, str], ...] = ()
        link_pattern, link_example = self.link.url or template.link, ""
        if prepared is not None:
            link_pattern, link_example = link_summary(prepared)
            findings = tuple(
                (finding.level, finding.message)
                for finding in [*prepared.template_findings, *self.scan_margin_findings(prepared)]
                if finding.level in (ERROR, WARNING, INFO)
            )
        bundled = template.folder.resolve().parent == bundled_templates()[0].resolve().parent
        return TemplateView(
            name=template.name,
            folder=template.folder.name if bundled else str(template.folder),
            bundled=bundled,
            width_mm=template.width_mm,
            height_mm=template.height_mm,
            pages=len(template.pages),
            profiles=tuple(dict.fromkeys([*BUILTIN_PROFILES, *template.profiles])),
            default_language=template.default_language,
            findings=findings,
            link_pattern=link_pattern,
            link_example=link_example,
        )

    def scan_margin_findings(self, prepared: Prepared) -> list[Finding]:
        """The scan margin line ``greetcard check`` prints, computed once per prepared list."""
        with self._state_lock:
            cached = self._scan_margin
        if cached is None or cached[0] is not prepared:
            cached = (prepared, margin_finding(scan_margin(prepared)))
            with self._state_lock:
                self._scan_margin = cached
        return [cached[1]] if cached[1] is not None else []

    # --- drawing ------------------------------------------------------------------

    def card_png(self, index: int, dpi: int, guides: bool) -> bytes:
        """One card (all pages) as PNG, drawn exactly as ``greetcard preview`` draws it."""
        from ..preview import write_png

        return self._card_image(index, dpi, guides, lambda image: write_png(image, dpi), URGENT)

    def decoded_links(self, index: int) -> list[str]:
        """What the drawn card's QR codes hold, read back from its preview as a phone would read them."""
        import zxingcpp

        image = Image.open(io.BytesIO(self.card_png(index, CARD_DPI, guides=False)))
        qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        return [result.text for result in zxingcpp.read_barcodes(image, formats=qr_only)]

    def card_thumbnail(self, index: int) -> bytes:
        """A small JPEG of one card for the grid (JPEG: a tenth of the PNG's encoding time)."""

        def jpeg(image: Image.Image) -> bytes:
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=85)
            return buffer.getvalue()

        return self._card_image(index, THUMBNAIL_DPI, False, jpeg, (1, index))

    def _card_image(
        self,
        index: int,
        dpi: int,
        guides: bool,
        encode: Callable[[Image.Image], bytes],
        priority: tuple[int, int],
    ) -> bytes:
        from ..preview import card_pages_png

        prepared, tag = self._need_prepared()
        if not 0 <= index < len(prepared.cards):
            raise IndexError(index)
        key = ("card", tag, index, dpi, guides)
        cached = self._cached(key)
        if cached is not None:
            return cached
        with self._drawing.hold(priority):
            cached = self._cached(key)  # drawn by another request while this one waited
            if cached is not None:
                return cached
            image = card_pages_png(prepared.renderer, prepared.cards[index], dpi=dpi, guides=guides)
            return self._remember(key, encode(image))

    def warm_up(self, thumbnails: int = 12) -> None:
        """Read the list now, and draw the first thumbnails in the background before the Proof step asks."""
        prepared, _ = self.prepared()
        if prepared is None:
            return

        def draw() -> None:
            for index in range(min(thumbnails, len(prepared.cards))):
                if self._closing.is_set() or self._prepared is None or self._prepared[1] is not prepared:
                    return  # stopping, or the user chose something else meanwhile
                with contextlib.suppress(LookupError):
                    self.card_thumbnail(index)

        self._warming = threading.Thread(target=draw, name="greetcard-thumbnails", daemon=True)
        self._warming.start()

    def proof_pdf(self) -> bytes:
        """The worst-case proof sheet, as ``greetcard proof`` writes it."""
        from ..proof import proof_sheet, worst_cases

        prepared, tag = self._need_prepared()
        key = ("proof", tag)
        cached = self._cached(key)
        if cached is not None:
            return cached
        title = (
            f"Proof · {prepared.template.name} · {self.settings.list_name} · profile {prepared.profile.name}"
        )
        with self._drawing.hold(PROOF_PRIORITY):
            data = proof_sheet(prepared.renderer, worst_cases(prepared.cards), prepared.problems, title)
        return self._remember(key, data)

    def proof_png(self) -> bytes:
        import pypdfium2 as pdfium

        from ..preview import write_png

        pdf = self.proof_pdf()
        key = ("proof-png", self._need_prepared()[1])
        cached = self._cached(key)
        if cached is not None:
            return cached
        with self._drawing.hold(PROOF_PRIORITY):
            document = pdfium.PdfDocument(pdf)
            try:
                image = document[0].render(scale=PROOF_DPI / 72).to_pil().convert("RGB")
            finally:
                document.close()
        return self._remember(key, write_png(image, PROOF_DPI))

    def _need_prepared(self) -> tuple[Prepared, tuple[object, ...]]:
        """The prepared list and the key it was prepared for, which names its drawings in the cache."""
        prepared, error = self.prepared()
        with self._state_lock:
            cached = self._prepared
        if prepared is None or cached is None or cached[1] is not prepared:
            raise LookupError(error or "no list yet")
        return prepared, cached[0]

    def _cached(self, key: tuple[object, ...]) -> bytes | None:
        with self._images_lock:
            data = self._images.get(key)
            if data is not None:
                self._images.move_to_end(key)
            return data

    def _remember(self, key: tuple[object, ...], data: bytes) -> bytes:
        with self._images_lock:
            self._images[key] = data
            while len(self._images) > IMAGE_CACHE_ITEMS:
                self._images.popitem(last=False)
        return data

    # --- rendering ----------------------------------------------------------------

    def start_render(self, out: Path, press: bool, impose: str | None) -> RenderJob:
        """Start ``render_batch`` in a thread, as ``greetcard render --out OUT [--batch] [--impose]``."""
        inputs = self.inputs()
        if inputs is None:
            raise OutputError("choose a recipient list first")
        if impose is not None and impose not in IMPOSE_SHEETS:
            raise OutputError(f"unknown press sheet {impose!r} — use one of: {', '.join(IMPOSE_SHEETS)}")
        out = out.expanduser()
        if not out.is_absolute():
            base = inputs.recipients.resolve().parent if not self.is_upload(inputs.recipients) else Path.cwd()
            out = base / out
        if out.resolve().is_relative_to(self.upload_folder.resolve()):
            raise OutputError(f"{out}: is the private upload folder, removed on exit — choose another folder")
        options = RenderOptions(
            inputs=inputs,
            out=out,
            batch_file="press.pdf" if press and not impose else None,
            impose_sheet=impose,
        )
        with self._state_lock:
            if self.job is not None and self.job.running:
                raise OutputError("a render is already running — wait for it to finish")
            job = RenderJob(out=out)
            self.job = job
            self.settings = replace(self.settings, out=out)

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        def run() -> None:
            try:
                with self._drawing.hold():
                    job.report = render_batch(options, progress=progress)
                    self._name_the_list_in_the_manifest(job.report)
            except GreetcardError as err:
                job.error = self.display(str(err))
            except Exception as err:  # shown on the page; the server keeps running
                job.error = f"{type(err).__name__}: {err}"
            finally:
                job.finished = True

        job.thread = threading.Thread(target=run, name="greetcard-render", daemon=True)
        job.thread.start()
        return job

    def _name_the_list_in_the_manifest(self, report: RenderReport) -> None:
        """An uploaded list is named in manifest.csv as the user knows it, not by its private temp path."""
        path = self.settings.list_path
        manifest = report.out / MANIFEST_NAME
        if path is None or not self.is_upload(path) or not manifest.is_file():
            return
        data = manifest.read_bytes()
        shown = data.replace(str(path).encode("utf-8"), self.settings.list_name.encode("utf-8"))
        if shown != data:
            write_atomically(report.out, MANIFEST_NAME, shown)

    def output_file(self, name: str) -> Path:
        """A file the last render wrote, by name; anything else is refused (no other path is served)."""
        job = self.job
        report = job.report if job else None
        if report is None:
            raise PermissionError(name)
        allowed = {"manifest.csv", *(entry.file for entry in report.entries if entry.file)}
        if report.batch_file is not None:
            allowed.add(report.batch_file.name)
        if name not in allowed or "/" in name or "\\" in name or name in (".", ".."):
            raise PermissionError(name)
        folder = report.out.resolve()
        path = (folder / name).resolve()
        if path.parent != folder or not path.is_file():
            raise PermissionError(name)
        return path

    def cards_zip(self) -> Path:
        """The written cards as one ZIP, built in the private upload folder (never in the output folder)."""
        job = self.job
        report = job.report if job else None
        if report is None:
            raise PermissionError("cards.zip")
        target = self.upload_folder / f"cards-{id(report)}.zip"
        if not target.exists():
            partial = target.with_suffix(".part")
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
                for entry in report.entries:
                    if entry.file:
                        archive.write(self.output_file(entry.file), entry.file)
                archive.write(self.output_file("manifest.csv"), "manifest.csv")
            partial.replace(target)
        return target

    def stop_drawing(self) -> None:
        """The server is stopping: previews still waiting are answered "not found" at once."""
        self._closing.set()
        self._drawing.close()

    def close(self, wait: Callable[[RenderJob], None] | None = None) -> None:
        """Let a running render finish (``wait`` is told first), then remove the upload folder."""
        self.stop_drawing()
        job = self.job
        try:
            if job is not None and job.running and job.thread is not None:
                if wait is not None:
                    wait(job)
                job.thread.join()
            if self._warming is not None:
                self._warming.join()
            with self._drawing.hold(URGENT):
                pass  # pdfium must not be mid-drawing while the interpreter shuts down
        finally:
            shutil.rmtree(self.upload_folder, ignore_errors=True)


def list_view(prepared: Prepared, list_name: str, display: Callable[[str], str]) -> ListView:
    """Every row of the list with its status: refused, warning, note (text was shrunk) or ok."""
    recipients = prepared.recipients
    card_index = {id(card.recipient): index for index, card in enumerate(prepared.cards)}
    by_line: dict[int, list[tuple[str, str, str]]] = {}
    for finding in preflight_findings(prepared):
        if finding.line:
            by_line.setdefault(finding.line, []).append((finding.level, finding.where, finding.message))
    rows: dict[int, RowView] = {}
    for recipient in recipients.recipients:
        rows[recipient.line] = _row(
            recipient.line,
            recipient.id,
            recipient.company,
            by_line.get(recipient.line, []),
            card_index.get(id(recipient)),
            display,
        )
    for problem in prepared.problems:
        line = problem.location.line or 0
        if line not in rows:
            rows[line] = RowView(
                line, problem.row_id, problem.company, REFUSED, (display(str(problem)),), None
            )
    used = columns_used(prepared.template)
    pattern, _ = link_summary(prepared)
    if pattern:
        with contextlib.suppress(GreetcardError):  # a bad link is reported by prepare() already
            used |= set(LinkPattern.parse(pattern).columns)
    delimiter = {"\t": "tab"}.get(recipients.delimiter, recipients.delimiter)
    return ListView(
        name=list_name,
        encoding=recipients.encoding,
        delimiter=delimiter,
        columns=tuple(recipients.columns),
        used_columns=tuple(column for column in recipients.columns if column in used),
        rows=tuple(rows[line] for line in sorted(rows)),
    )


def _row(
    line: int,
    row_id: str,
    company: str,
    findings: list[tuple[str, str, str]],
    card_index: int | None,
    display: Callable[[str], str],
) -> RowView:
    levels = {level for level, _, _ in findings}
    if card_index is None or ERROR in levels:
        status = REFUSED
    elif WARNING in levels:
        status = WARN
    elif INFO in levels:
        status = NOTE
    else:
        status = OK
    messages = tuple(display(f"{where}: {message}") for _, where, message in findings)
    return RowView(line, row_id, company, status, messages, card_index)


def upload_file_name(name: str) -> str:
    """A plain file name for an upload, keeping its suffix (which says how to read it)."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\- ]", "_", base).strip(" .") or "list.csv"
    return cleaned[-120:]


def upload_too_large_message(size: int) -> str:
    return (
        f"the file is {size / 1024 / 1024:.1f} MB; lists up to {MAX_UPLOAD_BYTES // 1024 // 1024} MB are "
        "accepted — save only the sheet with the recipients as CSV or .xlsx"
    )
