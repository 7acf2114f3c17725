"""``OktaSession``: the Flask extension (``Ext(app=None)`` + ``init_app``, state per app).

``init_app`` makes the app's ``SessionService`` (or takes a shared one), installs the
per-request hook (``per_request.py``), the template global for the logout token and
the blueprint of the logout and event hook routes (``blueprint.py``).
"""

from __future__ import annotations

import weakref
from typing import cast

from flask import Flask, current_app, has_app_context
from werkzeug.local import LocalProxy

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.service import SessionService

from .blueprint import okta_blueprint
from .per_request import session_hook
from .service import EXTENSION_KEY
from .views import logout_csrf_token

__all__ = ["OktaSession"]


class OktaSession:
    """The Flask extension: one ``SessionService`` per app, its hook, the logout route and
    the Okta Event Hook route.

    Settings come from ``config`` or else from ``app.config`` (``OKTA_ORG_URL``,
    ``OKTA_CACHE_TTL``, ...: ``OKTA_`` + a config field name in upper case); a bad one
    raises ``ConfigError`` at ``init_app``. Pass ``service`` to share a
    ``SessionService`` with other code (it is then yours to close). ``logout_route=False``
    leaves mounting logout to you (see ``logout``); ``event_hook_route=False`` the same
    for the event hook (``GET, POST OKTA_EVENT_HOOK_PATH``, see ``event_hook``), which
    refuses every call until ``OKTA_EVENT_HOOK_SECRETS`` is set.
    """

    def __init__(
        self,
        app: Flask | None = None,
        config: OktaSessionConfig | None = None,
        *,
        service: SessionService | None = None,
        logout_route: bool = True,
        event_hook_route: bool = True,
    ) -> None:
        self._config = config
        self._shared_service = service
        self._logout_route = logout_route
        self._event_hook_route = event_hook_route
        # One instance may serve several apps (app factories, tests): state per app.
        self._services: weakref.WeakKeyDictionary[Flask, SessionService] = (
            weakref.WeakKeyDictionary()
        )
        if app is not None:
            self.init_app(app)

    def __repr__(self) -> str:
        return f"OktaSession(apps={len(self._services)})"

    def init_app(self, app: Flask) -> None:
        """Validate the settings, make the app's ``SessionService`` and install its hook."""
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("OktaSession is already set up on this app")
        service = self._shared_service
        if service is None:
            config = self._config or OktaSessionConfig.from_mapping(app.config, prefix="OKTA_")
            service = SessionService(config)
        self._services[app] = service
        app.extensions[EXTENSION_KEY] = self
        app.before_request(session_hook(service))
        app.add_template_global(logout_csrf_token, "okta_logout_csrf_token")
        config = service.config
        if self._logout_route or self._event_hook_route:
            blueprint = okta_blueprint(
                logout_path=config.logout_path if self._logout_route else None,
                event_hook_path=config.event_hook_path if self._event_hook_route else None,
            )
            app.register_blueprint(blueprint)

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
