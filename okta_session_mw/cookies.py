"""Reading Okta's cookies out of a ``Cookie`` header, and writing ``Set-Cookie`` values.

Only the configured names ever leave the app (behaviour 1). Parsing is deliberately
strict and small: a value that could smuggle a second cookie or a header break into the
request to Okta is dropped, and a duplicated Okta cookie is ambiguous, so the request is
treated as having none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, NamedTuple

__all__ = [
    "OktaCookies",
    "asgi_cookie_header",
    "expired_cookie_header",
    "extract_okta_cookies",
    "join_cookie_fields",
    "session_cookie_header",
    "wsgi_cookie_header",
]

# RFC 6265 cookie-octet: anything else (controls, space, '"', ',', ';', '\\', non-ASCII)
# in an Okta cookie value means it is not one Okta issued.
_VALUE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+")


def _values_of(header: str, name: str, at: int) -> list[str]:
    """Every raw value of cookie ``name`` in ``header``, read as splitting on ``;``, then
    on the first ``=``, and stripping would read it; found with ``str.find`` (C speed)
    rather than by splitting the whole header, which is mostly other cookies."""
    values: list[str] = []
    size = len(name)
    while at >= 0:
        before = at - 1
        while before >= 0 and header[before].isspace():
            before -= 1
        after = at + size
        while after < len(header) and header[after].isspace():
            after += 1
        if (before < 0 or header[before] == ";") and after < len(header) and (
            header[after] == "="
        ):
            end = header.find(";", after)
            values.append(header[after + 1 :] if end < 0 else header[after + 1 : end])
        at = header.find(name, at + 1)
    return values


class OktaCookies(NamedTuple):
    """The Okta cookies of one request, in the configured order (a named tuple: made
    on every request that has one)."""

    pairs: tuple[tuple[str, str], ...]
    header: str
    """The ``Cookie`` header value to forward to Okta: ``sid=...; idx=...``."""

    def value(self, name: str) -> str | None:
        """The value of cookie ``name``, if the request carried it."""
        for cookie_name, value in self.pairs:
            if cookie_name == name:
                return value
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.pairs)

    def __repr__(self) -> str:  # never show the values
        return f"OktaCookies(names={self.names!r})"


def join_cookie_fields(fields: Iterable[str]) -> str | None:
    """The one ``Cookie`` header a request's cookie fields make; HTTP/2 sends a field per
    cookie (RFC 9113 8.2.3), and they are joined with ``; `` (empty ones skipped), as one
    HTTP/1.1 header would have carried them. Every adapter reads cookies through this
    (``asgi_cookie_header``, ``wsgi_cookie_header``): reading only the first field would
    make logout close nothing."""
    return "; ".join(filter(None, map(str.strip, fields))) or None  # C loops: per request


def asgi_cookie_header(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The ``Cookie`` header of an ASGI request, all its ``cookie`` fields joined."""
    return join_cookie_fields([v.decode("latin-1") for name, v in headers if name == b"cookie"])


def wsgi_cookie_header(environ: Mapping[str, Any]) -> str | None:
    """The ``Cookie`` header of a WSGI request. A WSGI server that got several fields
    joins them with commas (CGI's rule for repeated headers: werkzeug, gunicorn,
    wsgiref), so commas count as field boundaries too; no Okta cookie value holds one."""
    value = environ.get("HTTP_COOKIE")
    return join_cookie_fields(value.split(",")) if isinstance(value, str) else None


def extract_okta_cookies(
    cookie_header: str | None, names: tuple[str, ...], max_length: int
) -> OktaCookies | None:
    """Pick the configured Okta cookies out of a raw ``Cookie`` header.

    Returns None when there is none to forward: no header, no Okta cookie, a value that
    is empty, too long or has characters no Okta cookie has, or the same Okta cookie
    twice (which one would Okta see?).
    """
    if not cookie_header:
        return None
    pairs: list[tuple[str, str]] = []
    for name in names:
        at = cookie_header.find(name)  # most headers hold no Okta cookie: one C search
        if at < 0:
            continue
        values = _values_of(cookie_header, name, at)
        if not values:
            continue
        if len(values) > 1:
            return None  # the same Okta cookie twice: which one would Okta see?
        value = values[0].strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if len(value) > max_length or _VALUE.fullmatch(value) is None:
            return None
        pairs.append((name, value))
    if not pairs:
        return None
    if len(pairs) == 1:
        name, value = pairs[0]
        return OktaCookies((pairs[0],), f"{name}={value}")
    return OktaCookies(tuple(pairs), "; ".join(f"{name}={value}" for name, value in pairs))


def session_cookie_header(
    name: str,
    value: str,
    expires_at: datetime | None,
    *,
    secure: bool,
    now: datetime | None = None,
) -> str:
    """``Set-Cookie`` value the library sets (the login helper's ``sid``, the CSRF
    nonce): HttpOnly, SameSite=Lax, ends at ``expires_at`` (None: with the browser)."""
    if _VALUE.fullmatch(value) is None:
        raise ValueError("not a valid cookie value")
    parts = [f"{name}={value}", "Path=/"]
    if expires_at is not None:
        current = now or datetime.now(timezone.utc)
        max_age = max(0, int((expires_at - current).total_seconds()))
        expires = format_datetime(expires_at.astimezone(timezone.utc), usegmt=True)
        parts += [f"Expires={expires}", f"Max-Age={max_age}"]
    parts += ["HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def expired_cookie_header(name: str, *, secure: bool) -> str:
    """``Set-Cookie`` value that makes the browser drop ``name`` (logout)."""
    parts = [
        f'{name}=""',
        "Path=/",
        "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "Max-Age=0",
        "HttpOnly",
        "SameSite=Lax",
    ]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)
