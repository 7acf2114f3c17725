"""The call flow, driven by hand: 429 waits (Reset - Date + 1), budgets, retry labels,
and httpx failures mapped to transport errors once. No network at all."""

from __future__ import annotations

from collections.abc import Callable, Generator
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from okta_session_mw.engine.effects import PARSE, Flow, Send, Sleep, step
from okta_session_mw.errors import (
    OktaAPIError,
    OktaConnectionError,
    OktaInvalidResponseError,
    OktaRateLimitError,
    OktaTimeoutError,
    RateLimit,
)
from okta_session_mw.okta import operations as sansio
from okta_session_mw.okta.call_flow import (
    LARGE_BODY_BYTES,
    RetryPolicy,
    call_flow,
    retry_delay,
    transport_error,
)
from tests.support.okta_answers import NOW, SESSION, okta_error, response

# -- retry decision ------------------------------------------------------------------


def limited(reset: int | None, date: float | None = NOW, request_id: str = "r1") -> httpx.Response:
    headers = {"X-Okta-Request-Id": request_id}
    if reset is not None:
        headers["X-Rate-Limit-Reset"] = str(reset)
    if date is not None:
        headers["Date"] = formatdate(date, usegmt=True)
    return response(429, okta_error("E0000047", "API call exceeded rate limit"), headers)


@pytest.mark.parametrize(
    ("reset", "date", "now", "expected"),
    [
        (NOW + 10, NOW, NOW + 500, 11.0),  # Okta's Date wins over a skewed local clock
        (NOW + 1, NOW, NOW, 2.0),
        (NOW, NOW, NOW, 1.0),
        (NOW - 60, NOW, NOW, 0.0),
        (NOW + 5, None, NOW + 2.5, 3.5),  # no Date: the local clock
        (None, NOW, NOW, None),
    ],
)
def test_retry_delay(
    reset: int | None, date: float | None, now: float, expected: float | None
) -> None:
    answer = limited(reset, date)
    assert retry_delay(answer.headers, sansio.parse_rate_limit(answer.headers), now) == expected


def test_retry_delay_with_an_unreadable_date_uses_the_clock() -> None:
    headers = httpx.Headers({"Date": "yesterday", "X-Rate-Limit-Reset": str(NOW + 4)})
    assert retry_delay(headers, sansio.parse_rate_limit(headers), NOW) == 5.0


def plain(flow: Flow[Any]) -> Generator[object, Any, Any]:
    """The call flow with its effects as the plain values these tests compare: the
    request of a ``Send``, the seconds of a ``Sleep``, PARSE as it is."""
    value: object = None
    error: BaseException | None = None
    while True:
        done, effect = step(flow, value, error)
        if done:
            return effect
        value, error = None, None
        if isinstance(effect, Send):
            out: object = effect.request
        else:
            out = effect.seconds if isinstance(effect, Sleep) else effect
        try:
            value = yield out
        except BaseException as exc:
            error = exc


def start(
    policy: RetryPolicy, seen: list[RateLimit] | None = None
) -> tuple[Generator[object, Any, Any], httpx.Request]:
    call = sansio.get_session("s1")
    request = httpx.Request("GET", "https://example.okta.com" + call.path, headers={"A": "b"})
    observe: Callable[[RateLimit], None] = (seen if seen is not None else []).append
    flow = plain(call_flow(call, request, retry=policy, clock=lambda: NOW, observe=observe))
    assert next(flow) is request
    return flow, request


def finish(flow: Generator[object, Any, Any], answer: httpx.Response) -> Any:
    with pytest.raises(StopIteration) as done:
        flow.send(answer)
    return done.value.value


def test_flow_without_retries_raises_the_429() -> None:
    flow, _ = start(RetryPolicy(max_retries=0))
    with pytest.raises(OktaRateLimitError) as info:
        flow.send(limited(NOW + 1))
    assert info.value.reset == NOW + 1


def test_flow_waits_until_reset_then_retries_labelled() -> None:
    seen: list[RateLimit] = []
    flow, first = start(RetryPolicy(max_retries=2, max_wait=10), seen)
    assert flow.send(limited(NOW + 3, request_id="req-a")) == 4.0
    retry = flow.send(None)
    assert isinstance(retry, httpx.Request)
    assert (retry.method, retry.url, retry.headers["A"]) == ("GET", first.url, "b")
    assert retry.headers["X-Okta-Retry-For"] == "req-a"
    assert retry.headers["X-Okta-Retry-Count"] == "1"
    assert "X-Okta-Retry-Count" not in first.headers
    assert finish(flow, response(200, SESSION)).id == SESSION["id"]
    assert [limit.reset for limit in seen] == [NOW + 3, None]


def test_flow_gives_up_when_the_wait_exceeds_the_budget() -> None:
    flow, _ = start(RetryPolicy(max_retries=5, max_wait=5))
    assert flow.send(limited(NOW + 2)) == 3.0
    assert isinstance(flow.send(None), httpx.Request)
    with pytest.raises(OktaRateLimitError):  # 3 s spent, 3 s more would make 6 > 5
        flow.send(limited(NOW + 2))


def test_flow_gives_up_after_max_retries() -> None:
    flow, _ = start(RetryPolicy(max_retries=1, max_wait=100))
    assert flow.send(limited(NOW)) == 1.0
    flow.send(None)
    with pytest.raises(OktaRateLimitError):
        flow.send(limited(NOW))


def test_flow_does_not_retry_without_reset() -> None:
    flow, _ = start(RetryPolicy(max_retries=3, max_wait=100))
    with pytest.raises(OktaRateLimitError):
        flow.send(limited(None))


@pytest.mark.parametrize("status", [500, 503, 504, 404])
def test_flow_retries_only_429(status: int) -> None:
    flow, _ = start(RetryPolicy(max_retries=3, max_wait=100))
    with pytest.raises(OktaAPIError) as info:
        flow.send(response(status, okta_error("E0000009", "x"), {"X-Rate-Limit-Reset": str(NOW)}))
    assert info.value.status_code == status


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (httpx.ConnectTimeout("t"), OktaTimeoutError),
        (httpx.ReadTimeout("t"), OktaTimeoutError),
        (httpx.PoolTimeout("t"), OktaTimeoutError),
        (httpx.ConnectError("[Errno 111] Connection refused"), OktaConnectionError),
        (httpx.ReadError("reset"), OktaConnectionError),
        (httpx.RemoteProtocolError("Server disconnected"), OktaConnectionError),
        (httpx.LocalProtocolError("Illegal header value b'SSWS secret'"), OktaConnectionError),
        (httpx.DecodingError("bad gzip"), OktaInvalidResponseError),
    ],
)
def test_flow_maps_transport_failures_once(failure: httpx.HTTPError, kind: type[Exception]) -> None:
    flow, _ = start(RetryPolicy())
    with pytest.raises(kind) as info:
        flow.throw(failure)
    assert OktaAPIError not in type(info.value).__mro__
    assert info.value.__cause__ is failure
    assert "get_session" in str(info.value)
    assert "secret" not in str(info.value)


def test_transport_error_keeps_os_detail() -> None:
    error = transport_error(httpx.ConnectError("[Errno 111] Connection refused"), "get_session")
    assert "Connection refused" in str(error)


def test_i10_16_a_large_answer_is_read_in_a_step_of_its_own() -> None:
    """Over 64 KiB the flow yields PARSE first (the rate-limit figures already seen),
    so the async client can resume it off its loop; a small answer is read at once."""
    seen: list[RateLimit] = []
    flow, _ = start(RetryPolicy(), seen)
    assert finish(flow, response(200, SESSION)).id == SESSION["id"]
    large = {**SESSION, "padding": "p" * LARGE_BODY_BYTES}
    flow, _ = start(RetryPolicy(), seen)
    assert flow.send(response(200, large)) is PARSE
    assert len(seen) == 2
    assert finish(flow, None).id == SESSION["id"]  # type: ignore[arg-type]
