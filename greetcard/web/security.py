"""Who may drive the page: only the browser that opened the URL greetcard printed.

Three checks run before any route, in the manner of Jupyter:

* the ``Host`` header must name this server (127.0.0.1, localhost or [::1] on
  our port), so a web page that rebinds its own DNS name to 127.0.0.1 is refused;
* every request carries the random per-start token: in the URL that was opened
  (then kept in a same-site cookie and the address bar is cleaned), or in the
  ``X-Greetcard-Token`` header;
* requests that change something (POST) need the header and a matching
  ``Origin``, which another site's form or script cannot send.
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_HEADER = "x-greetcard-token"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def allowed_hosts(host: str, port: int) -> set[str]:
    """``Host`` header values that name this server."""
    names = set(LOOPBACK_HOSTS) if host in LOOPBACK_HOSTS else {host}
    if host in ("0.0.0.0", "::"):
        names |= set(LOOPBACK_HOSTS)
    return {f"[{name}]:{port}" if ":" in name else f"{name}:{port}" for name in names}


class Guard:
    """ASGI middleware: Host check, token check, cookie hand-over, same-origin POSTs."""

    def __init__(self, app: ASGIApp, token: str, hosts: set[str], port: int) -> None:
        self.app = app
        self.token = token
        self.hosts = {host.lower() for host in hosts}
        self.cookie_name = f"greetcard-token-{port}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            await _refuse(
                send, 403, f"Host {host!r} is not this greetcard server — open the address it printed."
            )
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        from_url = next((value for key, value in query if key == "token"), None)
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:
            cookies = SimpleCookie()
        from_cookie = cookies[self.cookie_name].value if self.cookie_name in cookies else None
        from_header = headers.get(TOKEN_HEADER)
        method = scope["method"]
        if method in ("GET", "HEAD") and from_url is not None and self._valid(from_url):
            # Keep the token in a cookie and take it out of the address bar (and the history).
            rest = urlencode([(key, value) for key, value in query if key != "token"])
            location = scope["path"] + (f"?{rest}" if rest else "")
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", location.encode("latin-1")),
                        (
                            b"set-cookie",
                            f"{self.cookie_name}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode(),
                        ),
                        (b"cache-control", b"no-store"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        if method in ("GET", "HEAD"):
            allowed = self._valid(from_cookie) or self._valid(from_header)
        else:
            origin = headers.get("origin")
            same_origin = origin is None or origin.lower().split("://", 1)[-1] in self.hosts
            allowed = self._valid(from_header) and same_origin
        if not allowed:
            await _refuse(
                send,
                403,
                "This request has no valid greetcard token — open the address that 'greetcard serve' "
                "printed (it ends in ?token=…).",
            )
            return
        await self.app(scope, receive, send)

    def _valid(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate.encode(), self.token.encode())


async def _refuse(send: Send, status: int, message: str) -> None:
    body = message.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
