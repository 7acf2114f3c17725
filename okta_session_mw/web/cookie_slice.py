"""The hit path's reading of a ``Cookie`` header: Okta's cookies sliced straight out of it.

``extract_okta_cookies`` (``cookies.py``) is the one reading of a header, and checks
every value. On most requests that work is wasted: the header is well formed, and the
cache already holds the answer for its Okta cookies. So the hit path first slices the
cookies out with a few C searches and no checks (``okta_cookie_slice``) and looks the
slice's key up; only when that finds nothing does it read the header in full.

Why skipping the checks is safe: the slice is used only as a cache key, and every
entry was stored under the key of a forwarded header that ``extract_okta_cookies``
made, so a slice that finds an entry is that same header, byte for byte (HMAC-SHA256
has no known collisions). A slice that is not one (a quoted or padded value, a
character no Okta cookie has) finds nothing and falls back to the full reading. Where
the slice could differ from the full reading (a name seen twice, a name not at a
cookie's start, blanks around ``=``) it is not made: ``UNSURE`` says "read it in full".
``tests/web/test_cookie_slice.py`` checks this against the full reading over thousands
of generated headers.
"""

from __future__ import annotations

from typing import Final

__all__ = ["UNSURE", "okta_cookie_slice"]

UNSURE: Final = ""
"""``okta_cookie_slice``'s "cannot tell cheaply: read the header in full"."""


def okta_cookie_slice(header: str, names: tuple[str, ...]) -> str | None:
    """``name=value`` of each of ``names`` in ``header`` (in that order, joined by
    ``; ``, as ``extract_okta_cookies`` forwards them), None when no name occurs in the
    header at all, or ``UNSURE``."""
    found: str | None = None
    for name in names:
        if name not in header:
            continue  # not in the header at all: no such cookie, for the full reading too
        before, _, after = header.partition(name)
        if (
            name in after  # twice: a duplicate, or inside another cookie
            or after[:1] != "="  # blanks before '=', or the name inside a longer one
            or (before and before[-1] != ";" and before[-2:] != "; ")  # not a cookie's start
        ):
            return UNSURE
        pair = name + after.partition(";")[0]
        found = pair if found is None else f"{found}; {pair}"
    return found
