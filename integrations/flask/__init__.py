"""Flask extension: ``OktaSession(app)`` or ``okta.init_app(app)`` in an app factory.

Only translation lives here: Flask's request becomes the core's inputs (cookie header,
path, lower-case headers) and the core's ``Reply`` becomes a Flask ``Response``. Cache,
single flight, refresh, backoff and the access and CSRF decisions are the core's
(``SessionService`` over ``httpx.Client``; its sync driver is thread-safe, so single
flight holds across the threads of a threaded server).

::

    okta = OktaSession(app)                 # reads app.config["OKTA_ORG_URL"], ...

    @app.get("/profile")
    @okta_session_required
    def profile():
        return g.okta_session.login         # also request.okta_session

The session is resolved before each request (a request without an Okta cookie or on an
exempt path costs nothing) and put on ``g.okta_session`` and ``request.okta_session``.
"""

from __future__ import annotations

import functools
import logging
import weakref
from collections.abc import Callable, Collection
from typing import Any, Final, TypeVar, cast, overload

from flask import Blueprint, Flask, Response, current_app, g, has_app_context, request
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response as WerkzeugResponse

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.effects import Resolution
from okta_session_mw.engine.service import SessionService
from okta_session_mw.okta.session import Session, SessionStatus
from okta_session_mw.web import csrf_nonce
from okta_session_mw.web.access import passes, refusal
from okta_session_mw.web.cookies import wsgi_cookie_header
from okta_session_mw.web.csrf import CSRF_FIELD
from okta_session_mw.web.login_cookie import login_cookie_header
from okta_session_mw.web.logout_request import LogoutRequest, form_token_wanted
from okta_session_mw.web.reply import Reply

__all__ = [
    "EXTENSION_KEY",
    "OktaSession",
    "csrf_allows",
    "get_service",
    "login_with_session_token",
    "logout",
    "logout_csrf_token",
    "okta_session_required",
    "render_reply",
]

logger = logging.getLogger("okta_session_mw")

EXTENSION_KEY: Final = "okta_session"
"""Key of the extension in ``app.extensions``; also the logout blueprint's name."""
SESSION_ATTR: Final = "okta_session"

F = TypeVar("F", bound=Callable[..., Any])


class OktaSession:
    """The Flask extension: one ``SessionService`` per app, hooks and the logout route.

    Settings come from ``config`` or else from ``app.config`` (``OKTA_ORG_URL``,
    ``OKTA_CACHE_TTL``, ...: ``OKTA_`` + a config field name in upper case); a bad one
    raises ``ConfigError`` at ``init_app``. Pass ``service`` to share a
    ``SessionService`` with other code (it is then yours to close). ``logout_route=False``
    leaves mounting logout to you (see ``logout``).
    """

    def __init__(
        self,
        app: Flask | None = None,
        config: OktaSessionConfig | None = None,
        *,
        service: SessionService | None = None,
        logout_route: bool = True,
    ) -> None:
        self._config = config
        self._shared_service = service
        self._logout_route = logout_route
        # One instance may serve several apps (app factories, tests): state per app.
        self._services: weakref.WeakKeyDictionary[Flask, SessionService] = (
            weakref.WeakKeyDictionary()
        )
        if app is not None:
            self.init_app(app)

    def __repr__(self) -> str:
        return f"OktaSession(apps={len(self._services)})"

    def init_app(self, app: Flask) -> None:
        """Validate the settings, make the app's ``SessionService`` and install hooks."""
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("OktaSession is already set up on this app")
        service = self._shared_service
        if service is None:
            config = self._config or OktaSessionConfig.from_mapping(app.config, prefix="OKTA_")
            service = SessionService(config)
        self._services[app] = service
        app.extensions[EXTENSION_KEY] = self
        def attach_session() -> None:  # a plain function: Flask checks it for async per request
            _attach_session(service)

        app.before_request(attach_session)
        app.after_request(_add_csrf_cookie)
        app.add_template_global(logout_csrf_token, "okta_logout_csrf_token")
        if self._logout_route:
            app.register_blueprint(_logout_blueprint(service.config.logout_path))

    def service_for(self, app: Flask) -> SessionService:
        try:
            return self._services[app]
        except KeyError:
            raise RuntimeError("OktaSession.init_app(app) was not called for this app") from None

    @property
    def service(self) -> SessionService:
        """The current app's ``SessionService`` (or the only app's, outside a context)."""
        if has_app_context():
            return self.service_for(cast("LocalProxy[Flask]", current_app)._get_current_object())
        if self._shared_service is not None:
            return self._shared_service
        if len(self._services) == 1:
            return next(iter(self._services.values()))
        raise RuntimeError("OktaSession serves several apps: use it inside an app context")

    def revoke(self, session_id: str) -> bool:
        """Admin revoke by session id; also evicts it from the cache (behaviour 11).

        False when Okta had no such session. Needs ``api_token`` in the config.
        """
        return self.service.revoke(session_id)

    def close(self) -> None:
        """Close the Okta clients of the services this extension made (not a shared one)."""
        for service in list(self._services.values()):
            if service is not self._shared_service:
                service.close()


def get_service() -> SessionService:
    """The current app's ``SessionService``."""
    extension = current_app.extensions.get(EXTENSION_KEY)
    if not isinstance(extension, OktaSession):
        raise RuntimeError("OktaSession is not set up: call OktaSession(app) or okta.init_app(app)")
    return extension.service


def _attach_session(service: SessionService) -> None:
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


def _resolution() -> Resolution:
    """This request's resolution; made now if the hook did not run (a view called
    directly in a ``test_request_context``, say)."""
    resolution = g.get("_okta_session_resolution")
    if resolution is None:
        _attach_session(get_service())
        resolution = g.get("_okta_session_resolution")
    assert isinstance(resolution, Resolution)
    return resolution


def _lower_headers() -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def render_reply(reply: Reply) -> Response:
    """A Flask ``Response`` for a core ``Reply`` (repeated ``Set-Cookie`` kept)."""
    response = Response(
        reply.body, status=reply.status, headers=reply.other_headers, content_type=reply.media_type
    )
    if reply.media_type is None:  # werkzeug would label a 204 or a 303 text/html
        del response.headers["Content-Type"]
    return response


@overload
def okta_session_required(func: F) -> F: ...
@overload
def okta_session_required(
    func: None = None, *, statuses: Collection[SessionStatus] | None = None
) -> Callable[[F], F]: ...
def okta_session_required(
    func: F | None = None, *, statuses: Collection[SessionStatus] | None = None
) -> F | Callable[[F], F]:
    """Protect a view: a browser is redirected to login (with a safe return path), an
    API call gets 401 JSON, 503 while Okta is unreachable. ``statuses`` overrides the
    config's accepted ones (e.g. to let ``MFA_REQUIRED`` through)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            resolution, config = _resolution(), get_service().config
            if passes(resolution, config, statuses):  # the usual case: no headers read
                return current_app.ensure_sync(view)(*args, **kwargs)
            return render_reply(
                refusal(
                    resolution,
                    config,
                    headers=_lower_headers(),
                    path=request.script_root + request.path,
                    query=request.query_string.decode("latin-1"),
                )
            )

        return cast(F, wrapper)

    return decorate(func) if func is not None else decorate


def logout_csrf_token() -> str:
    """Token for a form's ``csrf_token`` field (or the ``X-CSRF-Token`` header): logout,
    or any form ``csrf_allows`` checks.

    Templates call it as ``okta_logout_csrf_token()``. It is bound to this browser (its
    Okta cookie, else a nonce cookie added to the response), so a token fetched in one
    browser does not work in another.
    """
    return csrf_nonce.csrf_token(get_service(), wsgi_cookie_header(request.environ), g)


def _add_csrf_cookie(response: WerkzeugResponse) -> WerkzeugResponse:
    """``after_request``: the nonce cookie ``logout_csrf_token`` made, if it made one."""
    cookie = csrf_nonce.nonce_set_cookie(g)
    if cookie is not None:
        response.headers.add("Set-Cookie", cookie)
    return response


def _logout_request(redirect_to: str | None = None, token: str | None = None) -> LogoutRequest:
    headers = _lower_headers()
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

    The logout blueprint calls this; apps with their own route may too. A refused
    request gets 403 before any call to Okta. The app's origin is taken from the
    request's scheme and host: behind a proxy, install werkzeug's ``ProxyFix``.
    """
    return render_reply(get_service().logout_request(_logout_request(redirect_to)))


def _logout_blueprint(path: str) -> Blueprint:
    """``POST <path>`` as endpoint ``okta_session.logout`` (for ``url_for``)."""
    blueprint = Blueprint(EXTENSION_KEY, __name__)
    blueprint.add_url_rule(path, "logout", _logout_view, methods=["POST"])
    return blueprint


def _logout_view() -> Response:
    return logout()


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
