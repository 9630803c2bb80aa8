"""The command line: a thin Click shell over the library.

Every :class:`~greetcard.errors.GreetcardError` becomes one ``Error: …`` line
on stderr and exit code 1; rows that were refused are listed in the summary.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from .batch import (
    ExitCode,
    Inputs,
    RenderOptions,
    RenderReport,
    RowSelection,
    pick_card,
    prepare,
    render_batch,
)
from .errors import GreetcardError
from .escape import terminal_safe, visible
from .limits import set_limits
from .output import write_file

DEFAULT_RECIPIENTS = Path("recipients.csv")
F = TypeVar("F", bound=Callable[..., Any])


def _check_delimiter(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ","}
    value = named.get(value.lower(), value)
    if len(value) != 1 or value in '"\r\n':
        raise click.BadParameter("give one character, e.g. --delimiter ';' or --delimiter tab")
    return value


def _check_file_name(value: str | None) -> str | None:
    if value is not None and not value.strip(" ."):
        raise click.BadParameter("give a file name, e.g. --batch press.pdf")
    return value


def _check_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from .qr import LinkPattern

    try:
        LinkPattern.parse(value)
    except GreetcardError as err:
        raise click.BadParameter(str(err)) from None
    return value


template_option = click.option(
    "--template",
    "-t",
    "template",
    type=click.Path(path_type=Path),
    default=None,
    help="Template folder (with template.toml), or a bundled template by name (see 'greetcard template "
    "list'). Default: the bundled New Year card (nengajo).",
)
url_option = click.option(
    "--url",
    callback=_check_url,
    help="Link for the QR code; may hold {column} placeholders, "
    "e.g. 'https://example.org/?r={id}'. Default: the template's link.",
)
secret_file_option = click.option(
    "--secret-file",
    type=click.Path(path_type=Path),
    help="Secret for {token} links (default: $GREETCARD_TOKEN_SECRET_FILE or $GREETCARD_TOKEN_SECRET).",
)
campaign_option = click.option(
    "--campaign", help="Campaign name mixed into {token}, so each campaign has its own tokens."
)
list_options = [
    click.argument("recipients", type=click.Path(path_type=Path), default=DEFAULT_RECIPIENTS, required=False),
    template_option,
    url_option,
    click.option("--encoding", help="Encoding of a CSV list (default: detected; e.g. cp1252, cp932, utf-8)."),
    click.option(
        "--delimiter", callback=_check_delimiter, help="CSV delimiter: ';' ',' or tab (default: detected)."
    ),
    click.option(
        "--profile",
        default="print",
        show_default=True,
        help="Print profile: print, print-marks, screen, or one the template defines.",
    ),
    click.option(
        "--bleed", "bleed_mm", type=click.FloatRange(0, 20), help="Bleed in mm (overrides the profile)."
    ),
    click.option(
        "--marks/--no-marks",
        "crop_marks",
        default=None,
        help="Crop marks outside the bleed (overrides the profile).",
    ),
    secret_file_option,
    campaign_option,
]


def output_option(default: str, help_text: str) -> Callable[[F], F]:
    """``-o/--output FILE`` for commands that write one file."""
    return click.option(
        "-o",
        "--output",
        "output",
        type=click.Path(path_type=Path),
        default=Path(default),
        show_default=True,
        help=help_text,
    )


_LIST_OPTION_NAMES = tuple(field.name for field in fields(Inputs))


def with_list_options(function: F) -> F:
    """Add the shared list options; the command receives them as one ``inputs: Inputs``."""

    @functools.wraps(function)
    def command(**kwargs: Any) -> Any:
        inputs = Inputs(**{name: kwargs.pop(name) for name in _LIST_OPTION_NAMES})
        return function(inputs=inputs, **kwargs)

    for option in reversed(list_options):
        command = option(command)
    return cast(F, command)


@contextlib.contextmanager
def _stop_signals_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, a closing session, a scheduler's timeout) and Windows' Ctrl-Break stop a
    run as Ctrl-C does: the cards in place stay, and the manifest and bookkeeping match the folder."""
    import signal

    def interrupt(_signal: int, _frame: object) -> None:
        raise KeyboardInterrupt

    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGBREAK") if hasattr(signal, name)]
    previous = {}
    for number in wanted:
        with contextlib.suppress(ValueError, OSError):  # not the main thread: leave signals alone
            previous[number] = signal.signal(number, interrupt)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class _GuardedGroup(click.Group):
    """Catches every error once, at the boundary: user errors as ``Error: …``, bugs as a report file."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GreetcardError as err:
            raise click.ClickException(terminal_safe(str(err))) from None
        except OSError as err:
            raise click.ClickException(terminal_safe(_os_error_message(err))) from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except (MemoryError, RecursionError, Exception) as err:
            if _debug_wanted(ctx):
                raise
            raise click.ClickException(_internal_error_message(err)) from None


def _debug_wanted(ctx: click.Context) -> bool:
    import os

    return bool((ctx.obj or {}).get("debug")) or os.environ.get("GREETCARD_DEBUG", "") not in ("", "0")


def _os_error_message(err: OSError) -> str:
    """A file-system failure (disk full, permissions) as one line naming the file."""
    import errno

    where = f"{err.filename}: " if err.filename else ""
    reason = err.strerror or str(err)
    fix = {
        errno.ENOSPC: "free some disk space or choose another --out",
        errno.EDQUOT: "free some disk space or choose another --out",
        errno.EACCES: "check the permissions, or close the file in other programs",
        errno.EPERM: "check the permissions, or close the file in other programs",
        errno.EROFS: "the disk is read-only — choose another --out",
    }.get(err.errno or 0, "check the path and try again")
    return f"{where}{reason} — {fix}"


def _internal_error_message(err: BaseException) -> str:
    """Write the traceback to a report file and say where, in one line."""
    import tempfile
    import traceback

    report = "".join(traceback.format_exception(err))
    try:
        descriptor, name = tempfile.mkstemp(prefix="greetcard-error-", suffix=".txt")
        with open(descriptor, "w", encoding="utf-8") as handle:
            handle.write(f"greetcard {' '.join(sys.argv[1:])}\n\n{report}")
        where = f"a full report was written to {name}"
    except OSError:
        where = "no report could be written"
    return (
        f"internal error ({type(err).__name__}) — this is a bug in greetcard, not your input; "
        f"{where} (run with --debug to see it here)"
    )


def _robust_console() -> None:
    """Never crash on a console that cannot show a character (e.g. cp1252 redirected to a file)."""
    import contextlib
    import io

    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            # A closed or detached stream has nothing to print to anyway.
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="backslashreplace")


@click.group(cls=_GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="greetcard")
@click.option("--debug", is_flag=True, help="Show the full traceback of an internal error.")
@click.option(
    "--limit",
    "limits",
    multiple=True,
    metavar="NAME=VALUE",
    help="Raise a safety limit for this run, e.g. --limit xlsx_uncompressed_bytes=500000000 "
    "(see docs/limits.md).",
)
@click.pass_context
def main(ctx: click.Context, debug: bool, limits: tuple[str, ...]) -> None:
    """Print-ready greeting cards with a scannable QR code, one PDF per recipient.

    \b
    Examples:
      greetcard render                       # recipients.csv + bundled template -> cards/
      greetcard render list.xlsx --out press --url 'https://example.org/?r={id}'
      greetcard check list.csv --json
    """
    ctx.obj = {"debug": debug}
    _robust_console()
    set_limits(limits)
    # Library warnings about repaired input files would only clutter the one-line errors.
    for library in ("pypdf", "svglib", "reportlab"):
        logging.getLogger(library).setLevel(logging.ERROR)


@main.command()
@with_list_options
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=Path("cards"),
    show_default=True,
    help="Output folder for the PDFs and manifest.csv.",
)
@click.option(
    "--batch",
    "batch_file",
    metavar="NAME.pdf",
    callback=lambda ctx, param, value: _check_file_name(value),
    help="Also write all cards as one multi-page PDF (a file name in the output folder) for the press.",
)
@click.option(
    "--impose",
    "impose_sheet",
    type=click.Choice(["A4", "SRA4", "A3", "SRA3", "A3+"], case_sensitive=False),
    help="Arrange the press file n-up on press sheets with crop marks (implies --batch).",
)
@click.option(
    "--gutter",
    "impose_gutter_mm",
    type=click.FloatRange(0, 100),
    metavar="MM",
    help="With --impose: space between neighbouring cards' bleeds (default: the profile's, else 0).",
)
@click.option(
    "--sheet-margin",
    "impose_margin_mm",
    type=click.FloatRange(4, 100),
    metavar="MM",
    help="With --impose: sheet edge to the cards, room for crop marks (default: the profile's, else 5).",
)
@click.option("--strict", is_flag=True, help="Write nothing if any row is refused.")
@click.option(
    "--jobs", "-j", type=click.IntRange(0, 64), default=0, help="Worker processes (0: one per core)."
)
@click.option(
    "--only",
    metavar="ID[,ID…]",
    help="Only these rows' cards (e.g. a reprint); the rest of the folder is left as it is.",
)
@click.option(
    "--rows", "row_range", metavar="N[-M]", help="Only data rows N to M (1 = first after the header)."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary, only errors.")
@click.option(
    "--verify",
    "verify_after",
    is_flag=True,
    help="Finally decode every card's QR code (see 'greetcard verify').",
)
@click.option(
    "--mail-merge",
    type=click.Path(path_type=Path),
    metavar="FILE.csv",
    help="With --profile screen: also write a CSV (id, company, email, pdf, subject) for a mail merge.",
)
@click.option(
    "--subject",
    default="{template} – {company}",
    show_default=True,
    help="Subject line for --mail-merge; {company}, {id} and {template} are filled in.",
)
def render(
    inputs: Inputs,
    out: Path,
    batch_file: str | None,
    impose_sheet: str | None,
    impose_gutter_mm: float | None,
    impose_margin_mm: float | None,
    strict: bool,
    jobs: int,
    only: str | None,
    row_range: str | None,
    quiet: bool,
    verify_after: bool,
    mail_merge: Path | None,
    subject: str,
) -> None:
    """Render one print-ready PDF per recipient into --out.

    RECIPIENTS is a .csv (UTF-8, cp1252 or cp932; ';' ',' or tab) or .xlsx
    list with at least a 'company' column; default: recipients.csv.

    A rerun rewrites only the cards whose row, template or options changed.

    Exit status: 0 every row became a card; 1 some rows were refused (every
    good card is written); 2 a usage mistake; 3 nothing written (template,
    list or folder unusable, or --strict); 4 some files could not be written
    (each is named); 130 interrupted.

    \b
    Examples:
      greetcard render
      greetcard render kunden.csv --out karten --url 'https://www.neujahrsgross-japan.de/?r={id}'
      greetcard render list.xlsx --profile screen --out mail
      greetcard render --batch press.pdf --profile print-marks
      greetcard render --impose SRA3
      greetcard render --only JP003,JP017
    """
    from .batch import press_file_in

    try:
        batch_file = press_file_in(batch_file, out) if batch_file else None
    except GreetcardError as err:
        raise click.ClickException(terminal_safe(str(err))) from None
    try:
        selection = RowSelection.parse(only, row_range)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="'--only' / '--rows'") from None
    if mail_merge is not None and inputs.profile != "screen":
        raise click.UsageError("--mail-merge lists the PDFs to send by e-mail: use it with --profile screen")
    options = RenderOptions(
        inputs=inputs,
        out=out,
        strict=strict,
        batch_file=batch_file,
        impose_sheet=impose_sheet.upper() if impose_sheet else None,
        jobs=jobs,
        selection=selection,
        impose_gutter_mm=impose_gutter_mm,
        impose_margin_mm=impose_margin_mm,
    )
    bar = _ProgressBar() if not quiet and sys.stderr.isatty() else None
    try:
        with _stop_signals_as_interrupt():
            report = render_batch(options, progress=bar)
    except GreetcardError as err:
        raise _NothingWritten(terminal_safe(str(err))) from None
    finally:
        if bar is not None:
            bar.close()
    _print_render_report(report, quiet)
    if mail_merge is not None and report.written:
        _write_mail_merge(inputs, report, mail_merge, subject, quiet)
    verified = _verify_run(inputs, report, jobs, quiet) if verify_after and report.written else True
    if not verified and report.exit_code == ExitCode.OK:
        sys.exit(ExitCode.ROWS_REFUSED)  # a card that does not scan is as good as a refused row
    sys.exit(report.exit_code)


class _NothingWritten(click.ClickException):
    """``Error: …`` with the exit status that says nothing was written."""

    exit_code = ExitCode.NOTHING_WRITTEN


def _echo_listed(messages: list[str], heading: str) -> None:
    """A counted heading ("3 rows refused:") and each message indented under it, on stderr."""
    if not messages:
        return
    count = len(messages)
    click.echo(f"{count} {heading.format('s' if count != 1 else '')}:", err=True)
    for message in messages:
        click.echo(f"  {terminal_safe(message)}", err=True)


def _print_render_report(report: RenderReport, quiet: bool) -> None:
    _echo_listed(report.refused, "row{} refused")
    _echo_listed(report.not_written, "file{} could not be written")
    if report.interrupted:
        click.echo(
            f"Interrupted: {report.written} cards are in {report.out} and the manifest lists exactly "
            "what is there; run the same command again to finish.",
            err=True,
        )
        return
    if not quiet:
        for message in report.renamed:
            click.echo(f"renamed: {terminal_safe(message)}", err=True)
        for warning in report.warnings:
            click.echo(f"warning: {terminal_safe(warning)}", err=True)
        if report.shrunk:
            click.echo(
                f"{report.shrunk} text field{'s were' if report.shrunk != 1 else ' was'} shrunk to fit "
                "(see 'greetcard check' for which)",
                err=True,
            )
        if report.written_nothing:
            click.echo("Nothing written (--strict): fix the rows above and run again.", err=True)
        else:
            read_as = _read_as(report.encoding, report.delimiter)
            changes = f"{report.rewritten} drawn, {report.unchanged} unchanged"
            if report.removed:
                changes += f", {report.removed} old removed"
            if report.kept:
                changes += f", {report.kept} left as they were"
            click.echo(
                terminal_safe(
                    f"{report.written} card{'s' if report.written != 1 else ''} written to {report.out} "
                    f"({changes}; profile {report.profile}; list read as {read_as}) "
                    f"in {report.seconds:.1f} s; manifest: {report.out / 'manifest.csv'}"
                ),
                err=True,
            )
            if report.batch_file:
                state = "written" if report.press_rewritten else "unchanged"
                click.echo(terminal_safe(f"press file: {report.batch_file} ({state})"), err=True)
            if report.imposition:
                click.echo(terminal_safe(report.imposition), err=True)
            click.echo(terminal_safe(_link_line(report.link_pattern, report.link_example)), err=True)


def _write_mail_merge(inputs: Inputs, report: Any, path: Path, subject: str, quiet: bool) -> None:
    from .links import mail_merge_csv, mail_merge_rows
    from .recipients import read_recipients
    from .template import load_template

    try:
        template = load_template(inputs.template_folder)
        recipients = read_recipients(
            inputs.recipients, inputs.encoding, inputs.delimiter, template.default_language
        )
        written = [
            (entry.row_id, entry.company, report.out / entry.file)
            for entry in report.entries
            if entry.status == "written"
        ]
        rows = mail_merge_rows(written, recipients.recipients, subject, template.name)
        target = write_file(path, mail_merge_csv(rows), ".csv")
    except GreetcardError as err:
        raise click.ClickException(terminal_safe(str(err))) from None
    if not quiet:
        with_email = sum(1 for row in rows if row.email)
        click.echo(
            terminal_safe(f"mail merge: {target} ({len(rows)} cards, {with_email} with an e-mail address)"),
            err=True,
        )


def _verify_run(inputs: Inputs, report: Any, jobs: int, quiet: bool) -> bool:
    """render --verify: the run's folder and press file, read back; True when every card passed."""
    from .template import load_template
    from .verify import summary, verify

    try:
        template = load_template(inputs.template_folder)
        targets = [report.out, *([report.batch_file] if report.batch_file else [])]
        results = [verify(target, template, report.profile, None, jobs) for target in targets]
    except GreetcardError as err:
        raise click.ClickException(terminal_safe(str(err))) from None
    for result in results:
        for line in summary(result):
            if not quiet or not result.ok:
                click.echo(_visible(line), err=True)
    return all(result.ok for result in results)


@main.command()
@with_list_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
def check(
    inputs: Inputs,
    as_json: bool,
) -> None:
    """Preflight a list and template without writing anything.

    Reports text that does not fit or was shrunk, missing glyphs, QR module
    size, ink outside the safe zone, artwork that misses the bleed or has too
    few dpi, RGB content in CMYK profiles, and the codes' scan margin (as in
    'greetcard proof'). Exit status 1 when anything would be refused, or the
    codes fail the required scan condition; 0 when there are only warnings.

    \b
    Examples:
      greetcard check
      greetcard check kunden.csv --template mein-design --profile print-marks
      greetcard check list.xlsx --json > preflight.json
    """
    from .batch import check_inputs

    printer = _JsonFindings() if as_json else _FindingPrinter()
    try:
        result = check_inputs(inputs, on_finding=printer)
    except GreetcardError as err:
        raise click.ClickException(terminal_safe(str(err))) from None
    counts = result.counts
    rows = result.rows
    if as_json:
        import json

        head = {
            "recipients": str(inputs.recipients),
            "template": str(result.template.file),
            "profile": result.profile.name,
            "encoding": result.encoding,
            "delimiter": result.delimiter,
            "link": {"pattern": result.link_pattern, "example": result.link_example},
            "rows": rows,
            "cards_ok": result.cards_ok,
            "counts": counts,
            "scan_margin": result.scan_margin.as_dict() if result.scan_margin else None,
        }
        body = json.dumps(head, ensure_ascii=False, indent=2)
        # The findings were kept as JSON text, one line each (a long list's findings are never objects).
        document = body[:-2] + ',\n  "findings": [' + printer.joined() + "]\n}"
        # Always UTF-8, whatever the console's code page: JSON readers expect it.
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:
            click.echo(document)
        else:
            sys.stdout.flush()
            binary.write((document + "\n").encode("utf-8", "backslashreplace"))
            binary.flush()
    else:
        if not printer.shown:
            click.echo("No findings: every card fits, scans and stays in the safe zone.")
        click.echo(
            f"{rows} rows: {result.cards_ok} cards ok, {result.refused} refused; "
            f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes "
            + terminal_safe(f"(template {result.template.name}, profile {result.profile.name})")
        )
        click.echo(f"list read as {_read_as(result.encoding, result.delimiter)}")
        click.echo(terminal_safe(_link_line(result.link_pattern, result.link_example)))
    if counts["error"]:
        sys.exit(1)


class _FindingPrinter:
    """Prints each finding as soon as it is known (a long list's findings are never all held)."""

    def __init__(self) -> None:
        self.shown = 0
        self.where_width = 0

    def __call__(self, finding: Any) -> None:
        self.shown += 1
        self.where_width = min(max(self.where_width, len(finding.where)), 40)
        colours = {"error": "red", "warning": "yellow", "info": "blue"}
        level = click.style(f"{finding.level:<7}", fg=colours[finding.level])
        row = f"{finding.row_id} " if finding.row_id else ""
        where = _visible(finding.where)
        click.echo(f"{level} {where:<{self.where_width}}  {_visible(row + finding.message)}")

    def joined(self) -> str:
        return ""


class _JsonFindings(_FindingPrinter):
    """Keeps each finding as compact JSON text for ``check --json``."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def __call__(self, finding: Any) -> None:
        import json

        self.shown += 1
        self.parts.append(json.dumps(finding.as_dict(), ensure_ascii=False))

    def joined(self) -> str:
        return ("\n    " + ",\n    ".join(self.parts) + "\n  ") if self.parts else ""


def _read_as(encoding: str, delimiter: str) -> str:
    """``cp932, ','-separated``: how the list was read, so a wrong guess is visible."""
    shown = {"\t": "tab", ";": "';'", ",": "','"}.get(delimiter, repr(delimiter))
    return encoding + (f", {shown}-separated" if delimiter else "")


def _link_line(pattern: str, example: str) -> str:
    """Where the QR codes point: the pattern and one filled example."""
    return f"link: {pattern}" + (f" (e.g. {example})" if example and example != pattern else "")


def _print_findings(findings: list[Any]) -> None:
    if not findings:
        click.echo("No findings: every card fits, scans and stays in the safe zone.")
        return
    where_width = min(max(len(f.where) for f in findings), 40)
    colours = {"error": "red", "warning": "yellow", "info": "blue"}
    for finding in findings:
        level = click.style(f"{finding.level:<7}", fg=colours[finding.level])
        row = f"{finding.row_id} " if finding.row_id else ""
        click.echo(f"{level} {_visible(finding.where):<{where_width}}  {_visible(row + finding.message)}")


def _visible(text: str) -> str:
    """Control and bidi characters from the data, shown as escapes so they cannot garble the terminal."""
    return visible(text)


@main.command()
@with_list_options
@click.option("--id", "row_id", help="The row with this id.")
@click.option(
    "--row", "row_number", type=click.IntRange(1), help="The Nth data row (1 = first after the header)."
)
@click.option("--guides", is_flag=True, help="Overlay trim, bleed, safe zone, field boxes and the QR box.")
@click.option("--dpi", type=click.IntRange(36, 600), default=150, show_default=True)
@output_option("preview.png", "The PNG to write.")
def preview(
    inputs: Inputs,
    row_id: str | None,
    row_number: int | None,
    guides: bool,
    dpi: int,
    output: Path,
) -> None:
    """Render one card as a PNG image, optionally with layout guides.

    \b
    Examples:
      greetcard preview --guides -o preview.png
      greetcard preview kunden.csv --template mein-design --id JP010 -o longest.png
    """
    from .preview import card_pages_png, write_png

    try:
        prepared = prepare(inputs)
        card = pick_card(prepared, row_id, row_number)
        image = card_pages_png(prepared.renderer, card, dpi=dpi, guides=guides)
        written = write_file(output, write_png(image, dpi), ".png")
    except GreetcardError as err:
        raise click.ClickException(terminal_safe(str(err))) from None
    click.echo(
        terminal_safe(
            f"{written} ({image.width} × {image.height} px): {card.recipient.id} · {card.recipient.company}"
        ),
        err=True,
    )


@main.command()
@with_list_options
@output_option("proof.pdf", "The proof sheet PDF to write.")
def proof(
    inputs: Inputs,
    output: Path,
) -> None:
    """One sheet of the list's worst cases, to check before printing.

    Longest names per language, the most shrunk text, the densest Japanese
    and the rows with fewest and most optional fields, each labelled with its
    id and how its text was fitted; refused rows are listed below.

    \b
    Examples:
      greetcard proof -o proof.pdf
      greetcard proof kunden.xlsx --template mein-design -o proof.pdf
    """
    from .proof import proof_sheet, worst_cases

    try:
        prepared = prepare(inputs)
        cases = worst_cases(prepared.cards)
        title = (
            f"Proof · {prepared.template.name} · {inputs.recipients.name} · profile {prepared.profile.name}"
        )
        from .batch import scan_margin

        data = proof_sheet(prepared.renderer, cases, prepared.problems, title, scan_margin(prepared).lines())
        written = write_file(output, data, ".pdf")
    except GreetcardError as err:
        raise click.ClickException(terminal_safe(str(err))) from None
    click.echo(
        terminal_safe(f"{written}: {len(cases)} cards, {len(prepared.problems)} refused rows listed"),
        err=True,
    )
    if prepared.problems:
        sys.exit(1)


@main.command("links")
@with_list_options
@output_option("links.csv", "The CSV to write (id, company, token, link).")
def links_command(inputs: Inputs, output: Path) -> None:
    """Export every recipient's link (and {token}) for the team that runs the video page.

    The CSV (UTF-8 with BOM, formula-safe like the manifest) maps each id and
    company to its token and full link, so the web team can map tokens to a
    greeting or count scans. The token secret is never written.

    \b
    Examples:
      greetcard links kunden.csv --url 'https://example.org/v/{token}' --secret-file secret.txt
      GREETCARD_TOKEN_SECRET=... greetcard links list.xlsx -o web/links.csv
    """
    from .links import links_csv, recipient_links

    try:
        rows, problems = recipient_links(inputs)
        written = write_file(output, links_csv(rows), ".csv")
    except GreetcardError as err:
        raise click.ClickException(terminal_safe(str(err))) from None
    for problem in problems:
        click.echo(f"  {_visible(problem)}", err=True)
    click.echo(terminal_safe(f"{written}: {len(rows)} links, {len(problems)} rows refused"), err=True)
    if problems:
        sys.exit(1)


@main.command("verify")
@click.argument("target", type=click.Path(path_type=Path), default=Path("cards"), required=False)
@template_option
@click.option("--profile", "profile_name", help="Print profile of a press file (default: read from the PDF).")
@click.option("--manifest", type=click.Path(path_type=Path), help="The manifest (default: beside the PDFs).")
@click.option("--margin", is_flag=True, help="Also degrade each code layout and report the scan margin.")
@click.option(
    "--whole-page", is_flag=True, help="Also look for stray codes anywhere on each page (slower, 150 dpi)."
)
@click.option(
    "--jobs", "-j", type=click.IntRange(0, 64), default=0, help="Worker processes (0: one per core)."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
def verify_command(
    target: Path,
    template: Path | None,
    profile_name: str | None,
    manifest: Path | None,
    margin: bool,
    whole_page: bool,
    jobs: int,
    as_json: bool,
) -> None:
    """Prove that every card's QR code opens its own link.

    TARGET is an output folder (default: cards) or a press PDF (single pages
    or imposed sheets) beside its manifest.csv. Each card's QR area is
    rendered at 300 dpi with pdfium and decoded with zxing-cpp; the code must
    be the only one there and equal the manifest's link, and the link printed
    under it must read the same. Exit status 1 on any failure.

    \b
    Examples:
      greetcard verify cards
      greetcard verify cards/press-SRA3.pdf --json
      greetcard verify karten --template mein-design --margin
    """
    from .assets import bundled_template
    from .template import load_template
    from .verify import summary, verify

    try:
        loaded = load_template(template or bundled_template())
        report = verify(target, loaded, profile_name, manifest, jobs, whole_page)
        margins = _margin_reports(loaded, target, manifest) if margin else []
    except GreetcardError as err:
        raise click.ClickException(terminal_safe(str(err))) from None
    if as_json:
        import json

        result = report.as_dict()
        if margin:
            result["margin"] = [entry.as_dict() for entry in margins]
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for line in summary(report):
            click.echo(_visible(line))
        for entry in margins:
            for line in entry.lines():
                click.echo(terminal_safe(line))
    if not report.ok or any(not entry.ok for entry in margins):
        sys.exit(1)


def _margin_reports(template: Any, target: Path, manifest: Path | None) -> list[Any]:
    from .margin import template_margin
    from .verify import MANIFEST_NAME, read_manifest

    manifest_path = manifest or (target if target.is_dir() else target.parent) / MANIFEST_NAME
    links = [card.link for card in read_manifest(manifest_path)]
    return [template_margin(template, links)]


@main.group("template")
def template_group() -> None:
    """Work with template folders."""


@template_group.command("new")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--from",
    "source",
    metavar="TEMPLATE",
    help="A bundled template (nengajo, lang, tategaki) or a template folder to start from. Default: nengajo.",
)
def template_new(folder: Path, source: str | None) -> None:
    """Create a new template folder, ready to edit.

    \b
    Examples:
      greetcard template new mein-design
      greetcard template new lang-2028 --from lang
    """
    from .scaffold import copy_sample_list, new_template, source_template

    try:
        written = new_template(folder, source_template(source))
        sample = copy_sample_list(folder)
    except GreetcardError as err:
        raise click.ClickException(terminal_safe(str(err))) from None
    click.echo(
        terminal_safe(
            f"created {written} and the sample list {sample} — edit them, replace the artwork, then: "
            f"greetcard preview {sample} --template {folder} --guides"
        ),
        err=True,
    )


@template_group.command("list")
def template_list() -> None:
    """List the bundled templates with their card size and pages.

    \b
    Examples:
      greetcard template list
      greetcard render --template lang
    """
    from .scaffold import describe_bundled_templates

    try:
        rows = describe_bundled_templates()
    except GreetcardError as err:
        raise click.ClickException(terminal_safe(str(err))) from None
    for row in rows:
        click.echo(row)


@main.command()
@click.argument("path", type=click.Path(path_type=Path), default=DEFAULT_RECIPIENTS, required=False)
def sample(path: Path) -> None:
    """Write the sample recipient list (30 German, Japanese and English rows) to PATH.

    \b
    Examples:
      greetcard sample recipients.csv
      greetcard sample && greetcard render
    """
    from .scaffold import write_sample_list

    try:
        written = write_sample_list(path)
    except GreetcardError as err:
        raise click.ClickException(terminal_safe(str(err))) from None
    click.echo(f"wrote {written} — try: greetcard check {written}", err=True)


@main.command()
@click.argument("recipients", type=click.Path(path_type=Path), required=False)
@click.option(
    "--template",
    "-t",
    "template",
    metavar="DIR|NAME",
    help="A template folder (the page then reloads its previews on every save) or a bundled template.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8741,
    show_default=True,
    help="Port to listen on; when the default is taken, a free one is used (0: always a free one).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a --host other than this computer (anyone with the printed link can then use the page).",
)
@click.option("--open/--no-open", "open_browser", default=True, help="Open the page in the default browser.")
@url_option
@secret_file_option
@campaign_option
def serve(
    recipients: Path | None,
    template: str | None,
    port: int,
    host: str,
    allow_remote: bool,
    open_browser: bool,
    url: str | None,
    secret_file: Path | None,
    campaign: str | None,
) -> None:
    """Open greetcard as a web page on this computer: list, template, proof, print.

    Nothing leaves the computer: the page listens on 127.0.0.1 only and needs
    the secret link printed at start. Uploaded lists are removed on exit.

    \b
    Examples:
      greetcard serve
      greetcard serve kunden.xlsx
      greetcard serve --template mein-design      # designer mode: previews follow every save
      greetcard serve --url 'https://example.org/v/{token}' --secret-file secret.txt
    """
    from .scaffold import source_template
    from .tokens import load_signer, missing_secret
    from .web import LinkChoice, ServeOptions, run_server

    try:
        folder = source_template(template) if template else None
        options = ServeOptions(
            recipients=recipients,
            template=folder,
            designer=folder is not None and template == str(folder),  # a folder, not a bundled name
            host=host,
            port=port,
            allow_remote=allow_remote,
            open_browser=open_browser,
            link=LinkChoice(url, secret_file, campaign),
        )
        if url and "{token}" in url and load_signer(secret_file, campaign) is None:
            raise missing_secret(f"--url {url!r}")  # told now, not on the page
        run_server(options, echo=lambda line: click.echo(terminal_safe(line), err=True))
    except GreetcardError as err:
        raise click.ClickException(terminal_safe(str(err))) from None


@template_group.command("import")
@click.argument("svg", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--width-mm",
    type=click.FloatRange(20, 1000),
    help="The card's trim width, for an SVG sized in px or percent (default: read from the SVG).",
)
@click.option(
    "--bleed",
    "bleed_mm",
    type=click.FloatRange(0, 20),
    default=3.0,
    show_default=True,
    help="Bleed in mm the artwork's page is widened by.",
)
def template_import(svg: Path, folder: Path, width_mm: float | None, bleed_mm: float) -> None:
    """Make a template folder from an SVG with {{ placeholders }} and named frames.

    \b
    Name a rectangle around each placeholder text (e.g. company), one square
    "qr" and, for a logo, "image-logo" in the layers panel, then export SVG.
    Examples:
      greetcard template import karte.svg mein-design
      greetcard template import karte.svg mein-design --width-mm 100
    """
    from .svgimport import import_svg

    try:
        result = import_svg(svg, folder, width_mm=width_mm, bleed_mm=bleed_mm)
    except GreetcardError as err:
        raise click.ClickException(terminal_safe(str(err))) from None
    for note in result.notes:
        click.echo(terminal_safe(f"note: {note}"), err=True)
    click.echo(
        terminal_safe(
            f"created {result.template_file} with fields {', '.join(result.field_names) or '(none)'} and "
            f"{result.artwork_file.name}; next: greetcard preview --template {folder} --guides"
        ),
        err=True,
    )


class _ProgressBar:
    """A click progress bar on stderr, opened once the number of cards is known."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Rendering cards", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


if __name__ == "__main__":  # pragma: no cover
    main()
