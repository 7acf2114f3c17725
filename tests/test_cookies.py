"""Only Okta's cookies are picked, strictly (behaviour 1), and Set-Cookie values."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from okta_session_mw.cookies import (
    asgi_cookie_header,
    expired_cookie_header,
    extract_okta_cookies,
    session_cookie_header,
    wsgi_cookie_header,
)

NAMES = ("sid", "idx")


def pick(header: str | None) -> str | None:
    cookies = extract_okta_cookies(header, NAMES, 4096)
    return None if cookies is None else cookies.header


@pytest.mark.parametrize(
    ("header", "forwarded"),
    [
        ("sid=abc", "sid=abc"),
        ("theme=dark; sid=abc; csrftoken=xyz", "sid=abc"),
        ("idx=i1; sid=s1", "sid=s1; idx=i1"),  # configured order
        ('sid="abc"', "sid=abc"),
        ("  sid = abc ", "sid=abc"),
        ("xsid=abc; sidx=def", None),  # names must match exactly
        ("session=sid", None),
        ("", None),
        (None, None),
        ("sid=", None),
        ("sid=a; sid=b", None),  # ambiguous: forward nothing
        ("sid=a b", None),
        ("sid=a,idx=b", None),
        ("sid=é", None),
    ],
)
def test_only_okta_cookies_are_picked(header: str | None, forwarded: str | None) -> None:
    assert pick(header) == forwarded


def test_i10_04_split_cookie_fields_are_read_as_one_header() -> None:
    """HTTP/2 sends one field per cookie: an ASGI scope keeps them apart, a WSGI server
    joins them with commas; both read as the one header HTTP/1.1 would have sent."""
    fields = [(b"cookie", b"theme=dark"), (b"accept", b"*/*"), (b"cookie", b""),
              (b"cookie", b"sid=abc"), (b"cookie", b"idx=i1")]
    assert asgi_cookie_header(fields) == "theme=dark; sid=abc; idx=i1"
    assert asgi_cookie_header([(b"accept", b"*/*")]) is None
    assert pick(asgi_cookie_header(fields)) == "sid=abc; idx=i1"
    assert wsgi_cookie_header({"HTTP_COOKIE": "theme=dark, sid=abc,idx=i1"}) == (
        "theme=dark; sid=abc; idx=i1"
    )
    assert pick(wsgi_cookie_header({"HTTP_COOKIE": "theme=dark,sid=abc"})) == "sid=abc"
    assert pick(wsgi_cookie_header({"HTTP_COOKIE": "sid=a, sid=b"})) is None  # still ambiguous
    assert wsgi_cookie_header({"HTTP_COOKIE": " , "}) is None
    assert wsgi_cookie_header({}) is None


def test_oversized_cookie_is_refused() -> None:
    assert extract_okta_cookies("sid=" + "a" * 10, NAMES, 9) is None
    assert extract_okta_cookies("sid=" + "a" * 9, NAMES, 9) is not None


def test_repr_hides_values() -> None:
    cookies = extract_okta_cookies("sid=secret-value", NAMES, 100)
    assert cookies is not None
    assert "secret-value" not in repr(cookies)


def test_session_cookie_attributes() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    header = session_cookie_header("sid", "abc", now + timedelta(hours=2), secure=True, now=now)
    assert header.startswith("sid=abc; Path=/; ")
    for attribute in ("HttpOnly", "SameSite=Lax", "Secure", "Max-Age=7200",
                      "Expires=Thu, 01 Jan 2026 02:00:00 GMT"):
        assert attribute in header
    plain = session_cookie_header("sid", "abc", now + timedelta(hours=2), secure=False, now=now)
    assert "Secure" not in plain
    with pytest.raises(ValueError, match="cookie value"):
        session_cookie_header("sid", "a;b", now, secure=True)


def test_expired_cookie() -> None:
    header = expired_cookie_header("idx", secure=True)
    assert header.startswith('idx=""; Path=/;')
    assert "Max-Age=0" in header
