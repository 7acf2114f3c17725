"""``OktaSessionMiddleware``: ``request.okta_session`` (lazy) and ``request.aokta_session()``.

Like ``request.user``, Okta is never asked until a view reads it. What needs no I/O is
settled at once (no Okta cookie, a path never looked up, a fresh hit in the in-process
cache); the rest is resolved at the first read through the process's
``SessionService`` (cache, single flight, refresh, stale-if-error), and kept for the
rest of the request.

``request.okta_session`` is always a ``SimpleLazyObject``, as ``request.user`` is,
whatever the cookie and the cache: its value is the ``Session`` or None. So test it
with ``if request.okta_session:`` (``== None`` works too; ``is None`` is never true of
a proxy, in every test as in production), or call ``get_okta_session(request)`` for
the plain value. In an async view, read ``await request.aokta_session()``: a sync read
that would need a lookup raises ``SynchronousOnlyOperation`` there rather than block
the event loop.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Final

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.core.exceptions import ImproperlyConfigured, SynchronousOnlyOperation
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve

from okta_session_mw.engine.resolution import Resolution
from okta_session_mw.engine.service import Lookup, SessionService
from okta_session_mw.okta.session import Session
from okta_session_mw.web.cookies import asgi_cookie_header, wsgi_cookie_header
from okta_session_mw.web.csrf_nonce import CSRF_STATE_KEY, nonce_set_cookie
from okta_session_mw.web.pending_resolution import PendingResolution

from . import debug as _debug
from . import service as _service_module
from .debug import service_filter
from .lazy import lazy_value
from .responses import add_set_cookie
from .service import get_service

__all__ = [
    "LOGOUT_VIEW_MARK",
    "OktaSessionMiddleware",
    "aget_okta_session",
    "aresolution_for",
    "client_address",
    "cookie_header",
    "for_logout_view",
    "get_okta_session",
    "on_server_loop",
    "pending_service",
    "resolution_for",
]

_STATE = "_okta_session_state"
_NOT_INSTALLED = (
    "OktaSessionMiddleware is not installed: add "
    '"okta_session_mw.integrations.django.OktaSessionMiddleware" to settings.MIDDLEWARE'
)


def _event_loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return not os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")


class _PendingResolution(PendingResolution):
    """The core's lazy resolution (``web.pending_resolution``) with Django's two rules
    for async code: a sync read needing a lookup is refused on a running event loop, and
    under WSGI an async read takes the sync path in the request's thread."""

    __slots__ = ("_request",)

    _request: weakref.ref[HttpRequest]  # set by _attach

    def routed_to_logout(self) -> bool:
        # The core never looks up a logout view, wherever the URLconf put it, cached or
        # not. (No request: only a value kept past its request is read then.)
        request = self._request()
        if request is None:
            return False
        match = request.resolver_match  # for_logout_view's common case, without its frame
        if match is None:
            return for_logout_view(request)
        return getattr(match.func, LOGOUT_VIEW_MARK, False) is True

    def session(self) -> Session | None:
        # What ``request.okta_session`` reads: a settled answer without resolve's frame.
        ready = self.ready()
        return (ready if isinstance(ready, Resolution) else self.resolve()).session

    def resolve(self) -> Resolution:
        ready = self.ready()
        if not isinstance(ready, Lookup):
            return ready
        if _event_loop_running():
            raise SynchronousOnlyOperation(
                "request.okta_session needs an Okta lookup, which would block the event "
                "loop: use `await request.aokta_session()` in async code (or protect the "
                "view with @okta_session_required, which resolves it first)"
            )
        return super().resolve()

    async def aresolve(self) -> Resolution:
        request = self._request()
        if (request is not None and on_server_loop(request)) or not isinstance(
            self.ready(), Lookup
        ):
            return await super().aresolve()
        # WSGI: the sync path, in the request's own thread (see on_server_loop).
        return await sync_to_async(self.resolve)()


def cookie_header(request: HttpRequest) -> str | None:
    """The request's ``Cookie`` header, every field of it (HTTP/2 sends one per cookie):
    under ASGI from the scope (``META`` would join the fields with commas), under WSGI
    from the server's comma-joined ``HTTP_COOKIE``."""
    if isinstance(request, ASGIRequest):
        return asgi_cookie_header(request.scope.get("headers", ()))
    return wsgi_cookie_header(request.META)


LOGOUT_VIEW_MARK: Final = "okta_session_logout"
"""The attribute the logout views carry (a view wrapping one with ``functools.wraps``
keeps it): requests routed to them are never looked up."""


def for_logout_view(request: HttpRequest) -> bool:
    """Whether Django's URL resolver sends ``request`` to a logout view (read before
    URL resolution, by another middleware, it resolves the path itself)."""
    match = request.resolver_match
    if match is None:
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return False
    return getattr(match.func, LOGOUT_VIEW_MARK, False) is True


def client_address(request: HttpRequest) -> str | None:
    """The transport peer's address (never a forgeable header such as X-Forwarded-For)."""
    return request.META.get("REMOTE_ADDR") or None


def on_server_loop(request: HttpRequest) -> bool:
    """True when the request came through ASGI: its event loop lives as long as the
    server, so the core's async client may be used. An async view under WSGI runs on a
    loop made for that one call; an async client made for it would outlive it."""
    return isinstance(request, ASGIRequest)


def _attach(request: HttpRequest) -> None:
    """Put the request's lazy session on it. Runs on every request: one call, no
    helper frames."""
    service = _service_module._service
    if service is None:
        service = get_service()
    owner, report_filter = _debug._last  # service_filter(service), without its frame
    if owner is not service:
        report_filter = service_filter(service)
    meta = request.META
    if isinstance(request, ASGIRequest):  # cookie_header(request), inlined
        header = asgi_cookie_header(request.scope.get("headers", ()))
    else:
        header = wsgi_cookie_header(meta)
    client = meta.get("REMOTE_ADDR") or None  # client_address
    # path_info: the path the URLconf sees (without SCRIPT_NAME), as in every adapter
    pending = _PendingResolution(service, header, request.path_info, client)
    # Weak: the request holds this, through its attributes; a strong reference back
    # would make every request a cycle, left for the garbage collector to find.
    pending._request = weakref.ref(request)
    target: Any = request  # Django's request accepts new attributes; its stubs do not say so
    target._okta_session_state = pending  # _STATE
    if report_filter is not None and not hasattr(request, "exception_reporter_filter"):
        target.exception_reporter_filter = report_filter  # error pages: debug.py
    # Always the same lazy kind, like request.user, whatever the cache holds: a value
    # that were None only without a cookie would let `is None` checks pass every test
    # and fail for a made-up cookie (which needs a lookup, so it would be lazy).
    target.okta_session = lazy_value(pending.session)
    target.aokta_session = pending.asession


def _pending(request: HttpRequest) -> _PendingResolution:
    pending = getattr(request, _STATE, None)
    if pending is None:
        raise ImproperlyConfigured(_NOT_INSTALLED)
    assert isinstance(pending, _PendingResolution)
    return pending


def pending_service(request: HttpRequest) -> SessionService:
    """The ``SessionService`` the middleware used for this request."""
    return _pending(request).service


def resolution_for(request: HttpRequest) -> Resolution:
    """This request's ``Resolution`` (looked up now if no one read it yet)."""
    return _pending(request).resolve()


async def aresolution_for(request: HttpRequest) -> Resolution:
    """``resolution_for`` for async code."""
    return await _pending(request).aresolve()


def get_okta_session(request: HttpRequest) -> Session | None:
    """The request's Okta session (any status) as a plain value, or None."""
    return resolution_for(request).session


async def aget_okta_session(request: HttpRequest) -> Session | None:
    """``get_okta_session`` for async views (same as ``await request.aokta_session()``)."""
    return (await aresolution_for(request)).session


def _add_csrf_cookie(request: HttpRequest, response: HttpResponseBase) -> None:
    """The nonce ``Set-Cookie`` a token helper (``views.logout_csrf_token``) made, if any."""
    store = vars(request)
    if CSRF_STATE_KEY in store:  # a token helper ran: rare, so one test costs the rest
        cookie = nonce_set_cookie(store)
        if cookie is not None:
            add_set_cookie(response, cookie)


class OktaSessionMiddleware:
    """Attach the browser's Okta session to every request, lazily; WSGI and ASGI.

    Add ``"okta_session_mw.integrations.django.OktaSessionMiddleware"`` to
    ``MIDDLEWARE`` and the Okta org to ``OKTA_SESSION``. It needs no other middleware.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
        get_service()  # bad settings fail when the app starts, not at the first request

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        _attach(request)
        response: HttpResponseBase = self.get_response(request)
        if CSRF_STATE_KEY in request.__dict__:  # _add_csrf_cookie's test, without its frame
            _add_csrf_cookie(request, response)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        _attach(request)
        response: HttpResponseBase = await self.get_response(request)
        if CSRF_STATE_KEY in request.__dict__:
            _add_csrf_cookie(request, response)
        return response
