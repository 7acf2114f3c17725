"""The ``Set-Cookie`` line for Okta's ``sid`` after a sign-in (behaviour 10).

``SessionService.login`` makes the session (CreateSession); each adapter's
``login_with_session_token`` adds this line to the response it was given.
"""

from __future__ import annotations

from datetime import datetime

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.okta.session import Session
from okta_session_mw.web.cookies import session_cookie_header

__all__ = ["login_cookie_header"]


def login_cookie_header(
    config: OktaSessionConfig, session: Session, *, now: datetime | None = None
) -> str:
    """``Set-Cookie`` for the session CreateSession made: ``sid=<id>``, HttpOnly,
    SameSite=Lax, ends with the session, ``Secure`` by ``config.cookie_secure`` (never
    by the request's host)."""
    return session_cookie_header(
        "sid", session.id, session.expires_at, secure=config.secure_cookies, now=now
    )
