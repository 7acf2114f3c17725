"""The app the push-revocation benchmark serves, and the uvicorn processes that serve it.

``create_app()`` is a Starlette app with ``OktaSessionMiddleware`` configured from
``OKTA_*`` environment variables (the benchmark sets ``OKTA_CACHE_URL`` to a shared
``redis-server``, ``OKTA_EVENT_HOOK_SECRETS`` and a long ``OKTA_CACHE_TTL``) and
``event_hook_route(config)`` mounted::

    GET  /whoami            200 {"pid": ..., "session": <id>} signed in, 401 signed out
    GET  /healthz           "ok" (exempt from lookups)
    GET|POST /okta/event-hook   the library's event hook endpoint

``push_workers(n, env)`` starts ``n`` uvicorn processes of it (``WorkerPool``), one
loopback port each (as behind a load balancer), so the benchmark can send requests
round-robin over them and the fake Okta's deliveries to one of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from okta_session_mw import OktaSessionConfig, OktaSessionMiddleware, event_hook_route
from tests.support.workers import WorkerPool

__all__ = ["create_app", "push_workers"]


def create_app() -> Starlette:
    """The benchmark's worker app, configured from the environment."""
    config = OktaSessionConfig.from_env(exempt_paths=("/healthz",))

    async def whoami(request: Request) -> Response:
        session = request.state.okta_session
        if session is None:
            return JSONResponse({"pid": os.getpid(), "session": None}, status_code=401)
        return JSONResponse({"pid": os.getpid(), "session": session.id})

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[Route("/whoami", whoami), Route("/healthz", healthz), event_hook_route(config)],
        middleware=[Middleware(OktaSessionMiddleware, config=config)],
    )


def push_workers(count: int, env: Mapping[str, str]) -> WorkerPool:
    """``count`` uvicorn processes of ``create_app``; ``urls[i]`` is worker ``i``."""
    return WorkerPool(count, env, app=f"{__name__}:create_app", startup_timeout=30.0)
