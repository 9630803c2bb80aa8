"""Text from lists and templates, made safe for where it is shown.

Values from untrusted files reach the terminal (escape sequences could retitle
the window or hide text), XML (XMP metadata must stay well-formed) and
spreadsheets.  Each place gets its own function; all show a control or bidi
character as ``\\uXXXX`` rather than dropping it, so nothing is hidden.
"""

from __future__ import annotations

import unicodedata

_KEEP_ON_TERMINAL = {"\n"}


def _escaped(char: str) -> str:
    return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"


def visible(text: str) -> str:
    """Every control, format (bidi) and unpaired surrogate character shown as an escape."""
    return "".join(
        _escaped(char) if unicodedata.category(char) in ("Cc", "Cf", "Cs") else char for char in text
    )


def terminal_safe(text: str) -> str:
    """As :func:`visible`, but line breaks stay line breaks (multi-line messages)."""
    return "\n".join(visible(line) for line in str(text).split("\n"))


def xml_safe(text: str) -> str:
    """Text with the characters XML 1.0 forbids (and control characters) shown as escapes.

    The caller still escapes ``&``, ``<`` and ``>``.
    """
    return "".join(
        _escaped(char) if unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff" else char
        for char in str(text)
    )
