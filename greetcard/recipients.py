"""Reading recipient lists the way staff really export them.

German Excel writes ``;``-separated cp1252 or UTF-8 with a BOM, Japanese Excel
writes cp932, and many lists arrive as ``.xlsx``.  This module turns any of
them into :class:`Recipient` rows with clean, NFC-normalised text, and keeps
every row it cannot accept as a :class:`RowProblem` with its line and column,
so one bad row never costs the others.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator, Sequence
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
#: Tried in this order when no --encoding is given (a BOM always wins).
CANDIDATE_ENCODINGS = ("utf-8", "cp932", "cp1252")
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
    path = Path(path)
    if not path.exists():
        raise RecipientsError(f"{path}: no such file — pass the recipient list as the first argument")
    if path.is_dir():
        raise RecipientsError(f"{path}: is a folder — pass a .csv or .xlsx file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw_rows = list(_xlsx_rows(path))
        used_encoding, used_delimiter = "xlsx", ""
    elif path.suffix.lower() == ".xls":
        raise RecipientsError(
            f"{path}: old .xls workbooks are not supported — save it from Excel as .xlsx or CSV"
        )
    else:
        data = path.read_bytes()
        text, used_encoding = decode_list(data, path, encoding)
        used_delimiter = delimiter if delimiter is not None else detect_delimiter(text)
        if delimiter is not None and len(delimiter) != 1:
            raise RecipientsError(f"--delimiter must be one character, got {delimiter!r}")
        raw_rows = list(_csv_rows(text, used_delimiter, path))
    result = _build_list(path, raw_rows, default_language)
    result.encoding, result.delimiter = used_encoding, used_delimiter
    return result


def decode_list(data: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    """Decode a CSV file's bytes; guess between UTF-8, cp932 and cp1252 unless told."""
    if encoding:
        try:
            return data.decode(_python_codec(encoding, path)), encoding
        except UnicodeDecodeError as err:
            line, column = _position_of(data, err.start)
            raise RecipientsError(
                located(
                    Location(path, line, column),
                    f"byte 0x{data[err.start]:02X} is not valid {encoding} — "
                    "check the file's encoding (try --encoding cp1252, cp932 or utf-8)",
                )
            ) from None
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError as err:
                line, column = _position_of(data, err.start)
                raise RecipientsError(
                    located(
                        Location(path, line, column),
                        f"the file starts with a {codec} byte-order mark but is not valid {codec} "
                        "— re-export it from Excel as 'CSV UTF-8'",
                    )
                ) from None
    decoded: list[tuple[float, str, str]] = []
    for codec in CANDIDATE_ENCODINGS:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec == "utf-8":
            return text, codec  # valid UTF-8 with non-ASCII is practically never an accident
        decoded.append((_implausibility(text), codec, text))
    if not decoded:
        raise RecipientsError(
            f"{path}: the text is neither UTF-8, cp932 (Japanese Excel) nor cp1252 (German Excel) — "
            "pass the encoding with --encoding, e.g. --encoding mac_roman"
        )
    decoded.sort(key=lambda item: item[0])
    _, codec, text = decoded[0]
    return text, codec


def _python_codec(encoding: str, path: Path) -> str:
    try:
        codec = io.TextIOWrapper(io.BytesIO(), encoding=encoding).encoding
    except LookupError:
        raise RecipientsError(
            f"unknown encoding {encoding!r} for {path} — use e.g. utf-8, cp1252, cp932 or mac_roman"
        ) from None
    return "utf-8-sig" if codec.replace("_", "-").lower() in ("utf-8", "utf8") else codec


_COMMON_LATIN = "ÄÖÜäöüßÉéÈèÀàÇçÑñÓóÍíÚúÂâÊêÎîÔôÛûËëÏï"
_COMMON_PUNCTUATION = "–—‘’‚“”„…€•™"


def _implausibility(text: str) -> float:
    """Score how unlikely a decoding is: odd characters per character of text.

    cp1252 bytes of German text often decode as cp932 half-width katakana, and
    cp932 bytes decode as cp1252 accented gibberish; both show up here.
    """
    odd = 0.0
    letters = 0
    for char in text:
        code = ord(char)
        if code < 128:
            continue
        letters += 1
        if 0xFF61 <= code <= 0xFF9F:  # half-width katakana: rare in real lists
            odd += 1
        elif 0x80 <= code <= 0x9F or unicodedata.category(char) in ("Co", "Cn"):
            odd += 2
        elif (0xC0 <= code <= 0xFF and char not in _COMMON_LATIN) or (
            0x2000 <= code <= 0x2BFF and char not in _COMMON_PUNCTUATION
        ):
            odd += 0.5
    return odd / max(letters, 1)


def _position_of(data: bytes, offset: int) -> tuple[int, int]:
    """Line and column (1-based) of a byte offset, for decode errors."""
    before = data[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return line, column


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
            raise RecipientsError(
                located(
                    Location(path, reader.line_num),
                    f"cannot read this line as CSV ({err}) — a quoted field needs its closing "
                    'quote, and a quote inside a quoted field is written twice ("")',
                )
            ) from None
        yield _RawRow(cells, line)
        line = reader.line_num + 1


def _xlsx_rows(path: Path) -> Iterator[_RawRow]:
    import datetime as _dt
    import zipfile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise RecipientsError(
            f"{path}: cannot open the workbook ({err}) — save it again from Excel as .xlsx"
        ) from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        formula_rows = formulas.worksheets[0].iter_rows(values_only=True)
        for number, (row, formula_row) in enumerate(zip(rows, formula_rows, strict=False), start=1):
            cells: list[str] = []
            unsaved: list[int] = []
            for index, value in enumerate(row):
                if value is None:
                    formula = formula_row[index] if index < len(formula_row) else None
                    if isinstance(formula, str) and formula.startswith("="):
                        unsaved.append(index)
                    cells.append("")
                elif isinstance(value, bool):
                    cells.append("TRUE" if value else "FALSE")
                elif isinstance(value, float) and value.is_integer():
                    cells.append(str(int(value)))
                elif isinstance(value, _dt.datetime):
                    cells.append(
                        value.date().isoformat() if value.time() == _dt.time() else value.isoformat()
                    )
                elif isinstance(value, _dt.date):
                    cells.append(value.isoformat())
                else:
                    cells.append(str(value))
            yield _RawRow(cells, number, tuple(unsaved))
    finally:
        workbook.close()
        formulas.close()


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


def _build_list(path: Path, raw_rows: Sequence[_RawRow], default_language: str) -> RecipientList:
    rows = [row for row in raw_rows if any(cell.strip() for cell in row.cells)]
    if not rows:
        raise RecipientsError(f"{path}: the list is empty — it needs a header row with a 'company' column")
    header_row = rows[0]
    columns = [canonical_header(cell) for cell in header_row.cells]
    while columns and not columns[-1]:
        columns.pop()  # Excel pads rows with empty separators
    _check_header(path, header_row.line, columns)
    result = RecipientList(path=path, columns=[c for c in columns if c])
    for column in ("id", "language"):
        if column not in result.columns:
            result.columns.append(column)
    first_line: dict[str, int] = {}
    for row_number, raw in enumerate(rows[1:], start=1):
        outcome = _build_recipient(path, columns, raw, row_number, default_language)
        if isinstance(outcome, RowProblem):
            result.problems.append(outcome)
            continue
        key = outcome.id.casefold()
        if key in first_line:
            id_column = columns.index("id") + 1 if "id" in columns else None
            result.problems.append(
                RowProblem(
                    Location(path, raw.line, id_column),
                    f"duplicate id {outcome.id!r} (first used on line {first_line[key]}) — "
                    "give every row its own id",
                    outcome.id,
                    outcome.company,
                )
            )
            continue
        first_line[key] = raw.line
        result.recipients.append(outcome)
    return result


def _check_header(path: Path, line: int, columns: list[str]) -> None:
    if "company" not in columns:
        found = ", ".join(repr(c) for c in columns if c) or "none"
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
        column = columns.index(column_name) + 1 if column_name in columns else None
        return RowProblem(Location(path, raw.line, column), message, row_id, company)

    if raw.unsaved_formulas:
        index = raw.unsaved_formulas[0]
        name = columns[index] if index < len(columns) and columns[index] else f"column {index + 1}"
        return RowProblem(
            Location(path, raw.line, index + 1),
            f"{name} holds a formula whose result the workbook does not contain — open the file "
            "in Excel and save it again (or paste the values) so the result is stored",
            row_id,
            company,
        )
    if extra:
        return RowProblem(
            Location(path, raw.line, len(columns) + 1),
            f"the row has {len(columns) + len(extra)} or more fields but the header has "
            f"{len(columns)} — quote values that contain the delimiter",
            row_id,
            company,
        )
    for name, value in values.items():
        bad = forbidden_characters(value)
        if bad:
            listed = ", ".join(describe_char(c) for c in dict.fromkeys(bad))
            return problem(f"{name} contains the invisible or control character {listed} — delete it", name)
    if not company:
        return problem("company is empty — fill in the company name or delete the row", "company")
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
