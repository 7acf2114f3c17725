"""Several real worker processes of one small app, to test a deployment shape.

``WorkerPool(4, env)`` starts 4 ``uvicorn`` processes (uvicorn must be installed),
each on its own loopback port, each serving ``create_app()``: a Starlette app with
``OktaSessionMiddleware`` configured from ``OKTA_*`` environment variables
(``OKTA_ORG_URL``, ``OKTA_CACHE_URL``, ``OKTA_SECRET_KEY``, ``OKTA_CACHE_TTL``...)::

    GET  /whoami    {"pid": ..., "session": <session id or null>, "status": ...}
    GET  /stats     the worker's SessionStats snapshot
    GET  /healthz   "ok" (exempt from lookups)
    POST /logout    logout_route (send Origin: the worker's own origin)

This project's own test tool (the Redis tests and ``benchmarks/redis_workers.py``), not
part of the library: point it at ``serve_fake_okta`` and a ``RedisServer`` to watch
sessions travel between workers. The workers import this module by its path
(``tests.support.workers``), so they get the repository root on ``PYTHONPATH``, wherever
the caller runs from.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.integrations.starlette.middleware import OktaSessionMiddleware
from okta_session_mw.integrations.starlette.protect import get_service
from okta_session_mw.integrations.starlette.routes import logout_route
from okta_session_mw.testing.redis_server import free_port

__all__ = ["WorkerPool", "create_app"]

REPO_ROOT = Path(__file__).resolve().parents[2]  # this file is <repo>/tests/support/


def create_app() -> Starlette:
    """The worker app, configured from the environment (``OKTA_EXEMPT_PATHS`` gets /healthz)."""
    config = OktaSessionConfig.from_env(exempt_paths=("/healthz",))

    async def whoami(request: Request) -> Response:
        session = request.state.okta_session
        return JSONResponse(
            {
                "pid": os.getpid(),
                "session": session.id if session is not None else None,
                "status": session.status.value if session is not None else None,
            }
        )

    async def stats(request: Request) -> Response:
        return JSONResponse(get_service(request).stats.snapshot())

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [Route("/whoami", whoami), Route("/stats", stats), Route("/healthz", healthz)]
    return Starlette(
        routes=[*routes, logout_route(config)],
        middleware=[Middleware(OktaSessionMiddleware, config=config)],
    )


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=0.5) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


class WorkerPool:
    """``count`` uvicorn processes of ``app`` (this module's ``create_app`` unless told);
    ``urls[i]`` is worker ``i``."""

    def __init__(
        self,
        count: int,
        env: Mapping[str, str],
        *,
        app: str = f"{__name__}:create_app",
        startup_timeout: float = 20.0,
    ):
        self.count = count
        self.app = app  # "module:factory", each worker's app (it must answer GET /healthz)
        self.env = {**os.environ, **env}
        search_path = [str(REPO_ROOT), self.env.get("PYTHONPATH", "")]
        self.env["PYTHONPATH"] = os.pathsep.join(part for part in search_path if part)
        self.startup_timeout = startup_timeout
        self.urls: list[str] = []
        self._processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        for _ in range(self.count):
            port = free_port()
            command = [sys.executable, "-m", "uvicorn", self.app, "--factory"]
            command += ["--host", "127.0.0.1", "--port", str(port)]
            command += ["--log-level", "warning", "--no-access-log", "--lifespan", "on"]
            self._processes.append(
                subprocess.Popen(command, env=self.env, stdin=subprocess.DEVNULL)
            )
            self.urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + self.startup_timeout
        waiting = list(self.urls)
        while waiting:
            if time.monotonic() > deadline or any(p.poll() is not None for p in self._processes):
                self.stop()
                raise RuntimeError("worker processes did not start (see their output above)")
            waiting = [url for url in waiting if not _ready(url)]
            if waiting:
                time.sleep(0.05)

    def stop(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
        self.urls.clear()

    def __enter__(self) -> WorkerPool:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
