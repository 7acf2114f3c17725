"""Flask-Login follows the Okta session: ``use_okta_session(login_manager)``.

Flask-Login's ``current_user`` and ``login_required`` then answer from the request's
Okta session, read afresh on every request, and from nothing else: the app never calls
``login_user``, so nothing is stored in Flask's session cookie that could outlive the
Okta session, and what Flask-Login would otherwise read first (a ``_user_id`` in the
Flask session, a ``remember_token`` cookie, ``session_protection``'s verdict on the
Flask session) is not consulted: such a cookie, left by the app's former password
logins or set from a sibling subdomain, can neither hide the Okta user nor name another.
Logout, revoke or expiry at Okta, or a browser without the cookie, make ``current_user``
anonymous at the next request; a browser that moves to another Okta session is that
session's user at once.

``load_user(session)`` maps an accepted Okta session (``ACCEPTED_STATUSES``) to the
app's user object, or None when the app knows no such user; by default every one is an
``OktaUser`` (id: the Okta login). A user whose ``is_active`` is False is refused, as
``login_user`` would refuse it. ``login_required`` refuses the rest as
``@okta_session_required`` does (``web.access``): 503 while Okta is unreachable and
nothing usable is cached, never a login redirect (no loops in an outage); else a 303 to
``LOGIN_URL`` for a browser, a JSON 401 for an API call. Pass ``unauthorized=False`` to
keep Flask-Login's own ``login_view`` handling instead.

Needs the ``flask-login`` extra and ``OktaSession`` set up on the app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Request, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin
from flask_login.signals import user_accessed, user_loaded_from_request

from okta_session_mw.okta.session import Session
from okta_session_mw.web.access import passes, refusal

from .per_request import lower_headers, pending_resolution
from .responses import render_reply

__all__ = ["OktaUser", "use_okta_session"]

UserLoader = Callable[[Session], Any]
"""``load_user(session)``: the app's user for an accepted Okta session, or None."""


class OktaUser(UserMixin):  # type: ignore[misc]  # flask-login ships no type hints
    """The default user: the Okta session itself (``login``, ``okta_session``)."""

    def __init__(self, session: Session) -> None:
        self.okta_session = session
        self.login = session.login

    def get_id(self) -> str | None:
        return self.login

    def __repr__(self) -> str:  # the session's own repr keeps its id out
        return f"OktaUser({self.okta_session!r})"


def _accepted_session() -> Session | None:
    pending = pending_resolution()
    resolution = pending.resolve()
    return resolution.session if passes(resolution, pending.service.config) else None


def _refusal() -> ResponseReturnValue:
    pending = pending_resolution()
    reply = refusal(
        pending.resolve(),
        pending.service.config,
        headers=lower_headers(),
        path=request.script_root + request.path,
        query=request.query_string.decode("latin-1"),
    )
    return render_reply(reply)


_LOADING_HOOKS = ("_load_user", "_update_request_context_with_user")


def _load_only_with(login_manager: LoginManager, loader: Callable[[Request], Any]) -> None:
    """Make ``loader`` the one source of ``login_manager``'s user for a request.

    Flask-Login decides a request's user in ``LoginManager._load_user``, which
    ``current_user`` calls on first use in a request: a ``strong`` ``session_protection``
    first ends it, anonymous, for any Flask session without Flask-Login's ``_id``
    (which only ``login_user`` writes, so a flash message or a CSRF token is enough);
    then a ``_user_id`` in the Flask session, else any ``remember_token`` cookie, win
    over the request loader, through the app's ``user_loader``. None of that guards
    anything here (the Flask session holds no identity; the Okta cookie is checked
    with Okta on each request), so this manager's ``_load_user`` becomes a call of
    ``loader`` alone, sending the signals Flask-Login's request-loader path sends, and
    storing the user with Flask-Login's own ``_update_request_context_with_user``.
    Both exist in every Flask-Login this package supports (0.6.3 on); one that lacks
    them fails here, at start-up, rather than leaving the other sources in place.
    """
    missing = [name for name in _LOADING_HOOKS if not callable(getattr(login_manager, name, None))]
    if missing:
        needed = " and ".join(f"LoginManager.{name}" for name in missing)
        raise RuntimeError(f"use_okta_session needs Flask-Login 0.6.3 or later ({needed})")
    store = login_manager._update_request_context_with_user

    def load_user_from_okta_only() -> None:
        proxy: Any = current_app  # signals get the app itself, as Flask-Login sends them
        app = proxy._get_current_object()
        user_accessed.send(app)
        user = loader(request)
        if user is not None:
            user_loaded_from_request.send(app, user=user)
        store(user)  # None: Flask-Login's anonymous_user

    login_manager._load_user = load_user_from_okta_only


def use_okta_session(
    login_manager: LoginManager,
    load_user: UserLoader = OktaUser,
    *,
    unauthorized: bool = True,
) -> LoginManager:
    """Make ``login_manager``'s ``current_user`` the user of the request's Okta session.

    Installs a ``request_loader``, made the only source of the user (no Flask-session
    ``_user_id``, remember cookie or ``session_protection`` check), and, unless
    ``unauthorized=False``, an ``unauthorized_handler``; returns ``login_manager``.
    """

    def from_okta_session(_request: Request) -> Any:
        session = _accepted_session()
        user = None if session is None else load_user(session)
        return user if user is not None and user.is_active else None

    login_manager.request_loader(from_okta_session)
    _load_only_with(login_manager, from_okta_session)
    if unauthorized:
        login_manager.unauthorized_handler(_refusal)
    return login_manager
