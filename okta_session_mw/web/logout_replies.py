"""The answers to a logout, shared by every adapter (behaviour 9).

The adapters read the request into a ``LogoutRequest`` (``logout_request.py``), call the
``SessionService`` to close the session at Okta, and render the ``Reply`` built here:
303 to a safe ``post_logout_redirect`` for a browser, 204 for an API client, with
``Set-Cookie`` lines that drop the Okta cookies the request carried.
"""

from __future__ import annotations

from collections.abc import Iterable

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.web.access import is_safe_path
from okta_session_mw.web.cookies import expired_cookie_header
from okta_session_mw.web.reply import Reply, json_reply

__all__ = [
    "forbidden_reply",
    "logout_reply",
    "method_not_allowed_reply",
]


def method_not_allowed_reply() -> Reply:
    return Reply(405, (("allow", "POST"),))


def logout_reply(
    config: OktaSessionConfig,
    *,
    html: bool,
    present_cookies: Iterable[str],
    redirect_to: str | None = None,
    closed: bool = True,
) -> Reply:
    """The answer to a logout; ``redirect_to`` is used only if it is safe.

    ``closed`` False means Okta could not close the session (down, 5xx): the answer is
    then 503 and the cookies are kept, so the user can try again rather than believe
    they are signed out while the Okta session lives on. ``Secure`` on the expired
    cookies follows ``config.cookie_secure``, never the request's Host.
    """
    if not closed:
        return json_reply(
            503, "okta_unavailable", "Could not close the Okta session; try again.",
            (("retry-after", "5"),),
        )
    headers: list[tuple[str, str]] = [("cache-control", "no-store")]
    secure = config.secure_cookies
    headers += [("set-cookie", expired_cookie_header(n, secure=secure)) for n in present_cookies]
    if not html:
        return Reply(204, tuple(headers))
    target = (
        redirect_to if redirect_to and is_safe_path(redirect_to) else config.post_logout_redirect
    )
    return Reply(303, (("location", target), *headers))


def forbidden_reply() -> Reply:
    """Refused before any call to Okta: a foreign origin, or no origin and no valid token."""
    return json_reply(403, "csrf_failed", "Logout refused: bad origin or token.")

