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
    "wsgi_cookie_fields",
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
    """The ``Cookie`` header of an ASGI request, all its ``cookie`` fields joined (by
    ``join_cookie_fields``). Runs on every request: most carry one field, returned as
    it is, with no list, no join."""
    found: str | None = None
    fields: list[str] | None = None
    for name, value in headers:
        if name == b"cookie":
            if found is None:
                found = value.decode("latin-1")
            else:
                fields = fields or [found]
                fields.append(value.decode("latin-1"))
    if fields is not None:
        return join_cookie_fields(fields)
    return None if found is None else (found.strip() or None)  # join's rule, for one field


def wsgi_cookie_header(environ: Mapping[str, Any]) -> str | None:
    """The ``Cookie`` header of a WSGI request, read as the fields the browser sent.

    A WSGI server that got several ``Cookie`` fields (HTTP/2 sends one per cookie) joins
    them into ``HTTP_COOKIE`` with commas (CGI's rule for repeated headers: werkzeug
    ``a=1,b=2``, others ``a=1, b=2``), but a comma may also sit inside another cookie's
    value, and Flask and Django read it as part of that value. The rule, in
    ``wsgi_cookie_fields``: ``;`` always ends a cookie (no browser sends one inside a
    value); a comma ends a field only

    - outside a quoted value: a value whose first character (after blanks) is ``"``
      runs to the next ``"`` not escaped by ``\\`` (as werkzeug and ``http.cookies``
      quote and read it), or to the next ``;`` when it never closes; and
    - where what follows is ``name=`` with a valid cookie name (an RFC 9110 token,
      blanks allowed around it), so ``note=x,y`` stays one cookie.

    So a comma inside another cookie's quoted value never makes an Okta cookie or a
    second one, and a comma that starts no cookie is kept (and then makes an Okta
    value invalid: Okta's never hold one).

    One case is ambiguous: an unquoted ``note=x,sid=OTHER`` is, byte for byte, two
    joined fields ``note=x`` and ``sid=OTHER``, and is read so (``sid`` is OTHER).
    Reading it as one cookie ``note`` instead would make logout a silent no-op again
    for every user whose browser sends a plain cookie in the field before ``sid``.
    The bytes come from a browser, which sends what was set: an app cookie with a
    comma in it is quoted when Flask, Django or ``http.cookies`` set it, and the
    library sets no such cookie, so an unquoted comma value exists only if someone
    wrote that ``Set-Cookie`` by hand or set it from another subdomain or script;
    and whoever can do that can set ``sid=OTHER`` itself (or a second ``sid``),
    so reading it as a boundary gives nobody anything they lacked. An attacker
    sending these bytes from their own client only affects their own request.
    """
    value = environ.get("HTTP_COOKIE")
    if not isinstance(value, str):
        return None
    if "," not in value:  # one field, or fields that carried no comma: as is
        return value.strip() or None  # join's rule, for one field
    # a piece of commas and blanks only is empty fields joined: no cookie in it
    return join_cookie_fields([p for p in wsgi_cookie_fields(value) if p.strip(" \t,")])


# RFC 9110 token: what a cookie name is made of (RFC 6265 4.1.1); a comma that a
# ``name=`` follows may start a cookie, any other comma is part of a value.
_FIELD_COMMA = re.compile(r",(?=[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=)")
_OPEN_QUOTE = re.compile(r'[ \t]*"')
_QUOTED_REST = re.compile(r'(?:[^"\\]|\\.)*"')  # after the opening quote, to the close


def wsgi_cookie_fields(http_cookie: str) -> list[str]:
    """The cookies of a comma-joined ``HTTP_COOKIE``, split by the rule of
    ``wsgi_cookie_header`` (one scan with C searches: linear in the header)."""
    pieces: list[str] = []
    for chunk in http_cookie.split(";"):
        start = at = 0  # ``at``: where the current cookie (its name) begins
        while True:
            equals = chunk.find("=", at)
            if equals < 0:
                break  # a field boundary needs a ``name=`` after it
            comma: re.Match[str] | None = None
            if chunk.find(",", at, equals) >= 0:  # a boundary before this name?
                comma = _FIELD_COMMA.search(chunk, at)
                if comma is not None and comma.start() > equals:
                    comma = None
            if comma is None:
                value_at = equals + 1
                opening = _OPEN_QUOTE.match(chunk, value_at)
                if opening is not None:
                    closing = _QUOTED_REST.match(chunk, opening.end())
                    if closing is None:
                        break  # never closed: the rest of the chunk is its value
                    value_at = closing.end()
                comma = _FIELD_COMMA.search(chunk, value_at)
                if comma is None:
                    break
            pieces.append(chunk[start : comma.start()])
            start = at = comma.end()
        pieces.append(chunk[start:])
    return pieces


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
