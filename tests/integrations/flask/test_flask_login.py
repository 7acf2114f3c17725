"""Flask-Login follows the Okta session (issue 15.3): ``use_okta_session`` through Flask's
test client against the fake Okta over real HTTP. ``current_user`` and ``login_required``
answer from the request's Okta session, nothing is kept in Flask's session cookie, the
user goes when the Okta session ends, and an outage answers 503 rather than a redirect."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import LoginManager, current_user, login_required, login_user
from flask_login.signals import user_loaded_from_request

from okta_session_mw.integrations.flask import OktaSession
from okta_session_mw.integrations.flask.login_manager import OktaUser, use_okta_session
from okta_session_mw.okta.session import Session
from okta_session_mw.testing import FakeOkta
from tests.support.flask_apps import ORIGIN, okta_settings
from tests.support.okta_users import LOGIN

HTML = {"Accept": "text/html"}
API = {"Accept": "application/json"}
OTHER = "bob@example.com"
TTL_PASSED = 0.01
"""Seconds to wait for a 1 ms ``CACHE_TTL`` to be over, so the next request asks Okta."""


@dataclass
class AppUser:
    """An app's own user record (Flask-Login's protocol, without ``UserMixin``)."""

    login: str
    is_active: bool = True
    is_authenticated: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return self.login


@contextmanager
def login_app(
    okta: FakeOkta, load_user: Any = None, user_loader: Any = None, **settings: Any
) -> Iterator[Flask]:
    app = Flask(__name__)
    app.secret_key = "flask-session-secret"  # Flask's session works: nothing may be put there
    app.config.update(okta_settings(okta, OKTA_LOGIN_URL="/login", **settings))
    extension = OktaSession(app)
    manager = LoginManager(app)
    if load_user is None:
        use_okta_session(manager)
    else:
        use_okta_session(manager, load_user)
    if user_loader is not None:  # an app that also kept Flask-Login's own loader
        manager.user_loader(user_loader)

    @app.get("/me")
    @login_required
    def me() -> dict[str, Any]:
        user = current_user._get_current_object()  # behind Flask-Login's proxy
        return {"id": user.get_id(), "kind": type(user).__name__}

    @app.get("/who")
    def who() -> dict[str, Any]:
        return {"authenticated": current_user.is_authenticated, "id": current_user.get_id()}

    try:
        yield app
    finally:
        extension.close()


def _signed_in(okta: FakeOkta, client: FlaskClient, login: str = LOGIN) -> str:
    sid = okta.create_session(login)
    client.set_cookie("sid", sid)
    return sid


def test_i15_17_current_user_and_login_required_follow_the_okta_session(okta: FakeOkta) -> None:
    okta.add_user(OTHER, "pw")
    with login_app(okta) as app:
        client = app.test_client()
        anonymous = client.get("/me", headers=HTML)
        assert anonymous.status_code == 303
        assert anonymous.headers["Location"].startswith("/login?")
        assert client.get("/me", headers=API).status_code == 401
        assert client.get("/who").json == {"authenticated": False, "id": None}
        sid = _signed_in(okta, client)
        signed_in = client.get("/me")
        assert signed_in.json == {"id": LOGIN, "kind": OktaUser.__name__}
        assert "Set-Cookie" not in signed_in.headers  # Flask's session cookie holds nothing
        _signed_in(okta, client, OTHER)  # another Okta session in the same browser
        assert client.get("/me").json["id"] == OTHER
        client.set_cookie("sid", sid)
        assert client.post("/logout", headers={"Origin": ORIGIN}).status_code == 204
        assert client.get("/me", headers=API).status_code == 401  # ended at Okta: gone
        sid = _signed_in(okta, client)
        assert client.get("/who").json["authenticated"] is True
        assert app.extensions["okta_session"].revoke(sid)  # an admin revoke
        assert client.get("/who").json["authenticated"] is False
        _signed_in(okta, client)
        client.delete_cookie("sid")  # no Okta cookie: no user, whatever came before
        assert client.get("/who").json["authenticated"] is False


def test_i15_18_an_app_loader_inactive_users_and_an_okta_outage(okta: FakeOkta) -> None:
    okta.add_user(OTHER, "pw")
    users = {LOGIN: AppUser(LOGIN), OTHER: AppUser(OTHER, is_active=False)}

    def load_user(session: Session) -> AppUser | None:
        return users.get(session.login or "")

    settings = {"OKTA_CACHE_TTL": 0.001, "OKTA_STALE_IF_ERROR": 0, "OKTA_REFRESH_THRESHOLD": 0}
    with login_app(okta, load_user, **settings) as app:
        client = app.test_client()
        _signed_in(okta, client)
        assert client.get("/me").json == {"id": LOGIN, "kind": "AppUser"}
        okta.inject(status=503)  # Okta down, nothing usable cached: 503, never a redirect
        time.sleep(TTL_PASSED)  # the cached answer is older than its 1 ms CACHE_TTL
        try:
            outage = client.get("/me", headers=HTML)
            assert outage.status_code == 503
            assert client.get("/who").json["authenticated"] is False
        finally:
            okta.clear_faults()
        assert client.get("/me").json["id"] == LOGIN  # back with Okta
        _signed_in(okta, client, OTHER)
        assert client.get("/me", headers=API).status_code == 401  # inactive: refused
        users.pop(LOGIN)
        _signed_in(okta, client)
        assert client.get("/who").json["authenticated"] is False  # unknown to the app


def test_i15_19_a_stale_session_keeps_its_user_and_login_view_can_stay_flask_logins(
    okta: FakeOkta,
) -> None:
    settings = {"OKTA_CACHE_TTL": 0.001, "OKTA_STALE_IF_ERROR": 300, "OKTA_REFRESH_THRESHOLD": 0}
    with login_app(okta, **settings) as app:
        client = app.test_client()
        _signed_in(okta, client)
        assert client.get("/me").json["id"] == LOGIN
        okta.inject(status=503)
        time.sleep(TTL_PASSED)  # the cached answer is older than its 1 ms CACHE_TTL
        try:
            assert client.get("/me").json["id"] == LOGIN  # served stale within STALE_IF_ERROR
        finally:
            okta.clear_faults()
    app = Flask(__name__)
    app.secret_key = "flask-session-secret"  # Flask-Login's redirect flashes its message
    app.config.update(okta_settings(okta))
    extension = OktaSession(app)
    manager = use_okta_session(LoginManager(app), unauthorized=False)
    manager.login_view = "sign_in"
    app.add_url_rule("/sign-in", "sign_in", lambda: "sign in")
    app.add_url_rule("/me", "me", login_required(lambda: "me"))
    try:
        response = app.test_client().get("/me")
        assert response.status_code == 302  # Flask-Login's own login_view redirect
        assert response.headers["Location"].startswith("/sign-in?next=")
    finally:
        extension.close()


# Flask-Login 0.6.3 sets its remember cookie with datetime.utcnow(), deprecated since
# Python 3.12: only this test signs a user in the old way, with remember=True.
@pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")
def test_i15_96_a_former_password_login_never_names_a_user_the_okta_session_does_not(
    okta: FakeOkta,
) -> None:
    """An app moving from password logins keeps its ``user_loader``: a ``_user_id`` left
    in the Flask session, or a genuine (signed) ``remember_token`` cookie, names one of
    its users. Flask-Login would read either before the request loader; here the Okta
    session alone decides, and without one the browser is anonymous, not that user."""
    okta.add_user(OTHER, "pw")
    users = {LOGIN: AppUser(LOGIN), OTHER: AppUser(OTHER)}

    def load_user(session: Session) -> AppUser | None:
        return users.get(session.login or "")

    loaded: list[Any] = []
    with login_app(okta, load_user, users.get) as app:

        @app.get("/password-login")
        def password_login() -> dict[str, Any]:
            login_user(users[OTHER], remember=True)  # the app's old sign-in form
            return {}

        def on_loaded(_app: Flask, user: Any) -> None:
            loaded.append(user)

        user_loaded_from_request.connect(on_loaded, app)
        client = app.test_client()
        client.get("/password-login")
        remember = client.get_cookie("remember_token")
        assert remember is not None  # Flask-Login signed one for OTHER
        _signed_in(okta, client)
        assert client.get("/me").json["id"] == LOGIN  # not the Flask session's _user_id
        assert loaded == [users[LOGIN]]  # Flask-Login's request-loader signal, still sent
        fresh = app.test_client()  # a browser with only the remember cookie
        fresh.set_cookie("remember_token", remember.value)
        assert fresh.get("/me", headers=API).status_code == 401  # no Okta session: nobody
        assert fresh.get("/who").json == {"authenticated": False, "id": None}
        _signed_in(okta, fresh)
        assert fresh.get("/me").json["id"] == LOGIN
