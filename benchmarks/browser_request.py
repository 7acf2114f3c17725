"""The one request every benchmark sends: what Chrome sends for a page of an app it knows.

A dozen headers and a ``Cookie`` header that holds, beside Okta's ``sid``, the cookies an
app's browser has by then: analytics (``_ga``, ``_gid``), a theme, a CSRF cookie and the
framework's own session cookie. A middleware that scans the headers or splits the cookie
header pays for all of it, as it would in production; a benchmark with five headers and
one cookie would flatter it. The direct ASGI calls (``asgi_apps.http_scope``), the WSGI
environ (``wsgi_call.wsgi_environ``), the served sections' clients (httpx and ``wrk``)
all build their request from here; "no Okta cookie" is the same request without ``sid``.
"""

from __future__ import annotations

__all__ = [
    "BROWSER_HEADERS",
    "HOST",
    "browser_cookie",
    "client_headers",
    "wrk_header_args",
]

HOST = "127.0.0.1:8000"
"""The direct calls' ``Host``; served requests carry the server's own port instead."""

_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)

BROWSER_HEADERS: tuple[tuple[str, str], ...] = (
    ("host", HOST),
    ("connection", "keep-alive"),
    ("sec-ch-ua", '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"'),
    ("sec-ch-ua-mobile", "?0"),
    ("sec-ch-ua-platform", '"Linux"'),
    ("upgrade-insecure-requests", "1"),
    ("user-agent", _CHROME),
    (
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
        "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    ),
    ("sec-fetch-site", "same-origin"),
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-user", "?1"),
    ("sec-fetch-dest", "document"),
    ("referer", f"http://{HOST}/reports?page=2"),
    ("accept-encoding", "gzip, deflate, br, zstd"),
    ("accept-language", "en-GB,en-US;q=0.9,en;q=0.8,fr;q=0.7"),
)
"""Every header but ``Cookie``, in the order Chrome sends them (the cookie comes last)."""

_BEFORE_SID = (
    "_ga=GA1.1.1843924651.1764547200",
    "_gid=GA1.1.702315588.1764547200",
    "theme=dark",
)
_AFTER_SID = (
    "csrftoken=Xk2Qm9vR7tLp4Wz8Yb3Nc6Hd1Jf5Gs0A",
    "_ga_7QK2N4XY3Z=GS1.1.1764547200.3.1.1764547321.0.0.0",
)


def browser_cookie(okta_cookie: str | None, session_cookie: str) -> str:
    """The ``Cookie`` header: the app's cookies around ``okta_cookie`` (``sid=...``, or
    ``None`` for a browser without an Okta session) and the framework's own
    ``session_cookie`` (``name=value``, or ``""`` when the framework has none)."""
    pairs = [*_BEFORE_SID, *([okta_cookie] if okta_cookie else []), *_AFTER_SID]
    if session_cookie:
        pairs.append(session_cookie)
    return "; ".join(pairs)


def client_headers(cookie: str, *extra: tuple[str, str]) -> dict[str, str]:
    """The headers for an HTTP client talking to a served variant: all but ``Host`` (the
    client sets it from the URL), then ``extra`` and the cookie."""
    headers = {name: value for name, value in BROWSER_HEADERS if name != "host"}
    headers.update(extra)
    headers["cookie"] = cookie
    return headers


def wrk_header_args(cookie: str) -> list[str]:
    """``client_headers`` as ``wrk``'s ``-H`` options."""
    pairs = client_headers(cookie).items()
    return [arg for name, value in pairs for arg in ("-H", f"{name}: {value}")]
