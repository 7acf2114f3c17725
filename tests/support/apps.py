"""The Starlette app most tests drive, and the config that points it at the fake org.

``make_config(fake, **overrides)`` is a config for the served fake (this suite's API
token, a 1 s timeout); ``make_app(service)`` serves public, protected (async and sync),
static, WebSocket and logout routes behind ``OktaSessionMiddleware``. Every route answers
what the middleware attached, so a test reads the session off the response.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from okta_session_mw import (
    OktaSessionConfig,
    OktaSessionMiddleware,
    SessionService,
    logout_route,
    okta_session_required,
)
from okta_session_mw.testing import FakeOkta
from tests.support.okta_users import API_TOKEN

__all__ = ["make_app", "make_config"]


def make_config(fake: FakeOkta, **overrides: object) -> OktaSessionConfig:
    assert fake.base_url is not None
    settings: dict[str, object] = {"org_url": fake.base_url, "api_token": API_TOKEN, "timeout": 1.0}
    settings.update(overrides)
    return OktaSessionConfig(**settings)  # type: ignore[arg-type]


def _session_json(request: Request) -> JSONResponse:
    session = request.state.okta_session
    return JSONResponse(
        {"login": session.login if session else None, "id": session.id if session else None}
    )


async def public(request: Request) -> JSONResponse:
    return _session_json(request)


@okta_session_required
async def private(request: Request) -> JSONResponse:
    return _session_json(request)


@okta_session_required
def private_sync(request: Request) -> JSONResponse:
    return _session_json(request)


async def static(request: Request) -> PlainTextResponse:
    return PlainTextResponse(repr(request.scope.get("okta_session")))


async def ws(websocket: WebSocket) -> None:
    await websocket.accept()
    session = websocket.scope["okta_session"]
    await websocket.send_text(session.login if session else "anonymous")
    await websocket.close()


def make_app(service: SessionService) -> Starlette:
    """The app most tests drive: public, protected (async and sync), static, ws, logout."""
    return Starlette(
        routes=[
            Route("/", public),
            Route("/private", private),
            Route("/private-sync", private_sync),
            Route("/static/app.css", static),
            WebSocketRoute("/ws", ws),
            logout_route(service.config),
        ],
        middleware=[Middleware(OktaSessionMiddleware, service=service)],
    )
