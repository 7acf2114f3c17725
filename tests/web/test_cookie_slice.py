"""The hit path's slice of a ``Cookie`` header against the full reading of it.

``okta_cookie_slice`` is trusted only as a cache key: a slice that is a forwarded header
(the full reading of the slice gives the slice back) must be exactly what the full
reading of the whole header forwards; None must mean the full reading finds nothing.
Checked over thousands of headers made to break it, and over browser-like headers,
where it must also never give up (or the hit path would always parse).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from okta_session_mw.web.cookie_slice import UNSURE, okta_cookie_slice
from okta_session_mw.web.cookies import extract_okta_cookies

NAMES = ("sid", "idx")
MAX = 40

# Pieces that hit every rule of both readings: the names inside other names and values,
# separators with and without blanks, quotes, commas, blanks around '=', controls.
TRICKY = st.sampled_from(
    ["sid", "idx", "=", ";", "; ", " ", "\t", '"', ",", "xsid", "sidx", "s", "id", "x",
     "102AbC", "a=b", "sid=", "idx=", "\\", "\x00", "é", "=sid", ";sid", " =", "==", "0" * 41]
)  # fmt: skip
COOKIE_OCTET = st.sampled_from(
    [chr(c) for c in range(0x21, 0x7F) if chr(c) not in '";,\\']
)


def full_header(header: str) -> str | None:
    cookies = extract_okta_cookies(header, NAMES, MAX)
    return None if cookies is None else cookies.header


def is_forwarded_header(text: str) -> bool:
    """What a cache key can have been made from: the full reading gives it back."""
    return full_header(text) == text


@settings(max_examples=2500, deadline=None)
@given(st.lists(TRICKY | st.text(max_size=3), max_size=14).map("".join))
def test_i12_01_a_slice_that_can_find_an_entry_is_what_the_full_reading_forwards(
    header: str,
) -> None:
    sliced = okta_cookie_slice(header, NAMES)
    if sliced is None:
        assert full_header(header) is None
    elif sliced != UNSURE and is_forwarded_header(sliced):
        assert full_header(header) == sliced


ALPHABET = "abcdefghjkmnpqrtuvwyz_ABCDEFGHJKLMNOPQRSTUVWXYZ0123456789-"  # no s,i,d,x,o,l


@st.composite
def browser_headers(draw: st.DrawFn) -> tuple[str, str | None]:
    """A header as browsers send it (``name=value`` joined by ``; ``), with app cookies
    whose names and values cannot hold Okta's names, and the forwarded header expected."""
    app_names = draw(st.lists(st.text(ALPHABET, min_size=1, max_size=12), max_size=8))
    value = st.text(ALPHABET + "%./:", min_size=0, max_size=60)
    cookies = [f"{name}={draw(value)}" for name in app_names]
    okta_value = st.text(COOKIE_OCTET.filter(lambda c: c not in "sidx"), min_size=1, max_size=MAX)
    okta = {name: draw(okta_value) for name in NAMES if draw(st.booleans())}
    for name, okta_cookie in okta.items():
        cookies.insert(draw(st.integers(0, len(cookies))), f"{name}={okta_cookie}")
    expected = "; ".join(f"{name}={okta[name]}" for name in NAMES if name in okta) or None
    return "; ".join(cookies), expected


@settings(max_examples=2000, deadline=None)
@given(browser_headers())
def test_i12_01_a_browser_header_is_sliced_without_parsing(case: tuple[str, str | None]) -> None:
    header, expected = case
    assert full_header(header) == expected  # the generator makes what it says
    assert okta_cookie_slice(header, NAMES) == expected


def test_i12_01_what_the_slice_leaves_to_the_full_reading() -> None:
    assert okta_cookie_slice("theme=dark; sid=abc; idx=def", NAMES) == "sid=abc; idx=def"
    assert okta_cookie_slice("idx=def;sid=abc", NAMES) == "sid=abc; idx=def"
    assert okta_cookie_slice("theme=dark", NAMES) is None
    for header in (
        "sid=a; sid=b",  # twice: which one would Okta see?
        "sid =abc",  # blanks before '='
        "note=x sid=abc",  # not at a cookie's start
        "sidecar=1; sid=abc",  # the name inside another name
        "sid=abc; note=sid",  # ... or inside a value
        " sid=abc",
    ):
        assert okta_cookie_slice(header, NAMES) == UNSURE, header
    # A value no Okta cookie has is sliced as it stands: no entry is stored under such a
    # slice, so it finds nothing and the full reading decides.
    assert okta_cookie_slice('sid="abc"', NAMES) == 'sid="abc"'
    assert full_header('sid="abc"') == "sid=abc"
