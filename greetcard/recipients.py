"""Reading recipient lists the way staff really export them.

German Excel writes ``;``-separated cp1252 or UTF-8 with a BOM, Japanese Excel
writes cp932, and many lists arrive as ``.xlsx``.  This module turns any of
them into :class:`Recipient` rows with clean, NFC-normalised text, and keeps
every row it cannot accept as a :class:`RowProblem` with its line and column,
so one bad row never costs the others.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Location, RecipientsError, located

#: Columns with a meaning of their own; every other column is kept for templates.
KNOWN_COLUMNS = (
    "id",
    "company",
    "department",
    "title",
    "contact",
    "salutation",
    "street",
    "postcode",
    "city",
    "country",
    "language",
)
LANGUAGES = ("de", "ja", "en")

#: Header spellings seen in real exports, mapped to the contract's names.
HEADER_ALIASES = {
    "firma": "company",
    "unternehmen": "company",
    "firmenname": "company",
    "company name": "company",
    "会社名": "company",
    "企業名": "company",
    "ansprechpartner": "contact",
    "kontakt": "contact",
    "担当者": "contact",
    "abteilung": "department",
    "部署": "department",
    "anrede": "salutation",
    "straße": "street",
    "strasse": "street",
    "plz": "postcode",
    "postleitzahl": "postcode",
    "ort": "city",
    "stadt": "city",
    "land": "country",
    "sprache": "language",
}

DELIMITERS = (";", ",", "\t")
#: The csv module's default field limit (128 KiB) is too small for pasted notes; this is generous.
MAX_FIELD_CHARACTERS = 1_000_000
csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARACTERS))
#: Tried in this order when no --encoding is given (a BOM always wins).
CANDIDATE_ENCODINGS = ("utf-8", "cp932", "cp1252", "mac_roman")
_ALLOWED_CONTROLS = {"\n"}
#: Format characters that are legitimate inside names (joiners for scripts, not tricks).
_ALLOWED_FORMAT_CHARS = {"\u200c", "\u200d"}


@dataclass(frozen=True)
class Recipient:
    """One accepted row: its values by column name and where it came from."""

    values: dict[str, str]
    line: int
    row_number: int

    @property
    def id(self) -> str:
        return self.values["id"]

    @property
    def company(self) -> str:
        return self.values["company"]

    @property
    def language(self) -> str:
        return self.values.get("language", "")


@dataclass(frozen=True)
class RowProblem:
    """A row that was refused, with where and why; rendered as ``file:line:col: message``."""

    location: Location
    message: str
    row_id: str = ""
    company: str = ""

    def __str__(self) -> str:
        return located(self.location, self.message)


@dataclass
class RecipientList:
    """The readable part of a recipient list, plus everything that was refused."""

    path: Path
    columns: list[str]
    recipients: list[Recipient] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","


@dataclass(frozen=True)
class _RawRow:
    cells: list[str]
    line: int
    unsaved_formulas: tuple[int, ...] = ()  # .xlsx cells whose formula result was never saved


@dataclass
class RecipientStream:
    """A list opened for reading row by row, so that a long list never sits in memory as rows.

    ``rows`` yields each data row in file order, accepted or refused; whole-file problems
    (encoding, header, CSV quoting) are raised by :func:`open_recipients` before the first row.
    """

    path: Path
    columns: list[str]
    rows: Iterator[Recipient | RowProblem]
    encoding: str = "utf-8"
    delimiter: str = ","
    row_count: int | None = None  # data rows, when known before reading them (CSV)


def read_recipients(
    path: Path | str,
    encoding: str | None = None,
    delimiter: str | None = None,
    default_language: str = "de",
) -> RecipientList:
    """Read a ``.csv`` or ``.xlsx`` recipient list.

    Raises :class:`RecipientsError` when the file as a whole is unusable;
    individual bad rows end up in ``problems``.
    """
    stream = open_recipients(path, encoding, delimiter, default_language)
    result = RecipientList(stream.path, stream.columns, encoding=stream.encoding, delimiter=stream.delimiter)
    for outcome in stream.rows:
        if isinstance(outcome, RowProblem):
            result.problems.append(outcome)
        else:
            result.recipients.append(outcome)
    return result


def open_recipients(
    path: Path | str,
    encoding: str | None = None,
    delimiter: str | None = None,
    default_language: str = "de",
) -> RecipientStream:
    """Open a ``.csv`` or ``.xlsx`` list for reading row by row (see :class:`RecipientStream`)."""
    path = Path(path)
    if not path.exists():
        raise RecipientsError(f"{path}: no such file — pass the recipient list as the first argument")
    if path.is_dir():
        raise RecipientsError(f"{path}: is a folder — pass a .csv or .xlsx file")
    raw_rows: Iterator[_RawRow]
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw_rows = _xlsx_rows(path)
        used_encoding, used_delimiter, row_count = "xlsx", "", 0
    elif path.suffix.lower() == ".xls":
        raise RecipientsError(
            f"{path}: old .xls workbooks are not supported — save it from Excel as .xlsx or CSV"
        )
    else:
        data = path.read_bytes()
        text, used_encoding = decode_list(data, path, encoding)
        del data
        if delimiter is not None and len(delimiter) != 1:
            raise RecipientsError(f"--delimiter must be one character, got {delimiter!r}")
        text, excel_delimiter = _strip_separator_line(text)
        used_delimiter = delimiter or excel_delimiter or detect_delimiter(text)
        # Quoting mistakes are whole-file problems: find them before the first row is used.
        row_count = sum(
            1 for row in _csv_rows(text, used_delimiter, path) if any(c.strip() for c in row.cells)
        )
        raw_rows = _csv_rows(text, used_delimiter, path)
        if excel_delimiter:  # keep line numbers true to the file
            raw_rows = (_RawRow(r.cells, r.line + 1, r.unsaved_formulas) for r in raw_rows)
    columns, rows = _stream_list(path, raw_rows, default_language)
    return RecipientStream(path, columns, rows, used_encoding, used_delimiter, max(row_count - 1, 0) or None)


def decode_list(data: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    """Decode a CSV file's bytes; guess between UTF-8, cp932 and cp1252 unless told."""
    if encoding:
        codec = _python_codec(encoding, path)
        if data.startswith(b"\xef\xbb\xbf") and codec != "utf-8-sig":
            data = data[3:]  # a UTF-8 byte-order mark in front of another encoding's text
        return _decode(
            data,
            codec,
            path,
            lambda byte: (
                f"byte 0x{byte:02X} is not valid {encoding} — check the file's encoding "
                "(try --encoding cp1252, cp932 or utf-8)"
            ),
        ), encoding
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return _decode(data, codec, path, functools.partial(_bom_mismatch, codec)), codec
    if data.startswith(b"PK\x03\x04"):
        raise RecipientsError(
            f"{path}: this is an Excel workbook, not CSV text — rename it to .xlsx (or export CSV from Excel)"
        )
    nul_share = data[:4000].count(0) / max(len(data[:4000]), 1)
    if nul_share > 0.2:  # UTF-16 without a byte-order mark: every other byte of Latin text is NUL
        codec = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            raise RecipientsError(
                f"{path}: this looks like UTF-16 text without a byte-order mark but does not decode — "
                "re-export it from Excel as 'CSV UTF-8'"
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"  # valid UTF-8 with non-ASCII is practically never an accident
    except UnicodeDecodeError:
        pass
    decoded: list[tuple[float, int, str, str]] = []
    for rank, codec in enumerate(CANDIDATE_ENCODINGS[1:]):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        decoded.append((_implausibility(text, codec), rank, codec, text))
    if not decoded:
        raise RecipientsError(
            f"{path}: the text is neither UTF-8, cp932 (Japanese Excel) nor cp1252 (German Excel) — "
            "pass the encoding with --encoding, e.g. --encoding latin-1"
        )
    decoded.sort(key=lambda item: item[:2])
    _, _, codec, text = decoded[0]
    return text, codec


def _bom_mismatch(codec: str, _byte: int) -> str:
    return (
        f"the file starts with a {codec} byte-order mark but is not valid {codec} — "
        "re-export it from Excel as 'CSV UTF-8'"
    )


def _decode(data: bytes, codec: str, path: Path, explain: Callable[[int], str]) -> str:
    """Decode, or point at the first undecodable byte (line and column) with ``explain``'s advice."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as err:
        line, column = _position_of(data, err.start)
        raise RecipientsError(located(Location(path, line, column), explain(data[err.start]))) from None


def _python_codec(encoding: str, path: Path) -> str:
    try:
        codec = io.TextIOWrapper(io.BytesIO(), encoding=encoding).encoding
    except LookupError:
        raise RecipientsError(
            f"unknown encoding {encoding!r} for {path} — use e.g. utf-8, cp1252, cp932 or mac_roman"
        ) from None
    return "utf-8-sig" if codec.replace("_", "-").lower() in ("utf-8", "utf8") else codec


_COMMON_LATIN = set("ÄÖÜäöüßÉéÈèÀàÇçÑñÓóÍíÚúÂâÊêÎîÔôÛûËëÏïÅåØøÆæ")
_COMMON_SYMBOLS = set("–—‘’‚“”„…€•™§°©®«»·²³µ×")
#: Japanese company names nearly always hold kana or one of these.
_COMMON_KANJI = set("株式会社有限合同資団法人本店支部課長様御中")


def _implausibility(text: str, codec: str) -> float:
    """How unlikely a decoding is: odd characters per non-ASCII character.

    cp1252 bytes of German text often decode as cp932 kanji sitting inside
    Latin words ("Bäckerei" → "B臘kerei") or as half-width katakana, and
    cp932 bytes decode as cp1252 accented gibberish; both show up here.
    """
    odd = 0.0
    letters = 0
    japanese = any(0x3040 <= ord(c) <= 0x30FF or c in _COMMON_KANJI for c in text)
    for index, char in enumerate(text):
        code = ord(char)
        if code < 128:
            continue
        letters += 1
        category = unicodedata.category(char)
        if 0xFF61 <= code <= 0xFF9F:  # half-width katakana: rare in real lists
            odd += 1
        elif 0x80 <= code <= 0x9F or category in ("Co", "Cn"):
            odd += 2
        elif category == "Lo" and codec == "cp932":
            before = text[index - 1] if index else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            if (before.isascii() and before.isalpha()) and (after.isascii() and after.isalpha()):
                odd += 2  # a kanji in the middle of a Latin word
            elif not japanese:
                odd += 1  # kanji, but not one kana or company word in the whole file
        elif (
            char not in _COMMON_LATIN
            and char not in _COMMON_SYMBOLS
            and ((code < 0x2000 and category != "Lo") or 0x2000 <= code <= 0x2BFF)
        ):
            odd += 0.5
    return odd / max(letters, 1)


def _position_of(data: bytes, offset: int) -> tuple[int, int]:
    """Line and column (1-based) of a byte offset, for decode errors (LF, CRLF or CR lines)."""
    before = data[:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    line = before.count(b"\n") + 1
    column = len(before) - (before.rfind(b"\n") + 1) + 1
    return line, column


def _strip_separator_line(text: str) -> tuple[str, str | None]:
    """Excel's optional first line ``sep=;`` names the delimiter; it is not the header."""
    body = text.removeprefix("\ufeff")
    first, _, rest = body.partition("\n")
    first = first.rstrip("\r")
    if first.lower().startswith("sep=") and len(first) == 5:
        return rest, first[4]
    return text, None


def detect_delimiter(text: str) -> str:
    """Pick ``;``, ``,`` or tab by counting them, outside quotes, in the header line."""
    header = _first_record(text)
    counts = {delim: _count_outside_quotes(header, delim) for delim in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _first_record(text: str) -> str:
    in_quotes = False
    for index, char in enumerate(text):
        if char == '"':
            in_quotes = not in_quotes
        elif char in "\r\n" and not in_quotes:
            return text[:index]
    return text


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, in_quotes = 0, False
    for char in line:
        if char == '"':
            in_quotes = not in_quotes
        elif char == delimiter and not in_quotes:
            count += 1
    return count


def _csv_rows(text: str, delimiter: str, path: Path) -> Iterator[_RawRow]:
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            if "field larger than field limit" in str(err):
                advice = f"a field is longer than {MAX_FIELD_CHARACTERS:,} characters — shorten it"
            else:
                advice = (
                    "a quoted field that starts here has no closing quote, or a quote inside a "
                    'quoted field is not written twice ("")'
                )
            raise RecipientsError(
                located(Location(path, line), f"cannot read this as CSV ({err}): {advice}")
            ) from None
        yield _RawRow(cells, line)
        line = reader.line_num + 1


def _xlsx_rows(path: Path) -> Iterator[_RawRow]:
    import zipfile
    from xml.etree.ElementTree import ParseError

    import openpyxl

    broken = (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ValueError,
        ParseError,
        IndexError,
        TypeError,
        AttributeError,
    )
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except broken as err:
        raise RecipientsError(
            f"{path}: cannot open the workbook ({err}) — save it again from Excel as .xlsx"
        ) from None
    try:
        if not workbook.worksheets:
            raise RecipientsError(
                f"{path}: the workbook has no worksheet with rows — put the list on the first sheet"
            )
        sheet, formula_sheet = workbook.worksheets[0], formulas.worksheets[0]
        # The stored sheet size can be wrong (files written by other programs); read every row.
        sheet.reset_dimensions()
        formula_sheet.reset_dimensions()
        rows = zip(sheet.iter_rows(), formula_sheet.iter_rows(values_only=True), strict=False)
        for number, (row, formula_row) in enumerate(rows, start=1):
            cells: list[str] = []
            unsaved: list[int] = []
            for index, cell in enumerate(row):
                value = getattr(cell, "value", None)
                if value is None:
                    formula = formula_row[index] if index < len(formula_row) else None
                    if isinstance(formula, str) and formula.startswith("="):
                        unsaved.append(index)
                    cells.append("")
                else:
                    cells.append(_cell_text(value, getattr(cell, "number_format", "General")))
            yield _RawRow(cells, number, tuple(unsaved))
    except broken as err:
        raise RecipientsError(
            f"{path}: the workbook is damaged ({err}) — save it again from Excel as .xlsx"
        ) from None
    finally:
        workbook.close()
        formulas.close()


def _cell_text(value: object, number_format: str) -> str:
    """A cell as the sheet shows it: whole numbers without .0, zero-padded codes kept, ISO dates."""
    import datetime as _dt

    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float) and float(value).is_integer():
        digits = str(int(value))
        if number_format and set(number_format) == {"0"}:  # e.g. postcode format "00000"
            return digits.zfill(len(number_format))
        return digits
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def clean_value(value: str) -> str:
    """Trim, unify line breaks and NFC-normalise one cell."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    lines = [part.strip() for part in value.strip().split("\n")]
    return unicodedata.normalize("NFC", "\n".join(line for line in lines if line))


def canonical_header(name: str) -> str:
    """Map a header cell to its contract name (case, BOM, spaces and aliases forgiven)."""
    cleaned = unicodedata.normalize("NFKC", name).strip().strip("\ufeff").strip()
    key = cleaned.casefold()
    if key in KNOWN_COLUMNS:
        return key
    return HEADER_ALIASES.get(key, cleaned)


def forbidden_characters(value: str) -> list[str]:
    """Control and invisible format characters, which could hide or reorder text."""
    found = []
    for char in value:
        category = unicodedata.category(char)
        if (
            (category == "Cc" and char not in _ALLOWED_CONTROLS)
            or (category == "Cf" and char not in _ALLOWED_FORMAT_CHARS)
            or category in ("Cs", "Co", "Cn")
        ):
            found.append(char)
    return found


def describe_char(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE`` — how a character is named in messages."""
    name = unicodedata.name(char, "")
    shown = f"'{char}' " if unicodedata.category(char)[0] not in "CZ" else ""
    return f"{shown}U+{ord(char):04X}{' ' + name if name else ''}"


def _stream_list(
    path: Path, raw_rows: Iterator[_RawRow], default_language: str
) -> tuple[list[str], Iterator[Recipient | RowProblem]]:
    """Read the header now; the rows, checked one by one, as they are asked for."""
    rows = (row for row in raw_rows if any(cell.strip() for cell in row.cells))
    header_row = next(rows, None)
    if header_row is None:
        raise RecipientsError(f"{path}: the list is empty — it needs a header row with a 'company' column")
    columns = [canonical_header(cell) for cell in header_row.cells]
    while columns and not columns[-1]:
        columns.pop()  # Excel pads rows with empty separators
    _check_header(path, header_row.line, columns)
    first = next(rows, None)
    if first is None:
        raise RecipientsError(
            located(
                Location(path, header_row.line),
                "the list has a header but no rows — add the recipients below it",
            )
        )
    named = [c for c in columns if c]
    for column in ("id", "language"):
        if column not in named:
            named.append(column)
    return named, _checked_rows(path, columns, first, rows, default_language)


def _checked_rows(
    path: Path, columns: list[str], first: _RawRow, rows: Iterator[_RawRow], default_language: str
) -> Iterator[Recipient | RowProblem]:
    first_line: dict[str, int] = {}  # the one record kept per row: for duplicate ids
    for row_number, raw in enumerate(itertools.chain([first], rows), start=1):
        outcome = _build_recipient(path, columns, raw, row_number, default_language)
        if isinstance(outcome, RowProblem):
            yield outcome
            continue
        key = outcome.id.casefold()
        if key in first_line:
            id_column = columns.index("id") + 1 if "id" in columns else None
            yield RowProblem(
                Location(path, raw.line, id_column),
                f"duplicate id {outcome.id!r} (first used on line {first_line[key]}) — "
                "give every row its own id",
                outcome.id,
                outcome.company,
            )
            continue
        first_line[key] = raw.line
        yield outcome


def _check_header(path: Path, line: int, columns: list[str]) -> None:
    if "company" not in columns:
        shown = [repr(c if len(c) <= 40 else c[:39] + "…") for c in columns if c]
        found = ", ".join(shown[:12]) + (f" and {len(shown) - 12} more" if len(shown) > 12 else "") or "none"
        raise RecipientsError(
            located(
                Location(path, line),
                f"no 'company' column; the header has {found} — name the column with the "
                "company names 'company' (or check --delimiter: ';' ',' or tab)",
            )
        )
    seen: set[str] = set()
    for index, name in enumerate(columns, start=1):
        if not name:
            continue
        if name in seen:
            raise RecipientsError(
                located(
                    Location(path, line, index),
                    f"column {name!r} appears twice in the header — rename or remove one",
                )
            )
        seen.add(name)


def _build_recipient(
    path: Path, columns: list[str], raw: _RawRow, row_number: int, default_language: str
) -> Recipient | RowProblem:
    cells = list(raw.cells)
    extra = [cell for cell in cells[len(columns) :] if cell.strip()]
    values: dict[str, str] = {}
    for index, name in enumerate(columns):
        if name:
            values[name] = clean_value(cells[index]) if index < len(cells) else ""
    company = values.get("company", "")
    row_id = values.get("id", "") or str(row_number)
    values["id"] = row_id

    def problem(message: str, column_name: str | None = None) -> RowProblem:
        return problem_at(columns.index(column_name) + 1 if column_name in columns else None, message)

    def problem_at(column_number: int | None, message: str) -> RowProblem:
        return RowProblem(Location(path, raw.line, column_number), message, row_id, company)

    for index, cell in enumerate(cells[: len(columns)]):
        if not columns[index] and cell.strip():
            return problem_at(
                index + 1,
                f"column {index + 1} has no name in the header but holds {cell.strip()[:30]!r} — "
                "name the column in the header row, or clear it",
            )
    delimiter_in_break = [
        name for name, value in values.items() if "\n" in value and any(d in value for d in DELIMITERS)
    ]
    if delimiter_in_break:
        return problem(
            f"{delimiter_in_break[0]} holds a line break and a delimiter, so a quote is probably missing and "
            f"rows have run together — check the quotes from line {raw.line} on",
            delimiter_in_break[0],
        )
    if raw.unsaved_formulas:
        index = raw.unsaved_formulas[0]
        name = columns[index] if index < len(columns) and columns[index] else f"column {index + 1}"
        return problem_at(
            index + 1,
            f"{name} holds a formula whose result the workbook does not contain — open the file "
            "in Excel and save it again (or paste the values) so the result is stored",
        )
    if extra:
        return problem_at(
            len(columns) + 1,
            f"the row has {len(columns) + len(extra)} or more fields but the header has "
            f"{len(columns)} — quote values that contain the delimiter",
        )
    for name, value in values.items():
        bad = forbidden_characters(value)
        if bad:
            listed = ", ".join(describe_char(c) for c in dict.fromkeys(bad))
            return problem(f"{name} contains the invisible or control character {listed} — delete it", name)
    if not company:
        return problem("company is empty — fill in the company name or delete the row", "company")
    if not any(unicodedata.category(char)[0] in "LNPS" for char in company):
        # e.g. only combining accents, which would float over nothing
        return problem(
            "company has no visible characters — fill in the company name or delete the row", "company"
        )
    language = values.get("language", "").casefold()
    if not language:
        language = "ja" if has_japanese(company) else default_language
    if language not in LANGUAGES:
        return problem(
            f"language {values['language']!r} is not one of {', '.join(LANGUAGES)} — "
            "use one of those or leave it empty",
            "language",
        )
    values["language"] = language
    return Recipient(values=values, line=raw.line, row_number=row_number)


def has_japanese(text: str) -> bool:
    """True when the text holds kana or kanji: such a company is greeted in Japanese."""
    return any(
        0x3040 <= ord(c) <= 0x30FF or 0x4E00 <= ord(c) <= 0x9FFF or 0xF900 <= ord(c) <= 0xFAFF for c in text
    )
