"""Logout view, logout CSRF token and login helper (behaviours 9 and 10).

CSRF: the logout views are exempt from Django's ``CsrfViewMiddleware`` and rely on
the library's own check (``service.logout_guard``), which every adapter shares:
``Origin`` (or ``Referer``) must be the site's own origin or an ``ALLOWED_ORIGINS``
entry, or the POST must carry a valid ``csrf_token`` field / ``X-CSRF-Token`` header
(``logout_csrf_token(request)``). It refuses with 403 before Okta is called, with or
without Django's middleware, and an API client does not need Django's CSRF cookie.
A template form may still carry ``{% csrf_token %}``; it is simply not needed.

``logout_view`` is sync: it serves WSGI and ASGI projects alike (Django runs it in a
thread under ASGI). ``alogout_view`` is the same view for ASGI projects that want no
thread hop; under WSGI it falls back to the sync client (see ``on_server_loop``).
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed

from okta_session_mw.access import wants_html
from okta_session_mw.csrf import CSRF_FIELD, CSRF_HEADER
from okta_session_mw.logout import (
    cookie_should_be_secure,
    forbidden_reply,
    login_cookie_header,
    logout_reply,
    own_origin,
)
from okta_session_mw.service import SessionService
from okta_session_mw.session import Session

from .middleware import cookie_header, on_server_loop
from .responses import add_set_cookie, render_reply
from .service import get_service

__all__ = [
    "alogin_with_session_token",
    "alogout_view",
    "login_with_session_token",
    "logout_csrf_token",
    "logout_view",
]


def _cookie_key(service: SessionService, request: HttpRequest) -> str | None:
    cookies = service.okta_cookies(cookie_header(request))
    return service.key_for(cookies) if cookies else None


def _secure(request: HttpRequest) -> bool:
    return cookie_should_be_secure(request.scheme or "http", request.get_host())


def logout_csrf_token(request: HttpRequest) -> str:
    """Token for a logout form's ``csrf_token`` field (or the ``X-CSRF-Token`` header)."""
    service = get_service()
    return service.logout_guard.token(_cookie_key(service, request))


def _refusal(service: SessionService, request: HttpRequest) -> HttpResponseBase | None:
    """405 for anything but POST, 403 for a POST the CSRF check refuses, else None."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    allowed = service.logout_guard.allows(
        own_origin=own_origin(request.scheme or "http", request.get_host()),
        origin=request.headers.get("origin"),
        referer=request.headers.get("referer"),
        token=request.headers.get(CSRF_HEADER) or request.POST.get(CSRF_FIELD),
        cookie_key=_cookie_key(service, request),
    )
    return None if allowed else render_reply(forbidden_reply())


def _logged_out(
    service: SessionService, request: HttpRequest, redirect_to: str | None
) -> HttpResponse:
    cookies = service.okta_cookies(cookie_header(request))
    reply = logout_reply(
        service.config,
        html=wants_html(request.headers),
        present_cookies=cookies.names if cookies else (),
        secure=_secure(request),
        redirect_to=redirect_to,
    )
    return render_reply(reply)


def logout_view(request: HttpRequest, redirect_to: str | None = None) -> HttpResponseBase:
    """POST: close the Okta session (CloseCurrentSession), evict it, drop the cookies.

    A browser is sent (303) to ``redirect_to`` if it is a safe path, else to
    ``POST_LOGOUT_REDIRECT``; an API client gets 204. Pass ``redirect_to`` through
    the URLconf: ``path("bye/", logout_view, {"redirect_to": "/see-you/"})``.
    """
    service = get_service()
    refused = _refusal(service, request)
    if refused is not None:
        return refused
    service.logout(cookie_header(request))
    return _logged_out(service, request, redirect_to)


async def alogout_view(request: HttpRequest, redirect_to: str | None = None) -> HttpResponseBase:
    """``logout_view`` as an async view (ASGI projects: no thread for the Okta call)."""
    service = get_service()
    refused = _refusal(service, request)
    if refused is not None:
        return refused
    cookie = cookie_header(request)
    if on_server_loop(request):
        await service.alogout(cookie)
    else:  # an async view under WSGI: the sync client, in the request's thread
        await sync_to_async(service.logout)(cookie)
    return _logged_out(service, request, redirect_to)


# Django's own decorator is not async-aware before Django 5.0; the flag is all it sets.
logout_view.csrf_exempt = True  # type: ignore[attr-defined]
alogout_view.csrf_exempt = True  # type: ignore[attr-defined]


def _set_login_cookie(
    service: SessionService, request: HttpRequest, response: HttpResponseBase, session: Session
) -> None:
    header = login_cookie_header(service.config, session, secure=_secure(request))
    add_set_cookie(response, header)


def login_with_session_token(
    request: HttpRequest, response: HttpResponseBase, session_token: str
) -> Session:
    """CreateSession from a ``sessionToken`` and set the ``sid`` cookie on ``response``.

    Needs ``API_TOKEN`` in ``OKTA_SESSION``. Raises the client's errors (e.g.
    ``OktaAuthenticationError`` for a used or expired token).
    """
    service = get_service()
    session = service.login(session_token)
    _set_login_cookie(service, request, response, session)
    return session


async def alogin_with_session_token(
    request: HttpRequest, response: HttpResponseBase, session_token: str
) -> Session:
    """``login_with_session_token`` for async views."""
    service = get_service()
    if on_server_loop(request):
        session = await service.alogin(session_token)
    else:  # an async view under WSGI: the sync client, in the request's thread
        session = await sync_to_async(service.login)(session_token)
    _set_login_cookie(service, request, response, session)
    return session
