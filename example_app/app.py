"""``create_app(config, fake=None)``: the example FastAPI app, built from the public API.

``config`` says where Okta is (a real org, or the fake's loopback URL) and carries the
API token that sign-in (CreateSession) and the admin revoke need. ``fake`` turns on
the admin page and the demo users on the sign-in page, and registers the fake's event
hook to this app's ``event_hook_route`` (mounted in both cases; it refuses every call
while ``event_hook_secrets`` is empty).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.staticfiles import StaticFiles

from example_app import admin, admin_okta, views
from example_app.activity import SessionActivity
from example_app.okta_hook import HookRegistration
from example_app.templating import HERE
from okta_session_mw import (
    AsyncOktaSessionClient,
    OktaSessionConfig,
    OktaSessionMiddleware,
    SessionService,
    event_hook_route,
    logout_route,
)
from okta_session_mw.testing import FakeOkta

__all__ = ["create_app"]


def create_app(config: OktaSessionConfig, *, fake: FakeOkta | None = None) -> FastAPI:
    """The example app for ``config``; ``fake``: the FakeOkta that ``config`` points at."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The sign-in form's /authn calls; the middleware has its own pooled client.
        async with AsyncOktaSessionClient(config.org_url, timeout=config.timeout) as client:
            app.state.authn_client = client
            yield

    app = FastAPI(
        title="okta-session-mw example",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        middleware=[Middleware(OktaSessionMiddleware, service=SessionService(config))],
    )
    app.state.config = config
    app.state.fake = fake
    app.state.demo_users = fake.users if fake is not None else []
    app.state.activity = SessionActivity()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.router.routes.append(logout_route(config))
    app.router.routes.append(event_hook_route(config))
    app.include_router(views.router)
    if fake is not None:
        app.state.okta_hook = HookRegistration(fake, config)
        app.include_router(admin.router)
        app.include_router(admin_okta.router)
    return app
