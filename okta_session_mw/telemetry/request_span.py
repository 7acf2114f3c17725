"""The CLIENT span and the duration point of one HTTP request to Okta.

Follows OpenTelemetry's semantic conventions for HTTP client spans and the
``http.client.request.duration`` metric: the span is named ``{method} {url.template}``
and carries ``http.request.method``, ``server.address``, ``server.port``,
``url.template``, ``http.response.status_code``, ``http.request.resend_count`` on a
retry, and ``error.type`` (the status as text for 4xx/5xx, the exception's class name
when no answer came). Ours beside them: ``okta_session_mw.operation`` and the answer's
rate-limit figures (``okta_session_mw.rate_limit.limit``/``remaining``/``reset``, ints).

Never recorded: ``url.full`` (a path can hold a session or user id: the template
stands in), any header (cookies, tokens), an exception's message (an httpx error can
quote what was sent) or an exception event. The span is a child of the span current
where the request is sent (the app's server span: the sync runner's call thread runs
in the request's context).
"""

from __future__ import annotations

import time
from types import TracebackType

import httpx
from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from okta_session_mw.okta.answer_status import parse_rate_limit
from okta_session_mw.telemetry.providers import current
from okta_session_mw.telemetry.templates import endpoint_of

__all__ = [
    "OPERATION",
    "RATE_LIMIT_LIMIT",
    "RATE_LIMIT_REMAINING",
    "RATE_LIMIT_RESET",
    "RequestSpan",
]

OPERATION = "okta_session_mw.operation"
RATE_LIMIT_LIMIT = "okta_session_mw.rate_limit.limit"
RATE_LIMIT_REMAINING = "okta_session_mw.rate_limit.remaining"
RATE_LIMIT_RESET = "okta_session_mw.rate_limit.reset"

_DEFAULT_PORTS = {"https": 443, "http": 80}


class RequestSpan:
    """Entered around one send: starts the span, then ends it with what came back."""

    __slots__ = (
        "_attributes",
        "_providers",
        "_request",
        "_response",
        "_span",
        "_started",
        "_token",
    )

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        self._response: httpx.Response | None = None

    def __enter__(self) -> RequestSpan:
        request = self._request
        url = request.url
        method = request.method
        attributes: dict[str, AttributeValue] = {
            "http.request.method": method,
            "server.address": url.host,
            "server.port": url.port or _DEFAULT_PORTS.get(url.scheme, 443),
        }
        endpoint = endpoint_of(method, url.path)
        name = method
        if endpoint is not None:
            attributes["url.template"] = endpoint.template
            attributes[OPERATION] = endpoint.operation
            name = f"{method} {endpoint.template}"
        self._attributes = attributes
        resend = request.headers.get("X-Okta-Retry-Count", "")  # set by call_flow, a number
        span_attributes = dict(attributes)
        if resend.isdigit():
            span_attributes["http.request.resend_count"] = int(resend)
        self._providers = current()  # both ends of one request report to the same place
        self._span = self._providers.tracer.start_span(
            name, kind=SpanKind.CLIENT, attributes=span_attributes
        )
        self._token = context.attach(trace.set_span_in_context(self._span))
        self._started = time.perf_counter()
        return self

    def answered(self, response: httpx.Response) -> httpx.Response:
        self._response = response
        return response

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        seconds = time.perf_counter() - self._started
        context.detach(self._token)
        span, attributes, response = self._span, self._attributes, self._response
        error_type: str | None = None
        if exc_type is not None:
            error_type = exc_type.__qualname__
        elif response is not None:
            status = response.status_code
            attributes["http.response.status_code"] = status
            if status >= 400:
                error_type = str(status)
        if error_type is not None:
            attributes["error.type"] = error_type
        if span.is_recording():
            span.set_attributes(attributes)
            if response is not None:
                span.set_attributes(_rate_limit_attributes(response.headers))
            if error_type is not None:
                span.set_status(Status(StatusCode.ERROR))  # no description: see the docstring
        span.end()
        self._providers.request_duration.record(seconds, attributes)


def _rate_limit_attributes(headers: httpx.Headers) -> dict[str, AttributeValue]:
    """The figures Okta sent, as ints; a missing or unreadable one is left out."""
    figures = parse_rate_limit(headers)
    found = {
        RATE_LIMIT_LIMIT: figures.limit,
        RATE_LIMIT_REMAINING: figures.remaining,
        RATE_LIMIT_RESET: figures.reset,
    }
    return {name: value for name, value in found.items() if value is not None}
