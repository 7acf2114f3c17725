"""The current app's ``SessionService``, for the extension's views, hooks and decorators.

``OktaSession.init_app`` puts the extension in ``app.extensions[EXTENSION_KEY]``; every
other module of the adapter finds the app's service through it (and ``extension.py``
imports them, so they never import it).
"""

from __future__ import annotations

from typing import Final

from flask import current_app

from okta_session_mw.engine.service import SessionService

__all__ = ["EXTENSION_KEY", "get_service"]

EXTENSION_KEY: Final = "okta_session"
"""Key of the extension in ``app.extensions``; also the logout blueprint's name."""


def get_service() -> SessionService:
    """The current app's ``SessionService``."""
    service = getattr(current_app.extensions.get(EXTENSION_KEY), "service", None)
    if not isinstance(service, SessionService):
        raise RuntimeError("OktaSession is not set up: call OktaSession(app) or okta.init_app(app)")
    return service
