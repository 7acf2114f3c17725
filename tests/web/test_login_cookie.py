"""``login_cookie``: the ``sid`` cookie set after a sign-in (behaviour 10)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from okta_session_mw import OktaSessionConfig, Session
from okta_session_mw.web.login_cookie import login_cookie_header
from tests.support.okta_answers import NOW, SESSION

ORG = "https://example.okta.com"


def attributes(secure: bool | None, org_url: str = ORG) -> list[str]:
    config = OktaSessionConfig(org_url=org_url, cookie_secure=secure)
    now = datetime.fromtimestamp(NOW, timezone.utc)
    return login_cookie_header(config, Session.from_okta(SESSION), now=now).split("; ")


def test_i11_05_the_login_cookie_is_sid_http_only_lax_on_every_path() -> None:
    pair, *rest = attributes(True)
    assert pair == f"sid={SESSION['id']}"
    assert {"Path=/", "HttpOnly", "SameSite=Lax"} <= set(rest)
    assert not any(a.startswith("Domain") for a in rest)


def test_i11_05_the_login_cookie_ends_with_the_session() -> None:
    rest = attributes(True)
    assert "Expires=Mon, 22 Sep 2025 09:01:28 GMT" in rest  # SESSION's expiresAt
    left = datetime(2025, 9, 22, 9, 1, 28, tzinfo=timezone.utc) - datetime.fromtimestamp(
        NOW, timezone.utc
    )
    assert f"Max-Age={int(left / timedelta(seconds=1))}" in rest


@pytest.mark.parametrize(
    ("secure", "org_url", "expected"),
    [
        (True, ORG, True),
        (False, ORG, False),
        (None, ORG, True),  # unset: on, since Okta is not plain-http loopback
        (None, "http://127.0.0.1:8080", False),  # local development
    ],
)
def test_i11_05_secure_follows_the_config(
    secure: bool | None, org_url: str, expected: bool
) -> None:
    assert ("Secure" in attributes(secure, org_url)) is expected
