"""How one Okta call runs, retries included: a sub-flow of the engine's protocol.

:func:`call_flow` yields :class:`~okta_session_mw.engine.effects.Send` with the request
(the runner sends back the ``httpx.Response``, or throws in the ``httpx.HTTPError``),
:class:`~okta_session_mw.engine.effects.Sleep` to wait out a 429 or, before reading a
body over 64 KiB, :data:`~okta_session_mw.engine.effects.PARSE`; it finally returns the
parsed result or raises the typed error. The clients run it alone; the middleware's
flows reach it with ``yield from``, so the retry rules, the rate-limit bookkeeping and
the mapping of httpx's errors exist exactly once. The rate-limit figures are always
observed in the runner's own thread, before the PARSE step.

Retries happen only on 429 and only when asked for (``max_retries > 0``), the way
Okta's own SDKs do them: wait until ``X-Rate-Limit-Reset`` as measured on Okta's clock
(the response's ``Date``), plus one second; send ``X-Okta-Retry-For`` and
``X-Okta-Retry-Count``; give up, raising the 429's :class:`OktaRateLimitError`, when
the wait would overrun the ``max_retry_wait`` budget or Reset is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx

from okta_session_mw.engine.effects import PARSE, Flow, Send, Sleep, TokenSource
from okta_session_mw.errors import (
    OktaConnectionError,
    OktaInvalidResponseError,
    OktaResponseTooLargeError,
    OktaTimeoutError,
    OktaTransportError,
    RateLimit,
)
from okta_session_mw.okta.bounded_body import ResponseTooLarge
from okta_session_mw.okta.operations import Call, parse_rate_limit, raise_for_status

__all__ = [
    "LARGE_BODY_BYTES",
    "RetryPolicy",
    "call_flow",
    "retry_delay",
    "transport_error",
]

T = TypeVar("T")

LARGE_BODY_BYTES = 64 * 1024
"""An answer whose body is larger is read (JSON, then the Session or error) in a step
of its own, after :data:`~okta_session_mw.engine.effects.PARSE`: up to a megabyte of
JSON is tenths of a second of CPU."""


logger = logging.getLogger("okta_session_mw")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many 429s to wait out, and how long to wait in total for one call."""

    max_retries: int = 0
    max_wait: float = 30.0


def retry_delay(headers: httpx.Headers, rate_limit: RateLimit, now: float) -> float | None:
    """Seconds to wait before retrying a 429, or None when Okta gave no Reset.

    ``Reset - Date + 1`` (the SDKs' formula; ``Date`` has whole seconds, so the extra
    second makes sure the window has turned), never negative. ``now`` (the local
    clock) stands in for a missing or unreadable ``Date``.
    """
    return rate_limit.wait_seconds(now)


def transport_error(exc: httpx.HTTPError, call_name: str) -> OktaTransportError:
    """The library's error for an httpx failure: no answer from Okta, never an API error.

    The message names the operation and the kind of failure, nothing that was sent;
    the httpx error stays the ``__cause__`` for debugging.
    """
    if isinstance(exc, httpx.TimeoutException):
        kind = type(exc).__name__
        return OktaTimeoutError(f"Okta did not answer {call_name} in time ({kind})")
    if isinstance(exc, ResponseTooLarge):
        return OktaResponseTooLargeError(
            f"Okta's answer to {call_name} is larger than max_response_bytes ({exc.limit})",
            limit=exc.limit,
            status_code=exc.status_code,
        )
    if isinstance(exc, httpx.DecodingError | httpx.TooManyRedirects):
        return OktaInvalidResponseError(f"Okta's answer to {call_name} could not be read")
    detail = type(exc).__name__
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError) and str(exc):
        # OS and peer messages ("Connection refused"). A LocalProtocolError could quote
        # one of our own headers, so its text is never shown.
        detail = f"{detail}: {str(exc)[:200]}"
    return OktaConnectionError(f"connection to Okta failed during {call_name} ({detail})")


def call_flow(
    call: Call[T],
    request: httpx.Request,
    *,
    retry: RetryPolicy,
    clock: Callable[[], float],
    observe: Callable[[RateLimit], None],
    token: TokenSource | None = None,
) -> Flow[T]:
    """Send ``request``, wait out 429s as ``retry`` allows, and read the final answer.

    ``clock`` (epoch seconds) is used only when a 429 has no ``Date``; ``observe``
    receives the rate-limit figures of every response; ``token``: the request's bearer
    token is fetched by the sending shell (see ``Send``).
    """
    attempt = 0
    waited = 0.0
    while True:
        response = yield from _sent(call.name, request, token)
        rate_limit = parse_rate_limit(response.headers)
        observe(rate_limit)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("okta %s: HTTP %d", call.name, response.status_code)
        if response.status_code == 429 and attempt < retry.max_retries:
            delay = retry_delay(response.headers, rate_limit, clock())
            if delay is not None and waited + delay <= retry.max_wait:
                attempt += 1
                try:
                    yield Sleep(delay)
                except OktaTimeoutError:  # no time left to wait it out: the 429 is the answer
                    logger.warning("okta %s: rate limited (429); no time left to retry", call.name)
                else:
                    logger.warning(
                        "okta %s: rate limited (429); retry %d/%d after %.1fs",
                        call.name, attempt, retry.max_retries, delay,
                    )  # fmt: skip
                    waited += delay
                    request = _retry_request(request, response, attempt)
                    continue
            logger.warning(
                "okta %s: rate limited (429); not retrying (reset %s, %.1fs of %.1fs waited)",
                call.name, rate_limit.reset, waited, retry.max_wait,
            )  # fmt: skip
        if len(response.content) > LARGE_BODY_BYTES:
            yield PARSE
        raise_for_status(response, rate_limit)
        return call.parse(response)


def _sent(name: str, request: httpx.Request, token: TokenSource | None) -> Flow[httpx.Response]:
    """Okta's answer to ``request``; a transport failure becomes the library's error."""
    try:
        response = yield Send(request, token)
    except ResponseTooLarge as exc:  # a 429 means "slow down", whatever its body
        if exc.status_code != 429:
            raise transport_error(exc, name) from exc
        return exc.answer
    except httpx.HTTPError as exc:
        raise transport_error(exc, name) from exc
    if not isinstance(response, httpx.Response):
        raise TypeError("a flow expects the response to the request it yielded")
    return response


def _retry_request(request: httpx.Request, failed: httpx.Response, attempt: int) -> httpx.Request:
    """The same request again, labelled as a retry the way Okta's SDKs label it."""
    headers = request.headers.copy()
    request_id = failed.headers.get("X-Okta-Request-Id")
    if request_id:
        headers["X-Okta-Retry-For"] = request_id
    headers["X-Okta-Retry-Count"] = str(attempt)
    return httpx.Request(
        request.method,
        request.url,
        headers=headers,
        content=request.content,
        extensions=request.extensions,
    )
