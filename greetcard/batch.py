"""The main job as a library function: list + template → folder of print-ready PDFs.

Data flows one way: rows are read, every card is laid out (cheap, pure), and
only then are PDFs drawn and written.  So ``--strict`` can refuse the whole
batch before anything touches the disk, and a bad row never stops the good
ones.  The CLI is a thin shell around :func:`render_batch`.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .assets import bundled_template, template_folder
from .cards import Card, CardBuilder, RowRefused
from .errors import Location, OutputError, RecipientsError, TemplateError, located
from .filling import unused_columns
from .output import (
    FileNamer,
    ManifestEntry,
    manifest_bytes,
    output_folder_lock,
    prepare_output_folder,
    record_written,
    safe_stem,
    write_atomically,
)
from .preflight import ERROR, INFO, WARNING, Finding, card_findings, errors_in, template_findings
from .qr import QrSymbol, make_symbol, remember_symbols
from .recipients import RecipientList, RowProblem, read_recipients
from .render import CardRenderer, newest_modification
from .template import CardTemplate, PrintProfile, load_template
from .tokens import TokenSigner, load_signer

MANIFEST_NAME = "manifest.csv"
#: Below this many cards a second process costs more than it saves.
PARALLEL_THRESHOLD = 64


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
class RenderOptions:
    """A render job: its inputs, where the cards go, and what else to write."""

    inputs: Inputs
    out: Path
    strict: bool = False
    batch_file: str | None = None
    impose_sheet: str | None = None
    jobs: int = 0  # 0: one per CPU core

    @property
    def press_file(self) -> str | None:
        """The press file's name: --batch, or press-SHEET.pdf when only --impose is given."""
        name = self.batch_file or (f"press-{self.impose_sheet}.pdf" if self.impose_sheet else None)
        return _batch_name(name) if name else None


@dataclass
class RenderReport:
    """What a run did: cards written, rows refused, and how long it took."""

    out: Path
    entries: list[ManifestEntry] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    seconds: float = 0.0
    encoding: str = ""
    delimiter: str = ""
    profile: str = ""
    batch_file: Path | None = None
    written_nothing: bool = False
    warnings: list[str] = field(default_factory=list)
    shrunk: int = 0
    link_pattern: str = ""
    link_example: str = ""

    @property
    def written(self) -> int:
        return sum(1 for entry in self.entries if entry.status == "written")

    @property
    def ok(self) -> bool:
        return not self.refused


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


def prepare(inputs: Inputs) -> Prepared:
    """Read everything, lay out and preflight every card; raise only for whole-input problems."""
    template = load_template(inputs.template_folder)
    profile = resolve_profile(template, inputs.profile, inputs.bleed_mm, inputs.crop_marks)
    renderer = CardRenderer(template, profile)
    if inputs.recipients.is_file():
        renderer.created_epoch = newest_modification([inputs.recipients, template.file.parent])
    recipients = read_recipients(
        inputs.recipients, inputs.encoding, inputs.delimiter, template.default_language
    )
    builder = CardBuilder(template, recipients, inputs.url, link_tokens(inputs, template))
    cards: list[Card] = []
    problems = list(recipients.problems)
    findings: list[Finding] = []
    for recipient in recipients.recipients:
        location = Location(recipients.path, recipient.line)
        try:
            card = builder.build(recipient)
        except RowRefused as refusal:
            problems.append(RowProblem(refusal.location, refusal.message, recipient.id, recipient.company))
            continue
        found = card_findings(card, template, str(location))
        findings.extend(found)
        failed = errors_in(found)
        if failed:
            problems.append(RowProblem(location, failed[0].message, recipient.id, recipient.company))
        else:
            cards.append(card)
    unused = unused_columns(template, recipients.columns, builder.link_pattern.columns)
    notes = (
        [
            Finding(
                INFO,
                str(recipients.path),
                f"list column{'s' if len(unused) > 1 else ''} {', '.join(repr(c) for c in unused)} "
                f"{'are' if len(unused) > 1 else 'is'} not used by the template — fine if meant; otherwise "
                "use it in a field text (e.g. {{ " + unused[0] + " }}) or check the header's spelling",
            )
        ]
        if unused
        else []
    )
    return Prepared(
        template,
        profile,
        recipients,
        renderer,
        cards,
        problems,
        template_findings(template, profile, renderer.artworks, renderer.artwork_variants) + notes,
        findings,
        inputs.url or template.link,
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
    for note in prepared.recipients.notes:
        rows.append(
            Finding(WARNING, str(note.location), note.message, note.row_id, note.company, line=_line_of(note))
        )
    for problem in prepared.problems:
        rows.append(
            Finding(
                ERROR,
                str(problem.location),
                problem.message,
                problem.row_id,
                problem.company,
                line=_line_of(problem),
            )
        )
    rows.sort(key=lambda finding: finding.line)
    return [*prepared.template_findings, *rows]


#: Told (cards done so far, cards in all) after each card is written.
Progress = Callable[[int, int], None]


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
    """Render one PDF per good row into ``options.out`` and write ``manifest.csv``."""
    started = time.perf_counter()
    prepared = prepare(options.inputs)
    template_errors = errors_in(prepared.template_findings)
    if template_errors:
        raise TemplateError(
            f"{prepared.template.file}: the template fails preflight — "
            + "; ".join(finding.message for finding in template_errors)
        )
    report = RenderReport(
        out=options.out,
        encoding=prepared.recipients.encoding,
        delimiter=prepared.recipients.delimiter,
        profile=prepared.profile.name,
        warnings=[f.message for f in prepared.template_findings if f.level == WARNING]
        + [str(note) for note in prepared.recipients.notes],
        shrunk=sum(1 for f in prepared.card_findings if f.level == INFO),
    )
    report.link_pattern, report.link_example = link_summary(prepared)
    report.refused = [str(problem) for problem in sorted(prepared.problems, key=_line_of)]
    if options.strict and prepared.problems:
        report.written_nothing = True
        report.seconds = time.perf_counter() - started
        return report
    if options.impose_sheet:
        from .impose import plan_sheet

        # Fail before writing anything, not after every card is on disk.
        plan_sheet(
            options.impose_sheet,
            (prepared.template.width_mm, prepared.template.height_mm),
            prepared.profile.bleed_mm,
        )
    with output_folder_lock(options.out):
        return _write_batch(options, prepared, report, started, progress)


def _write_batch(
    options: RenderOptions,
    prepared: Prepared,
    report: RenderReport,
    started: float,
    progress: Progress | None,
) -> RenderReport:
    folder = prepare_output_folder(options.out, MANIFEST_NAME)
    report.out = folder
    namer = FileNamer()
    if options.press_file:
        namer.taken.add(options.press_file.casefold())
    names = [namer.name_for(card.recipient.id, card.recipient.company) for card in prepared.cards]
    press = None
    if options.press_file and prepared.cards:
        title = f"{prepared.template.name} — {len(prepared.cards)} cards"
        press = PressFile(options.press_file, title, options.impose_sheet)
    # Recorded before writing, so even an interrupted run is cleared by the next one.
    record_written(folder, [*names, *([press.name] if press else [])])
    failures = _write_cards(prepared.renderer, prepared.cards, names, folder, options.jobs, progress, press)
    if press is not None and press.name not in failures:
        report.batch_file = folder / press.name
    entries: list[tuple[int, ManifestEntry]] = []
    for card, name in zip(prepared.cards, names, strict=True):
        failure = failures.get(name)
        entries.append(
            (
                card.recipient.line,
                ManifestEntry(
                    card.recipient.id,
                    card.recipient.company,
                    "" if failure else name,
                    card.link,
                    "refused" if failure else "written",
                    failure or "",
                    card.recipient.line,
                ),
            )
        )
        if failure:
            report.refused.append(located(Location(prepared.recipients.path, card.recipient.line), failure))
    for problem in prepared.problems:
        entries.append(
            (
                _line_of(problem),
                ManifestEntry(
                    problem.row_id, problem.company, "", "", "refused", str(problem), _line_of(problem)
                ),
            )
        )
    report.entries = [entry for _, entry in sorted(entries, key=lambda item: item[0])]
    try:
        write_atomically(folder, MANIFEST_NAME, manifest_bytes(report.entries))
    except OSError as err:
        raise OutputError(
            f"{folder / MANIFEST_NAME}: cannot write the manifest ({err.strerror or err})"
        ) from None
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


# --- writing, in one process or several ----------------------------------------


@dataclass(frozen=True)
class PressFile:
    """All cards as one PDF for the press: file name, title, and the sheet when imposed n-up."""

    name: str
    title: str
    sheet: str | None = None

    def render(self, renderer: CardRenderer, cards: Sequence[Card]) -> bytes:
        if self.sheet:
            from .impose import impose

            return impose(renderer, cards, self.sheet, self.title)
        return renderer.render(cards, title=self.title)


_WORK: tuple[CardRenderer, Sequence[Card], Sequence[str], Path] | None = None


def _leave_interrupts_to_the_parent() -> None:
    """Ctrl-C stops the run in the parent, which ends the pool; workers need not report it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _encode(key: tuple[str, str]) -> QrSymbol:
    return make_symbol(*key)


def _render_one(index: int) -> tuple[str, str | None]:
    assert _WORK is not None
    renderer, cards, names, folder = _WORK
    return _render_and_write(renderer, cards[index], names[index], folder)


def _render_press(press: PressFile) -> tuple[str, str | None]:
    assert _WORK is not None
    renderer, cards, _, folder = _WORK
    return _write(folder, press.name, press.render(renderer, cards))


def _render_and_write(renderer: CardRenderer, card: Card, name: str, folder: Path) -> tuple[str, str | None]:
    return _write(folder, name, renderer.render([card]))


def _write(folder: Path, name: str, data: bytes) -> tuple[str, str | None]:
    try:
        write_atomically(folder, name, data)
    except OSError as err:
        return name, f"could not write {name}: {err.strerror or err}"
    except OutputError as err:
        return name, str(err)
    return name, None


def _write_cards(
    renderer: CardRenderer,
    cards: Sequence[Card],
    names: Sequence[str],
    folder: Path,
    jobs: int,
    progress: Progress | None,
    press: PressFile | None = None,
) -> dict[str, str]:
    """Render and write every card (and the press file); returns the failures by file name."""
    failures: dict[str, str] = {}
    done = 0
    for name, failure, is_card in _written(renderer, cards, names, folder, jobs, press):
        if failure:
            failures[name] = failure
        if is_card:
            done += 1
            if progress:
                progress(done, len(cards))
    return failures


def _written(
    renderer: CardRenderer,
    cards: Sequence[Card],
    names: Sequence[str],
    folder: Path,
    jobs: int,
    press: PressFile | None,
) -> Iterator[tuple[str, str | None, bool]]:
    """(file name, failure, is a card) for every file written, in one process or several."""
    global _WORK
    workers = jobs or (os.cpu_count() or 1)
    if workers > 1 and len(cards) >= PARALLEL_THRESHOLD and "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        # The QR mask search is the costliest step per card: spread it over the cores first, so
        # the card writers and the press file (forked below) all find every symbol ready.
        keys = sorted({(p.qr.link, p.qr.error_correction) for c in cards for p in c.pages if p.qr})
        with context.Pool(workers, initializer=_leave_interrupts_to_the_parent) as pool:
            remember_symbols(pool.map(_encode, keys, chunksize=16))
        _WORK = (renderer, cards, names, folder)
        try:
            with context.Pool(workers, initializer=_leave_interrupts_to_the_parent) as pool:
                press_result = pool.apply_async(_render_press, (press,)) if press else None
                for name, failure in pool.imap_unordered(_render_one, range(len(cards)), chunksize=8):
                    yield name, failure, True
                if press_result is not None:
                    yield (*press_result.get(), False)
        finally:
            _WORK = None
        return
    for card, name in zip(cards, names, strict=True):
        yield (*_render_and_write(renderer, card, name, folder), True)
    if press is not None:
        yield (*_write(folder, press.name, press.render(renderer, cards)), False)
