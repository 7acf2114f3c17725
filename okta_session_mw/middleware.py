"""``OktaSessionMiddleware``: pure ASGI, for ``http`` and ``websocket`` scopes.

For each request it reads the ``Cookie`` header, resolves the Okta session through the
``SessionService`` (cache, single flight, refresh, stale-if-error), and puts it in
``scope["okta_session"]`` and ``request.state.okta_session``. Nothing it does raises
into the app: a failure is logged and the request goes on without a session.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.cookies import asgi_cookie_header
from okta_session_mw.effects import Resolution
from okta_session_mw.reply import Reply
from okta_session_mw.service import SessionService

__all__ = ["RESOLUTION_KEY", "SERVICE_KEY", "OktaSessionDenied", "OktaSessionMiddleware"]

SERVICE_KEY = "okta_session_mw.service"
RESOLUTION_KEY = "okta_session_mw.resolution"


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
        if kind == "lifespan":
            await self.app(scope, receive, self._lifespan_send(send))
            return
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope[SERVICE_KEY] = self.service
        peer = scope.get("client")  # the transport peer: never a forgeable header
        ready = self.service.prepare(
            asgi_cookie_header(scope["headers"]), scope["path"], peer[0] if peer else None
        )
        resolution = ready if isinstance(ready, Resolution) else await self.service.afinish(ready)
        scope[RESOLUTION_KEY] = resolution
        scope["okta_session"] = resolution.session
        scope.setdefault("state", {})["okta_session"] = resolution.session
        try:
            await self.app(scope, receive, send)
        except OktaSessionDenied as denied:
            await _send_reply(kind, denied.reply, send)

    def _lifespan_send(self, send: Send) -> Send:
        async def lifespan_send(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.service.aclose()
            await send(message)

        return lifespan_send


async def _send_reply(kind: str, reply: Reply, send: Send) -> None:
    if kind == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": "Okta session required"})
        return
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
    headers.append((b"content-length", str(len(reply.body)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})
