"""The Django variants: bare, + the Okta middleware, + Django's SessionMiddleware.

Django's Okta middleware is lazy (like ``request.user``), so the view reads
``request.okta_session`` (and ``request.session`` where there is one): every variant
runs the same view, and a variant's cost includes its lookup. The reference is Django's
own ``SessionMiddleware`` with the signed-cookie backend
(``django.contrib.sessions.backends.signed_cookies``: no database, no cache), reading
the valid ``sessionid`` cookie every request carries. Each variant gets the same browser
request (``browser_request.py``), whose cookies include that ``sessionid``; "no Okta
cookie" lacks only the ``sid``.

Settings are process-wide in Django: they are configured here once if nobody did, and
every value the benchmark needs is applied with ``override_settings`` for its duration,
so a test process that configured Django for its own tests keeps its settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse
from django.test.utils import override_settings
from django.urls import path

from benchmarks.browser_request import browser_cookie
from benchmarks.wsgi_call import WsgiVariant

__all__ = ["django_settings", "django_variants", "urlpatterns"]

OKTA_MIDDLEWARE = "okta_session_mw.integrations.django.OktaSessionMiddleware"
SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"

_SETTINGS: dict[str, Any] = {
    "DEBUG": False,
    "SECRET_KEY": "bench-django-secret-key-0123456789abcdef",
    "ALLOWED_HOSTS": ["*"],
    "ROOT_URLCONF": __name__,
    "MIDDLEWARE": [],
    "SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies",
    "USE_TZ": True,
}


def index(request: HttpRequest) -> HttpResponse:
    okta = getattr(request, "okta_session", None)
    if okta is not None:
        bool(okta)  # the lazy value: this is where the lookup happens
    session = getattr(request, "session", None)
    if session is not None:
        session.get("user")
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("", index)]


@contextmanager
def django_settings(okta_session: dict[str, Any]) -> Iterator[None]:
    """Django set up for the benchmark, with ``OKTA_SESSION`` = ``okta_session``."""
    if not settings.configured:
        settings.configure(**_SETTINGS)
        django.setup()
    with override_settings(**_SETTINGS, OKTA_SESSION=okta_session):
        yield


def _handler(*middleware: str) -> WSGIHandler:
    with override_settings(MIDDLEWARE=list(middleware)):
        return WSGIHandler()  # the middleware chain is built here, once


def _django_session_cookie() -> str:
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    store = SessionStore()
    store["user"] = "ann@example.com"
    store["csrf"] = "f1c9a2d4b8e6"
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def django_variants(okta_cookie: str) -> list[WsgiVariant]:
    """Call inside ``django_settings``."""
    django_session = _django_session_cookie()
    full = browser_cookie(okta_cookie, django_session)
    okta = _handler(OKTA_MIDDLEWARE)
    return [
        WsgiVariant("bare", "bare Django app (baseline)", _handler(), full),
        WsgiVariant("okta_hit", "+ OktaSessionMiddleware, cache hit", okta, full),
        WsgiVariant(
            "okta_no_cookie",
            "+ OktaSessionMiddleware, no Okta cookie",
            okta,
            browser_cookie(None, django_session),
        ),
        WsgiVariant(
            "django_session",
            "+ Django SessionMiddleware, signed cookie (reference)",
            _handler(SESSION_MIDDLEWARE),
            full,
        ),
    ]
