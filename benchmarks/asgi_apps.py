"""The Starlette variants every ASGI benchmark compares, and how to call them directly.

All variants serve the same one-route app (``GET /`` answers ``ok``) and receive the
same browser request (``browser_request.py``: a dozen headers, a ``Cookie`` header with
Okta's ``sid`` among the app's cookies and Starlette's ``session``), except "no Okta
cookie", whose header lacks the ``sid``, and the access-token variants, whose request
also carries ``Authorization: Bearer``. So the only difference between two variants is
the middleware in front of the route.
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

from benchmarks.browser_request import BROWSER_HEADERS, browser_cookie
from benchmarks.jwt_apps import (
    BearerMiddleware,
    TokenSet,
    joserfc_verifier,
    pyjwt_verifier,
)
from okta_session_mw import OktaSessionMiddleware, SessionService

__all__ = [
    "LABELS",
    "SERVED",
    "SESSION_SECRET",
    "AsgiVariant",
    "NoopLayer",
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
    "noop_layer": "+ a no-op ASGI layer (only awaits the app)",
    "okta_hit": "+ OktaSessionMiddleware, cache hit",
    "okta_no_cookie": "+ OktaSessionMiddleware, no Okta cookie",
    "jwt_joserfc": "+ RS256 access token verified locally, joserfc",
    "jwt_pyjwt": "+ RS256 access token verified locally, PyJWT",
    "starlette_session": "+ Starlette SessionMiddleware (reference)",
}
"""The variants, in the order every ASGI section shows them: baseline first, reference last."""
SERVED = ("bare", "okta_hit", "okta_no_cookie", "starlette_session")
"""The variants the uvicorn sections serve (one server each)."""


@dataclass(frozen=True, slots=True)
class AsgiVariant:
    """One app to measure and the request it gets (the cookie, and any extra header)."""

    key: str
    label: str
    app: ASGIApp
    cookie: str
    extra: tuple[tuple[bytes, bytes], ...] = ()

    def scope(self, path: str = "/") -> dict[str, Any]:
        return http_scope(self.cookie, path, self.extra)


class NoopLayer:
    """An ASGI middleware that only awaits the app: the floor of any middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


async def _ok(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _login(request: Request) -> Response:
    request.session["user"] = "ann@example.com"
    request.session["csrf"] = "f1c9a2d4b8e6"
    return PlainTextResponse("ok")


def _app(*middleware: Middleware) -> Starlette:
    return Starlette(routes=[Route("/", _ok), Route("/login", _login)], middleware=list(middleware))


def asgi_variants(
    service: SessionService,
    okta_cookie: str,
    session_cookie: str,
    tokens: TokenSet | None = None,
) -> list[AsgiVariant]:
    """The variants of ``LABELS`` (only ``SERVED`` ones when ``tokens`` is ``None``).

    ``okta_cookie`` is ``sid=...`` (its session must be cached, or be cacheable, in
    ``service``); ``session_cookie`` is a valid ``session=...`` from
    ``starlette_session_cookie``; ``tokens`` from ``jwt_apps.make_tokens``.
    """
    full = browser_cookie(okta_cookie, session_cookie)
    okta_app = _app(Middleware(OktaSessionMiddleware, service=service))
    variants = [
        AsgiVariant("bare", LABELS["bare"], _app(), full),
        AsgiVariant("noop_layer", LABELS["noop_layer"], _app(Middleware(NoopLayer)), full),
        AsgiVariant("okta_hit", LABELS["okta_hit"], okta_app, full),
        AsgiVariant(
            "okta_no_cookie",
            LABELS["okta_no_cookie"],
            okta_app,
            browser_cookie(None, session_cookie),
        ),
    ]
    if tokens is not None:
        bearer = ((b"authorization", f"Bearer {tokens.good}".encode()),)
        for key, verifier in (("jwt_joserfc", joserfc_verifier), ("jwt_pyjwt", pyjwt_verifier)):
            middleware = Middleware(BearerMiddleware, verify=verifier(tokens.public_jwk))
            variants.append(AsgiVariant(key, LABELS[key], _app(middleware), full, bearer))
    variants.append(
        AsgiVariant(
            "starlette_session",
            LABELS["starlette_session"],
            _app(Middleware(SessionMiddleware, secret_key=SESSION_SECRET)),
            full,
        )
    )
    return variants if tokens is not None else [v for v in variants if v.key in SERVED]


def http_scope(
    cookie: str, path: str = "/", extra: tuple[tuple[bytes, bytes], ...] = ()
) -> dict[str, Any]:
    """A GET scope as uvicorn would build it for the browser request (``extra`` headers
    go before the cookie)."""
    headers = [(name.encode(), value.encode("latin-1")) for name, value in BROWSER_HEADERS]
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
        "headers": [*headers, *extra, (b"cookie", cookie.encode("latin-1"))],
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
