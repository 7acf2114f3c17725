"""``OktaSessionMiddleware``: pure ASGI, for ``http`` and ``websocket`` scopes.

For each request it reads the ``Cookie`` header, resolves the Okta session through the
``SessionService`` (cache, single flight, refresh, stale-if-error), and puts it in
``scope["okta_session"]`` and ``request.state.okta_session``. Nothing it does raises
into the app: a failure is logged and the request goes on without a session.

A WebSocket handshake from a foreign ``Origin`` (not the app's own, not in
``allowed_origins``) gets no session, so a protected socket is closed with 1008: a
cross-site page cannot ride the browser's Okta cookie. For a request without an Okta
cookie it also adds the CSRF nonce cookie a token helper made (``csrf.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.engine.service import SessionService
from okta_session_mw.web.cookies import asgi_cookie_header
from okta_session_mw.web.csrf_nonce import CSRF_STATE_KEY, nonce_set_cookie
from okta_session_mw.web.reply import Reply

__all__ = [
    "CSRF_STATE_KEY",
    "RESOLUTION_KEY",
    "SERVICE_KEY",
    "OktaSessionDenied",
    "OktaSessionMiddleware",
    "client_address",
]

SERVICE_KEY = "okta_session_mw.engine.service"
RESOLUTION_KEY = "okta_session_mw.resolution"
_NO_COOKIE = Source.NO_COOKIE


class OktaSessionDenied(Exception):
    """Raised by ``require_okta_session``; the middleware sends ``reply`` instead."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        super().__init__(f"Okta session required (HTTP {reply.status})")


class OktaSessionMiddleware:
    """Attach the browser's Okta session to every request.

    ``Middleware(OktaSessionMiddleware, config=OktaSessionConfig(...))``. Pass
    ``service`` to share one ``SessionService`` (cache, clients, stats) with other code.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        config: OktaSessionConfig | None = None,
        service: SessionService | None = None,
    ) -> None:
        if service is None:
            if config is None:
                raise TypeError("OktaSessionMiddleware needs config= (or service=)")
            service = SessionService(config)
        self.app = app
        self.service = service
        self.config = service.config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            lifespan = kind == "lifespan"
            await self.app(scope, receive, self._lifespan_send(send) if lifespan else send)
            return
        service = self.service
        scope[SERVICE_KEY] = service
        cookie = asgi_cookie_header(scope["headers"])
        if kind == "websocket" and not self._websocket_allowed(scope):
            cookie = None  # cross-site WebSocket hijacking: never the browser's session
        path: str = scope["path"]
        root: str | None = scope.get("root_path")
        if root:  # mounted under a prefix: the core judges the path the routes see
            path = _route_path(path, root)
        ready = service.prepare(cookie, path, client_address(scope))
        resolution = ready if isinstance(ready, Resolution) else await service.afinish(ready)
        session = resolution.session
        scope[RESOLUTION_KEY] = resolution
        scope["okta_session"] = session
        state = scope.get("state")
        if state is None:
            scope["state"] = state = {}
        state["okta_session"] = session
        if resolution.source is _NO_COOKIE and kind == "http":
            send = _with_csrf_cookie(scope, send)  # a form may give this browser a nonce
        try:
            await self.app(scope, receive, send)
        except OktaSessionDenied as denied:
            await _send_reply(kind, denied.reply, send)

    def _websocket_allowed(self, scope: Scope) -> bool:
        headers = dict(scope["headers"])  # a handshake, not the hot path
        host, origin = headers.get(b"host"), headers.get(b"origin")
        return self.service.websocket_allowed(
            scope.get("scheme", "ws"),
            host.decode("latin-1") if host is not None else None,
            origin.decode("latin-1") if origin is not None else None,
        )

    def _lifespan_send(self, send: Send) -> Send:
        async def lifespan_send(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.service.aclose()
            await send(message)

        return lifespan_send


def client_address(scope: Scope) -> str | None:
    """The transport peer's address as the server reports it, never a forgeable header
    such as ``X-Forwarded-For`` (behind a proxy, the server sets it: uvicorn
    ``--forwarded-allow-ips``)."""
    peer = scope.get("client")
    return peer[0] if peer else None


def _route_path(path: str, root_path: str) -> str:
    """``path`` as the app's routes see it, the way Starlette's router reads it: without
    the ``root_path`` it is mounted at, when the path goes on after it with ``/`` (ASGI
    paths include the root path; routes, ``logout_route`` among them, match what
    follows it), as WSGI's ``PATH_INFO`` and Django's ``path_info`` are. The root path
    is taken as given: under ``/`` the route path of ``//logout`` is ``/logout``."""
    if not path.startswith(root_path):
        return path
    rest = path[len(root_path) :]
    return rest if rest.startswith("/") or not rest else path


def _with_csrf_cookie(scope: Scope, send: Send) -> Send:
    """``send`` that adds the CSRF nonce cookie a token helper made during the request
    (``web.csrf_nonce``: see ``routes.logout_csrf_token``). A plain function handing
    back ``send``'s own awaitable: every request without an Okta cookie goes through
    it, and a coroutine of its own per message would cost more than the rest of it."""

    def send_with_cookie(message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":
            cookie = nonce_set_cookie(scope)
            if cookie is not None:
                headers = [*message.get("headers", ()), (b"set-cookie", cookie.encode())]
                message = {**message, "headers": headers}
        return send(message)

    return send_with_cookie


async def _send_reply(kind: str, reply: Reply, send: Send) -> None:
    if kind == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": "Okta session required"})
        return
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
    headers.append((b"content-length", str(len(reply.body)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})
