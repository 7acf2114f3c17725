"""``logout_replies``: the answers to a logout every adapter renders (behaviour 9)."""

from __future__ import annotations

import json

import pytest

from okta_session_mw import OktaSessionConfig
from okta_session_mw.web.cookies import expired_cookie_header
from okta_session_mw.web.logout_replies import (
    forbidden_reply,
    logout_reply,
    method_not_allowed_reply,
)

ORG = "https://example.okta.com"


def config(**settings: object) -> OktaSessionConfig:
    return OktaSessionConfig(org_url=ORG, post_logout_redirect="/bye", **settings)  # type: ignore[arg-type]


def set_cookies(headers: tuple[tuple[str, str], ...]) -> list[str]:
    return [value for name, value in headers if name == "set-cookie"]


def test_i11_05_a_browser_is_sent_to_a_safe_redirect_with_303() -> None:
    reply = logout_reply(config(), html=True, present_cookies=(), redirect_to="/next?x=1")
    assert reply.status == 303
    assert reply.location == "/next?x=1"
    assert ("cache-control", "no-store") in reply.headers


@pytest.mark.parametrize("unsafe", ["//evil.example", "https://evil.example/", "/\\evil", "", None])
def test_i11_05_an_unsafe_redirect_falls_back_to_post_logout_redirect(unsafe: str | None) -> None:
    reply = logout_reply(config(), html=True, present_cookies=(), redirect_to=unsafe)
    assert (reply.status, reply.location) == (303, "/bye")


def test_i11_05_an_api_client_gets_204_and_no_location() -> None:
    reply = logout_reply(config(), html=False, present_cookies=("sid",), redirect_to="/next")
    assert reply.status == 204
    assert "location" not in dict(reply.headers)
    assert reply.body == b""


@pytest.mark.parametrize("html", [True, False])
@pytest.mark.parametrize("secure", [True, False])
def test_i11_05_each_present_cookie_gets_an_expired_set_cookie(html: bool, secure: bool) -> None:
    reply = logout_reply(config(cookie_secure=secure), html=html, present_cookies=("sid", "idx"))
    assert set_cookies(reply.headers) == [
        expired_cookie_header("sid", secure=secure),
        expired_cookie_header("idx", secure=secure),
    ]
    assert all(("Secure" in line) is secure for line in set_cookies(reply.headers))
    assert set_cookies(logout_reply(config(), html=html, present_cookies=()).headers) == []


@pytest.mark.parametrize("html", [True, False])
def test_i11_05_not_closed_is_503_and_keeps_the_cookies(html: bool) -> None:
    reply = logout_reply(
        config(), html=html, present_cookies=("sid", "idx"), redirect_to="/next", closed=False
    )
    assert reply.status == 503
    assert set_cookies(reply.headers) == []  # the user can try again
    assert reply.location is None
    assert ("retry-after", "5") in reply.headers
    assert reply.media_type == "application/json"
    assert json.loads(reply.body)["error"] == "okta_unavailable"


def test_i11_05_refusals_are_403_json_and_405_with_allow() -> None:
    refused = forbidden_reply()
    assert refused.status == 403
    assert refused.media_type == "application/json"
    assert json.loads(refused.body)["error"] == "csrf_failed"
    wrong_method = method_not_allowed_reply()
    assert wrong_method.status == 405
    assert wrong_method.headers == (("allow", "POST"),)
