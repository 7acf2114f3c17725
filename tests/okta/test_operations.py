"""The sans-IO core: requests built and answers read; no network at all.

The retry decisions and the flow that applies them are in ``test_call_flow.py``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from okta_session_mw.errors import (
    InvalidRequestError,
    OktaAPIError,
    OktaAuthenticationError,
    OktaAuthnIncompleteError,
    OktaBadRequestError,
    OktaInvalidResponseError,
    OktaNotFoundError,
    OktaPermissionError,
    OktaRateLimitError,
    OktaServerError,
    RateLimit,
    SessionParseError,
)
from okta_session_mw.okta import operations as sansio
from okta_session_mw.okta.operations import Auth
from tests.support.okta_answers import NOW, SESSION, okta_error, response

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
@pytest.mark.parametrize("status", [404, 502])
def test_foreign_error_bodies_are_not_api_errors(body: bytes, status: int) -> None:
    with pytest.raises(OktaInvalidResponseError) as info:
        sansio.raise_for_status(response(status, body), RateLimit())
    assert info.value.status_code == status
    assert OktaAPIError not in type(info.value).__mro__


@pytest.mark.parametrize(
    "body", [b"<html>429 Too Many Requests</html>", b'{"message": "nope"}', b"\x00\x01", b""]
)
def test_a_429_is_a_rate_limit_whatever_its_body(body: bytes) -> None:
    # A proxy or CDN in front of Okta limits too: the middleware must back off either way.
    limit = RateLimit(limit=10, remaining=0, reset=1_800_000_030)
    with pytest.raises(OktaRateLimitError) as info:
        sansio.raise_for_status(response(429, body), limit)
    assert info.value.rate_limit.reset == 1_800_000_030


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


def test_i10_12_call_reprs_hide_credentials() -> None:
    calls = [
        sansio.get_current_session("sid=cookie-secret-123"),
        sansio.close_current_session("sid=cookie-secret-123"),
        sansio.create_session("token-secret-123"),
        sansio.authenticate("ann@example.com", "password-secret-123"),
        sansio.get_session("102sessionidsecret123"),
        sansio.revoke_session("102sessionidsecret123"),
    ]
    for call in calls:
        shown = repr(call)
        assert call.name in shown
        for secret in ("cookie-secret", "token-secret", "password-secret", "sessionidsecret"):
            assert secret not in shown
