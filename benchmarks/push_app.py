"""The app the push-revocation benchmark serves, and the uvicorn processes that serve it.

``create_app()`` is a Starlette app with ``OktaSessionMiddleware`` configured from
``OKTA_*`` environment variables (the benchmark sets ``OKTA_CACHE_URL`` to a shared
``redis-server``, ``OKTA_EVENT_HOOK_SECRETS`` and a long ``OKTA_CACHE_TTL``) and
``event_hook_route(config)`` mounted::

    GET  /whoami            200 {"pid": ..., "session": <id>} signed in, 401 signed out
    GET  /healthz           "ok" (exempt from lookups)
    GET|POST /okta/event-hook   the library's event hook endpoint

``PushWorkers(n, env)`` starts ``n`` uvicorn processes of it, one loopback port each (as
behind a load balancer), so the benchmark can send requests round-robin over them and
the fake Okta's deliveries to one of them. The processes import this module by its
path, so they get the repository root on ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from benchmarks.load_tools import REPO_ROOT
from okta_session_mw import OktaSessionConfig, OktaSessionMiddleware, event_hook_route
from okta_session_mw.testing.redis_server import free_port

__all__ = ["PushWorkers", "create_app"]


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


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=0.5) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


class PushWorkers:
    """``count`` uvicorn processes of ``create_app``; ``urls[i]`` is worker ``i``."""

    def __init__(self, count: int, env: Mapping[str, str], *, startup_timeout: float = 30.0):
        self.count = count
        self.env = {**os.environ, **env}
        search_path = [str(REPO_ROOT), self.env.get("PYTHONPATH", "")]
        self.env["PYTHONPATH"] = os.pathsep.join(part for part in search_path if part)
        self.startup_timeout = startup_timeout
        self.urls: list[str] = []
        self._processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        for _ in range(self.count):
            port = free_port()
            command = [sys.executable, "-m", "uvicorn", f"{__name__}:create_app", "--factory"]
            command += ["--host", "127.0.0.1", "--port", str(port)]
            command += ["--log-level", "warning", "--no-access-log", "--lifespan", "on"]
            self._processes.append(
                subprocess.Popen(command, env=self.env, stdin=subprocess.DEVNULL, cwd=REPO_ROOT)
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

    def __enter__(self) -> PushWorkers:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
