"""A fast QR matrix builder that gives exactly the symbol ``qrcode`` gives.

``qrcode`` spends ~10 ms per link, nearly all of it in the ISO 18004 mask
search: for each of the 8 masks it places every data bit again, one Python
call per module, and scores the matrix module by module.  Here each row is
one Python integer: the data bits are placed once, a mask is one XOR per
row, and the penalty rules run on bit strings with C-speed regular
expressions and integer bit operations.  Everything that depends only on the
version (function patterns, the order of data modules, the mask rows) is
built once per process.  The rules are the ones ``qrcode`` applies (including
its scoring of the matrix with blank format bits), so the chosen mask and the
matrix are identical; tests compare the two over many links.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any

import qrcode
from qrcode import LUT, base, util

_RUN_OF_FIVE = re.compile(r"0{5,}|1{5,}")
#: 1:1:3:1:1 finder-like pattern with four light modules on one side (overlaps counted).
_FINDER_LIKE = re.compile(r"(?=10111010000|00001011101)")


@dataclass(frozen=True)
class _VersionLayout:
    """A version's matrix before any data, packed: one integer holds every row (or every column).

    Each row is a slot of ``size + 1`` bits, row 0 highest, its top bit a 0 separator and
    column c at bit ``size - 1 - c``; read as a binary string, the rows follow one another.
    """

    size: int
    data_modules: int
    row_picker: Callable[[str], tuple[str, ...]]  # packed rows: the data bit of each module, or pad
    column_picker: Callable[[str], tuple[str, ...]]
    blank_rows: int  # function patterns with blank format/version bits (as qrcode scores masks)
    blank_columns: int
    mask_rows: tuple[int, ...]  # per mask: the data modules it inverts
    mask_columns: tuple[int, ...]
    runs_of_five: int  # start bits of windows of 5 that lie within one slot
    finder_starts: int  # … of windows of 11
    block_starts: int  # top-left modules of 2 × 2 blocks (slots of rows 0 … size - 2)
    modules: int  # every module bit (no separators)


def _function_modules(version: int, error_correction: int, mask: int, test: bool) -> list[list[bool | None]]:
    """``qrcode``'s own function patterns for a version (its public set-up steps)."""
    code = qrcode.QRCode(version=version, error_correction=error_correction, border=0)
    size = code.modules_count = version * 4 + 17
    code.modules = [[None] * size for _ in range(size)]
    code.setup_position_probe_pattern(0, 0)
    code.setup_position_probe_pattern(size - 7, 0)
    code.setup_position_probe_pattern(0, size - 7)
    code.setup_position_adjust_pattern()
    code.setup_timing_pattern()
    code.setup_type_info(test, mask)
    if version >= 7:
        code.setup_type_number(test)
    modules: list[list[bool | None]] = code.modules
    return modules


def _packed(lines: list[list[bool]] | list[list[bool | None]]) -> int:
    return int("".join("0" + "".join("1" if dark else "0" for dark in line) for line in lines), 2)


def _transposed(lines: list[list[bool]]) -> list[list[bool]]:
    return [list(column) for column in zip(*lines, strict=True)]


def _slot_bits(size: int, low: int, high: int, slots: range) -> int:
    """Bits ``low``..``high`` (inclusive, within a slot) of the given slots (0 = lowest slot)."""
    one = sum(1 << bit for bit in range(low, high + 1))
    return sum(one << (slot * (size + 1)) for slot in slots)


@cache
def _layout(version: int) -> _VersionLayout:
    modules = _function_modules(version, 0, 0, test=True)
    size = len(modules)
    positions: list[tuple[int, int]] = []
    row, step = size - 1, -1
    for column in range(size - 1, 0, -2):
        if column <= 6:
            column -= 1  # the vertical timing pattern takes column 6
        while True:
            for c in (column, column - 1):
                if modules[row][c] is None:
                    positions.append((row, c))
            row += step
            if row < 0 or row >= size:
                row -= step
                step = -step
                break
    pad = len(positions)  # the index of a light module: beyond every data bit
    index_of = [[pad] * size for _ in range(size)]
    for index, (r, c) in enumerate(positions):
        index_of[r][c] = index
    row_indices = [i for line in index_of for i in (pad, *line)]
    column_indices = [i for line in zip(*index_of, strict=True) for i in (pad, *line)]
    mask_rows, mask_columns = [], []
    for mask in range(8):
        inverts = util.mask_func(mask)
        inverted = [[modules[r][c] is None and inverts(r, c) for c in range(size)] for r in range(size)]
        mask_rows.append(_packed(inverted))
        mask_columns.append(_packed(_transposed(inverted)))
    blank = [[bool(dark) for dark in line] for line in modules]
    every_slot = range(size)
    return _VersionLayout(
        size=size,
        data_modules=len(positions),
        row_picker=itemgetter(*row_indices),
        column_picker=itemgetter(*column_indices),
        blank_rows=_packed(blank),
        blank_columns=_packed(_transposed(blank)),
        mask_rows=tuple(mask_rows),
        mask_columns=tuple(mask_columns),
        runs_of_five=_slot_bits(size, 0, size - 5, every_slot),
        finder_starts=_slot_bits(size, 0, size - 11, every_slot),
        block_starts=_slot_bits(size, 0, size - 2, range(1, size)),
        modules=_slot_bits(size, 0, size - 1, every_slot),
    )


@cache
def _final_rows(version: int, error_correction: int, mask: int) -> int:
    """Function patterns with the real format (and version) information for ``mask``, packed."""
    return _packed(_function_modules(version, error_correction, mask, test=False))


def smallest_version(data: bytes, error_correction: int) -> int:
    """``qrcode``'s ``best_fit``: the smallest version that holds ``data`` (its chunking, its table)."""
    start = 1
    while True:
        mode_sizes = util.mode_sizes_for_version(start)
        needed = _data_bits(data, start)
        version = bisect_left(util.BIT_LIMIT_TABLE[error_correction], needed, start)
        if version == 41:
            raise qrcode.exceptions.DataOverflowError("code length overflow")
        if mode_sizes is util.mode_sizes_for_version(version):
            return version
        start = version


@lru_cache(maxsize=4096)
def _data_bits(data: bytes, version: int) -> int:
    """Bits of mode indicators, lengths and data (the count depends on the version's size class)."""
    buffer = _BitBuffer()
    for chunk in _chunks(data):
        buffer.put(chunk.mode, 4)
        buffer.put(len(chunk), util.length_in_bits(chunk.mode, version))
        chunk.write(buffer)
    return len(buffer)


@lru_cache(maxsize=4096)
def _chunks(data: bytes) -> tuple[Any, ...]:
    return tuple(util.optimal_data_chunks(data, minimum=20))  # qrcode's add_data default


def _codewords(version: int, error_correction: int, data: bytes) -> list[int]:
    """Data and error-correction codewords, interleaved (ISO 18004 7.6)."""
    buffer = _BitBuffer()
    for chunk in _chunks(data):
        buffer.put(chunk.mode, 4)
        buffer.put(len(chunk), util.length_in_bits(chunk.mode, version))
        chunk.write(buffer)
    blocks = base.rs_blocks(version, error_correction)
    bit_limit = sum(block.data_count * 8 for block in blocks)
    if len(buffer) > bit_limit:
        raise qrcode.exceptions.DataOverflowError("code length overflow")
    for _ in range(min(bit_limit - len(buffer), 4)):
        buffer.put_bit(False)
    if len(buffer) % 8:
        for _ in range(8 - len(buffer) % 8):
            buffer.put_bit(False)
    for index in range((bit_limit - len(buffer)) // 8):
        buffer.put(util.PAD0 if index % 2 == 0 else util.PAD1, 8)
    stream = list(buffer.value.to_bytes(buffer.length // 8, "big"))
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        words = stream[offset : offset + block.data_count]
        offset += block.data_count
        data_blocks.append(words)
        ec_blocks.append(_reed_solomon(words, block.total_count - block.data_count))
    out: list[int] = []
    for index in range(max(len(words) for words in data_blocks)):
        out.extend(words[index] for words in data_blocks if index < len(words))
    for index in range(max(len(words) for words in ec_blocks)):
        out.extend(words[index] for words in ec_blocks if index < len(words))
    return out


class _BitBuffer:
    """``qrcode``'s BitBuffer interface on one integer (its own is one call per bit)."""

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def __len__(self) -> int:
        return self.length

    def put(self, number: int, length: int) -> None:
        self.value = (self.value << length) | (number & ((1 << length) - 1))
        self.length += length

    def put_bit(self, bit: bool) -> None:
        self.put(1 if bit else 0, 1)


@cache
def _generator_logs(ec_count: int) -> tuple[int, ...]:
    if ec_count in LUT.rsPoly_LUT:
        coefficients = list(LUT.rsPoly_LUT[ec_count])
    else:
        poly = base.Polynomial([1], 0)
        for i in range(ec_count):
            poly = poly * base.Polynomial([1, base.gexp(i)], 0)
        coefficients = [poly[i] for i in range(len(poly))]
    return tuple(base.LOG_TABLE[c] for c in coefficients[1:])


def _reed_solomon(words: list[int], ec_count: int) -> list[int]:
    """The remainder of words·x^ec by the generator polynomial over GF(256)."""
    generator = _generator_logs(ec_count)
    exp, log = base.EXP_TABLE, base.LOG_TABLE
    remainder = [0] * ec_count
    for word in words:
        factor = word ^ remainder[0]
        del remainder[0]
        remainder.append(0)
        if factor:
            shift = log[factor]
            for i, coefficient_log in enumerate(generator):
                remainder[i] ^= exp[(coefficient_log + shift) % 255]
    return remainder


def _long_runs(packed: int, layout: _VersionLayout) -> int:
    """Rule 1 for dark and light runs of 5 or more along the slots: 3 + (length - 5) each."""
    points = 0
    for ink in (packed, ~packed & layout.modules):
        windows = ink & (ink >> 1) & (ink >> 2) & (ink >> 3) & (ink >> 4) & layout.runs_of_five
        # A run of length L holds L - 4 windows; each run adds 2 more.
        points += windows.bit_count() + 2 * (windows & ~(windows << 1)).bit_count()
    return points


def _finder_like(packed: int, layout: _VersionLayout) -> int:
    """Rule 3: 1011101 with four light modules before or after, every occurrence."""
    light = ~packed
    shifted = [(packed >> (10 - i), light >> (10 - i)) for i in range(11)]
    count = 0
    for pattern in ("10111010000", "00001011101"):
        found = layout.finder_starts
        for (dark, bright), char in zip(shifted, pattern, strict=True):
            found &= dark if char == "1" else bright
        count += found.bit_count()
    return 40 * count


def _penalty(rows: int, columns: int, layout: _VersionLayout) -> int:
    """``qrcode.util.lost_point`` on packed rows and columns (same rules, same numbers)."""
    points = _long_runs(rows, layout) + _long_runs(columns, layout)
    points += _finder_like(rows, layout) + _finder_like(columns, layout)
    width = layout.size + 1
    same_vertically = ~(rows ^ (rows << width))  # each row against the one below it
    blocks = same_vertically & (same_vertically >> 1) & ~(rows ^ (rows >> 1)) & layout.block_starts
    points += 3 * blocks.bit_count()
    percent = float(rows.bit_count()) / (layout.size**2)
    return points + int(abs(percent * 100 - 50) / 5) * 10


def encode(data: bytes, version: int, error_correction: int) -> tuple[int, tuple[str, ...]]:
    """(mask, rows) of the symbol, each row a string of "0" (light) and "1" (dark)."""
    layout = _layout(version)
    codewords = _codewords(version, error_correction, data)
    bits = format(int.from_bytes(bytes(codewords), "big"), f"0{len(codewords) * 8}b")
    bits = bits[: layout.data_modules].ljust(layout.data_modules + 1, "0")
    data_rows = int("".join(layout.row_picker(bits)), 2)
    data_columns = int("".join(layout.column_picker(bits)), 2)
    best_mask, best_points = 0, -1
    for mask in range(8):
        rows = layout.blank_rows | (data_rows ^ layout.mask_rows[mask])
        columns = layout.blank_columns | (data_columns ^ layout.mask_columns[mask])
        points = _penalty(rows, columns, layout)
        if best_points < 0 or points < best_points:
            best_mask, best_points = mask, points
    final = _final_rows(version, error_correction, best_mask) | (data_rows ^ layout.mask_rows[best_mask])
    width = layout.size + 1
    text = format(final, f"0{layout.size * width}b")
    return best_mask, tuple(text[i * width + 1 : (i + 1) * width] for i in range(layout.size))
