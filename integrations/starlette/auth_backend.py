"""A Starlette ``AuthenticationBackend`` so ``request.user`` and ``@requires`` work.

Install it inside ``OktaSessionMiddleware`` (listed after it), which does the lookup;
the backend only reads the result. Scopes granted: ``authenticated`` and
``okta:<STATUS>`` (e.g. ``okta:ACTIVE``), so ``@requires("okta:MFA_REQUIRED")`` is possible.
"""

from __future__ import annotations

from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.requests import HTTPConnection

from okta_session_mw.okta.session import Session
from okta_session_mw.web.access import passes

__all__ = ["OktaAuthBackend", "OktaUser"]


class OktaUser(BaseUser):
    """``request.user`` for a request with an accepted Okta session."""

    def __init__(self, session: Session, *, authenticated: bool = True) -> None:
        self.session = session
        self._authenticated = authenticated

    @property
    def is_authenticated(self) -> bool:
        """False for a session whose status the config does not accept (MFA_REQUIRED)."""
        return self._authenticated

    @property
    def display_name(self) -> str:
        return self.session.login or self.session.user_id or ""

    @property
    def identity(self) -> str:
        """Okta's user id (or login): never the session id, which is a credential that
        apps show or log as a user's identity."""
        return self.session.user_id or self.session.login or ""


class OktaAuthBackend(AuthenticationBackend):
    """Authenticates a request whose Okta session has an accepted status."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        from okta_session_mw.integrations.starlette.protect import get_resolution, get_service

        session: Session | None = conn.scope.get("okta_session")
        if session is None:
            return None
        accepted = passes(get_resolution(conn), get_service(conn).config)
        scopes = ["authenticated"] if accepted else []
        scopes.append(f"okta:{session.status.value}")
        return AuthCredentials(scopes), OktaUser(session, authenticated=accepted)
