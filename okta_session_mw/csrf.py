"""Logout's CSRF defence (behaviour 9), decided with no framework in it.

A logout POST is accepted when its ``Origin`` (or, when the browser sent none, its
``Referer``) is the app's own origin or an allowed one, or when it carries a valid
signed token (for clients that send neither header). Anything else is refused before
Okta is called. The token is signed with itsdangerous under its own salt and bound to
the request's Okta cookies, so one user's token cannot log out another.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer

from okta_session_mw.config import OktaSessionConfig

__all__ = ["CSRF_FIELD", "CSRF_HEADER", "LogoutGuard"]

CSRF_FIELD = "csrf_token"
"""Form field that carries the token."""
CSRF_HEADER = "x-csrf-token"
"""Header that carries the token (for scripts)."""
TOKEN_MAX_AGE = 24 * 3600
_ANONYMOUS = "-"


class LogoutGuard:
    """Issues and checks logout tokens; one per config (derived values made once)."""

    def __init__(self, config: OktaSessionConfig) -> None:
        self._serializer = URLSafeTimedSerializer(config.secret_key, salt="okta-session-mw.logout")
        self._allowed = frozenset(o.lower() for o in config.allowed_origins)

    def token(self, cookie_key: str | None) -> str:
        """A token for a logout form; ``cookie_key`` is the request's cache key, if any."""
        return self._serializer.dumps(_binding(cookie_key))

    def token_valid(self, token: str | None, cookie_key: str | None) -> bool:
        if not token or len(token) > 512:
            return False
        try:
            bound = self._serializer.loads(token, max_age=TOKEN_MAX_AGE)
        except BadSignature:
            return False
        return bool(bound == _binding(cookie_key))

    def allows(
        self,
        *,
        own_origin: str,
        origin: str | None,
        referer: str | None,
        token: str | None,
        cookie_key: str | None,
    ) -> bool:
        """True when the POST may log out (see the module docstring)."""
        source = origin if origin is not None else _origin_of(referer)
        if source is not None and (
            source.lower() == own_origin.lower() or source.lower() in self._allowed
        ):
            return True
        return self.token_valid(token, cookie_key)


def _binding(cookie_key: str | None) -> str:
    return cookie_key[:32] if cookie_key else _ANONYMOUS


def _origin_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"
