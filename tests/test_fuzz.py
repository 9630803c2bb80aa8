"""Fuzzing untrusted inputs: lists, template files, SVG artwork and fonts, damaged at random.

Every input must end in success or a :class:`GreetcardError` (one ``Error: …`` line), within the
limits' time, and never write outside the output folder.  The normal run tries a few examples per
target; ``GREETCARD_FUZZ_EXAMPLES=5000`` tries more (and at random rather than the fixed sequence).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greetcard.assets import assets_folder, bundled_template
from greetcard.cli import main
from greetcard.errors import GreetcardError

from .conftest import SAMPLE

EXAMPLES = int(os.environ.get("GREETCARD_FUZZ_EXAMPLES", "0") or 0)
ON_DEMAND = EXAMPLES > 0
#: Seconds any single example may take: far above the limits' worst case, far below a hang.
EXAMPLE_SECONDS = 60


def fuzz_settings(default_examples: int) -> Callable[[Any], Any]:
    return settings(
        max_examples=EXAMPLES or default_examples,
        deadline=None,  # timed below, generously: the machine may be busy
        derandomize=not ON_DEMAND,  # the normal run is repeatable; on demand explores
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with a few random edits: bytes replaced, inserted, deleted or a chunk repeated."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            data.extend(draw(st.binary(min_size=1, max_size=16)))
            continue
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["replace", "insert", "delete", "repeat", "interesting"]))
        if kind == "replace":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "repeat":
            chunk = bytes(data[at : at + draw(st.integers(1, 64))])
            data[at:at] = chunk * draw(st.integers(2, 50))
        else:
            data[at : at + 4] = draw(
                st.sampled_from(
                    [b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff\xff\xff", b"\x80\x00\x00\x00"]
                )
            )
    return bytes(data)


def expect_clean_outcome(action: Callable[[], Any]) -> None:
    """Success or a GreetcardError with a message; anything else (a traceback) fails the test."""
    started = time.perf_counter()
    try:
        action()
    except GreetcardError as err:
        assert str(err).strip(), "an error without a message"
    assert time.perf_counter() - started < EXAMPLE_SECONDS


# --- lists ------------------------------------------------------------------------------------------


@fuzz_settings(40)
@given(data=damaged(SAMPLE.read_bytes()))
def test_fuzz_csv_list_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    from greetcard.recipients import read_recipients

    path = tmp_path_factory.mktemp("csv") / "list.csv"
    path.write_bytes(data)
    expect_clean_outcome(lambda: read_recipients(path))


@fuzz_settings(20)
@given(data=st.binary(max_size=4096))
def test_fuzz_list_of_random_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    from greetcard.recipients import read_recipients

    folder = tmp_path_factory.mktemp("raw")
    for name in ("list.csv", "list.xlsx"):
        (folder / name).write_bytes(data)
        expect_clean_outcome(lambda name=name: read_recipients(folder / name))  # type: ignore[misc]


def _sample_xlsx() -> bytes:
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "company", "contact", "language"])
    sheet.append(["JP001", "Rheinhafen AG", "Frau Dr. Weber", "de"])
    sheet.append(["JP002", "東京商事株式会社", "山田 太郎", "ja"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_with_damaged_sheet(draw: st.DrawFn) -> bytes:
    """A workbook whose sheet XML (not the zip around it) is damaged: the XML parsers get the input."""
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(SAMPLE_XLSX))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml"):
                content = draw(damaged(content))
            target.writestr(info.filename, content)
    return buffer.getvalue()


SAMPLE_XLSX = _sample_xlsx()


@st.composite
def damaged_workbook(draw: st.DrawFn) -> bytes:
    """Either the zip file itself damaged, or a well-formed zip around damaged XML."""
    return draw(damaged(SAMPLE_XLSX)) if draw(st.booleans()) else _xlsx_with_damaged_sheet(draw)


@fuzz_settings(25)
@given(workbook=damaged_workbook())
def test_fuzz_xlsx_list(tmp_path_factory: pytest.TempPathFactory, workbook: bytes) -> None:
    from greetcard.recipients import read_recipients

    path = tmp_path_factory.mktemp("xlsx") / "list.xlsx"
    path.write_bytes(workbook)
    expect_clean_outcome(lambda: read_recipients(path))


# --- templates ------------------------------------------------------------------------------------


TEMPLATE_TEXT = (bundled_template() / "template.toml").read_bytes()


@fuzz_settings(60)
@given(data=damaged(TEMPLATE_TEXT))
def test_fuzz_template_toml(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    from greetcard.filling import compile_fields
    from greetcard.template import load_template

    folder = tmp_path_factory.mktemp("tpl")
    shutil.copy(bundled_template() / "artwork.pdf", folder / "artwork.pdf")
    (folder / "template.toml").write_bytes(data)

    def load_and_compile() -> None:
        template = load_template(folder)
        compile_fields(template, {"id", "company", "contact", "salutation", "language"})

    expect_clean_outcome(load_and_compile)


SVG_ARTWORK = (assets_folder() / "templates" / "lang" / "front.svg").read_bytes()


@fuzz_settings(15)
@given(data=damaged(SVG_ARTWORK))
def test_fuzz_svg_artwork(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    from greetcard.artwork import prepare_artwork

    path = tmp_path_factory.mktemp("svg") / "front.svg"
    path.write_bytes(data)
    expect_clean_outcome(lambda: prepare_artwork(path, (210, 99), 3))


def _tiny_font_bytes() -> bytes:
    import tempfile

    from .test_untrusted_inputs import tiny_font

    with tempfile.TemporaryDirectory() as folder:
        return tiny_font(Path(folder) / "Tiny.ttf").read_bytes()


TINY_FONT = _tiny_font_bytes()


@fuzz_settings(60)
@given(data=damaged(TINY_FONT))
def test_fuzz_font_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    from greetcard.fonts import load_font_spec
    from greetcard.template import FontSpec

    path = tmp_path_factory.mktemp("font") / "Fuzz.ttf"
    path.write_bytes(data)

    def load_and_measure() -> None:
        face = load_font_spec(FontSpec("fuzz", path))
        face.text_width_pt("AB", 10)

    expect_clean_outcome(load_and_measure)


# --- the whole command: no traceback, nothing written outside the output folder -------------------


@fuzz_settings(8)
@given(data=damaged(SAMPLE.read_bytes()))
def test_fuzz_render_writes_only_into_its_folder(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    workspace = tmp_path_factory.mktemp("run")
    (workspace / "list.csv").write_bytes(data)
    before = {path for path in workspace.rglob("*")}
    started = time.perf_counter()
    result = CliRunner().invoke(
        main,
        ["render", str(workspace / "list.csv"), "--out", str(workspace / "out"), "--quiet", "--jobs", "1"],
    )
    assert time.perf_counter() - started < EXAMPLE_SECONDS
    assert result.exit_code in (0, 1, 2, 3), result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    created = {path for path in workspace.rglob("*")} - before
    outside = [path for path in created if workspace / "out" not in (path, *path.parents)]
    assert not outside, outside
