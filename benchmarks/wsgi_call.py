"""Calling a WSGI app directly, as a server would, with no network in between."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from typing import Any

from benchmarks.browser_request import BROWSER_HEADERS

__all__ = ["WSGIApp", "WsgiVariant", "call_wsgi", "time_wsgi", "wsgi_environ"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WsgiVariant:
    """One WSGI app to measure and the ``Cookie`` header its requests carry."""

    def __init__(self, key: str, label: str, app: WSGIApp, cookie: str) -> None:
        self.key = key
        self.label = label
        self.app = app
        self.cookie = cookie


def wsgi_environ(cookie: str, path: str = "/") -> dict[str, Any]:
    """A GET environ as a WSGI server would build it for the browser request."""
    headers = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in BROWSER_HEADERS}
    return {
        **headers,
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_COOKIE": cookie,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def call_wsgi(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call ``app`` once: status line, headers and body."""
    seen: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen[:] = [status, headers]

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return seen[0], seen[1], body


def time_wsgi(app: WSGIApp, template: dict[str, Any], n: int) -> float:
    """Seconds for ``n`` calls of ``app`` (each with its own copy of the environ)."""
    start_response = _start_response
    started = time.perf_counter()
    for _ in range(n):
        environ = dict(template)
        environ["wsgi.input"] = io.BytesIO(b"")
        result = app(environ, start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return time.perf_counter() - started
