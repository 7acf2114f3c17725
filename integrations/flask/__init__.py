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

The session is on ``g.okta_session`` and ``request.okta_session``, lazily (as
Flask-Login's ``current_user``): Okta is asked at the first read, once per request, and
never for a view that does not read it. Both are proxies whose value is the ``Session``
or None: test them with ``if g.okta_session:``, or call ``get_okta_session()`` for the
plain value.

The modules: ``extension.py`` (``OktaSession``), ``per_request.py`` (the hook and what
they keep per request), ``decorators.py``, ``views.py`` (logout, CSRF and login
helpers), ``event_hook_view.py`` (the Okta Event Hook view), ``blueprint.py`` (the routes
of both), ``responses.py`` (``render_reply``), ``service.py`` (``get_service``).
"""

from __future__ import annotations

from .decorators import okta_session_required
from .event_hook_view import event_hook
from .extension import OktaSession
from .per_request import get_okta_session
from .responses import render_reply
from .service import EXTENSION_KEY, get_service
from .views import csrf_allows, login_with_session_token, logout, logout_csrf_token

__all__ = [
    "EXTENSION_KEY",
    "OktaSession",
    "csrf_allows",
    "event_hook",
    "get_okta_session",
    "get_service",
    "login_with_session_token",
    "logout",
    "logout_csrf_token",
    "okta_session_required",
    "render_reply",
]
