"""The fake Okta's outbound HTTP: one call to an event hook's endpoint, bounded in time.

Standard library only (``http.client``), like the rest of the fake, and no proxy: Okta
calls the hook's URL directly. The bound is Okta's: the endpoint must have answered within
``timeout`` seconds of the call starting (connecting, sending and waiting for the answer
and reading the answer share it).
"""

from __future__ import annotations

import http.client
import json
import secrets
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

from okta_session_mw.testing.fake_hook_records import EventHookVerificationError

__all__ = ["MAX_ANSWER_BYTES", "call_hook", "check_hook_url", "describe", "verify_endpoint"]

CHALLENGE_HEADER = "X-Okta-Verification-Challenge"

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


def verify_endpoint(url: str, headers: Mapping[str, str], timeout: float) -> None:
    """Okta's one-time verification of an event hook's endpoint: a ``GET`` with the
    hook's headers and a fresh ``X-Okta-Verification-Challenge``, to be answered 200
    ``{"verification": <the challenge>}``; else ``EventHookVerificationError``."""
    challenge = secrets.token_urlsafe(30)
    sent = {**headers, CHALLENGE_HEADER: challenge}
    sent.pop("Content-Type", None)  # a GET without a body
    try:
        status, answer = call_hook("GET", url, sent, None, timeout)
    except TimeoutError:
        raise EventHookVerificationError(url, None, f"no answer within {timeout} s") from None
    except Exception as exc:  # OSError, http.client.HTTPException (an answer not HTTP)
        raise EventHookVerificationError(url, None, describe(exc)) from None
    if status != 200:
        raise EventHookVerificationError(url, status, f"status {status}, not 200")
    try:
        echoed = json.loads(answer).get("verification")
    except (ValueError, AttributeError):
        echoed = None
    if echoed != challenge:
        raise EventHookVerificationError(
            url, status, 'the body is not {"verification": <the challenge>}'
        )


def describe(exc: BaseException) -> str:
    """An error for a record or message: its type and text (which hold no header)."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
