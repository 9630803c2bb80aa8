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
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Location, RecipientsError, located
from .keys import row_key
from .limits import LimitError, how_to_raise, limit

#: Columns with a meaning of their own; every other column is kept for templates.
KNOWN_COLUMNS = (
    "id",
    "company",
    "department",
    "title",
    "contact",
    "salutation",
    "first_name",
    "last_name",
    "position",
    "street",
    "postcode",
    "city",
    "country",
    "language",
)
LANGUAGES = ("de", "ja", "en")
#: Language spellings seen in lists, for "did you mean" (they are not accepted silently).
LANGUAGE_ALIASES = {
    "jp": "ja",
    "jpn": "ja",
    "jap": "ja",
    "japanese": "ja",
    "japanisch": "ja",
    "日本語": "ja",
    "日本": "ja",
    "ger": "de",
    "deu": "de",
    "dt": "de",
    "german": "de",
    "deutsch": "de",
    "ドイツ語": "de",
    "eng": "en",
    "english": "en",
    "englisch": "en",
    "gb": "en",
    "uk": "en",
    "us": "en",
    "英語": "en",
}

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
    "titel": "title",
    "akademischer titel": "title",
    "vorname": "first_name",
    "nachname": "last_name",
    "familienname": "last_name",
    "first name": "first_name",
    "firstname": "first_name",
    "given name": "first_name",
    "last name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "family name": "last_name",
    "姓": "last_name",
    "名": "first_name",
    "氏名": "contact",
    "役職": "position",
    "funktion": "position",
    "job title": "position",
    "敬称": "salutation",
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
#: Tried when no --encoding is given (a BOM always wins); the legacy ones only when UTF-8 fails.
CANDIDATE_ENCODINGS = ("utf-8", "cp932", "cp1252", "mac_roman")
#: Legacy encodings that Excel writes; read only when exactly one of them reads plausibly.
GUESSED_ENCODINGS = ("cp932", "cp1252")
#: Used only when asked for, or when no guessed encoding decodes the bytes at all.
LAST_RESORT_ENCODING = "mac_roman"
#: Share of non-ASCII words that may look odd in a reading that is still taken as plausible.
PLAUSIBLE_SHARE = 0.1
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
    #: Rows that are read but worth a look (e.g. the same recipient twice); they still become cards.
    notes: list[RowProblem] = field(default_factory=list)


@dataclass
class RecipientStream:
    """A list opened for reading row by row, so that a long list never sits in memory as rows.

    ``rows`` yields each data row in file order, accepted or refused; whole-file problems
    (encoding, header, CSV quoting) are raised by :func:`open_recipients` before the first row.
    ``notes`` fills up as the rows are read (rows worth a look that still become cards).
    """

    path: Path
    columns: list[str]
    rows: Iterator[Recipient | RowProblem]
    encoding: str = "utf-8"
    delimiter: str = ","
    row_count: int | None = None  # data rows, when known before reading them (CSV)
    notes: list[RowProblem] = field(default_factory=list)


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
    """Read a ``.csv``, ``.xlsx`` or ``.ods`` recipient list.

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
    result.notes = stream.notes
    return result


def open_recipients(
    path: Path | str,
    encoding: str | None = None,
    delimiter: str | None = None,
    default_language: str = "de",
) -> RecipientStream:
    """Open a ``.csv``, ``.xlsx`` or ``.ods`` list for reading row by row (see :class:`RecipientStream`)."""
    path = Path(path)
    if not path.exists():
        raise RecipientsError(f"{path}: no such file — pass the recipient list as the first argument")
    if path.is_dir():
        raise RecipientsError(f"{path}: is a folder — pass a .csv, .xlsx or .ods file")
    raw_rows: Iterator[_RawRow]
    row_count = 0
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw_rows = _xlsx_rows(path)
        used_encoding, used_delimiter = "xlsx", ""
    elif path.suffix.lower() == ".ods":
        raw_rows = _ods_rows(path)
        used_encoding, used_delimiter = "ods", ""
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
    stream = RecipientStream(path, [], iter(()), used_encoding, used_delimiter, max(row_count - 1, 0) or None)
    stream.columns, stream.rows = _stream_list(path, raw_rows, default_language, used_delimiter, stream.notes)
    return stream


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
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _pick_legacy_encoding(data, path)
    # Valid UTF-8 with non-ASCII is rarely an accident, but cp932 half-width kana can be valid
    # UTF-8 too ("ﾅ機" is also "ŋ@"): when cp932 reads plausibly and UTF-8 does not, do not guess.
    if not text.isascii():
        try:
            japanese = data.decode("cp932")
        except UnicodeDecodeError:
            return text, "utf-8"
        # Latin-1 letters are what UTF-8 lists hold in two bytes; "ŋ" or Greek next to cp932 kana is a sign.
        beyond_latin1 = any(0x100 <= ord(char) <= 0x7FF or 0x80 <= ord(char) <= 0x9F for char in text)
        if beyond_latin1 and implausibility(japanese, "cp932") <= PLAUSIBLE_SHARE:
            raise RecipientsError(
                f"{path}: the text reads plausibly in more than one encoding "
                f"(as utf-8: {_sample_names(text)}; as cp932: {_sample_names(japanese)}) — "
                "pass the right one, e.g. --encoding utf-8 or --encoding cp932"
            )
    return text, "utf-8"


def _pick_legacy_encoding(data: bytes, path: Path) -> tuple[str, str]:
    """cp932 or cp1252 when exactly one reads plausibly; Mac Roman only when neither decodes.

    Never a guess: two plausible readings, or none, are refused with a few names
    in each reading and the ``--encoding`` to pass.
    """
    readings: dict[str, str] = {}
    for codec in GUESSED_ENCODINGS:
        try:
            readings[codec] = data.decode(codec)
        except UnicodeDecodeError:
            continue
    plausible = [codec for codec, text in readings.items() if implausibility(text, codec) <= PLAUSIBLE_SHARE]
    if not plausible:  # the last resort: Mac Roman decodes any bytes, so only a plausible reading counts
        text = data.decode(LAST_RESORT_ENCODING)
        if implausibility(text, LAST_RESORT_ENCODING) <= PLAUSIBLE_SHARE:
            return text, LAST_RESORT_ENCODING
        readings[LAST_RESORT_ENCODING] = text
    if len(plausible) == 1:
        return readings[plausible[0]], plausible[0]
    shown = "; ".join(f"as {codec}: {_sample_names(text)}" for codec, text in readings.items())
    if plausible:
        reason = "the text reads plausibly in more than one encoding"
    else:
        reason = (
            "the text does not read plausibly as UTF-8, cp932 (Japanese Excel), cp1252 (German Excel) "
            "or Mac Roman"
        )
    options = " or ".join(f"--encoding {codec}" for codec in (plausible or ["cp1252", "cp932", "latin-1"]))
    raise RecipientsError(
        f"{path}: {reason}{' (' + shown + ')' if shown else ''} — pass the right one, e.g. {options}"
        " (or save the list as 'CSV UTF-8')"
    )


def _sample_names(text: str, count: int = 3) -> str:
    """A few lines holding non-ASCII text, as the reading shows them: what the user compares."""
    samples = []
    for line in text.splitlines()[1:]:
        if not line.isascii():
            samples.append(repr(line.strip()[:40]))
        if len(samples) == count:
            break
    return ", ".join(samples) or repr(text.splitlines()[0][:40] if text else "")


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
#: Symbols that do not run straight into a letter in Western text (Mac Roman "Ö" reads as cp1252 "…").
_NOT_BEFORE_LETTERS = frozenset("…€•™§©®×–—")
_NOT_AFTER_LETTERS = frozenset("€§•×")  # Mac Roman "Ä" at a word's end reads as cp1252 "€"
_WORD_SEPARATORS = re.compile(r"[\s,;\"]+")


def _is_japanese(char: str) -> bool:
    code = ord(char)
    return (
        0x3000 <= code <= 0x30FF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF01 <= code <= 0xFF9F
        or 0x2460 <= code <= 0x24FF  # circled numbers (NEC extensions)
        or 0x3200 <= code <= 0x33FF  # ㈱ and other enclosed forms
    )


def implausibility(text: str, codec: str) -> float:
    """Share of the non-ASCII words that look wrong in this reading (0: all look right).

    Wrong readings have tell-tale shapes: cp1252 bytes of German text read as
    cp932 put a kanji inside a Latin word ("B臘kerei") or a half-width kana
    next to Latin letters ("ﾄrger"); cp932 bytes read as cp1252 give runs of
    accented letters and rare symbols ("“ŒŽÅ").
    """
    words = [word for word in _WORD_SEPARATORS.split(text) if word and not word.isascii()]
    if not words:
        return 0.0
    odd = sum(1 for word in words if _odd_word(word, codec))
    return odd / len(words)


def _odd_word(word: str, codec: str) -> bool:
    for index, char in enumerate(word):
        if char.isascii():
            continue
        code = ord(char)
        category = unicodedata.category(char)
        if 0x80 <= code <= 0x9F or category in ("Co", "Cn", "Cc"):
            return True
        before = word[index - 1] if index else ""
        after = word[index + 1] if index + 1 < len(word) else ""
        latin_before = before.isascii() and before.isalpha()
        latin_after = after.isascii() and after.isalpha()
        if codec == "cp932":
            if not _is_japanese(char):
                return True
            if 0xFF61 <= code <= 0xFF9F and (
                latin_before or latin_after or _full_width_cjk(before) or _full_width_cjk(after)
            ):
                return True  # half-width kana next to Latin letters ("ﾄrger") or inside kanji ("檀ｪ")
            if (latin_before and latin_after) or (after.isascii() and after.islower()) or before.islower():
                return True  # a kanji inside or after a lower-case Latin word: "B臘kerei", "Kr凱"
        else:
            if char not in _COMMON_LATIN and char not in _COMMON_SYMBOLS:
                return True
            if char in _COMMON_SYMBOLS and (
                (latin_before and latin_after)
                or (char in _NOT_BEFORE_LETTERS and latin_after)
                or (char in _NOT_AFTER_LETTERS and latin_before)
            ):
                return True  # "Stra§e", "€pfel", "…lwerk": Mac Roman letters read as symbols
    if codec == "cp932":
        kanji = [char for char in word if 0x4E00 <= ord(char) <= 0x9FFF]
        kana = any(0x3040 <= ord(char) <= 0x30FF or 0xFF66 <= ord(char) <= 0xFF9F for char in word)
        if kanji and not kana and all(_rare_kanji(char) for char in kanji):
            return True  # only JIS level-2 kanji: what Mac Roman umlauts read as ("öl" → "嗟")
    run = 0
    for char in word:  # three non-ASCII characters in a row are not how Western names are spelled
        run = run + 1 if not char.isascii() and char not in _COMMON_SYMBOLS else 0
        if run >= 3 and codec != "cp932":
            return True
    return False


def _full_width_cjk(char: str) -> bool:
    return bool(char) and (0x3040 <= ord(char) <= 0x30FF or 0x4E00 <= ord(char) <= 0x9FFF)


def _rare_kanji(char: str) -> bool:
    """JIS X 0208 level-2 kanji (cp932 lead bytes 0x989F–0xEAA4): rare in company names."""
    try:
        encoded = char.encode("cp932")
    except UnicodeEncodeError:
        return False
    if len(encoded) != 2:
        return False
    lead, trail = encoded
    return (lead == 0x98 and trail >= 0x9F) or 0x99 <= lead <= 0x9F or 0xE0 <= lead <= 0xEA


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


#: A line with its ending (CRLF, LF or CR, as ``newline=""`` reads them), or the last line without one.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one by one (``io.StringIO`` would hold a second, wider copy of it)."""
    return (match.group() for match in _LINE.finditer(text))


def _csv_rows(text: str, delimiter: str, path: Path) -> Iterator[_RawRow]:
    text = text.removeprefix("\ufeff")
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
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
    import zlib
    from xml.etree.ElementTree import ParseError

    import openpyxl

    broken: tuple[type[Exception], ...] = (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ValueError,
        ParseError,
        IndexError,
        TypeError,
        AttributeError,
        *_lxml_errors(),
        zipfile.LargeZipFile,
        EOFError,
        RecursionError,
        zlib.error,  # a damaged deflate stream inside the zip
        UnicodeDecodeError,
    )
    _check_xlsx_size(path)
    max_cell_chars, max_cells, cells_read = limit("xlsx_cell_chars"), limit("xlsx_cells"), 0
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
            cells_read += len(row)
            if cells_read > max_cells:
                raise LimitError(
                    f"{path}: the first sheet has more than {max_cells:,} cells (at row {number}) — keep "
                    f"only the list on it; {how_to_raise('xlsx_cells')}"
                )
            if all(getattr(cell, "value", None) is None for cell in row) and not any(formula_row):
                continue  # blank rows (also the gap before a lone row 1,000,000) cost nothing
            for index, cell in enumerate(row):
                value = getattr(cell, "value", None)
                if isinstance(value, str) and len(value) > max_cell_chars:
                    raise LimitError(
                        located(
                            Location(path, number, index + 1),
                            f"the cell holds {len(value):,} characters (limit {max_cell_chars:,}, as in "
                            f"Excel) — shorten it; {how_to_raise('xlsx_cell_chars')}",
                        )
                    )
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


def _lxml_errors() -> tuple[type[Exception], ...]:
    """openpyxl parses with lxml when it is installed; its errors are damaged-file errors too."""
    import importlib

    try:
        etree = importlib.import_module("lxml.etree")
    except ImportError:  # pragma: no cover - lxml is optional for openpyxl
        return ()
    error: type[Exception] = etree.LxmlError
    return (error,)


def _check_xlsx_size(path: Path) -> None:
    """Refuse a workbook that would unpack to more than the limit (a zip bomb) before reading it."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(max(0, info.file_size) for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise RecipientsError(
            f"{path}: cannot open the workbook ({err}) — save it again from Excel as .xlsx"
        ) from None
    ceiling = limit("xlsx_uncompressed_bytes")
    if unpacked > ceiling:
        raise LimitError(
            f"{path}: the workbook unpacks to {unpacked:,} bytes (limit {ceiling:,}) — a list of "
            f"100,000 rows needs far less; save only the list's sheet, or "
            f"{how_to_raise('xlsx_uncompressed_bytes')}"
        )


#: Columns read from one .ods row at most: LibreOffice pads rows with thousands of repeated empty cells.
ODS_MAX_COLUMNS = 1024


def _ods_rows(path: Path) -> Iterator[_RawRow]:
    """The first sheet of a LibreOffice Calc ``.ods`` file, cells as the sheet shows them (odfpy)."""
    import zipfile
    from xml.parsers.expat import ExpatError

    from odf import teletype  # type: ignore[import-untyped]
    from odf.opendocument import load  # type: ignore[import-untyped]
    from odf.table import CoveredTableCell, Table, TableCell, TableRow  # type: ignore[import-untyped]
    from odf.text import P  # type: ignore[import-untyped]

    _check_xlsx_size(path)  # an .ods is a zip file too: no bombs
    try:
        document = load(str(path))
        tables = document.spreadsheet.getElementsByType(Table)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ExpatError, AttributeError) as err:
        raise RecipientsError(
            f"{path}: cannot open the spreadsheet ({err}) — save it again from LibreOffice Calc as .ods"
        ) from None
    if not tables:
        raise RecipientsError(
            f"{path}: the spreadsheet has no sheet with rows — put the list on the first sheet"
        )
    line = 0
    for row in tables[0].getElementsByType(TableRow):
        cells: list[str] = []
        for cell in row.childNodes:
            if cell.qname not in (TableCell().qname, CoveredTableCell().qname):
                continue
            text = _ods_cell_text(cell, [teletype.extractText(p) for p in cell.getElementsByType(P)])
            repeat = int(cell.getAttribute("numbercolumnsrepeated") or 1)
            cells.extend([text] * max(1, min(repeat, ODS_MAX_COLUMNS - len(cells))))
            if len(cells) >= ODS_MAX_COLUMNS:
                break
        repeat_rows = int(row.getAttribute("numberrowsrepeated") or 1)
        line += 1
        yield _RawRow(cells, line)
        line += repeat_rows - 1  # repeated rows are empty padding; keep the numbering true


def _ods_cell_text(cell: Any, paragraphs: list[str]) -> str:
    """Numbers as shown (zero-padded postcodes kept), dates as ISO dates, text with its line breaks."""
    shown = "\n".join(paragraphs)
    kind = cell.getAttribute("valuetype") or ""
    if kind in ("float", "percentage", "currency"):
        value = cell.getAttribute("value") or ""
        if shown.isdigit():
            return shown
        try:
            number = float(value)
        except ValueError:
            return shown
        return str(int(number)) if number.is_integer() else shown
    if kind == "date":
        value = cell.getAttribute("datevalue") or ""
        return value.split("T")[0] if value.endswith("T00:00:00") or "T" not in value else value
    if kind == "boolean":
        return "TRUE" if (cell.getAttribute("booleanvalue") or "") == "true" else "FALSE"
    return shown


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
    path: Path,
    raw_rows: Iterator[_RawRow],
    default_language: str,
    delimiter: str,
    notes: list[RowProblem],
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
    checked = _checked_rows(path, columns, itertools.chain([first], rows), default_language, delimiter, notes)
    return named, checked


def _checked_rows(
    path: Path,
    columns: list[str],
    rows: Iterator[_RawRow],
    default_language: str,
    delimiter: str,
    notes: list[RowProblem],
) -> Iterator[Recipient | RowProblem]:
    first_line: dict[int, int] = {}  # the small records kept per row (key → line): for duplicate ids …
    first_recipient: dict[int, int] = {}  # … and duplicate recipients
    for row_number, raw in enumerate(rows, start=1):
        outcome = _build_recipient(path, columns, raw, row_number, default_language, delimiter)
        if isinstance(outcome, RowProblem):
            yield outcome
            continue
        key = row_key(outcome.id.casefold())
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
        note = _duplicate_recipient(path, outcome, first_recipient)
        if note is not None:
            notes.append(note)
        yield outcome


#: Columns that together say who a card goes to: the same values twice is probably one card too many.
_RECIPIENT_KEY = ("company", "department", "contact", "first_name", "last_name", "street", "postcode", "city")


def _duplicate_recipient(path: Path, recipient: Recipient, seen: dict[int, int]) -> RowProblem | None:
    """The same company, person and address as an earlier line (ids differ): a note with both lines."""
    key = "\0".join(" ".join(recipient.values.get(name, "").casefold().split()) for name in _RECIPIENT_KEY)
    first_line = seen.setdefault(row_key(key), recipient.line)
    if first_line == recipient.line:
        return None
    return RowProblem(
        Location(path, recipient.line),
        f"same company, person and address as line {first_line} — "
        f"lines {first_line} and {recipient.line} make two cards for one recipient; "
        "delete one if that is not meant",
        recipient.id,
        recipient.company,
    )


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
    path: Path,
    columns: list[str],
    raw: _RawRow,
    row_number: int,
    default_language: str,
    delimiter: str = "",
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
    run_together = [
        name
        for index, name in enumerate(columns)
        if name and _swallowed_rows(cells[index] if index < len(cells) else "", columns, delimiter)
    ]
    if run_together:
        return problem(
            f"{run_together[0]} holds a line break and as many delimiters as a whole row, so a quote is "
            f"probably missing and rows have run together — check the quotes from line {raw.line} on",
            run_together[0],
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
        meant = LANGUAGE_ALIASES.get(language) or LANGUAGE_ALIASES.get(language.split("-")[0])
        if meant is None and language.split("-")[0] in LANGUAGES:
            meant = language.split("-")[0]  # "de-DE", "en-GB"
        hint = f"did you mean {meant!r}? " if meant else ""
        return problem(
            f"language {values['language']!r} is not one of {', '.join(LANGUAGES)} — "
            f"{hint}use one of those or leave it empty",
            "language",
        )
    values["language"] = language
    return Recipient(values=values, line=raw.line, row_number=row_number)


def _swallowed_rows(cell: str, columns: list[str], delimiter: str) -> bool:
    """Strong evidence that a quoted cell ran over into the next rows, not an Alt+Enter line break.

    A well-formed address cell may hold a line break and a delimiter
    ("c/o Japan Desk; Wirtschaftsförderung" ⏎ "Burgplatz 1"); a cell that holds
    as many delimiters as a whole row, or a line shaped like the header, does not.
    """
    if not delimiter or ("\n" not in cell and "\r" not in cell):
        return False
    named = [name for name in columns if name]
    if cell.count(delimiter) >= max(2, len(named) - 1):
        return True
    header = [canonical_header(name) for name in columns]
    return any(
        [canonical_header(part) for part in line.split(delimiter)] == header
        for line in cell.splitlines()
        if delimiter in line
    )


def has_japanese(text: str) -> bool:
    """True when the text holds kana or kanji: such a company is greeted in Japanese."""
    return any(
        0x3040 <= ord(c) <= 0x30FF or 0x4E00 <= ord(c) <= 0x9FFF or 0xF900 <= ord(c) <= 0xFAFF for c in text
    )
