"""The page's routes: server-rendered HTML parts, images drawn on demand, and a few JSON actions.

Drawing routes are plain functions, so Starlette runs them in worker threads
and the page stays responsive while thumbnails are drawn.  Every route sits
behind :class:`~greetcard.web.security.Guard`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..assets import assets_folder, bundled_templates
from ..errors import GreetcardError
from ..template import TEMPLATE_FILE
from . import i18n
from .security import Guard
from .workspace import (
    CARD_DPI,
    DELIMITERS,
    ENCODINGS,
    IMPOSE_SHEETS,
    MAX_UPLOAD_BYTES,
    UploadTooLarge,
    Workspace,
    upload_too_large_message,
)

HERE = Path(__file__).resolve().parent
STEPS = ("list", "template", "proof", "print")
LANGUAGE_COOKIE = "greetcard-lang"
PAGE_FONT = "NotoSansJP-Regular.ttf"

_PAGES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def create_app(workspace: Workspace, token: str, hosts: set[str], port: int, designer: bool = False) -> Guard:
    """The whole application, wrapped in the token and Host checks."""
    page = _Page(workspace, token, designer)
    routes = [
        Route("/", page.index),
        Route("/part/{step}", page.part),
        Route("/part/card/{index:int}", page.card_part),
        Route("/api/status", page.status),
        Route("/api/list", page.upload, methods=["POST"]),
        Route("/api/list/options", page.list_options, methods=["POST"]),
        Route("/api/template", page.choose_template, methods=["POST"]),
        Route("/api/profile", page.choose_profile, methods=["POST"]),
        Route("/api/thumb/{index:int}.jpg", page.thumbnail),
        Route("/api/card/{index:int}.png", page.card_image),
        Route("/api/proof.png", page.proof_image),
        Route("/api/proof.pdf", page.proof_pdf),
        Route("/api/render", page.render, methods=["POST"]),
        Route("/api/cards.zip", page.cards_zip),
        Route("/api/output/{name:path}", page.output_file),
        Route("/font/{name}", page.font),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Guard(Starlette(routes=routes), token, hosts, port)


class _Page:
    def __init__(self, workspace: Workspace, token: str, designer: bool) -> None:
        self.workspace = workspace
        self.token = token
        self.designer = designer

    # --- HTML ---------------------------------------------------------------------

    def _language(self, request: Request) -> str:
        return i18n.negotiate(
            request.headers.get("accept-language"),
            request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE),
        )

    def _context(self, request: Request) -> dict[str, Any]:
        workspace = self.workspace
        language = self._language(request)
        prepared, list_error = workspace.prepared()
        template, template_error = workspace.template()
        job = workspace.job
        return {
            "t": i18n.strings(language),
            "lang": language,
            "languages": i18n.LANGUAGE_NAMES,
            "token": self.token,
            "generation": workspace.generation,
            "settings": workspace.settings,
            "list": workspace.list_view(),
            "list_error": list_error,
            "template": workspace.template_view(),
            "template_error": workspace.display(template_error) if template_error else None,
            "template_names": [folder.name for folder in bundled_templates()],
            "cards": [
                {"index": index, "id": card.recipient.id, "company": card.recipient.company}
                for index, card in enumerate(prepared.cards)
            ]
            if prepared
            else [],
            "has_template": template is not None,
            "encodings": ENCODINGS,
            "delimiters": DELIMITERS,
            "impose_sheets": IMPOSE_SHEETS,
            "out": str(workspace.out),
            "job": job,
            "job_refused": [workspace.display(line) for line in job.report.refused]
            if job and job.report
            else [],
            "designer": self.designer,
            "max_upload_bytes": MAX_UPLOAD_BYTES,
        }

    def index(self, request: Request) -> Response:
        context = self._context(request)
        context["step"] = request.query_params.get("step", "list")
        context["strings_json"] = json.dumps(context["t"], ensure_ascii=False)
        response = HTMLResponse(_PAGES.get_template("page.html").render(context))
        if request.query_params.get("lang") in i18n.LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, context["lang"], samesite="strict", httponly=True)
        response.headers["cache-control"] = "no-store"
        return response

    def part(self, request: Request) -> Response:
        step = request.path_params["step"]
        if step not in STEPS:
            return Response("no such step", status_code=404)
        return HTMLResponse(_PAGES.get_template(f"{step}.html").render(self._context(request)))

    async def card_part(self, request: Request) -> Response:
        prepared, _ = self.workspace.prepared()
        index = request.path_params["index"]
        if prepared is None or not 0 <= index < len(prepared.cards):
            return Response("no such card", status_code=404)
        card = prepared.cards[index]
        context = self._context(request)
        fits = [f"{fitted.field.name}: {fitted.describe()}" for page in card.pages for fitted in page.fields]
        try:
            decoded = await run_in_threadpool(self.workspace.decoded_links, index)
        except LookupError:
            return Response("no such card", status_code=404)
        context.update(index=index, card=card, fits=fits, decoded=decoded)
        return HTMLResponse(_PAGES.get_template("card.html").render(context))

    # --- JSON actions -------------------------------------------------------------

    def status(self, request: Request) -> Response:
        job = self.workspace.job
        render = None
        if job is not None:
            render = {
                "running": job.running,
                "done": job.done,
                "total": job.total,
                "error": job.error,
            }
        return JSONResponse({"generation": self.workspace.generation, "render": render})

    async def upload(self, request: Request) -> Response:
        declared = int(request.headers.get("content-length") or 0)
        if declared > MAX_UPLOAD_BYTES:
            return _error(upload_too_large_message(declared), 413)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                return _error(upload_too_large_message(size), 413)
            chunks.append(chunk)
        name = request.headers.get("x-file-name", "list.csv")
        try:
            from urllib.parse import unquote

            self.workspace.save_upload(unquote(name), chunks)
        except UploadTooLarge as err:
            return _error(str(err), 413)
        await run_in_threadpool(self.workspace.warm_up)
        return JSONResponse({"generation": self.workspace.generation})

    async def list_options(self, request: Request) -> Response:
        body = await _json(request)
        encoding = body.get("encoding") or None
        delimiter = body.get("delimiter") or None
        if encoding is not None and encoding not in ENCODINGS:
            return _error(f"unknown encoding {encoding!r}", 400)
        if delimiter is not None and delimiter not in DELIMITERS:
            return _error(f"unknown delimiter {delimiter!r}", 400)
        self.workspace.change(encoding=encoding, delimiter=DELIMITERS[delimiter] if delimiter else None)
        return JSONResponse({"generation": self.workspace.generation})

    async def choose_template(self, request: Request) -> Response:
        body = await _json(request)
        bundled = {folder.name: folder for folder in bundled_templates()}
        if body.get("bundled") in bundled:
            folder = bundled[body["bundled"]]
        elif isinstance(body.get("folder"), str) and body["folder"].strip():
            # A folder the user typed: only its template is read, nothing is written there.
            folder = Path(body["folder"].strip()).expanduser()
            if not (folder / TEMPLATE_FILE).is_file():
                return _error(f"{folder}: no {TEMPLATE_FILE} in this folder — choose a template folder", 400)
        else:
            return _error("choose a bundled template or a template folder", 400)
        self.workspace.change(template=folder)
        return JSONResponse({"generation": self.workspace.generation})

    async def choose_profile(self, request: Request) -> Response:
        body = await _json(request)
        template, _ = self.workspace.template()
        name = body.get("profile")
        try:
            if template is None or not isinstance(name, str):
                raise GreetcardError("choose a template first")
            template.profile(name)
        except GreetcardError as err:
            return _error(str(err), 400)
        self.workspace.change(profile=name)
        return JSONResponse({"generation": self.workspace.generation})

    async def render(self, request: Request) -> Response:
        body = await _json(request)
        out = body.get("out")
        impose = body.get("impose") or None
        if not isinstance(out, str) or not out.strip():
            return _error("choose an output folder", 400)
        try:
            self.workspace.start_render(Path(out.strip()), bool(body.get("press")), impose)
        except GreetcardError as err:
            return _error(str(err), 400)
        return JSONResponse({"started": True})

    # --- images and files ---------------------------------------------------------

    def font(self, request: Request) -> Response:
        """The bundled Japanese font, so the page shows names on systems without one."""
        if request.path_params["name"] != PAGE_FONT:
            return Response("no such font", status_code=404)
        return FileResponse(
            assets_folder() / "fonts" / PAGE_FONT,
            media_type="font/ttf",
            headers={"cache-control": "private, max-age=86400"},
        )

    def thumbnail(self, request: Request) -> Response:
        try:
            data = self.workspace.card_thumbnail(request.path_params["index"])
        except (IndexError, LookupError):
            return Response("no such card", status_code=404)
        return Response(data, media_type="image/jpeg", headers={"cache-control": "private, max-age=3600"})

    def card_image(self, request: Request) -> Response:
        return self._card_png(request, CARD_DPI, guides=request.query_params.get("guides") == "1")

    def _card_png(self, request: Request, dpi: int, guides: bool) -> Response:
        try:
            data = self.workspace.card_png(request.path_params["index"], dpi, guides)
        except (IndexError, LookupError):
            return Response("no such card", status_code=404)
        return Response(data, media_type="image/png", headers={"cache-control": "private, max-age=3600"})

    def proof_image(self, request: Request) -> Response:
        try:
            return Response(self.workspace.proof_png(), media_type="image/png")
        except LookupError:
            return Response("no list yet", status_code=404)

    def proof_pdf(self, request: Request) -> Response:
        try:
            data = self.workspace.proof_pdf()
        except LookupError:
            return Response("no list yet", status_code=404)
        return Response(
            data,
            media_type="application/pdf",
            headers={"content-disposition": 'attachment; filename="proof.pdf"'},
        )

    def cards_zip(self, request: Request) -> Response:
        try:
            path = self.workspace.cards_zip()
        except PermissionError:
            return Response("render first", status_code=404)
        return FileResponse(path, media_type="application/zip", filename="cards.zip")

    def output_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        try:
            path = self.workspace.output_file(name)
        except PermissionError:
            return Response(
                "refused: only files the last render wrote into the chosen output folder are served",
                status_code=403,
            )
        return FileResponse(path, filename=path.name)


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
