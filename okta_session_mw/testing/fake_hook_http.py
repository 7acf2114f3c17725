"""The fake Okta's outbound HTTP: one call to an event hook's endpoint, bounded in time.

Standard library only (``http.client``), like the rest of the fake, and no proxy: Okta
calls the hook's URL directly. The bound is Okta's: the endpoint must have answered within
``timeout`` seconds of the call starting (connecting, sending and waiting for the answer
and reading the answer share it).
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = ["MAX_ANSWER_BYTES", "call_hook", "check_hook_url"]

MAX_ANSWER_BYTES = 64 * 1024
"""Read at most this much of an endpoint's answer (a verification echo is ~60 bytes)."""


def check_hook_url(url: str) -> None:
    """``ValueError`` unless ``url`` is an absolute ``http`` or ``https`` URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("an event hook's url must be an absolute http:// or https:// URL")


def call_hook(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
) -> tuple[int, bytes]:
    """Send one request; ``(status, answer body)``.

    Raises ``TimeoutError`` when no answer came within ``timeout``, ``OSError`` or
    ``http.client.HTTPException`` when the connection failed or the answer was not HTTP.
    """
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    connection_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_type(parts.hostname or "", parts.port, timeout=timeout)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers=dict(headers))
        _shrink_timeout(connection, deadline)
        response = connection.getresponse()
        _shrink_timeout(connection, deadline)
        return response.status, response.read(MAX_ANSWER_BYTES)
    finally:
        connection.close()


def _shrink_timeout(connection: http.client.HTTPConnection, deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("the endpoint did not answer in time")
    if connection.sock is not None:
        connection.sock.settimeout(remaining)
