"""Starting and stopping the page: the socket, the token, the browser, the watcher, the clean-up."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import uvicorn

from ..errors import GreetcardError
from .security import LOOPBACK_HOSTS, allowed_hosts, new_token
from .workspace import LinkChoice, RenderJob, Workspace

DEFAULT_PORT = 8741
#: watchfiles waits this long for a burst of writes (an editor's save) to settle, in ms.
WATCH_DEBOUNCE_MS = 150


class ServeError(GreetcardError):
    """Raised when the server cannot start (port taken, host not allowed)."""


@dataclass(frozen=True)
class ServeOptions:
    """What ``greetcard serve`` was asked for."""

    recipients: Path | None = None
    template: Path | None = None
    designer: bool = False  # watch ``template`` and reload previews on every save
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    allow_remote: bool = False
    open_browser: bool = True
    link: LinkChoice = field(default_factory=LinkChoice)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int, fall_back: bool) -> socket.socket:
    """A listening socket on ``host:port``; a free port instead when the default one is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in (port, 0) if fall_back else (port,):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError as err:
            sock.close()
            if err.errno == errno.EADDRINUSE and candidate != 0 and fall_back:
                continue
            raise ServeError(
                f"cannot listen on {host}:{candidate} ({err.strerror or err}) — choose another --port"
            ) from None
        sock.listen(64)
        sock.set_inheritable(True)
        return sock
    raise ServeError(f"cannot listen on {host} — choose another --port")  # pragma: no cover


def watch_template(workspace: Workspace, folder: Path, stop: threading.Event) -> threading.Thread:
    """Designer mode: tell the workspace whenever a file in the template folder is saved."""
    import watchfiles

    def run() -> None:
        for _changes in watchfiles.watch(
            folder, stop_event=stop, debounce=WATCH_DEBOUNCE_MS, step=50, raise_interrupt=False
        ):
            workspace.template_changed()

    thread = threading.Thread(target=run, name="greetcard-watch", daemon=True)
    thread.start()
    return thread


class StoppingServer(uvicorn.Server):
    """uvicorn's server, telling the workspace at the first Ctrl-C so that waiting previews end at once."""

    def __init__(self, config: uvicorn.Config, workspace: Workspace) -> None:
        super().__init__(config)
        self.workspace = workspace

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.workspace.stop_drawing()
        super().handle_exit(sig, frame)


def run_server(options: ServeOptions, echo: Callable[[str], None]) -> None:
    """Serve the page until Ctrl-C; a render in progress finishes first; uploads are removed."""
    from .app import create_app

    if not is_loopback(options.host) and not options.allow_remote:
        raise ServeError(
            f"--host {options.host} would let other computers reach the page — keep the default "
            "127.0.0.1, or add --allow-remote if you really mean it"
        )
    sock = bind(options.host, options.port, fall_back=options.port == DEFAULT_PORT)
    port = sock.getsockname()[1]
    token = new_token()
    workspace = Workspace(options.recipients, options.template, link=options.link)
    stop_watching = threading.Event()
    try:
        if options.designer and options.template is not None:
            watch_template(workspace, options.template, stop_watching)
        hosts = allowed_hosts(options.host, port)
        app = create_app(workspace, token, hosts, port, designer=options.designer)
        shown_host = "127.0.0.1" if options.host in ("0.0.0.0", "::") else options.host
        shown_host = f"[{shown_host}]" if ":" in shown_host else shown_host
        url = f"http://{shown_host}:{port}/?token={token}"
        if not is_loopback(options.host):
            echo(f"warning: the page is reachable from other computers on {options.host}:{port}")
        echo(f"greetcard is serving the page at {url}")
        echo("Keep this window open while you work; press Ctrl-C to stop.")
        config = uvicorn.Config(
            app, log_level="warning", timeout_graceful_shutdown=2, lifespan="off", access_log=False
        )
        server = StoppingServer(config, workspace)
        if options.open_browser:
            threading.Thread(target=_open_when_ready, args=(server, url), daemon=True).start()
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn stops cleanly, then re-raises Ctrl-C
            server.run(sockets=[sock])
    finally:
        stop_watching.set()
        sock.close()

        def tell(job: RenderJob) -> None:
            echo(f"waiting for the render into {job.out} to finish ({job.done} of {job.total} cards) …")

        try:
            workspace.close(wait=tell)
        except KeyboardInterrupt:
            # A second Ctrl-C stops at once (the uploads are gone already): cards are written
            # atomically, and the folder's record of what was written lets the next render clear
            # the partial batch, as after an interrupted CLI run.
            echo("render interrupted; the next render into that folder clears its partial cards.")
    echo("greetcard serve stopped; uploaded files removed.")


def _open_when_ready(server: object, url: str) -> None:
    for _ in range(100):
        if getattr(server, "started", False):
            webbrowser.open(url)
            return
        threading.Event().wait(0.05)


class BackgroundServer:
    """The page served from a thread on a free port: for the browser tests and the documentation images."""

    def __init__(self, workspace: Workspace, designer: bool = False) -> None:
        from .app import create_app

        self.workspace = workspace
        self.sock = bind("127.0.0.1", 0, fall_back=False)
        self.port = self.sock.getsockname()[1]
        self.token = new_token()
        self.url = f"http://127.0.0.1:{self.port}/?token={self.token}"
        app = create_app(
            workspace, self.token, allowed_hosts("127.0.0.1", self.port), self.port, designer=designer
        )
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=1
            )
        )
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> BackgroundServer:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                break
            threading.Event().wait(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.workspace.stop_drawing()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
        self.workspace.close()
