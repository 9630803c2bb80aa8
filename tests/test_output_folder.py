"""The output folder: the user's files are kept, reruns do only what changed, faults leave it consistent.

Each test is named after the problem it pins.  Folder states are compared byte for byte;
which cards a run rewrote is read from inode and mtime, not from greetcard's own report.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import reportlab
from reportlab.pdfbase.ttfonts import TTFontFile

from greetcard.assets import bundled_template
from greetcard.batch import ExitCode, Inputs, RenderOptions, render_batch

from .conftest import ROOT, SAMPLE, decode_qr_codes, page_text, read_manifest, write_csv


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of the folder except the (empty) lock file, by name."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != ".greetcard-lock"}


def assert_consistent(folder: Path) -> None:
    """No temporary file is left and the manifest lists exactly the cards in the folder.

    (The press file is all cards in one PDF, not a row: the summary names it.)
    """
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".greetcard-partial-")]
    listed = {entry["file"] for entry in read_manifest(folder) if entry["file"]}
    assert listed == {p.name for p in folder.glob("*.pdf") if not p.name.startswith("press")}


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("*.pdf")}


def sample_copy(tmp_path: Path, change: dict[str, dict[str, str]] | None = None) -> Path:
    """The sample list, with some rows' values changed (by id)."""
    text = SAMPLE.read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    for row in rows:
        row.update((change or {}).get(row["id"], {}))
    rows = [row for row in rows if row["id"] not in (change or {}) or change[row["id"]]]  # type: ignore[index]
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "list.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


@pytest.fixture
def rendered(tmp_path: Path, run_cli: Callable[..., Any]) -> Path:
    out = tmp_path / "out"
    result = run_cli("render", SAMPLE, "--out", out, "-q", "--batch", "press.pdf")
    assert result.exit_code == ExitCode.OK, result.stderr
    return out


# --- the user's files are never touched ---------------------------------------------------


def test_a_users_pdf_with_a_cards_name_is_kept_and_the_card_named_otherwise(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "Rechnung-2024.pdf").write_bytes(b"%PDF-1.4 the user's invoice")
    path = write_csv(tmp_path / "l.csv", [["Rechnung", "2024", "", "", "de"], ["2", "Beta", "", "", "de"]])
    result = run_cli("render", path, "--out", out)
    assert result.exit_code == ExitCode.OK, result.stderr
    assert (out / "Rechnung-2024.pdf").read_bytes() == b"%PDF-1.4 the user's invoice"
    assert "Rechnung-2024-2.pdf: Rechnung-2024.pdf in the folder was not written" in result.stderr
    assert decode_qr_codes(out / "Rechnung-2024-2.pdf")
    # The next run without that row removes greetcard's card, never the user's file.
    second = write_csv(tmp_path / "m.csv", [["2", "Beta", "", "", "de"]])
    assert run_cli("render", second, "--out", out, "-q").exit_code == ExitCode.OK
    assert sorted(p.name for p in out.glob("*.pdf")) == ["2-Beta.pdf", "Rechnung-2024.pdf"]
    assert (out / "Rechnung-2024.pdf").read_bytes() == b"%PDF-1.4 the user's invoice"


def test_a_forged_written_list_deletes_nothing_greetcard_did_not_write(
    rendered: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    (rendered / "mine.pdf").write_bytes(b"user data")
    (rendered / "JP001-edited.pdf").write_bytes(b"edited by the user")
    forged = [
        "greetcard-written 2",
        '["card", "mine.pdf", "' + "0" * 64 + '", "", "x"]',
        '["card", "JP001-edited.pdf", "' + "1" * 64 + '", "", "JP001"]',
        '["card", "../outside.pdf", "' + "2" * 64 + '", "", "y"]',
        "mine.pdf",  # the old format: a bare name proves nothing
        "not json at all",
    ]
    (rendered / ".greetcard-written").write_text("\n".join(forged) + "\n", encoding="utf-8")
    (tmp_path / "outside.pdf").write_bytes(b"outside")
    small = write_csv(tmp_path / "s.csv", [["9", "Letzte GmbH", "", "", "de"]])
    result = run_cli("render", small, "--out", rendered, "-q")
    assert result.exit_code == ExitCode.OK, result.stderr
    assert (rendered / "mine.pdf").read_bytes() == b"user data"
    assert (rendered / "JP001-edited.pdf").read_bytes() == b"edited by the user"
    assert (tmp_path / "outside.pdf").read_bytes() == b"outside"


def test_a_card_the_user_edited_is_neither_replaced_nor_deleted(
    rendered: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    card = next(rendered.glob("JP002-*.pdf"))
    card.write_bytes(card.read_bytes() + b"% annotated in a viewer\n")
    edited = card.read_bytes()
    changed = sample_copy(tmp_path, {"JP002": {"contact": "髙橋 次郎"}})
    result = run_cli("render", changed, "--out", rendered)
    assert result.exit_code == ExitCode.OK, result.stderr
    assert card.read_bytes() == edited
    assert f"{card.stem}-2.pdf: {card.name} in the folder was not written by greetcard" in result.stderr
    assert "髙橋 次郎" in page_text(rendered / f"{card.stem}-2.pdf")
    assert_consistent_except(rendered, {card.name})


def assert_consistent_except(folder: Path, foreign: set[str]) -> None:
    listed = {entry["file"] for entry in read_manifest(folder) if entry["file"]}
    assert listed == {p.name for p in folder.glob("*.pdf")} - foreign


def test_symlinked_bookkeeping_files_are_never_followed(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    outside_lock = tmp_path / "elsewhere" / "lock"
    outside_lock.parent.mkdir()
    (out / ".greetcard-lock").symlink_to(outside_lock)
    path = write_csv(tmp_path / "l.csv", [["1", "Alpha", "", "", "de"]])
    result = run_cli("render", path, "--out", out)
    assert result.exit_code == ExitCode.NOTHING_WRITTEN and ".greetcard-lock: is a link" in result.stderr
    assert not outside_lock.exists() and not list(out.glob("*.pdf"))

    (out / ".greetcard-lock").unlink()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (out / ".greetcard-written").symlink_to(victim)
    (out / ".greetcard-journal").symlink_to(victim)
    assert run_cli("render", path, "--out", out, "-q").exit_code == ExitCode.OK
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not (out / ".greetcard-written").is_symlink()


def test_a_foreign_manifest_is_not_overwritten(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.csv").write_text("my own bookkeeping\n", encoding="utf-8")
    result = run_cli("render", SAMPLE, "--out", out)
    assert result.exit_code == ExitCode.NOTHING_WRITTEN
    assert "manifest.csv: this file was not written by greetcard" in result.stderr
    assert (out / "manifest.csv").read_text(encoding="utf-8") == "my own bookkeeping\n"


# --- one card's failure is that card's failure ----------------------------------------------


def corrupt_glyph_font(path: Path, char: str) -> Path:
    """Vera with ``char``'s glyph made a composite of a glyph that does not exist.

    The font loads and its metrics are fine (so ``check`` passes); subsetting the glyph
    when a PDF is written raises IndexError inside reportlab.
    """
    source = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    data = bytearray(source.read_bytes())
    font = TTFontFile(str(source))
    glyph = font.charToGlyph[ord(char)]
    start = font.get_table_pos("glyf")[0] + font.glyphPos[glyph]
    struct.pack_into(">hhhhhHHbb", data, start, -1, 0, 0, 100, 100, 0, 0xFFF0, 0, 0)
    path.write_bytes(bytes(data))
    return path


def test_a_corrupt_glyph_refuses_its_row_and_the_batch_goes_on(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    template = tmp_path / "tpl"
    shutil.copytree(bundled_template(), template)
    corrupt_glyph_font(template / "broken.ttf", "Z")
    toml = template / "template.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace("[fonts.sans]", '[fonts.broken]\nfile = "broken.ttf"\n\n[fonts.sans]', 1)
    text = text.replace('fonts = ["sans-bold", "mincho"]', 'fonts = ["broken", "sans-bold", "mincho"]', 1)
    toml.write_text(text, encoding="utf-8")
    rows = [[str(n), name, "", "", "de"] for n, name in enumerate(["Alpha GmbH", "Zebra AG", "Gamma KG"], 1)]
    path = write_csv(tmp_path / "l.csv", rows)
    assert run_cli("check", path, "--template", template).exit_code == 0  # invisible to preflight
    out = tmp_path / "out"
    result = run_cli("render", path, "--template", template, "--out", out, "--batch", "press.pdf")
    assert result.exit_code == ExitCode.ROWS_REFUSED, result.stderr
    assert "l.csv:3: this card cannot be drawn (IndexError" in result.stderr
    assert sorted(p.name for p in out.glob("*.pdf")) == ["1-Alpha GmbH.pdf", "3-Gamma KG.pdf", "press.pdf"]
    statuses = {entry["id"]: entry["status"] for entry in read_manifest(out)}
    assert statuses == {"1": "written", "2": "refused", "3": "written"}
    assert_consistent(out)


def test_a_press_file_that_cannot_be_written_is_named_and_the_run_incomplete(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from greetcard import batch

    original = batch.write_temporary

    def full_for_big_files(folder: Path, data: bytes) -> Any:
        if b"30 cards" in data:  # the press file's title (its XMP is not compressed)
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(folder, data)

    monkeypatch.setattr(batch, "write_temporary", full_for_big_files)
    out = tmp_path / "out"
    result = run_cli("render", SAMPLE, "--out", out, "--batch", "press.pdf")
    assert result.exit_code == ExitCode.INCOMPLETE
    assert "press.pdf: could not be written (No space left on device)" in result.stderr
    assert not (out / "press.pdf").exists() and len(list(out.glob("*.pdf"))) == 30
    assert_consistent(out)


def test_a_folder_with_the_press_files_name_is_left_alone(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    out = tmp_path / "out"
    (out / "press.pdf").mkdir(parents=True)
    path = write_csv(tmp_path / "l.csv", [["1", "Alpha", "", "", "de"]])
    result = run_cli("render", path, "--out", out, "--batch", "press.pdf")
    assert result.exit_code == ExitCode.OK, result.stderr
    assert "press-2.pdf: press.pdf in the folder was not written by greetcard" in result.stderr
    assert (out / "press.pdf").is_dir() and decode_qr_codes(out / "press-2.pdf")


# --- Windows: held files, spawn --------------------------------------------------------------


def test_a_card_held_open_by_a_viewer_is_named_and_every_other_card_is_written(
    rendered: Path, tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from greetcard import batch

    original = batch.replace_into

    def held(temporary: Path, folder: Path, name: str) -> None:
        if name.startswith("JP003-") or name == "manifest.csv":
            temporary.unlink()
            raise PermissionError(errno.EACCES, "The process cannot access the file")  # as on Windows
        original(temporary, folder, name)

    monkeypatch.setattr(batch, "replace_into", held)
    changed = sample_copy(tmp_path, {key: {"street": "Neue Straße 1"} for key in ("JP002", "JP003", "JP004")})
    result = run_cli("render", changed, "--out", rendered, "--batch", "press.pdf")
    assert result.exit_code == ExitCode.INCOMPLETE
    assert "JP003-﨑山化学工業株式会社.pdf: could not be replaced — another program" in result.stderr
    assert "manifest.csv: could not be replaced — another program has it open" in result.stderr
    assert "Traceback" not in result.stderr
    monkeypatch.setattr(batch, "replace_into", original)
    again = run_cli("render", changed, "--out", rendered, "--batch", "press.pdf")
    assert again.exit_code == ExitCode.OK and "1 drawn, 29 unchanged" in again.stderr


@pytest.mark.parametrize("start_method", ["spawn", "fork"])
def test_worker_processes_write_the_same_bytes_as_one_process(tmp_path: Path, start_method: str) -> None:
    """``spawn`` is what Windows (and macOS) use: workers get the job through the initializer."""
    inputs = Inputs(SAMPLE, bundled_template(), url="https://example.org/?r={id}")
    serial = render_batch(RenderOptions(inputs, tmp_path / "serial", jobs=1, batch_file="press.pdf"))
    parallel = render_batch(
        RenderOptions(
            inputs,
            tmp_path / start_method,
            jobs=2,
            batch_file="press.pdf",
            start_method=start_method,
            parallel_threshold=1,
        )
    )
    assert serial.exit_code == parallel.exit_code == ExitCode.OK
    assert parallel.rewritten == 30
    assert folder_bytes(tmp_path / "serial") == folder_bytes(tmp_path / start_method)


# --- exit codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "args", "code"),
    [
        ([["1", "Alpha", "", "", "de"]], [], ExitCode.OK),
        ([["1", "Alpha", "", "", "de"], ["2", "", "", "", "de"]], [], ExitCode.ROWS_REFUSED),
        ([["1", "Alpha", "", "", "de"]], ["--jobs", "-3"], ExitCode.USAGE),
        ([["1", "Alpha", "", "", "de"]], ["--profile", "nope"], ExitCode.NOTHING_WRITTEN),
        ([["1", "Alpha", "", "", "de"], ["2", "", "", "", "de"]], ["--strict"], ExitCode.NOTHING_WRITTEN),
    ],
)
def test_each_outcome_has_its_own_exit_code(
    tmp_path: Path, run_cli: Callable[..., Any], rows: list[list[str]], args: list[str], code: ExitCode
) -> None:
    path = write_csv(tmp_path / "l.csv", rows)
    result = run_cli("render", path, "--out", tmp_path / "out", "-q", *args)
    assert result.exit_code == code, result.stderr


def test_exit_codes_are_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"| {int(code)} |" in readme, code


# --- reruns that do only what changed ---------------------------------------------------


def test_a_rerun_after_editing_three_rows_rewrites_exactly_those_three_cards(
    rendered: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    before = stamps(rendered)
    press_before = (rendered / "press.pdf").read_bytes()
    again = run_cli("render", SAMPLE, "--out", rendered, "--batch", "press.pdf")
    assert again.exit_code == ExitCode.OK and "0 drawn, 30 unchanged" in again.stderr
    assert "press.pdf (unchanged)" in again.stderr
    assert stamps(rendered) == before
    edits = {
        "JP002": {"contact": "髙橋 次郎"},
        "JP004": {"contact": "佐藤 春子"},
        "JP007": {"street": "Neuer Weg 2"},
    }
    changed = sample_copy(tmp_path, edits)
    result = run_cli("render", changed, "--out", rendered, "--batch", "press.pdf")
    assert result.exit_code == ExitCode.OK, result.stderr
    after = stamps(rendered)
    rewritten = sorted(name[:5] for name in after if after[name] != before.get(name))
    assert rewritten == ["JP002", "JP004", "JP007", "press"]  # three cards, and the press file
    assert (rendered / "press.pdf").read_bytes() != press_before
    assert "髙橋 次郎" in page_text(next(rendered.glob("JP002-*.pdf")))
    # A row that disappears takes its card with it; nothing else is rewritten.
    fewer = sample_copy(tmp_path, {**edits, "JP010": {}})
    result = run_cli("render", fewer, "--out", rendered, "-q", "--batch", "press.pdf")
    assert result.exit_code == ExitCode.OK
    assert not list(rendered.glob("JP010-*.pdf"))
    cards_now = {n: s for n, s in stamps(rendered).items() if n != "press.pdf"}
    assert cards_now == {n: s for n, s in after.items() if n[:5] not in ("JP010", "press")}
    assert_consistent(rendered)


def test_a_damaged_or_missing_card_is_written_again(rendered: Path, run_cli: Callable[..., Any]) -> None:
    clean = folder_bytes(rendered)
    damaged = next(rendered.glob("JP005-*.pdf"))
    damaged.write_bytes(damaged.read_bytes()[:1000])  # cut short, as a failing copy leaves it
    next(rendered.glob("JP006-*.pdf")).unlink()
    result = run_cli("render", SAMPLE, "--out", rendered, "--batch", "press.pdf")
    assert result.exit_code == ExitCode.OK
    assert "2 drawn, 28 unchanged" in result.stderr and "press.pdf (unchanged)" in result.stderr
    assert folder_bytes(rendered) == clean


def test_only_and_rows_reprint_some_cards_and_leave_the_rest_of_the_folder(
    rendered: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    changed = sample_copy(
        tmp_path, {key: {"street": "Neuer Weg 2"} for key in ("JP003", "JP011", "JP012", "JP020")}
    )
    (rendered / "JP012-edited.txt").write_text("user", encoding="utf-8")
    before, press = stamps(rendered), (rendered / "press.pdf").read_bytes()
    result = run_cli("render", changed, "--out", rendered, "--only", "jp003", "--batch", "press.pdf")
    assert result.exit_code == ExitCode.OK, result.stderr
    after = stamps(rendered)
    assert sorted(name[:5] for name in after if after[name] != before[name]) == ["JP003"]
    assert (rendered / "press.pdf").read_bytes() == press
    statuses = {entry["id"]: entry["status"] for entry in read_manifest(rendered)}
    assert statuses["JP003"] == statuses["JP001"] == "written" and statuses["JP020"] == "outdated"
    assert_consistent(rendered)
    result = run_cli("render", changed, "--out", rendered, "--rows", "10-12", "-q")  # JP010 … JP012
    assert result.exit_code == ExitCode.OK
    newest = stamps(rendered)
    assert sorted(name[:5] for name in newest if newest[name] != after[name]) == ["JP011", "JP012"]
    assert_consistent(rendered)
    bad = run_cli("render", changed, "--out", rendered, "--rows", "5-2")
    assert bad.exit_code == ExitCode.USAGE and "--rows 10-20" in bad.stderr


# --- faults leave a consistent folder -----------------------------------------------------


def test_disk_full_mid_run_leaves_no_partial_file_and_a_matching_manifest(
    rendered: Path, tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from greetcard import batch, output

    clean = tmp_path / "clean"
    link = "https://x.example/?r={id}"
    assert run_cli("render", SAMPLE, "--out", clean, "-q", "--url", link).exit_code == 0
    original = output.write_temporary
    cards: list[int] = []

    def filling_up(folder: Path, data: bytes) -> Any:
        if data.startswith(b"%PDF"):
            cards.append(1)
            if len(cards) > 10:
                # a partial temporary file, as a real full disk leaves it, then the error
                (folder / ".greetcard-partial-full").write_bytes(data[:100])
                raise OSError(errno.ENOSPC, "No space left on device")
        return original(folder, data)

    monkeypatch.setattr(batch, "write_temporary", filling_up)
    args = ("render", SAMPLE, "--out", rendered, "--url", link, "--jobs", "1")
    result = run_cli(*args)
    assert result.exit_code == ExitCode.INCOMPLETE
    assert "could not be written (No space left on device)" in result.stderr
    assert "19 more cards not written: the folder takes no more files" in result.stderr
    assert "Traceback" not in result.stderr
    assert_consistent(rendered)
    statuses = [entry["status"] for entry in read_manifest(rendered)]
    assert statuses.count("written") == 10 and statuses.count("outdated") == 20
    monkeypatch.setattr(batch, "write_temporary", original)
    assert run_cli(*args, "-q").exit_code == ExitCode.OK
    assert folder_bytes(rendered) == folder_bytes(clean)


def test_an_unwritable_folder_or_a_file_as_folder_is_one_clear_message(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from greetcard import batch

    path = write_csv(tmp_path / "l.csv", [["1", "Alpha", "", "", "de"]])
    blocker = tmp_path / "afile"
    blocker.write_text("x", encoding="utf-8")
    result = run_cli("render", path, "--out", blocker)
    assert result.exit_code == ExitCode.NOTHING_WRITTEN and "exists and is not a folder" in result.stderr
    out = tmp_path / "ro"
    out.mkdir()
    if getattr(os, "geteuid", lambda: 0)() != 0:
        out.chmod(0o555)
    else:  # root writes anywhere: simulate the read-only file system instead

        def read_only(folder: Path, data: bytes) -> Any:
            raise OSError(errno.EROFS, "Read-only file system")

        monkeypatch.setattr(batch, "write_temporary", read_only)
    result = run_cli("render", path, "--out", out)
    assert result.exit_code == ExitCode.NOTHING_WRITTEN and "cannot write into this folder" in result.stderr
    assert result.stderr.count("\n") == 1 and not list(out.glob("*.pdf"))
    out.chmod(0o755)


def run_and_stop(out: Path, recipients: Path, stop: signal.Signals) -> int:
    """Start a render in its own process and send ``stop`` once some cards are in place."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "greetcard", "render", str(recipients), "--out", str(out), "-qj1"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if len(list(out.glob("*.pdf"))) >= 3:
            process.send_signal(stop)
            break
        time.sleep(0.01)
    _, stderr = process.communicate(timeout=60)
    assert b"Traceback" not in stderr
    return process.returncode


@pytest.mark.parametrize(
    "stop", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=["kill-9", "ctrl-c", "sigterm"]
)
def test_a_run_stopped_mid_way_then_rerun_equals_a_clean_run(tmp_path: Path, stop: signal.Signals) -> None:
    from bench.make_list import write_list

    recipients = write_list(tmp_path / "list.csv", 150)
    clean = tmp_path / "clean"
    inputs = Inputs(recipients, bundled_template())
    assert render_batch(RenderOptions(inputs, clean, jobs=1)).exit_code == ExitCode.OK
    out = tmp_path / "out"
    code = run_and_stop(out, recipients, stop)
    assert 0 < len(list(out.glob("*.pdf"))) < 150  # it was stopped in the middle
    if stop in (signal.SIGINT, signal.SIGTERM):  # both stop the run cleanly
        assert code == ExitCode.INTERRUPTED
        assert_consistent(out)
    else:
        assert code == -signal.SIGKILL
    report = render_batch(RenderOptions(inputs, out, jobs=1))
    assert report.exit_code == ExitCode.OK and report.unchanged > 0 and report.rewritten < 150
    assert folder_bytes(out) == folder_bytes(clean)


# --- memory: a long list is streamed -------------------------------------------------


# VmHWM, not ru_maxrss: the latter keeps the (large) test process's peak across fork and exec.
# The workers' peaks come from ru_maxrss of this fresh process's children (they start from it).
PEAK_RSS = """
import resource, sys
from greetcard.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
status = open("/proc/self/status").read()
own = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
print(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_mb(*args: str) -> float:
    """Peak resident memory of one greetcard command in a fresh process, in MB (Linux reports kB)."""
    return peak_rss_of_each(*args)[0]


def peak_rss_of_each(*args: str) -> tuple[float, float]:
    """Peak resident memory of the command's own process and of its largest worker, in MB."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *args], env=env, capture_output=True, text=True, check=True
    )
    own, worker = result.stdout.strip().splitlines()[-1].split()
    return int(own) / 1024, int(worker) / 1024


SCALE_ROWS = 100_000 if os.environ.get("GREETCARD_SCALE_TESTS") else 5_000


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_check_of_a_long_list_needs_no_more_memory_than_a_short_one(tmp_path: Path) -> None:
    from bench.make_list import write_list

    short = peak_rss_mb("check", str(write_list(tmp_path / "short.csv", 500)))
    long = peak_rss_mb("check", str(write_list(tmp_path / "long.csv", SCALE_ROWS)))
    assert long <= 200
    # Rows are read, laid out and checked one at a time: what remains per row is a small record
    # (id and a digest, for duplicates) plus caches that stop growing at 20,000 texts.
    per_row_budget = 600 if SCALE_ROWS == 100_000 else 2048
    assert (long - short) * 1024 * 1024 / SCALE_ROWS < per_row_budget, (short, long)


RENDER_SCALE_ROWS = 100_000 if os.environ.get("GREETCARD_SCALE_TESTS") else 10_000


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_render_of_a_long_list_keeps_a_small_record_per_row(tmp_path: Path) -> None:
    """The parent keeps what it must per row (a file name, duplicate checks); cards and notes go."""
    from bench.make_list import write_list

    short_list = write_list(tmp_path / "short.csv", 1_000)
    long_list = write_list(tmp_path / "long.csv", RENDER_SCALE_ROWS)
    # The screen profile's cards carry no ICC profile: 100,000 of them fit on a small disk (~5 GB).
    options = ("-q", "--profile", "screen")
    try:
        short, _ = peak_rss_of_each("render", str(short_list), "--out", str(tmp_path / "short"), *options)
        long, worker = peak_rss_of_each("render", str(long_list), "--out", str(tmp_path / "long"), *options)
        written = sum(1 for _ in (tmp_path / "long").glob("*.pdf"))
    finally:
        shutil.rmtree(tmp_path / "short", ignore_errors=True)
        shutil.rmtree(tmp_path / "long", ignore_errors=True)
    assert written == RENDER_SCALE_ROWS
    assert long <= 200 and worker <= 200, (long, worker)
    per_row = (long - short) * 1024 * 1024 / (RENDER_SCALE_ROWS - 1_000)
    assert per_row < 700, (short, long, per_row)


def test_cards_render_without_the_c_accelerator(tmp_path: Path) -> None:
    """rl-accel has no wheel on some platforms (Windows on ARM); reportlab's Python code then runs."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "\"rl-accel>=0.9,<1; platform_system != 'Windows' or platform_machine == 'AMD64'\"" in pyproject
    path = write_csv(tmp_path / "l.csv", [["1", "Alpha", "", "", "de"]])
    script = (
        "import sys; sys.modules['_rl_accel'] = None\n"
        "from greetcard.cli import main\n"
        "main(['render', sys.argv[1], '--out', sys.argv[2], '-q'])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", script, str(path), str(tmp_path / "out")], env=env, capture_output=True
    )
    assert result.returncode == 0, result.stderr
    assert decode_qr_codes(tmp_path / "out" / "1-Alpha.pdf")
