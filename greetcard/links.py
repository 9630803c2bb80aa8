"""Lists for other people's tools: every recipient's link for the web team, a mail-merge list for the office.

Both are CSV as Excel reads it (UTF-8 with BOM, CRLF) with the manifest's
formula guard, so a company called ``=HYPERLINK(…)`` stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .batch import Inputs, link_tokens
from .cards import CardBuilder
from .errors import GreetcardError, Location, located
from .output import excel_safe
from .recipients import Recipient, read_recipients
from .template import load_template
from .tokens import TOKEN_PLACEHOLDER

#: Column names (case-insensitive) that hold an e-mail address.
EMAIL_COLUMNS = (
    "email",
    "e-mail",
    "e_mail",
    "mail",
    "emailadresse",
    "e-mail-adresse",
    "メール",
    "メールアドレス",
)


@dataclass(frozen=True)
class RecipientLink:
    row_id: str
    company: str
    token: str
    link: str


def recipient_links(inputs: Inputs) -> tuple[list[RecipientLink], list[str]]:
    """Every readable row's link (and token), plus the rows whose link cannot be made."""
    template = load_template(inputs.template_folder)
    recipients = read_recipients(
        inputs.recipients, inputs.encoding, inputs.delimiter, template.default_language
    )
    builder = CardBuilder(template, recipients, inputs.url, link_tokens(inputs, template))
    uses_token = TOKEN_PLACEHOLDER in builder.link_pattern.columns
    rows, problems = [], [str(problem) for problem in recipients.problems]
    for recipient in recipients.recipients:
        try:
            link = builder.link_for(recipient)
        except GreetcardError as err:
            problems.append(located(Location(recipients.path, recipient.line), str(err)))
            continue
        token = builder.tokens.token(recipient.id) if uses_token and builder.tokens else ""
        rows.append(RecipientLink(recipient.id, recipient.company, token, link))
    return rows, problems


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([excel_safe(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def links_csv(rows: Sequence[RecipientLink]) -> bytes:
    """links.csv: id, company, token, link."""
    return _csv_bytes(
        ("id", "company", "token", "link"), ((r.row_id, r.company, r.token, r.link) for r in rows)
    )


def email_of(recipient: Recipient) -> str:
    """The row's e-mail address, from the first column named like one; empty when there is none."""
    for name, value in recipient.values.items():
        if name.casefold().replace(" ", "") in EMAIL_COLUMNS and value:
            return value
    return ""


@dataclass(frozen=True)
class MailMergeRow:
    row_id: str
    company: str
    email: str
    pdf: Path
    subject: str


def mail_merge_rows(
    written: Iterable[tuple[str, str, Path]],
    recipients: Sequence[Recipient],
    subject: str,
    template_name: str,
) -> list[MailMergeRow]:
    """One row per written card (id, company, PDF path); ``subject`` may hold {company}, {id}, {template}."""
    by_id = {recipient.id: recipient for recipient in recipients}
    rows = []
    for row_id, company, pdf in written:
        recipient = by_id.get(row_id)
        text = subject
        for name, value in (("{template}", template_name), ("{company}", company), ("{id}", row_id)):
            text = text.replace(name, value)
        rows.append(MailMergeRow(row_id, company, email_of(recipient) if recipient else "", pdf, text))
    return rows


def mail_merge_csv(rows: Sequence[MailMergeRow]) -> bytes:
    """mail-merge CSV: id, company, email, pdf (absolute path), subject."""
    return _csv_bytes(
        ("id", "company", "email", "pdf", "subject"),
        ((r.row_id, r.company, r.email, str(r.pdf), r.subject) for r in rows),
    )
