"""FastAPI quickstart (shown in the README; run by tests/test_quickstarts.py).

    OKTA_ORG_URL=https://example.okta.com uvicorn example_app.quickstart_fastapi:app
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI
from starlette.middleware import Middleware

from okta_session_mw import (
    OktaSessionConfig,
    OktaSessionMiddleware,
    Session,
    logout_route,
    optional_okta_session,
    require_okta_session,
)


def create_app(config: OktaSessionConfig) -> FastAPI:
    app = FastAPI(middleware=[Middleware(OktaSessionMiddleware, config=config)])
    app.router.routes.append(logout_route(config))  # POST /logout, CSRF-safe

    @app.get("/")
    async def home(
        session: Annotated[Session | None, Depends(optional_okta_session)],
    ) -> dict[str, str | None]:
        return {"signed_in_as": session.login if session else None}

    @app.get("/api/me")
    async def me(session: Annotated[Session, Depends(require_okta_session)]) -> dict[str, str]:
        return {"login": session.login or "", "status": session.status.value}

    return app


def __getattr__(name: str) -> FastAPI:  # `uvicorn example_app.quickstart_fastapi:app`
    if name == "app":
        return create_app(OktaSessionConfig.from_env())
    raise AttributeError(name)
