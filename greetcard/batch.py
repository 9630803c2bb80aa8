"""The main job as a library function: list + template → folder of print-ready PDFs.

Data flows one way: rows are read one at a time, each card is laid out (cheap, pure),
and then drawn and written, so a list of any length needs memory for a few cards
only.  A bad row — or a card that fails while it is drawn — never stops the good
ones.  The output folder is shared with the user's files: greetcard replaces or
deletes only what it can prove it wrote (:mod:`greetcard.folder`), rewrites only
cards whose inputs changed, and removes old cards only once the new ones are in
place.  The CLI is a thin shell around :func:`render_batch`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from enum import IntEnum
from pathlib import Path

from .assets import bundled_template, template_folder
from .cards import Card, CardBuilder, RowRefused
from .errors import GreetcardError, Location, OutputError, RecipientsError, TemplateError, located
from .filling import unused_columns
from .folder import (
    BOOKKEEPING_FIRST_LINE,
    JOURNAL_NAME,
    WRITTEN_LIST,
    Ledger,
    Record,
    clear_partial_files,
    commit_bookkeeping,
    file_sha256,
    folder_lock,
)
from .margin import TemplateMargin, margin_finding, template_margin
from .output import (
    MANIFEST_START,
    FileNamer,
    ManifestEntry,
    manifest_bytes,
    open_temporary,
    read_manifest_entries,
    replace_into,
    safe_stem,
    write_temporary,
)
from .preflight import ERROR, INFO, WARNING, Finding, card_findings, errors_in, template_findings
from .qr import QrSymbol, remember_symbols
from .recipients import Recipient, RecipientList, RecipientStream, RowProblem, open_recipients
from .render import CardRenderer, newest_modification
from .template import CardTemplate, PrintProfile, load_template
from .tokens import TokenSigner, load_signer

MANIFEST_NAME = "manifest.csv"
#: Below this many cards a second process costs more than it saves.
PARALLEL_THRESHOLD = 64
#: Notes about rows (e.g. the same recipient twice) shown in render's summary; check lists all.
MAX_NOTES_SHOWN = 20
#: Rows laid out ahead while the workers draw the previous ones.
CHUNK_ROWS = 64
#: Errors that no other file in the folder would escape either: stop writing.
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_FOLDER_ERRNOS = {errno.EROFS, *_FULL_ERRNOS}


class ExitCode(IntEnum):
    """What ``greetcard render`` tells the shell (documented in the README)."""

    OK = 0  #: every row became a card and every file is written
    ROWS_REFUSED = 1  #: some rows were refused; every good card is written
    USAGE = 2  #: a command-line mistake (Click's own code)
    NOTHING_WRITTEN = 3  #: template, list or folder unusable, or --strict with refused rows
    INCOMPLETE = 4  #: some files could not be written; each is named
    INTERRUPTED = 130  #: Ctrl-C; the folder is consistent and the next run finishes the job


@dataclass(frozen=True)
class Inputs:
    """What every job reads: the list, the template, the link, and the print profile."""

    recipients: Path = Path("recipients.csv")
    template: Path | None = None  # None: the bundled default template
    url: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    profile: str = "print"
    bleed_mm: float | None = None
    crop_marks: bool | None = None
    secret_file: Path | None = None  # for {token} links; else $GREETCARD_TOKEN_SECRET(_FILE)
    campaign: str | None = None

    @property
    def template_folder(self) -> Path:
        return template_folder(self.template) if self.template is not None else bundled_template()


@dataclass(frozen=True)
class RowSelection:
    """``--only ID,…`` and ``--rows A-B``: the rows a reprint touches (all when empty)."""

    ids: frozenset[str] = frozenset()
    first_row: int | None = None
    last_row: int | None = None

    @property
    def everything(self) -> bool:
        return not self.ids and self.first_row is None

    def includes(self, recipient: Recipient) -> bool:
        if self.everything:
            return True
        if recipient.id.casefold() in self.ids:
            return True
        return self.first_row is not None and self.first_row <= recipient.row_number <= (self.last_row or 0)

    @classmethod
    def parse(cls, only: str | None, rows: str | None) -> RowSelection:
        """From the option texts; raises ValueError with the expected form."""
        ids = frozenset(part.strip().casefold() for part in (only or "").split(",") if part.strip())
        if only is not None and not ids:
            raise ValueError("give one or more ids, e.g. --only JP003,JP017")
        first = last = None
        if rows is not None:
            start, dash, end = rows.partition("-")
            try:
                first = int(start)
                last = int(end) if dash else first
            except ValueError:
                raise ValueError("give data rows as N or N-M, e.g. --rows 10-20") from None
            if first < 1 or last < first:
                raise ValueError("give data rows as N or N-M with 1 ≤ N ≤ M, e.g. --rows 10-20")
        return cls(ids, first, last)


@dataclass(frozen=True)
class RenderOptions:
    """A render job: its inputs, where the cards go, and what else to write."""

    inputs: Inputs
    out: Path
    strict: bool = False
    batch_file: str | None = None
    impose_sheet: str | None = None
    jobs: int = 0  # 0: one per CPU core
    selection: RowSelection = RowSelection()
    #: multiprocessing start method (None: the platform's default; "spawn" is what Windows uses)
    start_method: str | None = None
    parallel_threshold: int = PARALLEL_THRESHOLD
    impose_gutter_mm: float | None = None  # None: the profile's (a shop's) value
    impose_margin_mm: float | None = None

    @property
    def press_file(self) -> str | None:
        """The press file's name: --batch, or press-SHEET.pdf when only --impose is given."""
        name = self.batch_file or (f"press-{self.impose_sheet}.pdf" if self.impose_sheet else None)
        return _batch_name(name) if name else None


@dataclass
class RenderReport:
    """What a run did: cards in the folder, what changed, rows refused, files not written."""

    out: Path
    refused: list[str] = field(default_factory=list)
    seconds: float = 0.0
    encoding: str = ""
    delimiter: str = ""
    profile: str = ""
    batch_file: Path | None = None
    written_nothing: bool = False
    warnings: list[str] = field(default_factory=list)
    shrunk: int = 0
    written: int = 0  #: cards in the folder that match this run's inputs
    rewritten: int = 0  #: of those, drawn and written by this run
    unchanged: int = 0  #: of those, already in the folder from an earlier run
    removed: int = 0  #: old cards removed (rows that disappeared or are refused now)
    kept: int = 0  #: cards left as they were (not selected, or the run stopped early)
    press_rewritten: bool = False
    renamed: list[str] = field(default_factory=list)  #: cards given another name, and why
    not_written: list[str] = field(default_factory=list)  #: every file that could not be written
    interrupted: bool = False
    selected: bool = False
    imposition: str = ""  #: cards per sheet and sheets, when imposed
    link_pattern: str = ""
    link_example: str = ""

    @property
    def ok(self) -> bool:
        return not self.refused and not self.not_written and not self.interrupted

    @property
    def entries(self) -> list[ManifestEntry]:
        """The manifest's rows, read back from the folder (a long run's rows are not kept in memory)."""
        return read_manifest_entries(self.out / MANIFEST_NAME)

    @property
    def exit_code(self) -> ExitCode:
        if self.interrupted:
            return ExitCode.INTERRUPTED
        if self.written_nothing:
            return ExitCode.NOTHING_WRITTEN
        if self.not_written:
            return ExitCode.INCOMPLETE
        return ExitCode.ROWS_REFUSED if self.refused else ExitCode.OK


@dataclass
class Prepared:
    """A template, profile and list, read, laid out and preflighted: the first half of render and check."""

    template: CardTemplate
    profile: PrintProfile
    recipients: RecipientList
    renderer: CardRenderer
    cards: list[Card]
    problems: list[RowProblem]
    template_findings: list[Finding]
    card_findings: list[Finding]
    link_pattern: str = ""


def resolve_profile(
    template: CardTemplate, name: str, bleed_mm: float | None, crop_marks: bool | None
) -> PrintProfile:
    """The named profile with command-line overrides applied."""
    profile = template.profile(name)
    if bleed_mm is not None:
        if not (math.isfinite(bleed_mm) and 0 <= bleed_mm <= 20):
            raise TemplateError(f"bleed must be a number from 0 to 20 mm, got {bleed_mm}")
        profile = replace(profile, bleed_mm=bleed_mm)
    if crop_marks is not None:
        profile = replace(profile, crop_marks=crop_marks)
    return profile


@dataclass(frozen=True)
class RowOutcome:
    """One data row after layout and preflight: a card, or the reason it was refused."""

    line: int
    recipient: Recipient | None
    card: Card | None
    problem: RowProblem | None
    findings: list[Finding]


class CardStream:
    """Template, profile and list opened once; the rows laid out one at a time, as often as needed."""

    def __init__(self, inputs: Inputs) -> None:
        self.inputs = inputs
        self.template = load_template(inputs.template_folder)
        self.profile = resolve_profile(self.template, inputs.profile, inputs.bleed_mm, inputs.crop_marks)
        self.renderer = renderer_for(inputs, self.template, self.profile)
        self.list: RecipientStream | None = self._open_list()
        self.columns = list(self.list.columns)
        self.path = self.list.path
        self.encoding, self.delimiter = self.list.encoding, self.list.delimiter
        self.row_count = self.list.row_count
        self.builder = CardBuilder(
            self.template,
            RecipientList(self.path, self.columns),
            inputs.url,
            link_tokens(inputs, self.template),
            self._languages_used(),
        )
        self.link_pattern = inputs.url or self.template.link
        self.notes: list[RowProblem] = self.list.notes  # rows worth a look, found as the list is read
        self.template_findings = template_findings(
            self.template, self.profile, self.renderer.artworks, self.renderer.artwork_variants
        )
        self.template_findings += self._unused_column_notes()

    def _unused_column_notes(self) -> list[Finding]:
        unused = unused_columns(self.template, self.columns, self.builder.link_pattern.columns)
        if not unused:
            return []
        several = len(unused) > 1
        return [
            Finding(
                INFO,
                str(self.path),
                f"list column{'s' if several else ''} {', '.join(repr(c) for c in unused)} "
                f"{'are' if several else 'is'} not used by the template — fine if meant; otherwise "
                f"use {'them' if several else 'it'} in a field text (e.g. {{{{ {unused[0]} }}}}) or check "
                f"the header's spelling",
            )
        ]

    def _languages_used(self) -> dict[str, int] | None:
        """Each card language of the list with its first line, read only when a field lacks a default.

        A field with texts for some languages and no ``default`` must not print another language's
        text on a card; the template is refused at load time instead.
        """
        if all("default" in field.text for page in self.template.pages for field in page.fields):
            return None
        languages: dict[str, int] = {}
        stream = self._open_list()
        for item in stream.rows:
            stream.notes.clear()  # told when the rows are laid out
            if not isinstance(item, RowProblem):
                languages.setdefault(item.language, item.line)
        return languages

    def _open_list(self) -> RecipientStream:
        return open_recipients(
            self.inputs.recipients,
            self.inputs.encoding,
            self.inputs.delimiter,
            self.template.default_language,
        )

    def rows(self) -> Iterator[RowOutcome]:
        """Every data row in list order (the list is read again on each call after the first)."""
        stream, self.list = self.list or self._open_list(), None
        self.notes = stream.notes
        for item in stream.rows:
            if isinstance(item, RowProblem):
                yield RowOutcome(item.location.line or 0, None, None, item, [])
            else:
                yield self.lay_out(item)

    def lay_out(self, recipient: Recipient) -> RowOutcome:
        location = Location(self.path, recipient.line)
        try:
            card = self.builder.build(recipient)
            found = card_findings(card, self.template, str(location))
        except RowRefused as refusal:
            problem = RowProblem(refusal.location, refusal.message, recipient.id, recipient.company)
            return RowOutcome(recipient.line, recipient, None, problem, [])
        except Exception as err:  # a damaged font or artwork fails here for this row only
            problem = RowProblem(location, _unexpected(err), recipient.id, recipient.company)
            return RowOutcome(recipient.line, recipient, None, problem, [])
        failed = errors_in(found)
        if failed:
            problem = RowProblem(location, failed[0].message, recipient.id, recipient.company)
            return RowOutcome(recipient.line, recipient, None, problem, found)
        return RowOutcome(recipient.line, recipient, card, None, found)


def _unexpected(err: BaseException) -> str:
    return (
        f"this card cannot be drawn ({type(err).__name__}: {err}) — the template's fonts or artwork "
        "may be damaged; try another font for the fields this row fills"
    )


def prepare(inputs: Inputs) -> Prepared:
    """Read everything, lay out and preflight every card; raise only for whole-input problems."""
    stream = CardStream(inputs)
    recipients = RecipientList(
        stream.path, stream.columns, encoding=stream.encoding, delimiter=stream.delimiter
    )
    cards: list[Card] = []
    problems: list[RowProblem] = []
    findings: list[Finding] = []
    for outcome in stream.rows():
        if outcome.recipient is not None:
            recipients.recipients.append(outcome.recipient)
        findings.extend(outcome.findings)
        if outcome.problem is not None:
            problems.append(outcome.problem)
            if outcome.recipient is None:
                recipients.problems.append(outcome.problem)
        elif outcome.card is not None:
            cards.append(outcome.card)
    recipients.notes = stream.notes
    return Prepared(
        stream.template,
        stream.profile,
        recipients,
        stream.renderer,
        cards,
        problems,
        stream.template_findings,
        findings,
        stream.link_pattern,
    )


def link_summary(prepared: Prepared) -> tuple[str, str]:
    """The link pattern and one filled example, so staff see where the codes point before printing."""
    pattern = prepared.link_pattern or prepared.template.link
    example = prepared.cards[0].link if prepared.cards else ""
    return pattern, example


def link_tokens(inputs: Inputs, template: CardTemplate) -> TokenSigner | None:
    """The token signer when the link uses {token} (the secret is read only then)."""
    pattern = inputs.url if inputs.url is not None else template.link
    return load_signer(inputs.secret_file, inputs.campaign) if "{token}" in (pattern or "") else None


def preflight_findings(prepared: Prepared) -> list[Finding]:
    """Everything ``greetcard check`` reports: template findings, then rows in list order."""
    rows = list(prepared.card_findings)
    rows.extend(_note_finding(note) for note in prepared.recipients.notes)
    rows.extend(_problem_finding(problem) for problem in prepared.problems)
    rows.sort(key=lambda finding: finding.line)
    return [*prepared.template_findings, *rows]


def _note_finding(note: RowProblem) -> Finding:
    return Finding(WARNING, str(note.location), note.message, note.row_id, note.company, line=_line_of(note))


def _problem_finding(problem: RowProblem) -> Finding:
    return Finding(
        ERROR, str(problem.location), problem.message, problem.row_id, problem.company, line=_line_of(problem)
    )


@dataclass
class CheckResult:
    """What ``greetcard check`` reports, gathered row by row (a long list is never held)."""

    template: CardTemplate
    profile: PrintProfile
    findings: list[Finding]  # empty when they were handed on one by one instead
    rows: int
    cards_ok: int
    refused: int
    encoding: str = ""
    delimiter: str = ""
    link_pattern: str = ""
    link_example: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    scan_margin: TemplateMargin | None = None  # None when no row became a card


def check_inputs(inputs: Inputs, on_finding: Callable[[Finding], None] | None = None) -> CheckResult:
    """Preflight every row without keeping the rows.

    Findings come in report order (template first, then rows by line).  With ``on_finding``
    each is handed on as soon as it is known and none is kept, so memory does not grow with
    the list even when every row has something to say.
    """
    stream = CardStream(inputs)
    kept: list[Finding] = []
    counts = {ERROR: 0, WARNING: 0, INFO: 0}

    def report(finding: Finding) -> None:
        counts[finding.level] = counts.get(finding.level, 0) + 1
        if on_finding is not None:
            on_finding(finding)
        else:
            kept.append(finding)

    for finding in stream.template_findings:
        report(finding)
    total = ok = refused = 0
    example = ""
    links: list[str] = []  # for the scan margin (the link texts only, not the rows)
    for outcome in stream.rows():
        total += 1
        for finding in outcome.findings:
            if finding.level != ERROR:
                report(finding)
        for note in stream.notes:  # found while this row was read
            report(_note_finding(note))
        stream.notes.clear()
        if outcome.problem is not None:
            refused += 1
            report(_problem_finding(outcome.problem))
        else:
            ok += 1
            example = example or (outcome.card.link if outcome.card else "")
            if outcome.card is not None:
                links.append(outcome.card.link)
    # Last, as it needs every link: the same margin as the proof sheet's, per distinct code layout.
    margin = template_margin(stream.template, links)
    margin_line = margin_finding(margin)
    if margin_line is not None:
        report(margin_line)
    return CheckResult(
        stream.template,
        stream.profile,
        kept,
        total,
        ok,
        refused,
        stream.encoding,
        stream.delimiter,
        stream.link_pattern,
        example,
        counts,
        margin if margin.layouts else None,
    )


#: Told (rows done so far, rows in all) after each row is written, refused or found unchanged.
Progress = Callable[[int, int], None]


def scan_margin(prepared: Prepared) -> TemplateMargin:
    """The template's scan margin for the list's links: what the proof sheet, check and the web page show."""
    return template_margin(prepared.template, [card.link for card in prepared.cards])


def pick_card(prepared: Prepared, row_id: str | None = None, row_number: int | None = None) -> Card:
    """The card for the row with ``row_id``, or the ``row_number``-th data row, else the first good one."""
    if row_id is None and row_number is None:
        if not prepared.cards:
            raise RecipientsError("no row of the list can become a card — run 'greetcard check'")
        return prepared.cards[0]
    path = prepared.recipients.path
    if row_id is not None:
        chosen = [r for r in prepared.recipients.recipients if r.id == row_id]
        if not chosen:
            raise RecipientsError(f"no row with id {row_id!r} in {path}")
    else:
        chosen = [r for r in prepared.recipients.recipients if r.row_number == row_number]
        if not chosen:
            readable = len(prepared.recipients.recipients)
            raise RecipientsError(
                f"row {row_number} is not a readable row of {path} ({readable} readable rows) "
                "— see 'greetcard check'"
            )
    for card in prepared.cards:
        if card.recipient is chosen[0]:
            return card
    reason = next((str(p) for p in prepared.problems if p.row_id == chosen[0].id), "it was refused")
    raise RecipientsError(f"that row cannot become a card: {reason}")


def render_batch(options: RenderOptions, progress: Progress | None = None) -> RenderReport:
    """Render one PDF per good row into ``options.out`` and write ``manifest.csv``.

    Raises :class:`GreetcardError` (nothing written) when the template, the list or the
    folder is unusable; everything else — refused rows, files that could not be written,
    Ctrl-C — is in the report, whose ``exit_code`` says which.
    """
    started = time.perf_counter()
    stream = CardStream(options.inputs)
    template_errors = errors_in(stream.template_findings)
    if template_errors:
        raise TemplateError(
            f"{stream.template.file}: the template fails preflight — "
            + "; ".join(finding.message for finding in template_errors)
        )
    report = RenderReport(
        out=options.out,
        encoding=stream.encoding,
        delimiter=stream.delimiter,
        profile=stream.profile.name,
        warnings=[f.message for f in stream.template_findings if f.level == WARNING],
        selected=not options.selection.everything,
        link_pattern=stream.link_pattern,
    )
    if options.strict:
        refused: list[str] = []
        for outcome in stream.rows():
            stream.notes.clear()  # told in the run itself
            if outcome.problem is not None:
                refused.append(str(outcome.problem))
        if refused:
            report.refused = refused
            report.written_nothing = True
            report.seconds = time.perf_counter() - started
            return report
    if options.impose_sheet:
        from .impose import sheet_plan_for

        # Fail before writing anything, not after every card is on disk.
        sheet_plan_for(
            stream.renderer, options.impose_sheet, options.impose_gutter_mm, options.impose_margin_mm
        )
    with folder_lock(options.out):
        folder = _usable_folder(options.out)
        report.out = folder
        run = _FolderRun(options, stream, report, folder, progress)
        run.run()
    report.warnings += [str(note) for note in run.notes]
    if run.notes_not_kept:
        more = run.notes_not_kept
        report.warnings.append(f"… and {more} more such rows — 'greetcard check' lists every one")
    report.seconds = time.perf_counter() - started
    return report


def press_file_in(batch_file: str, out: Path) -> str:
    """``--batch`` as a file name in ``out``: a path elsewhere is refused, never silently renamed."""
    target = Path(batch_file)
    if len(target.parts) <= 1 and "\\" not in batch_file:
        return batch_file
    if target.parent.resolve() == out.resolve():
        return target.name
    raise OutputError(
        f"--batch {batch_file}: the press file is written into the output folder ({out}), beside the "
        f"cards and the manifest — give a file name such as --batch {target.name}, or pass "
        f"--out {target.parent} to put the cards and the press file there"
    )


def _batch_name(name: str) -> str:
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    return safe_stem(stem) + ".pdf"


def _line_of(problem: RowProblem) -> int:
    return problem.location.line or 0


def _is_bookkept_name(name: str) -> bool:
    """Names greetcard may have written: safe PDF names, and the manifest."""
    if name == MANIFEST_NAME:
        return True
    return name.lower().endswith(".pdf") and name == safe_stem(name[:-4]) + ".pdf"


def _usable_folder(folder: Path) -> Path:
    """Check, before anything changes, that the folder takes new files and its manifest is greetcard's."""
    manifest = folder / MANIFEST_NAME
    if manifest.is_symlink() or (manifest.exists() and not manifest.is_file()):
        raise OutputError(f"{manifest}: is not a file — remove it or choose another --out")
    for name in (WRITTEN_LIST, JOURNAL_NAME):
        if (folder / name).is_dir() and not (folder / name).is_symlink():
            raise OutputError(f"{folder / name}: is a folder, not greetcard's bookkeeping — remove it")
    try:
        probe, _ = write_temporary(folder, b"")
        probe.unlink()
    except OSError as err:
        advice = (
            "free some disk space, or choose another --out"
            if err.errno in _FULL_ERRNOS
            else ("choose another --out")
        )
        raise OutputError(
            f"{folder}: cannot write into this folder ({err.strerror or err}) — {advice}"
        ) from None
    if manifest.exists():
        ledger = Ledger(folder, _is_bookkept_name)
        if ledger.current(MANIFEST_NAME) is None and not _looks_like_our_manifest(manifest):
            raise OutputError(
                f"{manifest}: this file was not written by greetcard — move it away or choose another --out"
            )
    return folder.resolve()


def _looks_like_our_manifest(path: Path) -> bool:
    """A manifest of an older greetcard (before content hashes were recorded) is recognised by its header."""
    try:
        with path.open("rb") as handle:
            start = handle.read(len(MANIFEST_START.encode("utf-8")))
    except OSError:
        return False
    return start == MANIFEST_START.encode("utf-8")


# --- fingerprints: what a card's bytes depend on ----------------------------------


def inputs_fingerprint(stream: CardStream) -> str:
    """Everything but the row: greetcard and reportlab versions, template files, profile, link pattern."""
    from reportlab import Version as reportlab_version

    from . import __version__

    digest = hashlib.sha256()
    parts = [
        __version__,
        reportlab_version,
        str(stream.template.file),
        repr(stream.profile),
        stream.inputs.url or "",
        json.dumps(stream.columns),
    ]
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    used = {path for path in stream.template.folder.rglob("*") if path.is_file()}
    used |= {spec.path for spec in stream.template.fonts.values()}
    used |= {page.artwork for page in stream.template.pages if page.artwork is not None}
    for path in sorted(used):
        digest.update(str(path).encode("utf-8") + b"\0" + (file_sha256(path) or "missing").encode() + b"\0")
    return digest.hexdigest()


def card_fingerprint(base: str, card: Card, file_hashes: dict[Path, str]) -> str:
    """A card's inputs: the batch's fingerprint, the row's values, its link (tokens depend on a
    secret) and the content of the images its row names (files beside the list)."""
    digest = hashlib.sha256(base.encode() + b"\0")
    digest.update(json.dumps(sorted(card.recipient.values.items()), ensure_ascii=False).encode() + b"\0")
    digest.update(card.link.encode() + b"\0")
    for page in card.pages:
        for image in page.images:
            path = image.facts.path
            if path not in file_hashes:
                if len(file_hashes) > 10_000:
                    file_hashes.clear()
                file_hashes[path] = file_sha256(path) or "missing"
            digest.update(f"{path}\0{file_hashes[path]}\0".encode())
    return digest.hexdigest()


# --- the press file ------------------------------------------------------------


@dataclass(frozen=True)
class PressFile:
    """All cards as one PDF for the press: file name, title, and the sheet when imposed n-up."""

    name: str
    title: str
    sheet: str | None = None
    gutter_mm: float | None = None
    margin_mm: float | None = None

    def render(self, renderer: CardRenderer, cards: list[Card]) -> bytes:
        if self.sheet:
            from .impose import impose

            return impose(renderer, cards, self.sheet, self.title, self.gutter_mm, self.margin_mm)
        return renderer.render(cards, title=self.title)


# --- drawing cards, in this process or in workers ------------------------------------


@dataclass(frozen=True)
class _Drawn:
    """A card drawn into a temporary file in the folder (or why not)."""

    temporary: str | None
    sha256: str
    error: str | None = None
    errno: int | None = None  # set when the disk refused the file (not the card's fault)
    symbols: tuple[QrSymbol, ...] = ()


def _draw_to_temporary(renderer: CardRenderer, folder: Path, card: Card, keep_symbols: bool) -> _Drawn:
    try:
        data = renderer.render([card])
    except Exception as err:  # one card's failure is that card's failure
        return _Drawn(None, "", _unexpected(err))
    try:
        temporary, sha256 = write_temporary(folder, data)
    except OSError as err:
        return _Drawn(None, "", err.strerror or str(err), err.errno or 0)
    symbols = tuple(page.qr.symbol() for page in card.pages if page.qr) if keep_symbols else ()
    return _Drawn(str(temporary), sha256, symbols=symbols)


_WORKER_STATE: dict[str, tuple[CardRenderer, Path]] = {}


def renderer_for(inputs: Inputs, template: CardTemplate, profile: PrintProfile) -> CardRenderer:
    """A renderer whose PDFs carry a real, reproducible creation date: the newest input's."""
    renderer = CardRenderer(template, profile, inputs.url)
    if inputs.recipients.is_file():
        renderer.created_epoch = newest_modification([inputs.recipients, template.file.parent])
    return renderer


def _start_worker(inputs: Inputs, folder: str) -> None:
    """Pool initializer: each worker prepares its own renderer from the inputs (works under spawn)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    template = load_template(inputs.template_folder)
    profile = resolve_profile(template, inputs.profile, inputs.bleed_mm, inputs.crop_marks)
    _WORKER_STATE["renderer"] = (renderer_for(inputs, template, profile), Path(folder))


def _draw_in_worker(card: Card, keep_symbols: bool) -> _Drawn:
    renderer, folder = _WORKER_STATE["renderer"]
    return _draw_to_temporary(renderer, folder, card, keep_symbols)


# --- one run into the folder ---------------------------------------------------------


@dataclass
class _Pending:
    """A row on its way to the manifest, in list order; ``drawn`` is set when its card is to be written."""

    outcome: RowOutcome
    name: str = ""
    fingerprint: str = ""
    drawn: Future[_Drawn] | None = None
    entry: ManifestEntry | None = None
    record: Record | None = None


class _LinesFile:
    """A file written line by line to a temporary file in the folder, hashed as it goes.

    The manifest and the bookkeeping are streamed like this, so a long list never has
    them in memory; the finished file is renamed into place or thrown away.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path, self.handle = open_temporary(folder)
        self.digest = hashlib.sha256()
        self.failed: OSError | None = None

    def write(self, data: bytes) -> None:
        if self.failed is None:
            try:
                self.handle.write(data)
                self.digest.update(data)
            except OSError as err:
                self.failed = err

    def close(self) -> bool:
        """Finish writing; False when the file could not be written whole (e.g. disk full)."""
        try:
            self.handle.close()
        except OSError as err:
            self.failed = self.failed or err
        return self.failed is None

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()

    def put_in_place(self, name: str) -> None:
        replace_into(self.path, self.folder, name)

    def discard(self) -> None:
        """Remove the temporary file unless it was put in place."""
        with contextlib.suppress(OSError):  # closing flushes: a full disk may refuse that too
            self.handle.close()
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


class _FolderRun:
    """Names, draws, writes and books one run's files; see the module docstring for the rules."""

    def __init__(
        self,
        options: RenderOptions,
        stream: CardStream,
        report: RenderReport,
        folder: Path,
        progress: Progress | None,
    ) -> None:
        self.options, self.stream, self.report, self.folder = options, stream, report, folder
        self.progress = progress
        self.selection = options.selection
        clear_partial_files(folder)
        self.ledger = Ledger(folder, _is_bookkept_name)
        self.base_fingerprint = inputs_fingerprint(stream)
        self.file_hashes: dict[Path, str] = {}
        self.namer = FileNamer()
        self.press: PressFile | None = None
        self.press_cards: list[Card] = []
        self.press_digest = hashlib.sha256()
        self.press_name = options.press_file if self.selection.everything else None
        if self.press_name:
            self.press_name = self._press_name(self.press_name)
            self.namer.take(self.press_name)
        self.record_lines: _LinesFile | None = None  # the new bookkeeping, one record per line
        self.manifest_lines: _LinesFile | None = None
        self.changed = False
        self.stopped: str | None = None  # why writing stopped (disk full, read-only)
        self.failures = 0
        self.skipped = 0  # cards not even tried once the folder took no more files
        self.done = 0
        self.total = stream.row_count
        self.executor: ProcessPoolExecutor | None = None
        self.notes: list[RowProblem] = []  # the first rows worth a look, for the summary …
        self.notes_not_kept = 0  # … and how many more (a long list must not fill memory)

    # -- the run --

    def run(self) -> None:
        self.manifest_lines = _LinesFile(self.folder)
        self.manifest_lines.write(manifest_bytes([]))
        self.record_lines = _LinesFile(self.folder)
        self.record_lines.write(BOOKKEEPING_FIRST_LINE)
        finished = False
        try:
            self._write_rows()
            self._write_press_file()
            finished = True
        except KeyboardInterrupt:
            self.report.interrupted = True
        except GreetcardError as err:  # e.g. a workbook damaged half-way: stop, keep the folder consistent
            self.report.not_written.append(f"the run stopped early: {err}")
        finally:
            self._stop_workers()
            try:
                self._finish(clean=finished and not self.report.not_written and not self.stopped)
            finally:
                clear_partial_files(self.folder)  # cards drawn but never put in place

    def _write_rows(self) -> None:
        chunk: list[_Pending] = []
        waiting: list[_Pending] = []
        for outcome in self.stream.rows():
            self._take_notes()
            chunk.append(self._plan(outcome))
            if len(chunk) >= CHUNK_ROWS:
                self._settle(waiting)  # the previous chunk, drawn while this one was laid out
                waiting, chunk = chunk, []
        self._settle(waiting)
        self._settle(chunk)

    def _take_notes(self) -> None:
        found = self.stream.notes
        room = max(MAX_NOTES_SHOWN - len(self.notes), 0)
        self.notes += found[:room]
        self.notes_not_kept += max(len(found) - room, 0)
        found.clear()

    def _plan(self, outcome: RowOutcome) -> _Pending:
        pending = _Pending(outcome)
        recipient, card = outcome.recipient, outcome.card
        if outcome.problem is not None or recipient is None or card is None:
            return pending
        self.report.shrunk += sum(1 for f in outcome.findings if f.level == INFO)
        self.report.link_example = self.report.link_example or card.link
        wanted = FileNamer.first_choice(recipient.id, recipient.company)
        pending.name = self.namer.name_for(recipient.id, recipient.company, self.ledger.is_free)
        if pending.name != wanted and not self.ledger.is_free(wanted):
            self.report.renamed.append(
                f"{pending.name}: {wanted} in the folder was not written by greetcard, so it is left alone"
            )
        pending.fingerprint = card_fingerprint(self.base_fingerprint, card, self.file_hashes)
        if self.press_name:
            self.press_cards.append(card)
            self.press_digest.update(pending.fingerprint.encode() + b"\0")
        if not self.selection.includes(recipient):
            return pending
        current = self.ledger.current(pending.name)
        if current is not None and current.fingerprint == pending.fingerprint:
            return pending  # the card in the folder was made from these very inputs
        if self.stopped:
            self.skipped += 1
            return pending
        pending.drawn = self._draw(card)
        return pending

    def _draw(self, card: Card) -> Future[_Drawn]:
        keep_symbols = bool(self.press_name)
        executor = self._executor()
        if executor is not None:
            return executor.submit(_draw_in_worker, card, keep_symbols)
        drawn = _draw_to_temporary(self.stream.renderer, self.folder, card, keep_symbols)
        if drawn.errno in _FOLDER_ERRNOS:
            self.stopped = f"not written: the folder takes no more files ({drawn.error})"
        done: Future[_Drawn] = Future()
        done.set_result(drawn)
        return done

    def _executor(self) -> ProcessPoolExecutor | None:
        workers = self.options.jobs or (os.cpu_count() or 1)
        if workers <= 1 or (self.total is not None and self.total < self.options.parallel_threshold):
            return None
        if self.executor is None:
            context = multiprocessing.get_context(self.options.start_method)
            self.executor = ProcessPoolExecutor(
                workers,
                mp_context=context,
                initializer=_start_worker,
                initargs=(self.options.inputs, str(self.folder)),
            )
        return self.executor

    def _stop_workers(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def _settle(self, pendings: list[_Pending]) -> None:
        """Put each drawn card in place and book every row, in list order."""
        for pending in pendings:
            self._settle_one(pending)
            assert pending.entry is not None and self.manifest_lines is not None
            self.manifest_lines.write(manifest_bytes([pending.entry], header=False))
            if pending.record is not None:
                self._book(pending.record)
            elif pending.name:
                self.ledger.forget(pending.name)
            self.done += 1
            if self.progress:
                self.progress(self.done, max(self.total or 0, self.done))
        pendings.clear()

    def _settle_one(self, pending: _Pending) -> None:
        outcome, recipient, card = pending.outcome, pending.outcome.recipient, pending.outcome.card
        if outcome.problem is not None or recipient is None or card is None:
            problem = outcome.problem
            assert problem is not None
            self.report.refused.append(str(problem))
            pending.entry = ManifestEntry(
                problem.row_id, problem.company, "", "", "refused", str(problem), _line_of(problem)
            )
            return
        entry = ManifestEntry(
            recipient.id,
            recipient.company,
            pending.name,
            card.link,
            "written",
            "",
            recipient.line,
            pending.fingerprint,
        )
        current = self.ledger.current(pending.name)
        if pending.drawn is None:
            if current is None:  # not selected (or writing stopped) and not in the folder
                reason = self.stopped or "not selected for this run"
                pending.entry = replace(entry, file="", status="not written", message=reason, fingerprint="")
                if self.stopped:
                    self.failures += 1
                return
            pending.record = current
            if current.fingerprint == pending.fingerprint:
                self.report.written += 1
                self.report.unchanged += 1
                pending.entry = entry
            else:
                self.report.kept += 1
                reason = self.stopped or "not selected for this run"
                pending.entry = replace(
                    entry,
                    status="outdated",
                    message=f"the file is from an earlier run ({reason})",
                    fingerprint=current.fingerprint,
                )
            return
        try:
            drawn = pending.drawn.result()
        except Exception as err:  # a worker that died (e.g. killed by the system for memory)
            drawn = _Drawn(None, "", _unexpected(err))
        if drawn.symbols:
            remember_symbols(list(drawn.symbols))
        if drawn.temporary is None:
            pending.entry = self._not_drawn(pending, entry, drawn, current)
            return
        record = Record("card", pending.name, drawn.sha256, pending.fingerprint, recipient.id)
        failure = self._put_in_place(Path(drawn.temporary), record)
        if failure is None:
            self.report.written += 1
            self.report.rewritten += 1
            pending.record, pending.entry = record, entry
            return
        self.report.not_written.append(failure)
        self.failures += 1
        if current is not None:
            pending.record = current
            pending.entry = replace(
                entry, status="outdated", message=failure, fingerprint=current.fingerprint
            )
        else:
            pending.entry = replace(entry, file="", status="not written", message=failure, fingerprint="")

    def _not_drawn(
        self, pending: _Pending, entry: ManifestEntry, drawn: _Drawn, current: Record | None
    ) -> ManifestEntry:
        recipient = pending.outcome.recipient
        assert recipient is not None and drawn.error is not None
        if drawn.errno is None:  # the card itself failed: its row is refused
            message = located(Location(self.stream.path, recipient.line), drawn.error)
            self.report.refused.append(message)
            if pending.outcome.card in self.press_cards:
                self.press_cards.remove(pending.outcome.card)
            return replace(entry, file="", link="", status="refused", message=message, fingerprint="")
        failure = f"{pending.name}: could not be written ({drawn.error})"
        if drawn.errno in _FOLDER_ERRNOS:
            self.stopped = f"not written: the folder takes no more files ({drawn.error})"
        self.report.not_written.append(failure)
        self.failures += 1
        if current is not None:
            pending.record = current
            return replace(entry, status="outdated", message=failure, fingerprint=current.fingerprint)
        return replace(entry, file="", status="not written", message=failure, fingerprint="")

    def _put_in_place(self, temporary: Path, record: Record) -> str | None:
        """Journal, then rename into place; the failure message naming the file, or None."""
        self._before_first_change()
        try:
            self.ledger.note_written(record)
            replace_into(temporary, self.folder, record.name)
            self.ledger.note_in_place(record)
        except PermissionError:
            temporary.unlink(missing_ok=True)
            self.ledger.forget(record.name)
            return (
                f"{record.name}: could not be replaced — another program has it open; close it "
                "(e.g. in your PDF viewer) and run again"
            )
        except OSError as err:
            temporary.unlink(missing_ok=True)
            self.ledger.forget(record.name)
            if err.errno in _FOLDER_ERRNOS:
                self.stopped = f"not written: the folder takes no more files ({err.strerror})"
            return f"{record.name}: could not be written ({err.strerror or err})"
        return None

    def _before_first_change(self) -> None:
        """The old manifest goes before the folder changes, so no manifest ever lists what is not there."""
        if not self.changed:
            self.changed = True
            with contextlib.suppress(OSError):  # held open (Windows): replaced at the end, or named then
                (self.folder / MANIFEST_NAME).unlink(missing_ok=True)

    def _book(self, record: Record) -> None:
        """A file this run vouches for: into the new bookkeeping (streamed, as the manifest is)."""
        assert self.record_lines is not None
        self.record_lines.write(record.line())
        self.ledger.vouch(record.name)

    # -- the press file --

    def _press_name(self, name: str) -> str:
        if self.ledger.is_free(name):
            return name
        chosen = FileNamer().name_for(name[:-4], "", self.ledger.is_free)
        self.report.renamed.append(
            f"{chosen}: {name} in the folder was not written by greetcard, so it is left alone"
        )
        return chosen

    def _write_press_file(self) -> None:
        if not self.press_name or not self.press_cards or self.stopped:
            if self.press_name and self.stopped:
                self.report.not_written.append(f"{self.press_name}: not written — {self.stopped}")
            return
        sheet = self.options.impose_sheet
        title = f"{self.stream.template.name} — {len(self.press_cards)} cards"
        gutter, margin = self.options.impose_gutter_mm, self.options.impose_margin_mm
        self.press = PressFile(self.press_name, title, sheet, gutter, margin)
        if sheet:
            from .impose import sheet_plan_for

            plan = sheet_plan_for(self.stream.renderer, sheet, gutter, margin)
            self.report.imposition = plan.summary(len(self.press_cards), len(self.stream.template.pages))
        self.press_digest.update(f"{self.press_name}\0{title}\0{sheet}\0{gutter}\0{margin}".encode())
        fingerprint = self.press_digest.hexdigest()
        current = self.ledger.current(self.press_name)
        if current is not None and current.fingerprint == fingerprint:
            self._book(current)
            self.report.batch_file = self.folder / self.press_name
            return
        try:
            data = self.press.render(self.stream.renderer, self.press_cards)
        except GreetcardError:
            raise
        except Exception as err:
            self.report.not_written.append(f"{self.press_name}: {_unexpected(err)}")
            return
        try:
            temporary, sha256 = write_temporary(self.folder, data)
        except OSError as err:
            self.report.not_written.append(f"{self.press_name}: could not be written ({err.strerror or err})")
            return
        record = Record("press", self.press_name, sha256, fingerprint)
        failure = self._put_in_place(temporary, record)
        if failure is not None:
            self.report.not_written.append(failure)
            if current is not None:
                self._book(current)
            return
        self._book(record)
        self.report.batch_file = self.folder / self.press_name
        self.report.press_rewritten = True

    # -- the end: remove what is gone, book what is there --

    def _finish(self, clean: bool) -> None:
        """Remove old files (only after a complete run), then write the bookkeeping and the manifest.

        Whatever happened, the manifest lists exactly the cards in the folder.
        """
        if self.skipped:
            self.report.not_written.append(
                f"{self.skipped} more card{'s' if self.skipped != 1 else ''} {self.stopped} — "
                "the manifest lists each; free some space and run again"
            )
        self.ledger.close_journal()
        carried: list[Record] = []
        for name in self.ledger.recorded_names():
            if name == MANIFEST_NAME:
                continue
            current = self.ledger.current(name)
            if current is None:
                continue
            if clean and self.selection.everything:
                self._before_first_change()
                if self.ledger.remove(name):
                    self.report.removed += 1
                    continue
                self.report.not_written.append(
                    f"{name}: the old card could not be removed — another program has it open; "
                    "close it and run again"
                )
            carried.append(current)
        carried.sort(key=lambda record: (record.kind != "card", record.name))
        assert self.manifest_lines is not None
        for record in carried:
            if record.kind == "card":
                self.report.kept += 1
                why = "run stopped early" if not clean else "its row is not in this run"
                self.manifest_lines.write(
                    manifest_bytes(
                        [
                            ManifestEntry(
                                record.row_id,
                                "",
                                record.name,
                                "",
                                "kept",
                                f"left as it was ({why})",
                                None,
                                record.fingerprint,
                            )
                        ],
                        header=False,
                    )
                )
        assert self.record_lines is not None
        try:
            self._put_bookkeeping_in_place(carried)
        finally:
            self.manifest_lines.discard()
            self.record_lines.discard()

    def _put_bookkeeping_in_place(self, carried: list[Record]) -> None:
        """The manifest into place (when it changed), then the new bookkeeping."""
        assert self.manifest_lines is not None and self.record_lines is not None
        if not self.manifest_lines.close():
            self.report.not_written.append(
                f"{self.folder / MANIFEST_NAME}: could not be written (disk full?)"
            )
            return  # the journal still proves every file written
        records = list(carried)
        manifest_record = Record("manifest", MANIFEST_NAME, self.manifest_lines.sha256, "")
        try:
            if file_sha256(self.folder / MANIFEST_NAME) != manifest_record.sha256:
                self._before_first_change()
                self.ledger.note_written(manifest_record)
                self.ledger.close_journal()
                self.manifest_lines.put_in_place(MANIFEST_NAME)
                self.ledger.note_in_place(manifest_record)
            records.append(manifest_record)
        except PermissionError:
            self.report.not_written.append(
                f"{self.folder / MANIFEST_NAME}: could not be replaced — another program has it open; "
                "close it (e.g. in Excel) and run again"
            )
            old = self.ledger.current(MANIFEST_NAME)
            records.extend([old] if old is not None else [])
        except OSError as err:
            self.report.not_written.append(
                f"{self.folder / MANIFEST_NAME}: could not be written ({err.strerror or err})"
            )
        self.ledger.close_journal()
        for record in records:
            self.record_lines.write(record.line())
        if self.record_lines.close():
            with contextlib.suppress(OSError):  # the journal still proves every file written
                commit_bookkeeping(self.folder, self.record_lines.path, self.record_lines.sha256)
