"""``csrf``: the origin rule and the tokens bound to one browser (behaviours 8 and 9).

Pure: a ``LogoutGuard`` made from a config, asked directly (no framework, no Okta).
"""

from __future__ import annotations

import pytest

from okta_session_mw import OktaSessionConfig
from okta_session_mw.web.csrf import (
    CSRF_COOKIE,
    CSRF_HOST_COOKIE,
    CsrfState,
    LogoutGuard,
    csrf_cookie_name,
    own_origin,
)

ORG = "https://example.okta.com"
OWN = "https://app.example"
KEY = "0123456789abcdef" * 4  # a cache key: hex, as ``key_for`` makes them
OTHER_KEY = "fedcba9876543210" * 4


def guard(**settings: object) -> LogoutGuard:
    config = OktaSessionConfig(org_url=ORG, secret_key="s" * 32, **settings)  # type: ignore[arg-type]
    return LogoutGuard(config)


def nonce_token(logout_guard: LogoutGuard) -> tuple[str, str]:
    """A nonce-bound token and the ``Cookie`` header that carries its nonce."""
    state = CsrfState()
    token = logout_guard.token(None, None, state)
    assert state.set_cookie is not None
    return token, state.set_cookie.split(";", 1)[0]


def test_i11_05_a_key_bound_token_passes_only_with_those_okta_cookies() -> None:
    logout_guard = guard()
    token = logout_guard.token(KEY, None, CsrfState())
    assert logout_guard.token_valid(token, (KEY,), None)
    assert not logout_guard.token_valid(token, (OTHER_KEY,), None)  # another user's cookies
    assert not logout_guard.token_valid(token, (), None)  # no Okta cookies at all


def test_i11_05_a_nonce_bound_token_fails_when_okta_cookies_are_present() -> None:
    logout_guard = guard()
    token, nonce_cookie = nonce_token(logout_guard)
    assert logout_guard.token_valid(token, (), nonce_cookie)  # the browser it was made for
    assert not logout_guard.token_valid(token, (KEY,), nonce_cookie)  # signed in: never a nonce


def test_i11_05_a_nonce_bound_token_fails_in_another_browser() -> None:
    logout_guard = guard()
    token, _ = nonce_token(logout_guard)
    _, other_browser = nonce_token(logout_guard)
    assert not logout_guard.token_valid(token, (), other_browser)
    assert not logout_guard.token_valid(token, (), None)


def test_i11_05_tokens_of_one_request_share_its_nonce() -> None:
    logout_guard = guard()
    state = CsrfState()
    first = logout_guard.token(None, None, state)
    made = state.set_cookie
    second = logout_guard.token(None, None, state)
    assert state.set_cookie == made  # one nonce cookie for the whole page
    assert made is not None
    cookie = made.split(";", 1)[0]
    assert logout_guard.token_valid(first, None, cookie)
    assert logout_guard.token_valid(second, None, cookie)


def test_i11_05_a_valid_nonce_cookie_is_reused_not_replaced() -> None:
    logout_guard = guard()
    _, cookie = nonce_token(logout_guard)
    state = CsrfState()
    token = logout_guard.token(None, cookie, state)
    assert state.set_cookie is None  # the browser's own nonce is kept
    assert logout_guard.token_valid(token, (), cookie)


@pytest.mark.parametrize("token", [None, "", "x" * 600, "not-a-signed-token"])
def test_i11_05_a_missing_or_forged_token_never_passes(token: str | None) -> None:
    assert not guard().token_valid(token, (KEY,), None)


def test_i11_05_a_token_signed_with_another_secret_fails() -> None:
    theirs = LogoutGuard(OktaSessionConfig(org_url=ORG, secret_key="t" * 32))
    assert not guard().token_valid(theirs.token(KEY, None, CsrfState()), KEY, None)


def allows(
    logout_guard: LogoutGuard, origin: str | None, referer: str | None, token: str | None
) -> bool:
    return logout_guard.allows(
        own_origin=OWN, origin=origin, referer=referer, token=token,
        cookie_keys=(KEY,), cookie_header=None,
    )  # fmt: skip


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://app.example"])
def test_i11_05_a_foreign_origin_is_refused_whatever_the_token(origin: str) -> None:
    logout_guard = guard()
    good = logout_guard.token(KEY, None, CsrfState())
    assert not allows(logout_guard, origin, None, good)
    assert not allows(logout_guard, origin, OWN + "/page", good)  # Origin wins over Referer


def test_i11_05_the_own_or_an_allowed_origin_passes_without_a_token() -> None:
    logout_guard = guard(allowed_origins=("https://Partner.example",))
    assert allows(logout_guard, OWN, None, None)
    assert allows(logout_guard, " HTTPS://APP.EXAMPLE ", None, None)  # case and spaces
    assert allows(logout_guard, "https://partner.example", None, None)


@pytest.mark.parametrize(
    ("referer", "passes"),
    [
        (OWN + "/account?tab=1", True),
        ("https://evil.example/" + OWN, False),
        ("javascript:alert(1)", False),  # names no http(s) origin
        ("/relative/path", False),
    ],
)
def test_i11_05_a_missing_origin_falls_back_to_referer(referer: str, passes: bool) -> None:
    logout_guard = guard()
    good = logout_guard.token(KEY, None, CsrfState())
    assert allows(logout_guard, None, referer, good) is passes


def test_i11_05_neither_header_needs_a_token_bound_to_this_browser() -> None:
    logout_guard = guard()
    assert logout_guard.origin_verdict(OWN, None, None) is None
    assert allows(logout_guard, None, None, logout_guard.token(KEY, None, CsrfState()))
    assert not allows(logout_guard, None, None, None)
    assert not allows(logout_guard, None, None, logout_guard.token(OTHER_KEY, None, CsrfState()))


def test_i11_05_websocket_handshakes_follow_the_origin_rule() -> None:
    logout_guard = guard()
    assert logout_guard.websocket_allowed(OWN, None)  # not a browser
    assert logout_guard.websocket_allowed(OWN, OWN)
    assert not logout_guard.websocket_allowed(OWN, "https://evil.example")


@pytest.mark.parametrize(
    ("scheme", "host", "origin"),
    [
        ("https", "App.Example", "https://app.example"),
        ("wss", "app.example:8443", "https://app.example:8443"),
        ("WS", " app.example ", "http://app.example"),
        ("http", None, "http://"),
    ],
)
def test_i11_05_own_origin_is_the_page_origin(scheme: str, host: str | None, origin: str) -> None:
    assert own_origin(scheme, host) == origin


def test_i11_05_the_host_prefixed_nonce_cookie_only_under_secure_cookies() -> None:
    secure = OktaSessionConfig(org_url=ORG, cookie_secure=True)
    plain = OktaSessionConfig(org_url=ORG, cookie_secure=False)
    assert csrf_cookie_name(secure) == CSRF_HOST_COOKIE == "__Host-okta_mw_csrf"
    assert csrf_cookie_name(plain) == CSRF_COOKIE == "okta_mw_csrf"
    assert LogoutGuard(secure).cookie_name == CSRF_HOST_COOKIE


@pytest.mark.parametrize("secure", [True, False])
def test_i11_05_the_nonce_cookie_is_a_host_only_http_only_session_cookie(secure: bool) -> None:
    state = CsrfState()
    guard(cookie_secure=secure).token(None, None, state)
    assert state.set_cookie is not None
    name, *attributes = state.set_cookie.split("; ")
    assert name.split("=", 1)[0] == (CSRF_HOST_COOKIE if secure else CSRF_COOKIE)
    assert {"Path=/", "HttpOnly", "SameSite=Lax"} <= set(attributes)
    assert ("Secure" in attributes) is secure
    assert not any(a.startswith(("Domain", "Expires", "Max-Age")) for a in attributes)


def test_i11_05_a_tossed_plain_nonce_cookie_is_ignored_under_secure_cookies() -> None:
    logout_guard = guard(cookie_secure=True)
    token, host_cookie = nonce_token(logout_guard)
    tossed = CSRF_COOKIE + "=" + host_cookie.split("=", 1)[1]  # same value, plain name
    assert logout_guard.token_valid(token, (), host_cookie)
    assert not logout_guard.token_valid(token, (), tossed)


def test_i11_05_csrf_state_repr_shows_no_nonce() -> None:
    state = CsrfState()
    guard().token(None, None, state)
    assert state.nonce is not None
    assert state.nonce not in repr(state)
    assert repr(state) == "CsrfState(new_cookie=True)"
