"""``logout_request``: what an adapter reads off a logout, and when it parses the form."""

from __future__ import annotations

import pytest

from okta_session_mw.web.csrf import CSRF_HEADER
from okta_session_mw.web.logout_request import LogoutRequest, form_token_wanted


@pytest.mark.parametrize(
    ("method", "headers", "given", "wanted"),
    [
        ("POST", {}, None, True),
        ("POST", {"accept": "text/html"}, None, True),
        ("POST", {CSRF_HEADER: "t"}, None, False),  # the header wins: no body parsed
        ("POST", {}, "already-read", False),
        ("GET", {}, None, False),
        ("DELETE", {}, None, False),
    ],
)
def test_i11_05_form_token_wanted_only_for_a_post_without_a_token(
    method: str, headers: dict[str, str], given: str | None, wanted: bool
) -> None:
    assert form_token_wanted(method, headers, given) is wanted


def request(headers: dict[str, str], form_token: str | None = None) -> LogoutRequest:
    return LogoutRequest(
        method="POST", scheme="https", host="app.example", headers=headers,
        cookie_header="sid=s3cr3t-session", form_token=form_token,
    )  # fmt: skip


def test_i11_05_the_header_token_wins_over_the_form_field() -> None:
    assert request({CSRF_HEADER: "from-header"}, "from-form").token == "from-header"
    assert request({}, "from-form").token == "from-form"
    assert request({CSRF_HEADER: ""}, "from-form").token == "from-form"  # empty: not given
    assert request({}).token is None


def test_i11_05_logout_request_repr_shows_no_cookie_or_token() -> None:
    shown = repr(request({"cookie": "sid=s3cr3t-session", CSRF_HEADER: "tok3n"}, "f0rm"))
    assert shown == "LogoutRequest(method='POST', host='app.example')"
