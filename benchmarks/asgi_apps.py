"""The Starlette variants every ASGI benchmark compares, and how to call them directly.

All variants serve the same one-route app (``GET /`` answers ``ok``) and receive the
same browser-like ``Cookie`` header (an Okta ``sid``, a Starlette ``session`` cookie and
an app cookie), except "no Okta cookie", whose header lacks the ``sid``. So the only
difference between two variants is the middleware in front of the route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from okta_session_mw import OktaSessionMiddleware, SessionService

__all__ = [
    "APP_COOKIE",
    "LABELS",
    "SESSION_SECRET",
    "AsgiVariant",
    "asgi_variants",
    "call_asgi",
    "http_scope",
    "starlette_session_cookie",
]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

SESSION_SECRET = "bench-starlette-session-secret"
LABELS = {
    "bare": "bare Starlette app (baseline)",
    "okta_hit": "+ OktaSessionMiddleware, cache hit",
    "okta_no_cookie": "+ OktaSessionMiddleware, no Okta cookie",
    "starlette_session": "+ Starlette SessionMiddleware (reference)",
}
"""The variants, in the order every ASGI section shows them: baseline first, reference last."""
APP_COOKIE = "theme=dark"


@dataclass(frozen=True, slots=True)
class AsgiVariant:
    """One app to measure and the ``Cookie`` header its requests carry."""

    key: str
    label: str
    app: ASGIApp
    cookie: str


async def _ok(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _login(request: Request) -> Response:
    request.session["user"] = "ann@example.com"
    request.session["csrf"] = "f1c9a2d4b8e6"
    return PlainTextResponse("ok")


def _app(*middleware: Middleware) -> Starlette:
    return Starlette(routes=[Route("/", _ok), Route("/login", _login)], middleware=list(middleware))


def asgi_variants(
    service: SessionService, okta_cookie: str, session_cookie: str
) -> list[AsgiVariant]:
    """Bare, Okta middleware (hit and no Okta cookie) and Starlette's SessionMiddleware.

    ``okta_cookie`` is ``sid=...`` (its session must be cached, or be cacheable, in
    ``service``); ``session_cookie`` is a valid ``session=...`` from
    ``starlette_session_cookie``.
    """
    full = f"{okta_cookie}; {session_cookie}; {APP_COOKIE}"
    okta_app = _app(Middleware(OktaSessionMiddleware, service=service))
    return [
        AsgiVariant("bare", LABELS["bare"], _app(), full),
        AsgiVariant("okta_hit", LABELS["okta_hit"], okta_app, full),
        AsgiVariant(
            "okta_no_cookie", LABELS["okta_no_cookie"], okta_app, f"{session_cookie}; {APP_COOKIE}"
        ),
        AsgiVariant(
            "starlette_session",
            LABELS["starlette_session"],
            _app(Middleware(SessionMiddleware, secret_key=SESSION_SECRET)),
            full,
        ),
    ]


def http_scope(cookie: str, path: str = "/") -> dict[str, Any]:
    """A GET scope as uvicorn would build it for a browser request."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) bench"),
            (b"accept", b"text/html,application/xhtml+xml"),
            (b"accept-encoding", b"gzip, deflate"),
            (b"cookie", cookie.encode("latin-1")),
        ],
        "client": ("127.0.0.1", 51000),
        "server": ("127.0.0.1", 8000),
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def call_asgi(app: ASGIApp, scope: Scope) -> list[dict[str, Any]]:
    """Call ``app`` once and return the messages it sent."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, _receive, send)
    return sent


async def starlette_session_cookie() -> str:
    """A valid ``session=...`` pair, made by Starlette's own SessionMiddleware."""
    app = _app(Middleware(SessionMiddleware, secret_key=SESSION_SECRET))
    for message in await call_asgi(app, http_scope("", "/login")):
        for name, value in message.get("headers", ()):
            if name == b"set-cookie":
                return str(value.decode("latin-1").split(";", 1)[0])
    raise RuntimeError("SessionMiddleware set no cookie")
