"""Only Okta's cookies are picked, strictly (behaviour 1), and Set-Cookie values."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okta_session_mw.web.cookies import (
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


def wsgi_pick(http_cookie: str) -> str | None:
    return pick(wsgi_cookie_header({"HTTP_COOKIE": http_cookie}))


@pytest.mark.parametrize(
    ("http_cookie", "forwarded"),
    [
        # a comma inside another cookie's quoted value is part of that value
        ('note="x,sid=junk"; sid=REAL', "sid=REAL"),  # not a second sid
        ('note="x,sid=OTHER,y"', None),  # not a sid at all
        ('note="x, sid=OTHER"', None),
        ('note="x\\",sid=OTHER"', None),  # an escaped quote does not close the value
        ('note="unclosed,sid=OTHER', None),  # nor does the end of a field
        ('a,note="x,sid=OTHER"', None),  # a cookie without '=' before it: still quoted
        ('note="x,sid=junk",sid=REAL', "sid=REAL"),  # the field ends after the quote
        # ... and so is one that no `name=` follows
        ("note=x,y; sid=REAL", "sid=REAL"),
        ("note=x, y z=1,sid=REAL", "sid=REAL"),
        ("sid=REAL,junk", None),  # no Okta value holds a comma
        # joined fields (werkzeug: ",", others ", "), as their fields would read
        ("theme=dark,sid=REAL", "sid=REAL"),
        ("theme=dark, sid=REAL,idx=i1", "sid=REAL; idx=i1"),
        ('theme="a,b",sid=REAL', "sid=REAL"),
        ("theme=dark; lang=en,sid=REAL; x=1", "sid=REAL"),
        ("sid=a,sid=b", None),  # a duplicate across fields is still a duplicate
        # the ambiguous unquoted case: the same bytes as two joined fields (see docstring)
        ("note=x,sid=OTHER", "sid=OTHER"),
    ],
)
def test_i10_04_a_comma_in_another_cookies_value_makes_no_okta_cookie(
    http_cookie: str, forwarded: str | None
) -> None:
    assert wsgi_pick(http_cookie) == forwarded


# -- the rule, property-tested against a reference built from what the browser sent ---
OKTA_VALUE = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)
OTHER_NAME = st.from_regex(r"[A-Za-z0-9_.!#$%&'*+^`|~-]{1,8}", fullmatch=True).filter(
    lambda name: name not in NAMES
)
_PLAIN = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in ';"\\')
QUOTED_VALUE = st.lists(
    st.one_of(
        st.text(_PLAIN, max_size=6),
        st.sampled_from([",sid=EVIL", ", idx=EVIL", ",sid=", "\\\"", "\\\\", ",", "=", " "]),
    ),
    max_size=5,
).map(lambda parts: '"' + "".join(parts) + '"')
_AMBIGUOUS = re.compile(r",[ \t]*[A-Za-z0-9_.!#$%&'*+^`|~-]+[ \t]*=")
UNQUOTED_VALUE = st.text(_PLAIN + "\\", max_size=10).filter(
    lambda value: _AMBIGUOUS.search(value) is None and value == value.strip()
)
COOKIE = st.one_of(
    st.tuples(st.sampled_from(NAMES), OKTA_VALUE),
    st.tuples(OTHER_NAME, st.one_of(QUOTED_VALUE, UNQUOTED_VALUE)),
)
FIELD = st.lists(COOKIE, min_size=1, max_size=3)  # one field: "a=1; b=2" (HTTP/1.1 style)


def reference(cookies: list[tuple[str, str]]) -> str | None:
    """What should be forwarded, from the cookies themselves (no parsing): each Okta
    name present once, in the configured order; any Okta name twice: nothing."""
    found = {name: [value for cookie, value in cookies if cookie == name] for name in NAMES}
    if any(len(values) > 1 for values in found.values()):
        return None
    pairs = [f"{name}={values[0]}" for name, values in found.items() if values]
    return "; ".join(pairs) or None


@settings(max_examples=400, database=None)
@given(st.lists(FIELD, min_size=1, max_size=4), st.sampled_from([",", ", "]))
def test_i10_04_comma_joined_fields_read_as_the_browser_sent_them(
    fields: list[list[tuple[str, str]]], separator: str
) -> None:
    """A WSGI server joins the fields with ``separator`` (werkzeug ``,``, others
    ``, ``); whatever other cookies hold (quoted commas, ``sid=`` text, escapes), the
    Okta cookies read are exactly those sent, as the ASGI scope would read them."""
    texts = ["; ".join(f"{name}={value}" for name, value in field) for field in fields]
    expected = reference([cookie for field in fields for cookie in field])
    assert wsgi_pick(separator.join(texts)) == expected
    assert pick(asgi_cookie_header([(b"cookie", t.encode()) for t in texts])) == expected


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
