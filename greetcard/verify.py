"""Proof that every printed card carries its own link: render, decode, compare.

Independent of how the cards were drawn: pdfium rasterises each card's QR
area at print resolution, zxing-cpp decodes it, and the result is compared
with the link the manifest lists for that card.  Each QR area must hold
exactly one code, and the link printed in words must equal the link (joined
across its lines, broken only before ``/``, ``?`` or ``&``).  Works on an
output folder (one PDF per card), a press file and imposed press sheets.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import GreetcardError
from .filling import link_text
from .impose import SHEETS_MM, SheetPlan, plan_sheet
from .layout import LINK_BREAKS_BEFORE
from .output import manifest_entry
from .template import Box, CardTemplate, PrintProfile

MANIFEST_NAME = "manifest.csv"
PT_PER_MM = 72 / 25.4
#: Print-like resolution: what a press's RIP or a good office printer resolves.
VERIFY_DPI = 300
#: --whole-page looks for stray codes anywhere on the page at this resolution.
WHOLE_PAGE_DPI = 150
#: The QR area is rendered with this much around the box, so a shifted code is still seen whole.
AREA_MARGIN_MM = 3.0
#: Printed link text is read from the link field's box grown by this much.
TEXT_MARGIN_MM = 1.0
#: Below this many cards a second process costs more than it saves.
PARALLEL_THRESHOLD = 48


class VerifyError(GreetcardError):
    """Raised when there is nothing to verify: no manifest, a file that is not a PDF, a wrong template."""


@dataclass(frozen=True)
class ExpectedCard:
    """One written card as the manifest lists it."""

    row_id: str
    company: str
    file: str
    link: str
    line: int | None

    def names(self) -> str:
        line = f", list line {self.line}" if self.line else ""
        return f"{self.file or '?'} (id {self.row_id}{line})"


@dataclass(frozen=True)
class Failure:
    """A card that does not carry what the manifest says it should."""

    row_id: str
    file: str
    line: int | None
    page: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.row_id,
            "file": self.file,
            "line": self.line,
            "page": self.page,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = self.file + (f" page {self.page}" if self.page else "")
        row = f" (id {self.row_id}, list line {self.line})" if self.line else f" (id {self.row_id})"
        return f"{where}{row}: {self.message}"


@dataclass
class VerifyReport:
    """What verification found: how many cards carry their own link, and every card that does not."""

    source: Path
    cards: int = 0
    verified: int = 0
    codes_read: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures and self.cards > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "cards": self.cards,
            "verified": self.verified,
            "codes_read": self.codes_read,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "failures": [failure.as_dict() for failure in self.failures],
        }


# --- the manifest ------------------------------------------------------------


def read_manifest(path: Path) -> list[ExpectedCard]:
    """The written cards of a manifest.csv, in list (and press file) order."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise VerifyError(
            f"{path}: no manifest — verify the folder 'greetcard render' wrote (it holds manifest.csv)"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise VerifyError(f"{path}: cannot read the manifest ({err})") from None
    rows = list(csv.DictReader(text.splitlines()))
    if rows and not {"id", "file", "link", "status"} <= set(rows[0]):
        raise VerifyError(f"{path}: not a greetcard manifest (needs id, file, link, status columns)")
    entries = (manifest_entry(row) for row in rows)
    return [
        ExpectedCard(entry.row_id, entry.company, entry.file, entry.link, entry.line)
        for entry in entries
        if entry.status == "written"
    ]


# --- where to look -------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """One card page's QR area and link caption on a PDF page, in points from the page's bottom-left."""

    card_index: int
    page_index: int  # the card's page (0-based)
    qr_rect: tuple[float, float, float, float]  # left, bottom, right, top
    caption_rect: tuple[float, float, float, float] | None


@dataclass(frozen=True)
class PageJob:
    """What to read on one PDF page."""

    path: str
    pdf_page: int
    areas: tuple[Area, ...]
    whole_page: bool = False  # also look for codes outside the QR areas


@dataclass(frozen=True)
class AreaResult:
    area: Area
    codes: tuple[str, ...]
    caption_lines: tuple[str, ...] | None
    stray_codes: tuple[str, ...] = ()  # codes elsewhere on the page, nearest to this card


def caption_field_kind(template: CardTemplate, page_index: int) -> tuple[Box, str] | None:
    """The field that prints the link in words on a page, and whether it shows ``link`` or ``link_text``."""
    for spec in template.pages[page_index].fields:
        sources = " ".join(spec.text.values())
        if re.search(r"{{-?\s*link_text\b", sources):
            return spec.box, "link_text"
        if re.search(r"{{-?\s*link\b", sources):
            return spec.box, "link"
    return None


def _rect_mm_to_pt(
    trim_left_pt: float, trim_top_pt: float, box: Box, margin_mm: float
) -> tuple[float, float, float, float]:
    left = trim_left_pt + (box.x_mm - margin_mm) * PT_PER_MM
    right = trim_left_pt + (box.right_mm + margin_mm) * PT_PER_MM
    top = trim_top_pt - (box.y_mm - margin_mm) * PT_PER_MM
    bottom = trim_top_pt - (box.bottom_mm + margin_mm) * PT_PER_MM
    return (left, bottom, right, top)


def card_areas(
    template: CardTemplate, card_index: int, page_index: int, trim_left_pt: float, trim_top_pt: float
) -> Area | None:
    """The QR area (and caption) of one card page whose trim's top-left sits at the given point."""
    qr = template.pages[page_index].qr
    if qr is None:
        return None
    caption = caption_field_kind(template, page_index)
    return Area(
        card_index,
        page_index,
        _rect_mm_to_pt(trim_left_pt, trim_top_pt, qr.box, AREA_MARGIN_MM),
        _rect_mm_to_pt(trim_left_pt, trim_top_pt, caption[0], TEXT_MARGIN_MM) if caption else None,
    )


def imposed_sheet(page_size_pt: tuple[float, float]) -> str | None:
    """The press sheet a page is the size of (either orientation), or None for a card page."""
    width_mm, height_mm = page_size_pt[0] / PT_PER_MM, page_size_pt[1] / PT_PER_MM
    for name, (sheet_w, sheet_h) in SHEETS_MM.items():
        for w, h in ((sheet_w, sheet_h), (sheet_h, sheet_w)):
            if abs(w - width_mm) < 0.5 and abs(h - height_mm) < 0.5:
                return name
    return None


# --- reading pages (in worker processes) -------------------------------------------


def read_page(job: PageJob, dpi: int = VERIFY_DPI) -> list[AreaResult]:
    """Render each area of one PDF page and decode the QR codes in it; read the caption text.

    First from the document with its form XObjects (the artwork) emptied, which pdfium loads
    without parsing the artwork; when an area has no opaque plate, or a form painted after the
    plate overlaps it (it could cover the code), the page is read again from the document as it is.
    """
    if not job.whole_page and _forms_cost_most(job):
        document = _open_document(job.path, bare=True)
        if document is not None:
            found = _read_areas(job, dpi, document, bare=True)
            if found is not None:
                return found
    full = _read_areas(job, dpi, _open_document(job.path), bare=False)
    assert full is not None
    return full


#: Objects drawn inside forms above which emptying them pays (nengajo: hundreds; lang: one image).
COSTLY_FORM_OBJECTS = 50
_FORMS_COST_MOST: list[bool] = []


def _forms_cost_most(job: PageJob) -> bool:
    """Whether this run's pages draw so much inside forms that reading them emptied pays.

    Decided once per run (and process) from the first page read: emptying costs a scan of each
    file, and for artwork that is one image it saves nothing.
    """
    if not _FORMS_COST_MOST:
        page = _open_document(job.path)[job.pdf_page]
        try:
            nested = sum(1 for _ in page.get_objects(max_depth=3)) - sum(
                1 for _ in page.get_objects(max_depth=0)
            )
        finally:
            page.close()
        _FORMS_COST_MOST.append(nested >= COSTLY_FORM_OBJECTS)
    return _FORMS_COST_MOST[0]


def _read_areas(job: PageJob, dpi: int, document: Any, bare: bool) -> list[AreaResult] | None:
    """The areas of one page of ``document``; None when ``bare`` and an area cannot be trusted."""
    import zxingcpp

    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    page = document[job.pdf_page]
    try:
        width, height = page.get_size()
        stray = _stray_codes(page, job.areas, qr_only) if job.whole_page else {}
        # One card per page: skip what an opaque plate hides, so a large background image is not
        # decoded for every card. Several cards with images (imposed sheets), or with the artwork
        # emptied: the same, on a fresh copy of the page per card, since then loading a page costs
        # less than decoding its images.
        hide_per_area = bare or len(job.areas) == 1 or _draws_images(page)
        textpage = None
        results = []
        for index, area in enumerate(job.areas):
            left, bottom, right, top = area.qr_rect
            if hide_per_area:
                if index > 0:
                    page.close()
                    page, textpage = document[job.pdf_page], None
                plate = _hide_what_the_plate_covers(page, area.qr_rect)
                if plate is not None and not (bare and plate[1]):
                    left, bottom, right, top = plate[0]
                elif bare:
                    return None
            crop = (max(0.0, left), max(0.0, bottom), max(0.0, width - right), max(0.0, height - top))
            image = page.render(scale=dpi / 72, crop=crop, grayscale=True).to_pil()
            codes = tuple(
                result.text for result in zxingcpp.read_barcodes(image, formats=qr_only) if result.valid
            )
            lines = None
            if area.caption_rect is not None:
                if textpage is None:
                    textpage = page.get_textpage()
                text = textpage.get_text_bounded(*area.caption_rect)
                lines = tuple(line for line in re.split(r"\r\n|\r|\n", text) if line.strip())
            results.append(AreaResult(area, codes, lines, tuple(stray.get(area.card_index, ()))))
        return results
    finally:
        page.close()


def _draws_images(page: Any) -> bool:
    """Whether the page (or a form it draws, two levels deep) paints a raster image."""
    import pypdfium2.raw as pdfium_c

    return any(item.type == pdfium_c.FPDF_PAGEOBJ_IMAGE for item in page.get_objects(max_depth=2))


def _stray_codes(page: Any, areas: Sequence[Area], formats: Any) -> dict[int, list[str]]:
    """Codes on the whole page (150 dpi) outside every QR area, by the card whose area is nearest."""
    import zxingcpp

    scale = WHOLE_PAGE_DPI / 72
    height = page.get_size()[1]
    image = page.render(scale=scale, grayscale=True).to_pil()
    found: dict[int, list[str]] = {}
    for result in zxingcpp.read_barcodes(image, formats=formats):
        corners = result.position
        points = (corners.top_left, corners.top_right, corners.bottom_right, corners.bottom_left)
        x = sum(point.x for point in points) / 4 / scale
        y = height - sum(point.y for point in points) / 4 / scale
        inside = any(a.qr_rect[0] <= x <= a.qr_rect[2] and a.qr_rect[1] <= y <= a.qr_rect[3] for a in areas)
        if inside or not areas:
            continue
        nearest = min(
            areas,
            key=lambda a: (
                ((a.qr_rect[0] + a.qr_rect[2]) / 2 - x) ** 2 + ((a.qr_rect[1] + a.qr_rect[3]) / 2 - y) ** 2
            ),
        )
        found.setdefault(nearest.card_index, []).append(result.text or "(unreadable)")
    return found


_OPEN_DOCUMENTS: dict[tuple[str, bool], Any] = {}


def _open_document(path: str, bare: bool = False) -> Any:
    """The document at ``path`` (``bare``: its forms emptied, or None when it has none).

    Kept open while consecutive jobs read its pages: one document per press file.
    """
    import pypdfium2 as pdfium

    key = (path, bare)
    if key in _OPEN_DOCUMENTS:
        return _OPEN_DOCUMENTS[key]
    if any(open_path != path for open_path, _ in _OPEN_DOCUMENTS):
        close_documents()
    if bare:
        data = without_forms(Path(path).read_bytes())
        document = pdfium.PdfDocument(data) if data is not None else None
    else:
        document = pdfium.PdfDocument(path)
    _OPEN_DOCUMENTS[key] = document
    return document


def close_documents() -> None:
    for document in _OPEN_DOCUMENTS.values():
        if document is not None:
            document.close()
    _OPEN_DOCUMENTS.clear()


_FILTER_ENTRY = re.compile(rb"/(?:Filter|DecodeParms)\s*(?:\[[^\]]*\]|<<[^>]*>>|/[^\s/\[<>]+)")


_NUMBER = rb"\s*(-?[\d.]+)"
_BBOX_ENTRY = re.compile(rb"/BBox\s*\[" + _NUMBER * 4 + rb"\s*\]")


def without_forms(data: bytes) -> bytes | None:
    """The PDF with every form XObject's content replaced by spaces; None when it has no form.

    The artwork is drawn as a form: pdfium parses all of it whenever it loads a page, which is
    most of the time verify takes. The edit keeps every byte offset (the stream's length and the
    cross-reference table stay valid): the form's filter and data become blanks, an empty form.
    """
    edited: bytearray | None = None
    found = data.find(b"/Form")
    while found >= 0:
        mark_start, mark_end = found, found + len(b"/Form")
        found = data.find(b"/Form", mark_end)
        subtype = data.rfind(b"/Subtype", max(0, mark_start - 24), mark_start)
        if subtype < 0 or data[subtype + len(b"/Subtype") : mark_start].strip():
            continue
        if data[mark_end : mark_end + 1].isalnum():
            continue  # /FormType
        header = data.rfind(b" obj", 0, subtype)
        stream = data.find(b"stream", mark_end)
        if header < 0 or stream < 0:
            continue
        if b"endobj" in data[header:stream] or b"stream" in data[header:subtype]:
            continue  # not the dictionary of a stream object
        start = stream + len(b"stream")
        start += 2 if data[start : start + 2] == b"\r\n" else 1
        end = data.find(b"endstream", start)
        if end < 0:
            continue
        if edited is None:
            edited = bytearray(data)
        for entry in _FILTER_ENTRY.finditer(data, header, stream):
            edited[entry.start() : entry.end()] = b" " * (entry.end() - entry.start())
        # The emptied form fills its box, so it keeps its bounds: a form painted after a code's
        # plate can be told apart from one that covers it (that page is then read as it is).
        box = _BBOX_ENTRY.search(data, header, stream)
        outline = b""
        if box is not None:
            x0, y0, x1, y1 = box.group(1, 2, 3, 4)
            outline = b"%s %s m %s %s l %s %s l %s %s l h f" % (x0, y0, x1, y0, x1, y1, x0, y1)
        if len(outline) > end - start:
            outline = b""
        edited[start:end] = outline + b" " * (end - start - len(outline))
    return bytes(edited) if edited is not None else None


def _hide_what_the_plate_covers(
    page: Any, area: tuple[float, float, float, float]
) -> tuple[tuple[float, float, float, float], bool] | None:
    """Remove the page objects painted before the QR code's opaque plate; return the plate's bounds.

    Within the plate's bounds those objects cannot show, so the rendering of that rectangle is
    unchanged.  The plate is the last opaque, filled, four-sided path on the page that covers the
    QR box (the area without its margin).  None when there is no such plate: render everything.
    The flag says whether a form painted after the plate overlaps it (it may cover the code).
    """
    import ctypes

    import pypdfium2.raw as pdfium_c

    margin = AREA_MARGIN_MM * PT_PER_MM
    box = (area[0] + margin, area[1] + margin, area[2] - margin, area[3] - margin)
    objects = list(page.get_objects(max_depth=0))
    plate_index = None
    plate_bounds = None
    for index, page_object in enumerate(objects):
        if page_object.type != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        left, bottom, right, top = page_object.get_bounds()
        covers = (
            left <= box[0] + 0.5 and bottom <= box[1] + 0.5 and right >= box[2] - 0.5 and top >= box[3] - 0.5
        )
        inside = left >= area[0] and bottom >= area[1] and right <= area[2] and top <= area[3]
        if not (covers and inside):
            continue
        fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDFPath_GetDrawMode(page_object.raw, fill_mode, stroke)
        if (
            fill_mode.value != 0
            and pdfium_c.FPDFPath_CountSegments(page_object.raw) in (4, 5)
            and not pdfium_c.FPDFPageObj_HasTransparency(page_object.raw)
        ):
            plate_index, plate_bounds = index, (left, bottom, right, top)
    if plate_index is None or plate_bounds is None:
        return None
    form_after = any(
        item.type == pdfium_c.FPDF_PAGEOBJ_FORM and _may_cover(item.get_bounds(), plate_bounds)
        for item in objects[plate_index + 1 :]
    )
    for page_object in objects[:plate_index]:
        page.remove_obj(page_object)
        page_object.close()
    return plate_bounds, form_after


def _may_cover(bounds: tuple[float, float, float, float], plate: tuple[float, float, float, float]) -> bool:
    """Whether an object's bounds overlap the plate's; a form without an extent may cover anything."""
    left, bottom, right, top = bounds
    if right - left <= 0 or top - bottom <= 0:
        return True
    return left < plate[2] and right > plate[0] and bottom < plate[3] and top > plate[1]


_JOBS: Sequence[PageJob] = ()


def _read_job(index: int) -> tuple[int, list[AreaResult]]:
    return index, read_page(_JOBS[index])


def read_pages(jobs: Sequence[PageJob], workers: int = 0) -> list[list[AreaResult]]:
    """Every job's results, in job order, on all cores when there are enough cards."""
    global _JOBS
    _FORMS_COST_MOST.clear()
    workers = workers or (os.cpu_count() or 1)
    areas = sum(len(job.areas) for job in jobs)
    if workers > 1 and areas >= PARALLEL_THRESHOLD and "fork" in multiprocessing.get_all_start_methods():
        results: list[list[AreaResult]] = [[] for _ in jobs]
        _JOBS = jobs
        close_documents()  # a forked worker must not share an open document with this process
        # Contiguous chunks: a worker reads neighbouring pages of a press file from one open document.
        chunk = max(1, min(32, len(jobs) // (workers * 4)))
        try:
            with multiprocessing.get_context("fork").Pool(workers, initializer=_ignore_interrupts) as pool:
                for index, found in pool.imap_unordered(_read_job, range(len(jobs)), chunksize=chunk):
                    results[index] = found
        finally:
            _JOBS = ()
        return results
    try:
        return [read_page(job) for job in jobs]
    finally:
        close_documents()


def _ignore_interrupts() -> None:
    """Ctrl-C stops the run in the parent, which ends the pool."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


# --- planning the jobs ---------------------------------------------------------


def _page_count_and_size(path: Path) -> tuple[int, tuple[float, float], dict[str, str]]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as err:
        raise VerifyError(f"{path}: cannot be read as a PDF ({err})") from None
    try:
        if len(document) == 0:
            raise VerifyError(f"{path}: the PDF has no pages")
        return len(document), document[0].get_size(), document.get_metadata_dict()
    finally:
        document.close()


def _trim_top_left(path: Path, page_index: int) -> tuple[float, float, float, float]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        left, bottom, right, top = document[page_index].get_trimbox()
        return left, bottom, right, top
    finally:
        document.close()


def _check_card_size(template: CardTemplate, trim: tuple[float, float, float, float], path: Path) -> None:
    width_mm = (trim[2] - trim[0]) / PT_PER_MM
    height_mm = (trim[3] - trim[1]) / PT_PER_MM
    if abs(width_mm - template.width_mm) > 0.5 or abs(height_mm - template.height_mm) > 0.5:
        raise VerifyError(
            f"{path}: the cards are {width_mm:.0f} × {height_mm:.0f} mm, but template '{template.name}' is "
            f"{template.width_mm:g} × {template.height_mm:g} mm — pass the template they were made "
            "with: --template DIR"
        )


def folder_jobs(folder: Path, template: CardTemplate, cards: Sequence[ExpectedCard]) -> list[PageJob]:
    """One job per page of every card PDF in an output folder."""
    jobs = []
    checked = False
    for index, card in enumerate(cards):
        path = folder / card.file
        if not path.is_file():
            continue  # reported by the comparison as a missing file
        if not checked:
            _check_card_size(template, _trim_top_left(path, 0), path)
            checked = True
        for page_index, page in enumerate(template.pages):
            if page.qr is None:
                continue
            jobs.append(PageJob(str(path), page_index, (_trimmed_area(path, template, index, page_index),)))
    return jobs


def _trimmed_area(path: Path, template: CardTemplate, card_index: int, page_index: int) -> Area:
    """Single cards and press pages: the card's trim is the page's TrimBox (same on every page)."""
    left, _bottom, _right, top = _cached_trim(str(path), page_index)
    area = card_areas(template, card_index, page_index, left, top)
    assert area is not None
    return area


_TRIMS: dict[tuple[str, int], tuple[float, float, float, float]] = {}


def _cached_trim(path: str, page_index: int) -> tuple[float, float, float, float]:
    # Every card of one run has the same geometry; reading one page's box per file is enough.
    key = (str(Path(path).parent), page_index)
    if key not in _TRIMS:
        _TRIMS[key] = _trim_top_left(Path(path), page_index)
    return _TRIMS[key]


def press_jobs(
    path: Path, template: CardTemplate, cards: Sequence[ExpectedCard], profile: PrintProfile
) -> tuple[list[PageJob], list[Failure]]:
    """Jobs for a press file: card pages in list order, or imposed sheets."""
    pages, size, _ = _page_count_and_size(path)
    pages_per_card = len(template.pages)
    sheet = imposed_sheet(size)
    if sheet is None:
        trim = _trim_top_left(path, 0)
        _check_card_size(template, trim, path)
        expected_pages = len(cards) * pages_per_card
        failures = []
        if pages != expected_pages:
            failures.append(
                Failure(
                    "",
                    path.name,
                    None,
                    None,
                    f"has {pages} pages, but the manifest lists {len(cards)} cards of {pages_per_card} "
                    f"page{'s' if pages_per_card != 1 else ''} ({expected_pages} pages) — render it again",
                )
            )
        jobs = []
        for index in range(len(cards)):
            for page_index, page in enumerate(template.pages):
                pdf_page = index * pages_per_card + page_index
                if page.qr is None or pdf_page >= pages:
                    continue
                area = card_areas(template, index, page_index, trim[0], trim[3])
                assert area is not None
                jobs.append(PageJob(str(path), pdf_page, (area,)))
        return jobs, failures
    plan = plan_sheet(sheet, (template.width_mm, template.height_mm), profile.bleed_mm)
    return imposed_jobs(path, template, cards, plan, pages)


def imposed_jobs(
    path: Path, template: CardTemplate, cards: Sequence[ExpectedCard], plan: SheetPlan, pages: int
) -> tuple[list[PageJob], list[Failure]]:
    """Jobs for imposed sheets: each slot's QR area, backs mirrored as impose() lays them out."""
    pages_per_card = len(template.pages)
    groups = (len(cards) + plan.per_sheet - 1) // plan.per_sheet
    failures = []
    if pages != groups * pages_per_card:
        failures.append(
            Failure(
                "",
                path.name,
                None,
                None,
                f"has {pages} sheets, but {len(cards)} cards at {plan.per_sheet} per sheet need "
                f"{groups * pages_per_card} — render it again",
            )
        )
    jobs = []
    bleed_mm = (plan.cell_mm[0] - template.width_mm) / 2
    for group in range(groups):
        for page_index, page in enumerate(template.pages):
            pdf_page = group * pages_per_card + page_index
            if page.qr is None or pdf_page >= pages:
                continue
            areas = []
            for slot in range(plan.per_sheet):
                card_index = group * plan.per_sheet + slot
                if card_index >= len(cards):
                    break
                x_mm, y_mm = plan.cell_origin_mm(slot, mirrored=page_index % 2 == 1)
                trim_left = (x_mm + bleed_mm) * PT_PER_MM
                trim_top = (y_mm + bleed_mm + template.height_mm) * PT_PER_MM
                area = card_areas(template, card_index, page_index, trim_left, trim_top)
                assert area is not None
                areas.append(area)
            jobs.append(PageJob(str(path), pdf_page, tuple(areas)))
    return jobs, failures


# --- comparing ------------------------------------------------------------------


def printed_link_problem(lines: Sequence[str], expected: str) -> str | None:
    """Why the printed lines do not show ``expected`` whole and well broken, or None when they do."""
    joined = "".join(line.strip() for line in lines)
    breaks = []
    position = 0
    for line in lines:
        position += len(line.strip())
        breaks.append(position)
    start = joined.find(expected)
    while start >= 0:
        end = start + len(expected)
        before_ok = start == 0 or not _is_link_char(joined[start - 1])
        after_ok = end == len(joined) or not _is_link_char(joined[end])
        if before_ok and after_ok:
            bad = [b for b in breaks if start < b < end and joined[b] not in LINK_BREAKS_BEFORE]
            if bad:
                split = bad[0]
                return (
                    f"the printed link is broken between '{joined[start:split]}' and '{joined[split:end]}'"
                    f" — a link may break only before / ? &; widen the link field or lower its min_size_pt"
                )
            return None
        start = joined.find(expected, start + 1)
    shown = " ⏎ ".join(line.strip() for line in lines) or "nothing"
    return f"the printed link reads '{shown}', not '{expected}'"


def _is_link_char(char: str) -> bool:
    return char.isalnum() or char in "-._~:/?#[]@!$&'()*+,;=%"


def compare(
    cards: Sequence[ExpectedCard],
    template: CardTemplate,
    results: Sequence[AreaResult],
) -> tuple[list[Failure], int, int]:
    """Failures per card, the number of cards verified and the number of codes read."""
    by_card: dict[int, list[AreaResult]] = {}
    for result in results:
        by_card.setdefault(result.area.card_index, []).append(result)
    caption_kinds = [caption_field_kind(template, index) for index in range(len(template.pages))]
    link_owner: dict[str, list[int]] = {}
    for index, card in enumerate(cards):
        link_owner.setdefault(card.link, []).append(index)
    shared_expected = len(link_owner) > 1
    failures: list[Failure] = []
    verified = 0
    codes_read = 0
    for index, card in enumerate(cards):
        problems: list[tuple[int | None, str]] = []
        found = by_card.get(index, [])
        if not found:
            problems.append((None, "no page of this card was read (file missing or pages missing)"))
        for result in found:
            page_number = result.area.page_index + 1
            codes_read += len(result.codes)
            if not result.codes:
                problems.append(
                    (page_number, "no readable QR code in the QR area — the code is damaged or missing")
                )
            elif len(result.codes) > 1:
                problems.append(
                    (page_number, f"{len(result.codes)} QR codes in the QR area, expected exactly one")
                )
            elif result.codes[0] != card.link:
                owners = link_owner.get(result.codes[0], [])
                other = f" — that is the link of {cards[owners[0]].names()}" if owners else ""
                problems.append((page_number, f"the QR code opens {result.codes[0]}, not {card.link}{other}"))
            for text in result.stray_codes:
                problems.append((page_number, f"a second QR code outside the QR area, opening {text}"))
            caption = caption_kinds[result.area.page_index]
            if caption is not None and result.caption_lines is not None:
                expected_text = link_text(card.link) if caption[1] == "link_text" else card.link
                problem = printed_link_problem(result.caption_lines, expected_text)
                if problem:
                    problems.append((page_number, problem))
        if shared_expected and len(link_owner[card.link]) > 1:
            others = [cards[i].row_id for i in link_owner[card.link] if i != index]
            problems.append(
                (None, f"shares its link {card.link} with id {', '.join(others)}: links must differ")
            )
        for failed_page, message in problems:
            failures.append(Failure(card.row_id, card.file, card.line, failed_page, message))
        if not problems:
            verified += 1
    return failures, verified, codes_read


# --- the jobs -------------------------------------------------------------------


def verify(
    target: Path,
    template: CardTemplate,
    profile_name: str | None = None,
    manifest: Path | None = None,
    jobs: int = 0,
    whole_page: bool = False,
) -> VerifyReport:
    """Verify an output folder (every card PDF) or a press file (card pages or imposed sheets)."""
    started = time.perf_counter()
    report = VerifyReport(target)
    if target.is_dir():
        manifest_path = manifest or target / MANIFEST_NAME
        cards = read_manifest(manifest_path)
        page_jobs = folder_jobs(target, template, cards)
        failures = [
            Failure(card.row_id, card.file, card.line, None, "the card's PDF is missing")
            for card in cards
            if not (target / card.file).is_file()
        ]
    elif target.is_file():
        manifest_path = manifest or target.parent / MANIFEST_NAME
        cards = read_manifest(manifest_path)
        _, _, metadata = _page_count_and_size(target)
        profile = template.profile(profile_name or _profile_named_in(metadata) or "print")
        page_jobs, failures = press_jobs(target, template, cards, profile)
    else:
        raise VerifyError(f"{target}: no such folder or file — give an output folder or a press PDF")
    if not cards:
        raise VerifyError(f"{manifest_path}: lists no written cards — nothing to verify")
    if not any(page.qr for page in template.pages):
        raise VerifyError(f"template '{template.name}' has no QR code — nothing to verify")
    if whole_page:
        page_jobs = [replace(job, whole_page=True) for job in page_jobs]
    results = [result for found in read_pages(page_jobs, jobs) for result in found]
    compared, verified, codes = compare(cards, template, results)
    report.cards = len(cards)
    report.verified = verified
    report.codes_read = codes
    report.failures = failures + compared
    report.seconds = time.perf_counter() - started
    return report


def _profile_named_in(metadata: dict[str, str]) -> str | None:
    """The print profile greetcard wrote into the PDF's Subject (``… · profile NAME``)."""
    match = re.search(r"· profile (\S+)$", metadata.get("Subject", ""))
    return match.group(1) if match else None


def summary(report: VerifyReport) -> Iterator[str]:
    """Human-readable lines: every failure, then the count."""
    for failure in report.failures:
        yield f"  {failure}"
    cards = f"{report.cards} card{'s' if report.cards != 1 else ''}"
    status = "all verified" if report.ok else f"{report.cards - report.verified} FAILED"
    yield (
        f"{report.source}: {report.verified} of {cards} verified ({status}); "
        f"{report.codes_read} QR codes decoded in {report.seconds:.1f} s"
    )
