"""greetcard serve in a real browser: headless Chromium driven by Playwright.

Skipped, with the reason shown, when Playwright or a Chromium cannot be
started (CI installs Debian's ``chromium`` first, see ``.ci/run``).
"""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from greetcard.cli import main
from greetcard.web.server import BackgroundServer
from greetcard.web.workspace import Workspace

from .conftest import SAMPLE, read_manifest, write_csv

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        pytest.skip(f"browser tests need the playwright package ({err})")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM) if CHROMIUM.exists() else None
            )
        except Exception as err:  # any failure to start a browser means: skip, visibly
            pytest.skip(
                f"no Chromium could be started ({str(err).splitlines()[0]}) — apt-get install chromium"
            )
        yield launched
        launched.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[BackgroundServer]:
    with BackgroundServer(Workspace(temp_parent=tmp_path)) as server:
        yield server


def test_new_user_flow_in_the_browser(
    browser: Any, served: BackgroundServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drop the list, see statuses, open a card with guides, render, download: as the CLI would write it."""
    # The creation date follows the inputs' modification time; the uploaded copy is newer than the
    # file the CLI reads, so a fixed date keeps the two press files comparable byte for byte.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    bad = write_csv(
        tmp_path / "list.csv",
        [["A1", "Good GmbH", "", "", "de"], ["A2", "", "", "", "de"], ["A3", "😀", "", "", "de"]],
    )
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-GB", accept_downloads=True
    )
    page = context.new_page()
    page.goto(served.url)
    assert "token=" not in page.url  # taken out of the address bar

    # List: a list with refused rows, filtered, with the CLI's messages.
    page.set_input_files("#list-file", str(bad))
    page.wait_for_selector("#rows")
    statuses = page.locator("#rows tbody tr").evaluate_all("rows => rows.map(r => r.dataset.status)")
    assert statuses == ["ok", "refused", "refused"]
    page.click("#filters button[data-filter=refused]")
    assert page.locator("#rows tbody tr:visible").count() == 2
    assert "list.csv:3:2: company is empty — " in page.locator("#rows").inner_text()

    # The sample list, dropped onto the page: every row a card, one note.
    page.evaluate(
        """([name, text]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], name, { type: "text/csv" }));
            document.getElementById("dropzone").dispatchEvent(
                new DragEvent("drop", { dataTransfer: transfer, bubbles: true }));
        }""",
        ["recipients.csv", SAMPLE.read_text(encoding="utf-8-sig")],
    )
    page.wait_for_selector("#list-name:has-text('recipients.csv')")
    assert page.locator("#rows tbody tr").count() == 30
    assert page.locator("#rows tbody tr[data-status=refused]").count() == 0
    assert page.locator("#rows tbody tr[data-status=note]").count() == 1

    # Proof: click a row of the list, the card opens large; guides on; the QR holds the shown link.
    page.click("#rows tbody tr[data-card='1']")
    page.wait_for_selector("#card-title:has-text('JP002')")
    image = page.locator("#card-image")
    page.wait_for_function("document.getElementById('card-image').naturalWidth > 0")
    plain = page.request.get(image.evaluate("img => img.src")).body()
    page.check("#guides")
    page.wait_for_function("document.getElementById('card-image').src.includes('guides=1')")
    page.wait_for_function("document.getElementById('card-image').complete")
    guided = page.request.get(image.evaluate("img => img.src")).body()
    assert plain != guided
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(plain)))]
    assert decoded == [page.locator("#qr-link").inner_text()]
    assert page.locator("#qr-check").inner_text().startswith("✓")
    assert page.locator(".thumb img").first.evaluate("img => img.complete && img.naturalWidth > 0")
    page.wait_for_function("document.querySelector('.proof-sheet').naturalWidth > 0", timeout=20_000)

    # Print: render with the press file, download it, compare with the CLI's.
    page.click("#tab-print")
    out = tmp_path / "page-cards"
    page.fill("#out", str(out))
    page.click("#render-button")
    page.wait_for_selector("#render-summary", timeout=60_000)
    assert "30 cards written" in page.locator("#render-summary").inner_text()
    with page.expect_download() as download_info:
        page.click("#download-press")
    downloaded = tmp_path / "downloaded.pdf"
    download_info.value.save_as(downloaded)
    cli_out = tmp_path / "cli-cards"
    result = CliRunner().invoke(
        main, ["render", str(SAMPLE), "--batch", "press.pdf", "--out", str(cli_out), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert downloaded.read_bytes() == (cli_out / "press.pdf").read_bytes()
    assert len(read_manifest(out)) == 30
    context.close()


def test_browser_without_the_token_is_refused(browser: Any, served: BackgroundServer) -> None:
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(served.url.split("?")[0])
    assert response is not None and response.status == 403
    assert "token" in page.content()
    context.close()


def test_page_language_follows_the_browser(browser: Any, served: BackgroundServer) -> None:
    for locale, expected in (
        ("de-DE", "Empfängerliste"),
        ("ja-JP", "宛先リスト"),
        ("fr-FR", "recipient list"),
    ):
        context = browser.new_context(locale=locale)
        page = context.new_page()
        page.goto(served.url)
        assert expected in page.locator("#dropzone").inner_text()
        context.close()


def test_designer_mode_reloads_the_open_preview(browser: Any, tmp_path: Path) -> None:
    import threading

    from greetcard.web.server import watch_template

    folder = tmp_path / "design"
    shutil.copytree(Path(__file__).resolve().parent.parent / "assets" / "templates" / "nengajo", folder)
    workspace = Workspace(SAMPLE, folder, temp_parent=tmp_path)
    stop = threading.Event()
    with BackgroundServer(workspace, designer=True) as server:
        watch_template(workspace, folder, stop)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(server.url + "&step=proof")
        page.click(".thumb[data-card='0']")
        page.wait_for_selector("#card-title:has-text('JP001')")
        before = page.locator("#card-image").evaluate("img => img.src")
        toml = folder / "template.toml"
        saved = time.perf_counter()
        toml.write_text(toml.read_text(encoding="utf-8").replace("謹賀新年", "恭賀新年"), encoding="utf-8")
        page.wait_for_function(
            f"document.getElementById('card-image').src !== {before!r}"
            " && document.getElementById('card-image').complete",
            timeout=10_000,  # about a second on a quiet machine; CI machines are not always quiet
        )
        print(f"designer mode: new preview shown {time.perf_counter() - saved:.2f} s after the save")
        assert page.locator("#designer-note").count() == 1
        page.close()
    stop.set()
