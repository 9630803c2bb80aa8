"""Every failure a user can cause, as one exception family.

The CLI catches :class:`GreetcardError` once and prints its message; anything
else is a bug and may show a traceback.  Messages say where the problem is
(file, line, column or key) and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class GreetcardError(Exception):
    """Base class: a problem the user can fix, with a message that says how."""


class RecipientsError(GreetcardError):
    """Raised when a recipient list cannot be read as a whole (encoding, quoting, header)."""


class TemplateError(GreetcardError):
    """Raised when a template folder or its template file is invalid."""


class LinkError(GreetcardError):
    """Raised when a QR link or link pattern is not a usable http(s) URL."""


class OutputError(GreetcardError):
    """Raised when the output folder cannot be used."""


@dataclass(frozen=True)
class Location:
    """Where in an input file something was found; printed as ``file:line:column``."""

    path: Path | str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        text = str(self.path)
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


def located(location: Location, message: str) -> str:
    """Format a message the way compilers do, so editors can jump to it."""
    return f"{location}: {message}"
