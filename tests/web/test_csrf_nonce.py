"""``csrf_nonce``: one request's nonce kept in the framework's per-request store."""

from __future__ import annotations

from typing import Any

from okta_session_mw import OktaSessionConfig, SessionService
from okta_session_mw.web.csrf import CsrfState
from okta_session_mw.web.csrf_nonce import CSRF_STATE_KEY, csrf_token, nonce_set_cookie
from okta_session_mw.web.logout_request import LogoutRequest

OKTA_COOKIE = "sid=102etAqRbcPRXGtoDMIRXgWOQ"


def service() -> SessionService:
    return SessionService(OktaSessionConfig(org_url="https://example.okta.com"))


def allowed(svc: SessionService, token: str, cookie_header: str | None) -> bool:
    """The token checked as a POST with neither Origin nor Referer would be."""
    return svc.csrf_allows(
        LogoutRequest(
            method="POST", scheme="https", host="app.example",
            headers={"x-csrf-token": token}, cookie_header=cookie_header,
        )
    )  # fmt: skip


def test_i11_05_a_visitor_token_leaves_one_nonce_cookie_in_the_store() -> None:
    svc, store = service(), dict[str, Any]()
    assert nonce_set_cookie(store) is None  # no token made yet
    first, second = csrf_token(svc, None, store), csrf_token(svc, "theme=dark", store)
    assert isinstance(store[CSRF_STATE_KEY], CsrfState)
    set_cookie = nonce_set_cookie(store)
    assert set_cookie is not None and set_cookie.startswith(svc.logout_guard.cookie_name + "=")
    browser = "theme=dark; " + set_cookie.split(";", 1)[0]
    assert allowed(svc, first, browser) and allowed(svc, second, browser)
    assert not allowed(svc, first, "theme=dark")  # not without the nonce cookie


def test_i11_05_each_request_store_gets_its_own_nonce() -> None:
    svc, one, other = service(), dict[str, Any](), dict[str, Any]()
    token = csrf_token(svc, None, one)
    csrf_token(svc, None, other)
    assert nonce_set_cookie(one) != nonce_set_cookie(other)
    cookie_of_other = str(nonce_set_cookie(other)).split(";", 1)[0]
    assert not allowed(svc, token, cookie_of_other)


def test_i11_05_a_signed_in_browser_token_needs_no_nonce_cookie() -> None:
    svc, store = service(), dict[str, Any]()
    token = csrf_token(svc, OKTA_COOKIE, store)
    assert nonce_set_cookie(store) is None
    assert allowed(svc, token, OKTA_COOKIE)
    assert not allowed(svc, token, "sid=someone-else")
