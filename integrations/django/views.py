"""Logout view, logout CSRF token and login helper (behaviours 9 and 10).

CSRF: the logout views are exempt from Django's ``CsrfViewMiddleware`` and rely on
the library's own check (``service.logout_guard``), which every adapter shares: a
foreign ``Origin`` (or ``Referer``) is refused whatever the POST carries, the site's
own origin or an ``ALLOWED_ORIGINS`` entry passes, and a POST with neither header
must carry a ``csrf_token`` field / ``X-CSRF-Token`` header made for this browser
(``logout_csrf_token(request)``; ``csrf_allows(request)`` applies the same rule to
the app's own forms). It refuses with 403 before Okta is called, with or
without Django's middleware, and an API client does not need Django's CSRF cookie.
A template form may still carry ``{% csrf_token %}``; it is simply not needed.

``logout_view`` is sync: it serves WSGI and ASGI projects alike (Django runs it in a
thread under ASGI). ``alogout_view`` is the same view for ASGI projects that want no
thread hop; under WSGI it falls back to the sync client (see ``on_server_loop``).

Both carry ``LOGOUT_VIEW_MARK``: a request the URL resolver sends to them, under
``include(...)`` or any path of the project's own, is never looked up, so a refused
logout causes no Okta call (a view of yours wrapping one with ``functools.wraps``
keeps the mark).
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponseBase

from okta_session_mw.engine.service import SessionService
from okta_session_mw.okta.session import Session
from okta_session_mw.web import csrf_nonce
from okta_session_mw.web.csrf import CSRF_FIELD
from okta_session_mw.web.login_cookie import login_cookie_header
from okta_session_mw.web.logout_request import LogoutRequest, form_token_wanted

from .middleware import LOGOUT_VIEW_MARK, client_address, cookie_header, on_server_loop
from .responses import add_set_cookie, render_reply
from .service import get_service

__all__ = [
    "alogin_with_session_token",
    "alogout_view",
    "csrf_allows",
    "login_with_session_token",
    "logout_csrf_token",
    "logout_view",
]


def logout_csrf_token(request: HttpRequest) -> str:
    """Token for a form's ``csrf_token`` field (or the ``X-CSRF-Token`` header): logout,
    or any form ``csrf_allows`` checks. Bound to this browser: its Okta cookie, else a
    nonce cookie that ``OktaSessionMiddleware`` adds to the response."""
    return csrf_nonce.csrf_token(get_service(), cookie_header(request), vars(request))


def _logout_request(
    request: HttpRequest, redirect_to: str | None = None, token: str | None = None
) -> LogoutRequest:
    method = request.method or "GET"
    if form_token_wanted(method, request.headers, token):
        token = request.POST.get(CSRF_FIELD)
    return LogoutRequest(
        method=method,
        scheme=request.scheme or "http",
        host=request.get_host(),
        headers=request.headers,
        cookie_header=cookie_header(request),
        form_token=token,
        redirect_to=redirect_to,
        client=client_address(request),
    )


def csrf_allows(request: HttpRequest, token: str | None = None) -> bool:
    """The logout CSRF rule, for the app's own state-changing forms (a sign-in form
    too): a foreign ``Origin`` (else ``Referer``) is refused whatever the token says,
    the app's own origin passes, and with neither header the POST needs a token from
    ``logout_csrf_token`` made for this browser (read from ``X-CSRF-Token`` or the
    ``csrf_token`` field unless ``token`` is given)."""
    return get_service().csrf_allows(_logout_request(request, token=token))


def logout_view(request: HttpRequest, redirect_to: str | None = None) -> HttpResponseBase:
    """POST: close the Okta session (CloseCurrentSession), evict it, drop the cookies.

    A browser is sent (303) to ``redirect_to`` if it is a safe path, else to
    ``POST_LOGOUT_REDIRECT``; an API client gets 204; 503 if Okta could not close it.
    Pass ``redirect_to`` through the URLconf:
    ``path("bye/", logout_view, {"redirect_to": "/see-you/"})``.
    """
    return render_reply(get_service().logout_request(_logout_request(request, redirect_to)))


async def alogout_view(request: HttpRequest, redirect_to: str | None = None) -> HttpResponseBase:
    """``logout_view`` as an async view (ASGI projects: no thread for the Okta call)."""
    service = get_service()
    if on_server_loop(request):
        logout_request = _logout_request(request, redirect_to)
        return render_reply(await service.alogout_request(logout_request))
    # an async view under WSGI: the sync client, in the request's thread
    return await sync_to_async(logout_view)(request, redirect_to)


# Django's own decorator is not async-aware before Django 5.0; the flag is all it sets.
logout_view.csrf_exempt = True  # type: ignore[attr-defined]
alogout_view.csrf_exempt = True  # type: ignore[attr-defined]
# Wherever the URLconf mounts them, requests to them are never looked up (see middleware).
setattr(logout_view, LOGOUT_VIEW_MARK, True)
setattr(alogout_view, LOGOUT_VIEW_MARK, True)


def _set_login_cookie(
    service: SessionService, response: HttpResponseBase, session: Session
) -> None:
    """``sid``, ``Secure`` by ``COOKIE_SECURE`` (never by the request's host)."""
    add_set_cookie(response, login_cookie_header(service.config, session))


def login_with_session_token(
    request: HttpRequest, response: HttpResponseBase, session_token: str
) -> Session:
    """CreateSession from a ``sessionToken`` and set the ``sid`` cookie on ``response``.

    Needs ``API_TOKEN`` in ``OKTA_SESSION``. Raises the client's errors (e.g.
    ``OktaAuthenticationError`` for a used or expired token), and
    ``SignInThrottledError`` when sign-in is held back to keep Okta's rate limit (show
    "try again shortly").
    """
    service = get_service()
    session = service.login(session_token, client_address(request))
    _set_login_cookie(service, response, session)
    return session


async def alogin_with_session_token(
    request: HttpRequest, response: HttpResponseBase, session_token: str
) -> Session:
    """``login_with_session_token`` for async views."""
    service = get_service()
    client = client_address(request)
    if on_server_loop(request):
        session = await service.alogin(session_token, client)
    else:  # an async view under WSGI: the sync client, in the request's thread

        def log_in() -> Session:  # no argument: asgiref's frames would show the token
            return service.login(session_token, client)

        session = await sync_to_async(log_in)()
    _set_login_cookie(service, response, session)
    return session
