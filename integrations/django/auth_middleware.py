"""``OktaSessionAuthMiddleware``: Django's login follows the Okta session.

In the manner of Django's ``RemoteUserMiddleware``, with the Okta session for the
header. Placed after ``SessionMiddleware``, ``AuthenticationMiddleware`` and
``OktaSessionMiddleware``, on each request it:

- logs in (``auth.login``, which cycles the Django session key) the Django user of an
  Okta session with an accepted status that this Django session is not yet bound to;
  the binding is a keyed hash of the Okta session id kept in the Django session, so a
  browser that moves to another Okta session, even of the same login, is logged in
  afresh and never keeps the previous Django user. Keyed as Django keys its session
  auth hash: under ``SECRET_KEY``, a binding made under one of ``SECRET_KEY_FALLBACKS``
  still holds and is rewritten under ``SECRET_KEY``, so a key rotation ends no login;
- logs out (``auth.logout``, which flushes the Django session) a user it logged in
  once that Okta session has ended: logout, revoke, expiry, a status no longer
  accepted, or no Okta cookie at all;
- leaves alone a login made by another backend (a password login to the admin), and
  requests to the logout views (never looked up: a forged, refused logout ends nothing).

When Okta cannot be asked (``Resolution.unavailable``: an outage past
``STALE_IF_ERROR``) it ends no login and makes none: ``request.user`` is anonymous for
that request only, and the Django session is kept for when Okta answers again. A session
served stale during an outage keeps the user it is bound to but logs no one in.

Decided once, in sync code: under ASGI Django's ``MiddlewareMixin`` runs it in a thread,
where the lookup and the user query may block.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.deprecation import MiddlewareMixin

from okta_session_mw.engine.resolution import Source
from okta_session_mw.okta.session import Session
from okta_session_mw.web.access import passes

from .auth_backend import OktaSessionBackend
from .middleware import for_logout_view, pending_service, resolution_for

__all__ = ["BINDING_SESSION_KEY", "OktaSessionAuthMiddleware", "logged_in_by_okta"]

BINDING_SESSION_KEY = "_okta_session_binding"
"""The Django session's key for the Okta session it is bound to (a keyed hash of its
id: the id itself is a secret, and the Django session store need not hold it)."""

_BINDING_SALT = "okta_session_mw.integrations.django.auth_middleware"
_NEEDS = (
    "OktaSessionAuthMiddleware needs Django's AuthenticationMiddleware before it: put "
    "'django.contrib.auth.middleware.AuthenticationMiddleware' (after SessionMiddleware) and "
    "'okta_session_mw.integrations.django.OktaSessionMiddleware' earlier in MIDDLEWARE"
)


def _binding(session: Session, secret: str | bytes | None = None) -> str:
    """The binding to ``session`` under ``secret`` (``SECRET_KEY`` when None)."""
    return salted_hmac(_BINDING_SALT, session.id, secret=secret, algorithm="sha256").hexdigest()


def _bound_to(request: HttpRequest, session: Session) -> bool:
    """Whether the Django session is bound to ``session``.

    As ``django.contrib.auth.get_user`` checks the session auth hash: under
    ``SECRET_KEY``, else under each of ``SECRET_KEY_FALLBACKS`` (a key being rotated),
    and then rewritten under ``SECRET_KEY`` so the fallback can be retired. Without
    this, a rotation would fail every binding and the middleware would log every Okta
    user out, flushing their Django sessions with what the app kept there.
    """
    stored = request.session.get(BINDING_SESSION_KEY)
    if not isinstance(stored, str):
        return False
    current = _binding(session)
    if constant_time_compare(stored, current):
        return True
    fallbacks = settings.SECRET_KEY_FALLBACKS
    if any(constant_time_compare(stored, _binding(session, old)) for old in fallbacks):
        request.session[BINDING_SESSION_KEY] = current
        return True
    return False


def logged_in_by_okta(request: HttpRequest) -> bool:
    """Whether the Django session's login was made by an ``OktaSessionBackend``."""
    path = request.session.get(auth.BACKEND_SESSION_KEY)
    if not path:
        return False
    try:
        return isinstance(auth.load_backend(path), OktaSessionBackend)
    except ImportError:  # a backend removed from the code since: not ours to judge
        return False


def _set_user(request: HttpRequest, user: Any) -> None:
    """``request.user`` and, where Django has it (5.0+), ``await request.auser()``: both
    must answer what was decided here, not what the session held before."""
    target: Any = request
    target.user = user

    async def auser() -> Any:
        return user

    if hasattr(request, "auser"):
        target.auser = auser


class OktaSessionAuthMiddleware(MiddlewareMixin):
    """Make ``request.user`` the Django user of the request's Okta session.

    Add ``"okta_session_mw.integrations.django.OktaSessionAuthMiddleware"`` to
    ``MIDDLEWARE`` after ``AuthenticationMiddleware`` and ``OktaSessionMiddleware``,
    and ``"okta_session_mw.integrations.django.OktaSessionBackend"`` to
    ``AUTHENTICATION_BACKENDS``; ``manage.py check`` reports a wrong order.
    """

    def process_request(self, request: HttpRequest) -> None:
        if not hasattr(request, "user"):
            raise ImproperlyConfigured(_NEEDS)
        user = request.user
        ours = logged_in_by_okta(request)
        if user.is_authenticated and not ours:
            return  # another backend's login: no Okta lookup either
        resolution = resolution_for(request)  # no Okta cookie: settled, no I/O
        if resolution.unavailable:
            if ours:  # not confirmed now, not ended either
                _set_user(request, AnonymousUser())
            return
        config = pending_service(request).config
        session = resolution.session if passes(resolution, config) else None
        if session is None:
            # A logout view is never looked up: its own answer decides (a refused one
            # leaves the login), and the next request sees the Okta session gone.
            if ours and not for_logout_view(request):
                auth.logout(request)
                _set_user(request, request.user)
            return
        if ours and user.is_authenticated and _bound_to(request, session):
            return  # the usual request: the login this Okta session made
        if resolution.source is Source.STALE:  # a change not confirmed by Okta: no login
            if ours:
                _set_user(request, AnonymousUser())
            return
        if ours:  # bound to another Okta session (or its user can no longer log in)
            auth.logout(request)
        new_user = auth.authenticate(request, okta_session=session)
        if new_user is None:
            _set_user(request, AnonymousUser())
            return
        auth.login(request, new_user)  # a new Django session key
        request.session[BINDING_SESSION_KEY] = _binding(session)
        _set_user(request, new_user)
