"""Screenshots of `greetcard serve` for the README (docs/images/serve-*.png), and the new-user timing.

Needs Playwright and a Chromium (Debian: apt-get install chromium). Run from the project root:
    python tools/serve_images.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from greetcard.web.server import BackgroundServer  # noqa: E402
from greetcard.web.workspace import Workspace  # noqa: E402

IMAGES = ROOT / "docs" / "images"
CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 800}
#: Two rows a colleague might really send: no company, and a character no font has.
MISTAKES = (
    "JP031;;;;Erika Muster;Frau;Kirchweg 1;40210;Rheinhafen;Deutschland;de\r\n"
    "JP032;Emoji 😀 GmbH;;;;;Am Markt 3;40213;Rheinhafen;Deutschland;de\r\n"
)


def new_user_flow(page: Page, url: str, recipients: Path, out: Path, downloads: Path) -> float:
    """Open the page, drop recipients.csv, change nothing, Render, download the press file: seconds taken."""
    started = time.perf_counter()
    page.goto(url)
    page.set_input_files("#list-file", str(recipients))
    page.wait_for_selector("#rows")
    page.click("#tab-print")
    page.fill("#out", str(out))
    page.click("#render-button")
    page.wait_for_selector("#render-summary", timeout=120_000)
    with page.expect_download() as download:
        page.click("#download-press")
    download.value.save_as(downloads / "press.pdf")
    return time.perf_counter() - started


def first_thumbnails(page: Page, url: str, recipients: Path) -> tuple[float, float]:
    """Seconds from dropping a long list to its table, and from opening Proof to the first 6 thumbnails."""
    page.goto(url)
    started = time.perf_counter()
    page.set_input_files("#list-file", str(recipients))
    page.wait_for_selector("#rows")
    read = time.perf_counter() - started
    page.wait_for_selector("#render-button", state="attached")  # every step's part is in
    started = time.perf_counter()
    page.click("#tab-proof")
    page.wait_for_function(
        "[...document.querySelectorAll('.thumb img')].slice(0, 6)"
        ".every(img => img.complete && img.naturalWidth)"
    )
    return read, time.perf_counter() - started


def screenshots(page: Page, url: str, recipients: Path, out: Path) -> None:
    page.goto(url)
    page.set_input_files("#list-file", str(recipients))
    page.wait_for_selector("#rows")
    # The end of the table, where the two mistaken rows are, with some good rows above them.
    page.locator(".table-wrap").evaluate("wrap => { wrap.scrollTop = wrap.scrollHeight; }")
    page.screenshot(path=IMAGES / "serve-1-list.png")
    page.click("#tab-template")
    page.wait_for_function("[...document.querySelectorAll('#step-template img')].every(img => img.complete)")
    page.screenshot(path=IMAGES / "serve-2-template.png")
    page.click("#tab-proof")
    page.click(".thumb[data-card='9']")
    page.wait_for_selector("#card-title:has-text('JP010')")
    page.check("#guides")
    page.wait_for_function("document.querySelector('.proof-sheet').naturalWidth > 0", timeout=30_000)
    page.wait_for_timeout(1000)
    page.wait_for_function(
        "[...document.querySelectorAll('#step-proof img')]"
        ".filter(img => img.getBoundingClientRect().top < 800).every(img => img.complete)"
    )
    page.screenshot(path=IMAGES / "serve-3-proof.png")
    page.click("#tab-print")
    page.fill("#out", str(out))
    page.click("#render-button")
    page.wait_for_selector("#render-summary", timeout=120_000)
    page.screenshot(path=IMAGES / "serve-4-print.png")


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder_name, sync_playwright() as playwright:
        folder = Path(folder_name)
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM) if CHROMIUM.exists() else None)
        sample = ROOT / "recipients.csv"
        with BackgroundServer(Workspace(temp_parent=folder)) as server:
            page = browser.new_page(viewport=VIEWPORT, locale="en-GB", accept_downloads=True)
            seconds = new_user_flow(page, server.url, sample, folder / "cards", folder)
            print(f"new-user flow (open, drop recipients.csv, Render, download press.pdf): {seconds:.1f} s")
        with BackgroundServer(Workspace(temp_parent=folder)) as server:
            from bench.make_list import write_list

            page = browser.new_page(viewport=VIEWPORT, locale="en-GB")
            read, shown = first_thumbnails(page, server.url, write_list(folder / "long.csv", 650))
            print(f"650 rows: table after {read:.1f} s; first thumbnails {shown:.2f} s after opening Proof")
        mixed = folder / "recipients.csv"
        mixed.write_bytes(sample.read_bytes() + MISTAKES.encode("utf-8"))
        with BackgroundServer(Workspace(temp_parent=folder)) as server:
            page = browser.new_page(viewport=VIEWPORT, locale="en-GB", accept_downloads=True)
            screenshots(page, server.url, mixed, folder / "neujahr" / "cards")
        browser.close()


if __name__ == "__main__":
    main()
