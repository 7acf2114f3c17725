"""Django adapter: ``request.okta_session`` for WSGI and ASGI projects.

settings.py::

    INSTALLED_APPS += ["okta_session_mw.integrations.django"]  # system checks
    MIDDLEWARE += ["okta_session_mw.integrations.django.OktaSessionMiddleware"]
    OKTA_SESSION = {"ORG_URL": "https://example.okta.com"}      # + any config field, upper case

urls.py: ``path("okta/", include("okta_session_mw.integrations.django.urls"))`` (POST
``okta/logout/``; GET/POST ``okta/event-hook``, Okta's Event Hook: ``event_hook_view``).
``request.user`` from the Okta session: ``OktaSessionBackend`` in
``AUTHENTICATION_BACKENDS`` and ``OktaSessionAuthMiddleware`` after Django's
``AuthenticationMiddleware`` (``auth_backend.py``, ``auth_middleware.py``).
Views: ``@okta_session_required``, ``OktaSessionRequiredMixin``;
``request.okta_session`` is always lazy like ``request.user`` (test it with ``if``,
never ``is None``; ``get_okta_session(request)`` gives the plain value), ``await
request.aokta_session()`` in async views. Templates: ``context_processors.okta_session``
gives the logout form its token. Everything is decided by the core
(``okta_session_mw``); this package only translates Django's request and response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .decorators import OktaSessionRequiredMixin, okta_session_required
from .event_hook import aevent_hook_view, event_hook_view
from .middleware import OktaSessionMiddleware, aget_okta_session, get_okta_session
from .service import get_service, reset_service
from .settings import config_from_settings
from .views import (
    alogin_with_session_token,
    alogout_view,
    csrf_allows,
    login_with_session_token,
    logout_csrf_token,
    logout_view,
)

if TYPE_CHECKING:
    from .auth_backend import OktaSessionBackend
    from .auth_middleware import OktaSessionAuthMiddleware

__all__ = [
    "OktaSessionAuthMiddleware",
    "OktaSessionBackend",
    "OktaSessionMiddleware",
    "OktaSessionRequiredMixin",
    "aevent_hook_view",
    "aget_okta_session",
    "alogin_with_session_token",
    "alogout_view",
    "config_from_settings",
    "csrf_allows",
    "event_hook_view",
    "get_okta_session",
    "get_service",
    "login_with_session_token",
    "logout_csrf_token",
    "logout_view",
    "okta_session_required",
    "reset_service",
]


def __getattr__(name: str) -> Any:
    # request.user's classes import django.contrib.auth's models: loaded when first named
    # (AUTHENTICATION_BACKENDS, MIDDLEWARE), so projects without contrib.auth import the rest.
    if name == "OktaSessionBackend":
        from .auth_backend import OktaSessionBackend

        return OktaSessionBackend
    if name == "OktaSessionAuthMiddleware":
        from .auth_middleware import OktaSessionAuthMiddleware

        return OktaSessionAuthMiddleware
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
