"""The logout view, the CSRF helpers and the login helper (behaviours 9, 10).

CSRF is the core's rule (``SessionService.csrf_allows``): a foreign ``Origin`` (else
``Referer``) is refused whatever the token says, the app's own origin passes, and with
neither header a POST needs a token ``logout_csrf_token`` made for this browser.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Response, after_this_request, g, request
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response as WerkzeugResponse

from okta_session_mw.okta.session import Session
from okta_session_mw.web import csrf_nonce
from okta_session_mw.web.cookies import wsgi_cookie_header
from okta_session_mw.web.csrf import CSRF_FIELD
from okta_session_mw.web.login_cookie import login_cookie_header
from okta_session_mw.web.logout_request import LogoutRequest, form_token_wanted

from .per_request import add_csrf_cookie, lower_headers
from .responses import render_reply
from .service import get_service

__all__ = [
    "csrf_allows",
    "login_with_session_token",
    "logout",
    "logout_csrf_token",
]

_NONCE_ADDED = "_okta_nonce_cookie_added"  # on the request: its nonce cookie is taken care of


def logout_csrf_token() -> str:
    """Token for a form's ``csrf_token`` field (or the ``X-CSRF-Token`` header): logout,
    or any form ``csrf_allows`` checks.

    Templates call it as ``okta_logout_csrf_token()``. It is bound to this browser (its
    Okta cookie, else a nonce cookie added to the response), so a token fetched in one
    browser does not work in another.

    The nonce cookie is added by a function run after this request only
    (``after_this_request``), registered when a token needs one: before the app's
    ``after_request`` hooks, and at no cost to the requests that make no token.
    """
    token = csrf_nonce.csrf_token(get_service(), wsgi_cookie_header(request.environ), g)
    if csrf_nonce.nonce_set_cookie(g) is not None:
        current = cast("LocalProxy[Any]", request)._get_current_object()
        if not getattr(current, _NONCE_ADDED, False):
            setattr(current, _NONCE_ADDED, True)
            after_this_request(add_csrf_cookie)
    return token


def _logout_request(redirect_to: str | None = None, token: str | None = None) -> LogoutRequest:
    headers = lower_headers()
    if form_token_wanted(request.method, headers, token):
        token = request.form.get(CSRF_FIELD)
    return LogoutRequest(
        method=request.method,
        scheme=request.scheme,
        host=request.host,
        headers=headers,
        cookie_header=wsgi_cookie_header(request.environ),
        form_token=token,
        redirect_to=redirect_to,
        client=request.remote_addr,
    )


def csrf_allows(token: str | None = None) -> bool:
    """The logout CSRF rule, for the app's own state-changing forms (a sign-in form
    too): a foreign ``Origin`` (else ``Referer``) is refused whatever the token says,
    the app's own origin passes, and with neither header the POST needs a token from
    ``logout_csrf_token`` made for this browser (read from ``X-CSRF-Token`` or the
    ``csrf_token`` form field unless ``token`` is given)."""
    return get_service().csrf_allows(_logout_request(token=token))


def logout(*, redirect_to: str | None = None) -> Response:
    """Close this request's Okta session (POST, CSRF-checked) and answer it.

    The extension's blueprint calls this; apps with their own route may too. A refused
    request gets 403 before any call to Okta. The app's origin is taken from the
    request's scheme and host: behind a proxy, install werkzeug's ``ProxyFix``.
    """
    return render_reply(get_service().logout_request(_logout_request(redirect_to)))


def login_with_session_token(response: WerkzeugResponse, session_token: str) -> Session:
    """CreateSession from a ``sessionToken`` and set the ``sid`` cookie on ``response``
    (any Werkzeug response, such as the one ``flask.redirect`` returns).

    The cookie is HttpOnly, SameSite=Lax, Secure by ``OKTA_COOKIE_SECURE`` (default:
    on unless the org is plain http on loopback), and ends with the session. Needs
    ``api_token`` in the config; raises the client's errors
    (``OktaAuthenticationError`` for a used or expired token), and
    ``SignInThrottledError`` when sign-in is held back to keep Okta's rate limit (show
    "try again shortly").
    """
    service = get_service()
    session = service.login(session_token, request.remote_addr)
    response.headers.add("Set-Cookie", login_cookie_header(service.config, session))
    return session
