"""What the extension keeps per request: the session on ``g`` and ``request`` (the
``before_request`` hook ``OktaSession.init_app`` installs), and the CSRF nonce cookie a
token helper made (added after that request alone), with the request read as the core
wants it.

The session is lazy, as Flask-Login's ``current_user`` is, by the core's one rule of
laziness (``web.pending_resolution``, which Django's ``request.okta_session`` follows
too): the hook settles what needs no I/O and leaves a lazy value bound to the
request; Okta is asked at the first read, once, and never for a request whose view
does not read it.

The hook runs on every request, so it is written for it (``python -m benchmarks
--only wsgi`` shows what it adds): a plain function, Flask's cheapest case when it
checks each hook for ``async``; ``request`` and ``g`` resolved once each (every read
through Flask's proxies costs); and the lazy value a ``LocalProxy`` made without
``LocalProxy.__init__``, which picks among four kinds of target and builds a closure
per call: ``_LazySession`` reads its request's ``PendingResolution`` from a slot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, cast

from flask import g, request
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response as WerkzeugResponse

from okta_session_mw.engine.resolution import Resolution
from okta_session_mw.engine.service import SessionService
from okta_session_mw.okta.session import Session
from okta_session_mw.web.cookies import wsgi_cookie_header
from okta_session_mw.web.csrf_nonce import nonce_set_cookie
from okta_session_mw.web.pending_resolution import PendingResolution

from .service import get_service

__all__ = [
    "SESSION_ATTR",
    "add_csrf_cookie",
    "get_okta_session",
    "lower_headers",
    "pending_resolution",
    "resolution",
    "session_hook",
]

SESSION_ATTR: Final = "okta_session"
_PENDING = "_okta_session_pending"


class _LazySession(LocalProxy["Session | None"]):
    """The lazy value on ``g`` and ``request``: a ``LocalProxy`` whose target is its own
    request's session (``PendingResolution.session``), never the current request's.

    Every proxied operation calls ``_get_current_object``, here a method reading the
    slot, so a new one costs an allocation and one slot store (``session_hook``).
    """

    __slots__ = ("_okta_pending",)
    _okta_pending: PendingResolution

    def _get_current_object(self) -> Session | None:
        return self._okta_pending.session()

    # The two reads a view makes of it (``if g.okta_session:``, ``g.okta_session.login``),
    # answered here rather than through ``LocalProxy``'s descriptors, which bind a
    # ``functools.partial`` per read; same answers, the unbound fallback included.
    def __bool__(self) -> bool:
        try:
            return bool(self._okta_pending.session())
        except RuntimeError:
            return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._okta_pending.session(), name)


_new = object.__new__
_store_pending = _LazySession.__dict__["_okta_pending"].__set__  # the slot's own setter
# The proxies' own lookups, bound once: each reads the context the call is made in.
_current_request = cast("LocalProxy[Any]", request)._get_current_object
_current_g = cast("LocalProxy[Any]", g)._get_current_object


def session_hook(service: SessionService) -> Callable[[], None]:
    """The ``before_request`` hook for ``service``'s app (``attach_session``)."""

    def attach_session() -> None:
        """Put this request's lazy session on ``g`` and ``request``.

        Always a lazy value bound to this request (a ``werkzeug.local.LocalProxy`` over
        its ``PendingResolution``), like Django's ``SimpleLazyObject``, whatever the
        cookie and the cache: its value is the ``Session`` or None, so test it with
        ``if g.okta_session:`` (never ``is None``: a lazy value is an object);
        ``get_okta_session()`` gives the plain value. Kept past its request, it still
        reads that request's session, never the current one's.
        """
        current = _current_request()
        environ = current.environ
        pending = PendingResolution(
            service, wsgi_cookie_header(environ), environ.get("PATH_INFO", ""), current.remote_addr
        )
        session = _new(_LazySession)
        _store_pending(session, pending)
        setattr(current, _PENDING, pending)  # the request's own, never ``g``'s (below)
        setattr(current, SESSION_ATTR, session)  # werkzeug's Request has no slot
        _current_g().okta_session = session

    return attach_session


def pending_resolution() -> PendingResolution:
    """This request's pending resolution; made now if the hook did not run (a view
    called directly in a ``test_request_context``, say).

    Kept on the request object: Flask reuses an app context already pushed for the
    requests made in it (a test's ``with app.app_context()``), so ``g`` may still hold
    what an earlier request put there."""
    current = _current_request()
    pending = getattr(current, _PENDING, None)
    if pending is None:
        session_hook(get_service())()
        pending = getattr(current, _PENDING)
    assert isinstance(pending, PendingResolution)
    return pending


def resolution() -> Resolution:
    """This request's ``Resolution`` (looked up now if no one read it yet)."""
    return pending_resolution().resolve()


def get_okta_session() -> Session | None:
    """The request's Okta session (any status) as a plain value, or None."""
    return pending_resolution().resolve().session


def lower_headers() -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def add_csrf_cookie(response: WerkzeugResponse) -> WerkzeugResponse:
    """Add the nonce cookie ``logout_csrf_token`` made, if it made one (run after the
    request that made it: ``after_this_request``)."""
    cookie = nonce_set_cookie(g)
    if cookie is not None:
        response.headers.add("Set-Cookie", cookie)
    return response
