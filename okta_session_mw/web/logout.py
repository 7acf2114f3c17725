"""Logout and login decisions shared by every adapter (behaviours 9 and 10).

The adapters read the request (method, headers, form token, cookies), call the
``SessionService`` to close the session at Okta, and render the ``Reply`` built here:
303 to a safe ``post_logout_redirect`` for a browser, 204 for an API client, with
``Set-Cookie`` lines that drop the Okta cookies the request carried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.okta.session import Session
from okta_session_mw.web.access import is_safe_path
from okta_session_mw.web.cookies import expired_cookie_header, session_cookie_header
from okta_session_mw.web.csrf import CSRF_HEADER
from okta_session_mw.web.reply import Reply, json_reply

__all__ = [
    "LogoutRequest",
    "forbidden_reply",
    "login_cookie_header",
    "logout_reply",
]


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    """What an adapter reads off a logout request; the service decides the rest."""

    method: str
    scheme: str
    host: str | None
    headers: Mapping[str, str]
    """Lower-case names: ``origin``, ``referer``, ``accept``, ``x-csrf-token``..."""
    cookie_header: str | None
    form_token: str | None = None
    """The ``csrf_token`` form field, if the adapter read one."""
    redirect_to: str | None = None
    client: str | None = None
    """The transport peer's address as the server reports it (ASGI ``scope["client"]``,
    WSGI ``REMOTE_ADDR``): a logout of a cookie with no cached session spends its
    allowance, as a lookup would."""

    @property
    def token(self) -> str | None:
        return self.headers.get(CSRF_HEADER) or self.form_token

    def __repr__(self) -> str:  # headers hold cookies
        return f"LogoutRequest(method={self.method!r}, host={self.host!r})"


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


def login_cookie_header(
    config: OktaSessionConfig, session: Session, *, now: datetime | None = None
) -> str:
    """``Set-Cookie`` for the session CreateSession made: ``sid=<id>``, ends with it,
    ``Secure`` by ``config.cookie_secure``."""
    return session_cookie_header(
        "sid", session.id, session.expires_at, secure=config.secure_cookies, now=now
    )
