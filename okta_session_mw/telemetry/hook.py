"""What the clients call around each request to Okta: nothing at all unless
OpenTelemetry is in use.

``okta_request(request)`` is a context manager the two clients' ``send`` enter around
one HTTP request (each retry is a request of its own). While no part of the process has
imported ``opentelemetry``, it is a shared do-nothing object: one ``sys.modules`` lookup
per Okta call, never an import, nothing on the cache-hit path (which makes no Okta
call). Once ``opentelemetry`` is imported (an app configuring a provider, or
:func:`okta_session_mw.telemetry.instrument`), each request gets a CLIENT span and a
point of ``http.client.request.duration`` (``telemetry/request_span.py``).
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Protocol

import httpx

__all__ = ["RequestTelemetry", "okta_request"]


class RequestTelemetry(Protocol):
    """One request to Okta as telemetry sees it; ``answered`` hands the response back."""

    def __enter__(self) -> RequestTelemetry: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def answered(self, response: httpx.Response) -> httpx.Response: ...


class _Off:
    """Telemetry off: enter, answer and leave do nothing."""

    __slots__ = ()

    def __enter__(self) -> _Off:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def answered(self, response: httpx.Response) -> httpx.Response:
        return response


_OFF = _Off()


def okta_request(request: httpx.Request) -> RequestTelemetry:
    """The telemetry of sending ``request`` to Okta (enter it around the send)."""
    if "opentelemetry" not in sys.modules:
        return _OFF
    from okta_session_mw.telemetry.request_span import RequestSpan

    return RequestSpan(request)
