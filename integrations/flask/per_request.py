"""What the extension keeps per request: the session on ``g`` and ``request``, and the
CSRF nonce cookie a token helper made (the ``before_request`` and ``after_request``
hooks ``OktaSession.init_app`` installs), with the request read as the core wants it.

The session is lazy, as Flask-Login's ``current_user`` is, by the core's one rule of
laziness (``web.pending_resolution``, which Django's ``request.okta_session`` follows
too): the hook settles what needs no I/O and leaves a lazy value bound to the
request; Okta is asked at the first read, once, and never for a request whose view
does not read it.
"""

from __future__ import annotations

from typing import Any, Final, cast

from flask import g, request
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response as WerkzeugResponse

from okta_session_mw.engine.resolution import Resolution
from okta_session_mw.engine.service import SessionService
from okta_session_mw.okta.session import Session
from okta_session_mw.web.cookies import wsgi_cookie_header
from okta_session_mw.web.csrf_nonce import nonce_set_cookie
from okta_session_mw.web.pending_resolution import PendingResolution

from .service import get_service

__all__ = [
    "SESSION_ATTR",
    "add_csrf_cookie",
    "attach_session",
    "get_okta_session",
    "lower_headers",
    "resolution",
]

SESSION_ATTR: Final = "okta_session"
_PENDING = "_okta_session_pending"


def attach_session(service: SessionService) -> None:
    """``before_request``: put this request's lazy session on ``g`` and ``request``.

    Always a lazy value bound to this request (a ``werkzeug.local.LocalProxy`` over its
    ``PendingResolution``), like Django's ``SimpleLazyObject``, whatever the cookie and
    the cache: its value is the ``Session`` or None, so test it with ``if
    g.okta_session:`` (never ``is None``: a lazy value is an object);
    ``get_okta_session()`` gives the plain value. Kept past its request, it still reads
    that request's session, never the current one's.
    """
    # Each proxy access costs: resolve ``request`` and ``g`` once (this runs per request).
    current = cast("LocalProxy[Any]", request)._get_current_object()
    environ = current.environ
    pending = PendingResolution(
        service, wsgi_cookie_header(environ), environ.get("PATH_INFO", ""), current.remote_addr
    )
    state = cast("LocalProxy[Any]", g)._get_current_object()
    setattr(state, _PENDING, pending)
    session: LocalProxy[Session | None] = LocalProxy(pending.session)
    state.okta_session = session
    setattr(current, SESSION_ATTR, session)  # werkzeug's Request has no slot


def _pending() -> PendingResolution:
    """This request's pending resolution; made now if the hook did not run (a view
    called directly in a ``test_request_context``, say)."""
    pending = g.get(_PENDING)
    if pending is None:
        attach_session(get_service())
        pending = g.get(_PENDING)
    assert isinstance(pending, PendingResolution)
    return pending


def resolution() -> Resolution:
    """This request's ``Resolution`` (looked up now if no one read it yet)."""
    return _pending().resolve()


def get_okta_session() -> Session | None:
    """The request's Okta session (any status) as a plain value, or None."""
    return _pending().resolve().session


def lower_headers() -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def add_csrf_cookie(response: WerkzeugResponse) -> WerkzeugResponse:
    """``after_request``: the nonce cookie ``logout_csrf_token`` made, if it made one."""
    cookie = nonce_set_cookie(g)
    if cookie is not None:
        response.headers.add("Set-Cookie", cookie)
    return response
