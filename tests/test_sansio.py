"""The sans-IO core: requests built, answers read, retries decided; no network at all."""

from __future__ import annotations

import json
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from okta_session_mw import sansio
from okta_session_mw.call_flow import Flow, RetryPolicy, call_flow, retry_delay, transport_error
from okta_session_mw.errors import (
    InvalidRequestError,
    OktaAPIError,
    OktaAuthenticationError,
    OktaAuthnIncompleteError,
    OktaBadRequestError,
    OktaConnectionError,
    OktaInvalidResponseError,
    OktaNotFoundError,
    OktaPermissionError,
    OktaRateLimitError,
    OktaServerError,
    OktaTimeoutError,
    RateLimit,
    SessionParseError,
)
from okta_session_mw.sansio import Auth

SESSION = {
    "id": "102etAqRbcPRXGtoDMIRXgWOQ",
    "userId": "00uq9re9mup35oXfu1d7",
    "login": "user@example.com",
    "createdAt": "2025-09-22T07:01:28.000Z",
    "expiresAt": "2025-09-22T09:01:28.000Z",
    "status": "ACTIVE",
    "lastPasswordVerification": "2025-09-22T07:01:28.000Z",
    "lastFactorVerification": None,
    "amr": ["pwd"],
    "idp": {"id": "00onkw1sbuAh3Q06I1d7", "type": "OKTA"},
    "mfaActive": True,
}
NOW = 1_758_524_424  # Mon, 22 Sep 2025 07:00:24 GMT


def response(
    status: int, body: object = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = (
        b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    )
    return httpx.Response(status, headers=headers or {}, content=content)


def okta_error(code: str, summary: str) -> dict[str, Any]:
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oaePpLzLbXSRlqRkpauT89ojQ",
        "errorCauses": [{"errorSummary": "why"}],
    }


# -- requests ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "method", "path", "auth"),
    [
        (sansio.get_current_session("sid=abc"), "GET", "/api/v1/sessions/me", Auth.COOKIE),
        (
            sansio.refresh_current_session("idx=xyz"),
            "POST",
            "/api/v1/sessions/me/lifecycle/refresh",
            Auth.COOKIE,
        ),
        (sansio.close_current_session("sid=abc"), "DELETE", "/api/v1/sessions/me", Auth.COOKIE),
        (sansio.create_session("tok"), "POST", "/api/v1/sessions", Auth.API_TOKEN),
        (sansio.get_session("s1"), "GET", "/api/v1/sessions/s1", Auth.TOKEN),
        (
            sansio.refresh_session("s1"),
            "POST",
            "/api/v1/sessions/s1/lifecycle/refresh",
            Auth.TOKEN,
        ),
        (sansio.revoke_session("s1"), "DELETE", "/api/v1/sessions/s1", Auth.TOKEN),
        (sansio.authenticate("u", "p"), "POST", "/api/v1/authn", Auth.NONE),
    ],
)
def test_each_operation_request(call: sansio.Call[Any], method: str, path: str, auth: Auth) -> None:
    assert (call.method, call.path, call.auth) == (method, path, auth)


def test_me_calls_forward_the_cookie_as_is() -> None:
    call = sansio.get_current_session("sid=abc; idx=def")
    assert call.headers == (("Cookie", "sid=abc; idx=def"),)


def test_bodies() -> None:
    assert json.loads(sansio.create_session("00Hi").body or b"") == {"sessionToken": "00Hi"}
    login = sansio.authenticate("ann@example.com", "pw")
    assert json.loads(login.body or b"") == {"username": "ann@example.com", "password": "pw"}
    assert ("Content-Type", "application/json") in login.headers
    assert sansio.refresh_session("s").body is None


def test_session_ids_are_quoted() -> None:
    assert sansio.get_session("a/b?c#d e").path == "/api/v1/sessions/a%2Fb%3Fc%23d%20e"
    assert sansio.revoke_session("..x").path == "/api/v1/sessions/..x"


@pytest.mark.parametrize("bad", ["", ".", "..", "me", None, 5])
def test_bad_session_ids_are_refused(bad: Any) -> None:
    for make in (sansio.get_session, sansio.refresh_session, sansio.revoke_session):
        with pytest.raises(InvalidRequestError):
            make(bad)


@pytest.mark.parametrize(
    "cookie", ["", "sid=abc\r\nX-Evil: 1", "sid=a\nb", " sid=abc", "sid=abc\t", "sid=é", "sid=\x00"]
)
def test_bad_cookies_are_refused_without_echo(cookie: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        sansio.get_current_session(cookie)
    assert isinstance(info.value, ValueError)
    if cookie:
        assert cookie not in str(info.value)


def test_bad_arguments() -> None:
    with pytest.raises(InvalidRequestError):
        sansio.create_session("")
    with pytest.raises(InvalidRequestError):
        sansio.authenticate("", "pw")
    with pytest.raises(InvalidRequestError):
        sansio.get_current_session(None)  # type: ignore[arg-type]


# -- answers -------------------------------------------------------------------------


def test_session_answer() -> None:
    session = sansio.get_session("s").parse(response(200, SESSION))
    assert session.id == SESSION["id"]
    assert session.user_id == SESSION["userId"]


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"", b"[1, 2]", b"\xff\xfe\x00", b"null"])
def test_non_session_bodies_are_invalid_responses(body: bytes) -> None:
    with pytest.raises(OktaInvalidResponseError) as info:
        sansio.get_current_session("sid=a").parse(response(200, body))
    assert info.value.status_code == 200
    assert OktaAPIError not in type(info.value).__mro__


def test_session_parse_error_is_wrapped_and_kept_as_cause() -> None:
    bad = {**SESSION, "expiresAt": "not a date"}
    with pytest.raises(OktaInvalidResponseError, match="expiresAt") as info:
        sansio.refresh_session("s").parse(response(200, bad))
    assert isinstance(info.value.__cause__, SessionParseError)


def test_no_content_answers() -> None:
    assert sansio.revoke_session("s").parse(response(204)) is None
    assert sansio.close_current_session("sid=a").parse(response(204)) is None


def test_authn_answers() -> None:
    call = sansio.authenticate("u", "p")
    assert call.parse(response(200, {"status": "SUCCESS", "sessionToken": "20111h"})) == "20111h"
    with pytest.raises(OktaAuthnIncompleteError) as info:
        call.parse(response(200, {"status": "MFA_REQUIRED", "stateToken": "secret-state"}))
    assert info.value.state == "MFA_REQUIRED"
    assert "secret-state" not in str(info.value)
    with pytest.raises(OktaInvalidResponseError):
        call.parse(response(200, b"garbage"))


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "E0000003", OktaBadRequestError),
        (401, "E0000004", OktaAuthenticationError),
        (401, "E0000011", OktaAuthenticationError),
        (403, "E0000006", OktaPermissionError),
        (404, "E0000007", OktaNotFoundError),
        (405, "E0000022", OktaAPIError),
        (429, "E0000047", OktaRateLimitError),
        (500, "E0000009", OktaServerError),
        (503, "E0000010", OktaServerError),
    ],
)
def test_error_statuses_become_typed_errors(
    status: int, code: str, kind: type[OktaAPIError]
) -> None:
    headers = {
        "X-Rate-Limit-Limit": "600",
        "X-Rate-Limit-Remaining": "0",
        "X-Rate-Limit-Reset": str(NOW + 30),
        "X-Okta-Request-Id": "req-1",
    }
    answer = response(status, okta_error(code, "Something"), headers)
    limits = sansio.parse_rate_limit(answer.headers)
    with pytest.raises(kind) as info:
        sansio.raise_for_status(answer, limits)
    error = info.value
    assert type(error) is kind
    assert (error.status_code, error.error_code, error.error_link) == (status, code, code)
    assert error.error_summary == "Something"
    assert error.error_id == "oaePpLzLbXSRlqRkpauT89ojQ"
    assert error.error_causes == ({"errorSummary": "why"},)
    assert error.rate_limit == RateLimit(600, 0, NOW + 30)
    assert error.request_id == "req-1"
    assert str(error) == f"Okta HTTP {status} {code} Something"


def test_error_without_body_is_still_typed() -> None:
    with pytest.raises(OktaNotFoundError) as info:
        sansio.raise_for_status(response(404), RateLimit())
    assert info.value.error_code is None


@pytest.mark.parametrize(
    "body", [b"<html>502 Bad Gateway</html>", b'{"message": "nope"}', b'["E0000007"]', b"\x00\x01"]
)
@pytest.mark.parametrize("status", [404, 429, 502])
def test_foreign_error_bodies_are_not_api_errors(body: bytes, status: int) -> None:
    with pytest.raises(OktaInvalidResponseError) as info:
        sansio.raise_for_status(response(status, body), RateLimit())
    assert info.value.status_code == status
    assert OktaAPIError not in type(info.value).__mro__


def test_redirects_are_not_api_answers() -> None:
    with pytest.raises(OktaInvalidResponseError):
        sansio.raise_for_status(response(302, headers={"Location": "/login"}), RateLimit())


def test_success_statuses_pass() -> None:
    for status in (200, 204):
        sansio.raise_for_status(response(status), RateLimit())


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, RateLimit()),
        (
            {
                "X-Rate-Limit-Limit": "375",
                "X-Rate-Limit-Remaining": "374",
                "X-Rate-Limit-Reset": "9",
            },
            RateLimit(375, 374, 9),
        ),
        ({"X-Rate-Limit-Limit": "50, 375", "X-Rate-Limit-Reset": "20,10"}, RateLimit(50, None, 10)),
        ({"X-Rate-Limit-Limit": "lots", "X-Rate-Limit-Remaining": " 7 "}, RateLimit(None, 7, None)),
    ],
)
def test_rate_limit_headers(headers: dict[str, str], expected: RateLimit) -> None:
    assert sansio.parse_rate_limit(httpx.Headers(headers)) == expected


def test_repeated_rate_limit_headers_take_the_minimum() -> None:
    headers = httpx.Headers([("X-Rate-Limit-Reset", "30"), ("X-Rate-Limit-Reset", "12")])
    assert sansio.parse_rate_limit(headers).reset == 12


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


def start(
    policy: RetryPolicy, seen: list[RateLimit] | None = None
) -> tuple[Flow[Any], httpx.Request]:
    call = sansio.get_session("s1")
    request = httpx.Request("GET", "https://example.okta.com" + call.path, headers={"A": "b"})
    observe: Callable[[RateLimit], None] = (seen if seen is not None else []).append
    flow = call_flow(call, request, retry=policy, clock=lambda: NOW, observe=observe)
    assert next(flow) is request
    return flow, request


def finish(flow: Flow[Any], answer: httpx.Response) -> Any:
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
