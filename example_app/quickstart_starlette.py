"""Starlette quickstart (shown in the README; run by tests/test_quickstarts.py).

    export OKTA_ORG_URL=https://example.okta.com
    uvicorn --factory example_app.quickstart_starlette:create_app
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from okta_session_mw import (
    OktaSessionConfig,
    OktaSessionMiddleware,
    logout_route,
    okta_session_required,
)


async def home(request: Request) -> JSONResponse:
    session = request.state.okta_session  # a Session, or None
    return JSONResponse({"signed_in_as": session.login if session else None})


@okta_session_required  # browsers go to login_url, API calls get 401, 503 if Okta is down
async def profile(request: Request) -> JSONResponse:
    session = request.state.okta_session
    return JSONResponse({"login": session.login, "expires_at": session.expires_at.isoformat()})


def create_app(config: OktaSessionConfig | None = None) -> Starlette:
    """The app for ``config``; without one, for ``OKTA_ORG_URL`` and the other ``OKTA_*``."""
    config = config or OktaSessionConfig.from_env()
    return Starlette(
        routes=[Route("/", home), Route("/profile", profile), logout_route(config)],
        middleware=[Middleware(OktaSessionMiddleware, config=config)],
    )


def __getattr__(name: str) -> Starlette:  # `uvicorn example_app.quickstart_starlette:app`
    if name == "app":
        return create_app(OktaSessionConfig.from_env())
    raise AttributeError(name)
