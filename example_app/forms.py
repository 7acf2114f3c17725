"""Small helpers for the app's own POST forms: CSRF and the "come back to" path.

The sign-in and admin forms reuse the library's logout guard, so every POST of the
app passes the same test: a foreign ``Origin``/``Referer`` is refused, the app's own
passes, and with neither header the POST needs the signed token the page embedded
(``logout_csrf_token``), which works only in the browser it was given to (bound to its
Okta cookie, or to the nonce cookie the library set with it): an attacker's token
cannot sign the victim in as the attacker (login CSRF).
"""

from __future__ import annotations

from starlette.requests import Request

from okta_session_mw import CSRF_FIELD, csrf_allows
from okta_session_mw.web.access import is_safe_path

__all__ = ["CSRF_FIELD", "form_allowed", "safe_next"]


async def form_allowed(request: Request, token: str | None) -> bool:
    """True when this POST comes from the app's own pages (see the module docstring)."""
    return await csrf_allows(request, token)


def safe_next(target: str | None, fallback: str = "/profile") -> str:
    """``target`` if it is a path on this site, else ``fallback`` (no open redirect)."""
    return target if target and is_safe_path(target) else fallback
