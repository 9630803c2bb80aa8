"""The command line: a thin Click shell over the library.

Every :class:`~greetcard.errors.GreetcardError` becomes one ``Error: …`` line
on stderr and exit code 1; rows that were refused are listed in the summary.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .assets import bundled_template
from .batch import RenderOptions, render_batch
from .errors import GreetcardError

DEFAULT_RECIPIENTS = Path("recipients.csv")
F = TypeVar("F", bound=Callable[..., Any])


def _default_template() -> Path:
    return bundled_template()


def _check_delimiter(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ","}
    value = named.get(value.lower(), value)
    if len(value) != 1:
        raise click.BadParameter("give one character, e.g. --delimiter ';' or --delimiter tab")
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
    help="Template folder (with template.toml). Default: the bundled New Year card.",
)
list_options = [
    click.argument("recipients", type=click.Path(path_type=Path), default=DEFAULT_RECIPIENTS, required=False),
    template_option,
    click.option(
        "--url",
        callback=_check_url,
        help="Link for the QR code; may hold {column} placeholders, "
        "e.g. 'https://example.org/?r={id}'. Default: the template's link.",
    ),
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
]


def with_list_options(function: F) -> F:
    """The options every command that reads a list shares (render, check, preview, proof)."""
    for option in reversed(list_options):
        function = option(function)
    return function


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="greetcard")
def main() -> None:
    """Print-ready greeting cards with a scannable QR code, one PDF per recipient.

    \b
    Examples:
      greetcard render                       # recipients.csv + bundled template -> cards/
      greetcard render list.xlsx --out press --url 'https://example.org/?r={id}'
      greetcard check list.csv --json
    """


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
    help="Also write all cards as one multi-page PDF (in the output folder) for the press.",
)
@click.option("--strict", is_flag=True, help="Write nothing if any row is refused.")
@click.option(
    "--jobs", "-j", type=click.IntRange(0, 64), default=0, help="Worker processes (0: one per core)."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary, only errors.")
def render(
    recipients: Path,
    template: Path | None,
    url: str | None,
    encoding: str | None,
    delimiter: str | None,
    profile: str,
    bleed_mm: float | None,
    crop_marks: bool | None,
    out: Path,
    batch_file: str | None,
    strict: bool,
    jobs: int,
    quiet: bool,
) -> None:
    """Render one print-ready PDF per recipient into --out.

    RECIPIENTS is a .csv (UTF-8, cp1252 or cp932; ';' ',' or tab) or .xlsx
    list with at least a 'company' column; default: recipients.csv.

    Exit status 0 when every row became a card, 1 when any row was refused
    (the good cards are still written unless --strict).

    \b
    Examples:
      greetcard render
      greetcard render kunden.csv --out karten --url 'https://www.neujahrsgross-japan.de/?r={id}'
      greetcard render list.xlsx --profile screen --out mail
      greetcard render --batch press.pdf --profile print-marks
    """
    options = RenderOptions(
        recipients=recipients,
        template=template or _default_template(),
        out=out,
        url=url,
        encoding=encoding,
        delimiter=delimiter,
        strict=strict,
        profile=profile,
        bleed_mm=bleed_mm,
        crop_marks=crop_marks,
        batch_file=batch_file,
        jobs=jobs,
    )
    show_progress = not quiet and sys.stderr.isatty()
    try:
        if show_progress:
            with click.progressbar(
                length=_count_hint(recipients), label="Rendering cards", file=sys.stderr
            ) as bar:
                report = render_batch(options, progress=bar.update)
        else:
            report = render_batch(options)
    except GreetcardError as err:
        raise click.ClickException(str(err)) from None
    if report.refused:
        click.echo(f"{len(report.refused)} row{'s' if len(report.refused) != 1 else ''} refused:", err=True)
        for message in report.refused:
            click.echo(f"  {message}", err=True)
    if not quiet:
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        if report.shrunk:
            click.echo(
                f"{report.shrunk} text field{'s were' if report.shrunk != 1 else ' was'} shrunk to fit "
                "(see 'greetcard check' for which)",
                err=True,
            )
        if report.written_nothing:
            click.echo("Nothing written (--strict): fix the rows above and run again.", err=True)
        else:
            click.echo(
                f"{report.written} card{'s' if report.written != 1 else ''} written to {report.out} "
                f"(profile {report.profile}) in {report.seconds:.1f} s; "
                f"manifest: {report.out / 'manifest.csv'}",
                err=True,
            )
            if report.batch_file:
                click.echo(f"press file: {report.batch_file}", err=True)
    if not report.ok:
        sys.exit(1)


@main.command()
@with_list_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
def check(
    recipients: Path,
    template: Path | None,
    url: str | None,
    encoding: str | None,
    delimiter: str | None,
    profile: str,
    bleed_mm: float | None,
    crop_marks: bool | None,
    as_json: bool,
) -> None:
    """Preflight a list and template without writing anything.

    Reports text that does not fit or was shrunk, missing glyphs, QR module
    size, ink outside the safe zone, artwork that misses the bleed or has too
    few dpi, and RGB content in CMYK profiles. Exit status 1 when anything
    would be refused, 0 when there are only warnings.

    \b
    Examples:
      greetcard check
      greetcard check kunden.csv --template mein-design --profile print-marks
      greetcard check list.xlsx --json > preflight.json
    """
    from .batch import preflight_findings, prepare

    try:
        prepared = prepare(
            recipients,
            template or _default_template(),
            url,
            encoding,
            delimiter,
            profile,
            bleed_mm,
            crop_marks,
        )
    except GreetcardError as err:
        raise click.ClickException(str(err)) from None
    findings = preflight_findings(prepared)
    counts = {level: sum(1 for f in findings if f.level == level) for level in ("error", "warning", "info")}
    rows = len(prepared.recipients.recipients) + len(prepared.recipients.problems)
    if as_json:
        import json

        click.echo(
            json.dumps(
                {
                    "recipients": str(recipients),
                    "template": str(prepared.template.file),
                    "profile": prepared.profile.name,
                    "rows": rows,
                    "cards_ok": len(prepared.cards),
                    "counts": counts,
                    "findings": [finding.as_dict() for finding in findings],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        _print_findings(findings)
        click.echo(
            f"{rows} rows: {len(prepared.cards)} cards ok, {len(prepared.problems)} refused; "
            f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes "
            f"(template {prepared.template.name}, profile {prepared.profile.name})"
        )
    if counts["error"]:
        sys.exit(1)


def _print_findings(findings: list[Any]) -> None:
    if not findings:
        click.echo("No findings: every card fits, scans and stays in the safe zone.")
        return
    where_width = min(max(len(f.where) for f in findings), 40)
    colours = {"error": "red", "warning": "yellow", "info": "blue"}
    for finding in findings:
        level = click.style(f"{finding.level:<7}", fg=colours[finding.level])
        row = f"{finding.row_id} " if finding.row_id else ""
        click.echo(f"{level} {finding.where:<{where_width}}  {row}{finding.message}")


def _count_hint(recipients: Path) -> int:
    """A cheap row count for the progress bar (the real count comes after reading)."""
    try:
        if recipients.suffix.lower() == ".csv":
            return max(1, recipients.read_bytes().count(b"\n") - 1)
    except OSError:
        pass
    return 0


if __name__ == "__main__":  # pragma: no cover
    main()
