"""Shared set-up: a served fake Okta, a small Starlette app, a real uvicorn server.

The fake Okta fixtures come from ``okta_session_mw.testing``; everything here talks to
it over real HTTP on loopback.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp
from starlette.websockets import WebSocket

from okta_session_mw import (
    OktaSessionConfig,
    OktaSessionMiddleware,
    SessionService,
    logout_route,
    okta_session_required,
)
from okta_session_mw.testing import FakeOkta, serve_fake_okta

API_TOKEN = "00-test-api-token-do-not-log"
LOGIN = "ann@example.com"
PASSWORD = "correct horse"


@pytest.fixture
def okta() -> Iterator[FakeOkta]:
    """A fake Okta with one user (``LOGIN``), served on a free loopback port."""
    fake = FakeOkta(api_token=API_TOKEN)
    fake.add_user(LOGIN, PASSWORD, first_name="Ann", last_name="Example")
    with serve_fake_okta(fake):
        yield fake


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve_uvicorn(app: ASGIApp) -> Iterator[str]:
    """Serve ``app`` with a real uvicorn server in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
async def service(okta: FakeOkta) -> AsyncIterator[SessionService]:
    """A SessionService on the fake's clock; closed after the test."""
    svc = SessionService(make_config(okta), clock=okta.now)
    yield svc
    await svc.aclose()


@pytest.fixture
async def client(service: SessionService) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client calling ``make_app(service)`` in-process (ASGI)."""
    transport = httpx.ASGITransport(app=make_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def me_calls(fake: FakeOkta) -> int:
    """How many GetCurrentSession calls reached the fake."""
    return len(fake.calls_to("GET", "/api/v1/sessions/me"))


@contextmanager
def serve_uvicorn_process(module_app: str, env: dict[str, str]) -> Iterator[str]:
    """Serve ``module:app`` with uvicorn in its own process (its own GIL); yields its URL."""
    import os
    import subprocess
    import sys

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", module_app, "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env={**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn {module_app} did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)
