"""What the extension keeps per request: the session on ``g`` and ``request``, and the
CSRF nonce cookie a token helper made (the ``before_request`` and ``after_request``
hooks ``OktaSession.init_app`` installs), with the request read as the core wants it."""

from __future__ import annotations

from typing import Any, Final, cast

from flask import g, request
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response as WerkzeugResponse

from okta_session_mw.engine.effects import Resolution
from okta_session_mw.engine.service import SessionService
from okta_session_mw.web.cookies import wsgi_cookie_header
from okta_session_mw.web.csrf_nonce import nonce_set_cookie

from .service import get_service

__all__ = ["SESSION_ATTR", "add_csrf_cookie", "attach_session", "lower_headers", "resolution"]

SESSION_ATTR: Final = "okta_session"


def attach_session(service: SessionService) -> None:
    """``before_request``: resolve the session and put it on ``g`` and ``request``.

    The core never looks up the logout path (where the blueprint mounts logout) or an
    exempt path.
    """
    # Each proxy access costs: resolve ``request`` and ``g`` once (this runs per request).
    current = cast("LocalProxy[Any]", request)._get_current_object()
    environ = current.environ
    resolution = service.resolve_request(
        wsgi_cookie_header(environ), environ.get("PATH_INFO", ""), current.remote_addr
    )
    state = cast("LocalProxy[Any]", g)._get_current_object()
    state._okta_session_resolution = resolution
    state.okta_session = resolution.session
    setattr(current, SESSION_ATTR, resolution.session)  # werkzeug's Request has no slot


def resolution() -> Resolution:
    """This request's resolution; made now if the hook did not run (a view called
    directly in a ``test_request_context``, say)."""
    made = g.get("_okta_session_resolution")
    if made is None:
        attach_session(get_service())
        made = g.get("_okta_session_resolution")
    assert isinstance(made, Resolution)
    return made


def lower_headers() -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def add_csrf_cookie(response: WerkzeugResponse) -> WerkzeugResponse:
    """``after_request``: the nonce cookie ``logout_csrf_token`` made, if it made one."""
    cookie = nonce_set_cookie(g)
    if cookie is not None:
        response.headers.add("Set-Cookie", cookie)
    return response
