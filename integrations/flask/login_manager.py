"""Flask-Login follows the Okta session: ``use_okta_session(login_manager)``.

Flask-Login's ``current_user`` and ``login_required`` then answer from the request's
Okta session, read afresh on every request through a ``request_loader``: the app never
calls ``login_user``, so nothing is stored in Flask's session cookie that could outlive
the Okta session. Logout, revoke or expiry at Okta, or a browser without the cookie, make
``current_user`` anonymous at the next request; a browser that moves to another Okta
session is that session's user at once.

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

from flask import Request, request
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin

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


def use_okta_session(
    login_manager: LoginManager,
    load_user: UserLoader = OktaUser,
    *,
    unauthorized: bool = True,
) -> LoginManager:
    """Make ``login_manager``'s ``current_user`` the user of the request's Okta session.

    Installs a ``request_loader`` (and, unless ``unauthorized=False``, an
    ``unauthorized_handler``); returns ``login_manager``.
    """

    def from_okta_session(_request: Request) -> Any:
        session = _accepted_session()
        user = None if session is None else load_user(session)
        return user if user is not None and user.is_active else None

    login_manager.request_loader(from_okta_session)
    if unauthorized:
        login_manager.unauthorized_handler(_refusal)
    return login_manager
