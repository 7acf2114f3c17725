"""Small helpers for the app's own POST forms: CSRF and the "come back to" path.

The sign-in and admin forms reuse the library's logout guard, so every POST of the
app passes the same test: a same-origin ``Origin``/``Referer``, or the signed token the
page embedded (``logout_csrf_token``), bound to the browser's Okta cookie.
"""

from __future__ import annotations

from starlette.requests import Request

from okta_session_mw import get_service

__all__ = ["CSRF_FIELD", "form_allowed", "safe_next"]

CSRF_FIELD = "csrf_token"
"""The form field the library's logout route reads; the app's forms use it too."""


def form_allowed(request: Request, token: str | None) -> bool:
    """True when this POST comes from the app's own pages (see the module docstring)."""
    service = get_service(request)
    cookies = service.okta_cookies(request.headers.get("cookie"))
    own_origin = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    return service.logout_guard.allows(
        own_origin=own_origin,
        origin=request.headers.get("origin"),
        referer=request.headers.get("referer"),
        token=token,
        cookie_key=service.key_for(cookies) if cookies else None,
    )


def safe_next(target: str | None, fallback: str = "/profile") -> str:
    """``target`` if it is a path on this site, else ``fallback`` (no open redirect)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(c in target for c in "\\\r\n\t\x00")
    ):
        return fallback
    return target
