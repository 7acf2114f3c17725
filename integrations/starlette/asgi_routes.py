"""``with_okta_routes``: this library's Starlette routes in front of any ASGI app (issue 15.7).

Litestar, Quart and other ASGI frameworks run under ``OktaSessionMiddleware`` as they
are (it is pure ASGI), but ``logout_route(config)`` and ``event_hook_route(config)`` are
Starlette ``Route`` objects, which those frameworks cannot mount (Quart) or mount only
through a handler of their own (Litestar). This answers them before the app sees the
request; every other request, WebSocket and lifespan message goes to the app untouched.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["with_okta_routes"]


def with_okta_routes(app: ASGIApp, *routes: BaseRoute) -> ASGIApp:
    """``app`` with ``routes`` answered first, matched as Starlette's router matches them
    (the path the routes see, under any ``root_path``; a wrong method gets 405). Put it
    inside the middleware, which the routes need: ``OktaSessionMiddleware(
    with_okta_routes(app, logout_route(config)), config=config)``."""

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in routes:
                match, child_scope = route.matches(scope)
                if match is not Match.NONE:
                    scope.update(child_scope)
                    await route.handle(scope, receive, _explicit_more_body(send))
                    return
        await app(scope, receive, send)

    return dispatch


def _explicit_more_body(send: Send) -> Send:
    """``send`` that spells out ``more_body`` (ASGI's default, False) on a body message.

    Starlette leaves it out, as ASGI allows; Quart's test client (0.23) reads
    ``message["more_body"]`` and fails on a Starlette response without it. Only the
    routes' own answers pass here, never the app's."""

    async def send_explicit(message: Message) -> None:
        if message["type"] == "http.response.body" and "more_body" not in message:
            message = {**message, "more_body": False}
        await send(message)

    return send_explicit
