"""greetcard serve over plain HTTP: the safety checks, and that the page shows what the CLI says.

The browser tests (test_web_browser.py) drive the same app through Chromium;
these run without a browser through Starlette's TestClient.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette would like httpx's successor
    from starlette.testclient import TestClient

from bench.make_list import write_list
from greetcard.web import app as web_app
from greetcard.web import workspace as web_workspace
from greetcard.web.app import create_app
from greetcard.web.i18n import negotiate
from greetcard.web.security import allowed_hosts
from greetcard.web.server import watch_template
from greetcard.web.workspace import Workspace

from .conftest import ROOT, SAMPLE, decode_qr_codes, read_manifest, write_csv

TOKEN = "test-token-0123456789"
PORT = 8741
BASE = f"http://127.0.0.1:{PORT}"
AUTH = {"X-Greetcard-Token": TOKEN}


class Page:
    """A TestClient that holds the token the way the browser does after the first visit."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.client = TestClient(create_app(workspace, TOKEN, allowed_hosts("127.0.0.1", PORT), PORT), BASE)
        self.client.cookies.set(f"greetcard-token-{PORT}", TOKEN)

    def upload(self, path: Path, name: str | None = None) -> None:
        response = self.client.post(
            "/api/list", content=path.read_bytes(), headers={**AUTH, "X-File-Name": name or path.name}
        )
        assert response.status_code == 200, response.text

    def render(self, out: Path, press: bool = True, impose: str = "") -> dict[str, object]:
        response = self.client.post(
            "/api/render", json={"out": str(out), "press": press, "impose": impose}, headers=AUTH
        )
        assert response.status_code == 200, response.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = self.client.get("/api/status").json()
            if not status["render"]["running"]:
                return dict(status["render"])
            time.sleep(0.05)
        raise AssertionError("render did not finish")


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    workspace = Workspace(temp_parent=tmp_path)
    yield Page(workspace)
    workspace.close()


@pytest.fixture
def bad_list(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "list.csv",
        [["A1", "Good GmbH", "", "", "de"], ["A2", "", "", "", "de"], ["A3", "😀", "", "", "de"]],
    )


# --- who may drive the page ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/api/status", "/static/app.js", "/part/list", "/api/thumb/0.jpg"])
def test_request_without_token_is_refused(page: Page, path: str) -> None:
    page.client.cookies.clear()
    response = page.client.get(path)
    assert response.status_code == 403
    assert "token" in response.text


def test_wrong_token_is_refused(page: Page) -> None:
    page.client.cookies.clear()
    assert page.client.get("/?token=guessed").status_code == 403
    assert page.client.get("/", headers={"X-Greetcard-Token": "guessed"}).status_code == 403


def test_token_from_the_url_becomes_a_cookie_and_leaves_the_address_bar(page: Page) -> None:
    page.client.cookies.clear()
    response = page.client.get(f"/?step=proof&token={TOKEN}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/?step=proof"
    cookie = response.headers["set-cookie"]
    assert f"greetcard-token-{PORT}={TOKEN}" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert page.client.get("/").status_code == 200


@pytest.mark.parametrize("host", ["evil.example", f"evil.example:{PORT}", f"127.0.0.1:{PORT + 1}", ""])
def test_foreign_host_header_is_refused(page: Page, host: str) -> None:
    """DNS rebinding: a page served as evil.example that resolves to 127.0.0.1 still sends its own Host."""
    response = page.client.get("/", headers={"Host": host})
    assert response.status_code == 403
    assert "not this greetcard server" in response.text


@pytest.mark.parametrize("host", [f"localhost:{PORT}", f"127.0.0.1:{PORT}", f"[::1]:{PORT}"])
def test_loopback_names_are_accepted(page: Page, host: str) -> None:
    assert page.client.get("/", headers={"Host": host}).status_code == 200


def test_post_needs_the_token_header_not_just_the_cookie(page: Page) -> None:
    """A form on another site would carry no custom header; the cookie alone does not change anything."""
    response = page.client.post("/api/list", content=SAMPLE.read_bytes(), headers={"X-File-Name": "x.csv"})
    assert response.status_code == 403
    assert page.workspace.settings.list_path is None


def test_post_from_another_origin_is_refused(page: Page) -> None:
    response = page.client.post(
        "/api/template", json={"bundled": "lang"}, headers={**AUTH, "Origin": "http://evil.example"}
    )
    assert response.status_code == 403
    assert page.workspace.settings.template is None


def test_paths_outside_the_chosen_output_folder_are_refused(page: Page, tmp_path: Path) -> None:
    page.upload(SAMPLE)
    out = tmp_path / "out"
    page.render(out)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the page")
    (out / "notes.txt").write_text("the user's own file, not written by the render")
    assert page.client.get("/api/output/press.pdf").status_code == 200
    for name in [
        "..%2Fsecret.txt",
        "%2e%2e/secret.txt",
        "../secret.txt",
        str(secret),
        "%2Fetc%2Fpasswd",
        "notes.txt",
        ".greetcard-written",
        "",
    ]:
        response = page.client.get(f"/api/output/{name}")
        assert response.status_code in (403, 404), name
        assert b"not for the page" not in response.content
    assert page.client.get("/static/..%2F..%2Fcli.py").status_code == 404
    assert page.client.get("/font/..%2FOFL-NotoSansJP.txt").status_code == 404


def test_nothing_is_served_before_a_render(page: Page) -> None:
    assert page.client.get("/api/output/manifest.csv").status_code == 403
    assert page.client.get("/api/cards.zip").status_code == 404


def test_upload_over_the_limit_is_refused_with_a_clear_message(
    page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_app, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(web_workspace, "MAX_UPLOAD_BYTES", 1000)
    response = page.client.post(
        "/api/list", content=b"company\n" + b"x" * 5000, headers={**AUTH, "X-File-Name": "big.csv"}
    )
    assert response.status_code == 413
    assert "lists up to" in response.json()["error"]
    assert page.workspace.settings.list_path is None


def test_uploads_stay_in_a_private_folder_that_is_removed_on_close(tmp_path: Path) -> None:
    workspace = Workspace(temp_parent=tmp_path)
    Page(workspace).upload(SAMPLE, name="../../escape.csv")
    path = workspace.settings.list_path
    assert path is not None and path.is_relative_to(workspace.upload_folder)
    assert path.name == "escape.csv"
    assert workspace.upload_folder.stat().st_mode & 0o077 == 0
    workspace.close()
    assert not workspace.upload_folder.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_host_other_than_loopback_is_refused_without_the_flag(run_cli: object) -> None:
    from click.testing import CliRunner

    from greetcard.cli import main

    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--no-open"])
    assert result.exit_code == 1
    assert "--allow-remote" in result.output


# --- what the page shows ----------------------------------------------------------------


def test_rows_show_the_cli_statuses_and_messages(page: Page, bad_list: Path, run_cli: object) -> None:
    page.upload(bad_list)
    view = page.workspace.list_view()
    assert view is not None
    assert [(row.row_id, row.status) for row in view.rows] == [
        ("A1", "ok"),
        ("A2", "refused"),
        ("A3", "refused"),
    ]
    html = page.client.get("/part/list").text
    from click.testing import CliRunner

    from greetcard.cli import main

    cli = CliRunner().invoke(main, ["check", str(bad_list)])
    for row in view.rows[1:]:
        (message,) = row.messages
        assert message.startswith("list.csv:")  # the list's own name, not the private upload path
        reason = message.split(": ", 1)[1]
        assert reason in cli.output
        assert re.search(r"list\.csv:\d+:\d+: ", message)
        assert _escaped(message) in html


def test_template_panel_shows_the_scan_margin_line_of_check(page: Page, run_cli: object) -> None:
    from click.testing import CliRunner

    from greetcard.cli import main

    page.upload(SAMPLE)
    html = page.client.get("/part/template").text
    cli = CliRunner().invoke(main, ["check", str(SAMPLE)])
    (line,) = [line for line in cli.output.splitlines() if "scan margin:" in line]
    message = line[line.index("scan margin:") :]
    assert _escaped(message) in html


def test_manifest_names_an_uploaded_list_as_the_user_knows_it(
    page: Page, bad_list: Path, tmp_path: Path
) -> None:
    page.upload(bad_list)
    page.render(tmp_path / "out")
    refused = [row for row in read_manifest(tmp_path / "out") if row["status"] == "refused"]
    assert [row["message"].split(": ")[0] for row in refused] == ["list.csv:3:2", "list.csv:4:2"]
    assert str(page.workspace.upload_folder) not in (tmp_path / "out" / "manifest.csv").read_text("utf-8-sig")


def test_how_the_list_was_read_and_overrides(page: Page, tmp_path: Path) -> None:
    listed = write_csv(tmp_path / "excel.csv", [["1", "Müller GmbH", "", "", "de"]], encoding="cp1252")
    page.upload(listed)
    html = page.client.get("/part/list", headers={"Accept-Language": "en"}).text
    assert "detected: cp1252" in html and "detected: ;" in html
    assert "Müller GmbH" in html
    response = page.client.post(
        "/api/list/options", json={"encoding": "utf-8", "delimiter": ","}, headers=AUTH
    )
    assert response.status_code == 200
    assert page.workspace.settings.delimiter == ","
    html = page.client.get("/part/list").text
    assert "cannot be read" in html or "Error" in html  # cp1252 bytes read as UTF-8: the CLI's error
    assert page.client.post("/api/list/options", json={"encoding": "rot13"}, headers=AUTH).status_code == 400


def test_an_excel_list_is_read_as_the_cli_reads_it(page: Page, tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["id", "company", "postcode"])
    sheet.append(["X1", "Kyōdō Optik GmbH", "01067"])
    sheet.append(["X2", "", "01068"])
    workbook.save(tmp_path / "kunden.xlsx")
    page.upload(tmp_path / "kunden.xlsx")
    view = page.workspace.list_view()
    assert view is not None and view.name == "kunden.xlsx"
    assert [(row.row_id, row.status) for row in view.rows] == [("X1", "ok"), ("X2", "refused")]
    assert view.rows[1].messages[0].startswith("kunden.xlsx:3:")


def test_template_errors_show_file_line_and_fix(page: Page, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(ROOT / "assets" / "templates" / "nengajo", folder)
    toml = folder / "template.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("width_mm", "widht_mm", 1), encoding="utf-8")
    response = page.client.post("/api/template", json={"folder": str(folder)}, headers=AUTH)
    assert response.status_code == 200
    html = page.client.get("/part/template").text
    assert re.search(r"template\.toml:\d+", html), html
    assert "width_mm" in html  # the "did you mean"
    refused = page.client.post("/api/template", json={"folder": str(tmp_path)}, headers=AUTH)
    assert refused.status_code == 400 and "template.toml" in refused.json()["error"]


def test_language_follows_the_browser_and_the_choice(page: Page) -> None:
    assert negotiate("de-DE,de;q=0.9,en;q=0.8") == "de"
    assert negotiate("fr-FR, ja;q=0.5, de;q=0.3") == "ja"
    assert negotiate("fr-FR") == "en"
    assert negotiate("de", chosen="ja") == "ja"
    assert "Empfängerliste" in page.client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}).text
    assert "宛先リスト" in page.client.get("/?lang=ja").text
    assert "宛先リスト" in page.client.get("/", headers={"Accept-Language": "de"}).text  # the cookie


def test_card_preview_guides_and_link(page: Page) -> None:
    page.upload(SAMPLE)
    plain = page.client.get("/api/card/1.png?guides=0")
    guided = page.client.get("/api/card/1.png?guides=1")
    assert plain.headers["content-type"] == "image/png"
    assert plain.content != guided.content
    detail = page.client.get("/part/card/1").text
    assert "JP002" in detail and "https://www.neujahrsgross-japan.de/" in detail
    assert "✓ read back from the drawn card" in detail
    assert page.client.get("/api/card/999.png").status_code == 404
    proof = page.client.get("/api/proof.pdf")
    assert proof.content.startswith(b"%PDF")


def test_press_file_equals_the_cli_output(
    page: Page, tmp_path: Path, run_cli: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from greetcard.cli import main

    # The PDFs' creation date is the newest input's modification time, and an uploaded copy is
    # newer than the file the CLI reads; a fixed date makes the rest comparable byte for byte.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")

    page.upload(SAMPLE)
    status = page.render(tmp_path / "page", impose="SRA3")
    assert status["error"] is None and status["done"] == status["total"] == 30
    cli = CliRunner().invoke(
        main, ["render", str(SAMPLE), "--out", str(tmp_path / "cli"), "--impose", "SRA3", "--quiet"]
    )
    assert cli.exit_code == 0, cli.output
    served = page.client.get("/api/output/press-SRA3.pdf")
    assert served.content == (tmp_path / "cli" / "press-SRA3.pdf").read_bytes()
    assert [row["file"] for row in read_manifest(tmp_path / "page")] == [
        row["file"] for row in read_manifest(tmp_path / "cli")
    ]
    zipped = page.client.get("/api/cards.zip")
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
    assert len(names) == 31 and "manifest.csv" in names
    # Nothing else was written into the output folder (its dot files are the library's bookkeeping).
    assert sorted(p.name for p in (tmp_path / "page").iterdir() if not p.name.startswith(".")) == sorted(
        [*names, "press-SRA3.pdf"]
    )


def test_serve_takes_the_link_options_of_render(tmp_path: Path) -> None:
    """``serve --url … --secret-file …``: the page's cards carry the links the CLI's render gives."""
    from click.testing import CliRunner

    from greetcard.cli import main
    from greetcard.web import LinkChoice

    secret = tmp_path / "secret.txt"
    secret.write_text("a-secret-of-at-least-16-bytes", encoding="utf-8")
    url = "https://example.org/v/{token}?c={id}"
    workspace = Workspace(temp_parent=tmp_path, link=LinkChoice(url, secret, "2027"))
    try:
        page = Page(workspace)
        page.upload(SAMPLE)
        status = page.render(tmp_path / "page", press=False)
        assert status["error"] is None and status["done"] == 30
        assert "example.org/v/" in page.client.get("/part/template").text
    finally:
        workspace.close()
    cli = CliRunner().invoke(
        main,
        [
            *("render", str(SAMPLE), "--out", str(tmp_path / "cli"), "--url", url),
            *("--secret-file", str(secret), "--campaign", "2027", "-q"),
        ],
    )
    assert cli.exit_code == 0, cli.output
    served = [row["link"] for row in read_manifest(tmp_path / "page")]
    assert served == [row["link"] for row in read_manifest(tmp_path / "cli")]
    assert all(link.startswith("https://example.org/v/") and "{" not in link for link in served)
    assert decode_qr_codes(tmp_path / "page" / read_manifest(tmp_path / "page")[0]["file"]) == [[served[0]]]


def test_serve_without_the_secret_for_token_links_says_so_before_starting() -> None:
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("GREETCARD_TOKEN_SECRET")
    }
    command = [sys.executable, "-m", "greetcard", "serve", "--no-open", "--port", "0"]
    result = subprocess.run(
        [*command, "--url", "https://example.org/v/{token}"],
        env={**environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,  # a server that started anyway would never end
    )
    assert result.returncode == 1 and "needs a secret: pass --secret-file" in result.stderr, result.stderr


def test_default_output_folder_is_cards_next_to_a_named_list(tmp_path: Path) -> None:
    listed = Path(shutil.copy(SAMPLE, tmp_path / "kunden.csv"))
    (tmp_path / "private").mkdir()
    workspace = Workspace(listed, temp_parent=tmp_path / "private")
    try:
        assert workspace.out == tmp_path / "cards"
    finally:
        workspace.close()


def test_render_in_progress_finishes_before_the_uploads_are_removed(tmp_path: Path) -> None:
    workspace = Workspace(temp_parent=tmp_path)
    page = Page(workspace)
    page.upload(SAMPLE)
    out = tmp_path / "out"
    workspace.start_render(out, press=True, impose=None)
    told = []
    workspace.close(wait=told.append)
    assert workspace.job is not None and workspace.job.finished and workspace.job.report is not None
    assert len(read_manifest(out)) == 30 and (out / "press.pdf").is_file()
    assert not workspace.upload_folder.exists()


def test_first_thumbnails_of_650_rows_come_before_the_rest(page: Page, tmp_path: Path) -> None:
    """The grid lists every row at once and the first thumbnails are drawn on demand.

    How fast that feels is measured by tools/serve_images.py, not asserted here.
    """
    listed = write_list(tmp_path / "big.csv", 650)
    page.upload(listed)
    started = time.perf_counter()
    html = page.client.get("/part/proof").text
    assert html.count('class="thumb"') == 650
    for index in range(6):
        assert page.client.get(f"/api/thumb/{index}.jpg?v=1").status_code == 200
    seconds = time.perf_counter() - started
    print(f"650 rows: grid and first 6 thumbnails in {seconds:.2f} s")


def test_designer_mode_reloads_after_a_save(tmp_path: Path) -> None:
    import threading

    folder = tmp_path / "design"
    shutil.copytree(ROOT / "assets" / "templates" / "nengajo", folder)
    workspace = Workspace(SAMPLE, folder, temp_parent=tmp_path)
    stop = threading.Event()
    try:
        watch_template(workspace, folder, stop)
        time.sleep(0.3)  # the watcher is listening
        before = workspace.generation
        toml = folder / "template.toml"
        saved = time.perf_counter()
        toml.write_text(
            toml.read_text(encoding="utf-8").replace("Nengajō 2027", "Nengajō 2028"), encoding="utf-8"
        )
        while workspace.generation == before and time.perf_counter() - saved < 5:
            time.sleep(0.02)
        template, _ = workspace.template()
        seconds = time.perf_counter() - saved
        print(f"designer mode: template re-read {seconds:.2f} s after the save")
        assert template is not None and template.name == "Nengajō 2028"
    finally:
        stop.set()
        workspace.close()


def test_a_saved_template_is_never_shown_from_the_old_drawings(tmp_path: Path) -> None:
    folder = tmp_path / "design"
    shutil.copytree(ROOT / "assets" / "templates" / "nengajo", folder)
    workspace = Workspace(SAMPLE, folder, temp_parent=tmp_path)
    try:
        before = workspace.card_png(0, 40, guides=False)
        toml = folder / "template.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace("謹賀新年", "恭賀新年"), encoding="utf-8")
        workspace.template_changed()
        assert workspace.card_png(0, 40, guides=False) != before
    finally:
        workspace.close()


def test_ctrl_c_stops_the_server_and_removes_uploads(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "greetcard", "serve", "--no-open", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        url = re.search(r"http://\S+", line)
        assert url, line
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        assert opener.open(url.group(0), timeout=10).status == 200
        base = url.group(0).split("/?")[0]
        token = url.group(0).split("token=")[1]
        request = urllib.request.Request(
            base + "/api/list",
            data=SAMPLE.read_bytes(),
            headers={"X-Greetcard-Token": token, "X-File-Name": "recipients.csv"},
            method="POST",
        )
        assert opener.open(request, timeout=10).status == 200
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith("greetcard-serve-")]
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, rest
    assert "stopped" in rest and "Traceback" not in rest
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("greetcard-serve-")]


def _escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))
