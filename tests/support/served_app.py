"""The test app as a module a separate uvicorn process can serve (``tests.support.served_app:app``).

Configured from ``OKTA_*`` environment variables; ``GET /_stats`` reports the
service's counters and cache size so a test in another process can check them.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from okta_session_mw import OktaSessionConfig, SessionService
from tests.support.apps import make_app

service = SessionService(OktaSessionConfig.from_env())


async def stats(request: Request) -> JSONResponse:
    return JSONResponse({"stats": service.stats.snapshot(), "cache_size": len(service.cache)})


app = make_app(service)
app.router.routes.append(Route("/_stats", stats))
