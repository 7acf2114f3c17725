"""One request's CSRF nonce, kept where each framework keeps per-request values.

A token helper (``logout_csrf_token``) made for a visitor without an Okta cookie binds
the token to a nonce and leaves a ``Set-Cookie`` line in the request's ``CsrfState``;
the adapter's response side adds that line. Both sides go through these functions, with
the framework's per-request store: the ASGI scope, Flask's ``g``, a Django request's
``__dict__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Protocol

from okta_session_mw.web.csrf import CsrfState

if TYPE_CHECKING:
    from okta_session_mw.engine.service import SessionService

__all__ = ["CSRF_STATE_KEY", "RequestStore", "csrf_token", "nonce_set_cookie"]

CSRF_STATE_KEY: Final = "okta_session_mw.web.csrf"
"""Key of the request's ``CsrfState`` in its store (made by the first token)."""


class RequestStore(Protocol):
    """A per-request namespace: a ``dict`` (ASGI scope, ``vars(request)``) or Flask's ``g``."""

    def get(self, key: str, /) -> Any: ...
    def setdefault(self, key: str, default: Any, /) -> Any: ...


def csrf_token(service: SessionService, cookie_header: str | None, store: RequestStore) -> str:
    """A token for this browser (its Okta cookies, else a nonce made now, whose cookie
    ``nonce_set_cookie`` then gives); every token of one request shares one nonce."""
    state = store.get(CSRF_STATE_KEY)
    if not isinstance(state, CsrfState):
        state = store.setdefault(CSRF_STATE_KEY, CsrfState())
    return service.csrf_token(cookie_header, state)


def nonce_set_cookie(store: RequestStore) -> str | None:
    """The ``Set-Cookie`` line a token helper made for this request, if it made one."""
    state = store.get(CSRF_STATE_KEY)
    return state.set_cookie if isinstance(state, CsrfState) else None
