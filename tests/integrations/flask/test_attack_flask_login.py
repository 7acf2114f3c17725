"""Attacks on ``use_okta_session`` (issue 15.3): Flask-Login skips the ``request_loader``
it installs in two common cases, so a browser with a valid Okta session is anonymous
and every ``login_required`` view sends it to ``LOGIN_URL`` (Okta, which sends it
straight back: a redirect loop). Through Flask's test client, the fake Okta over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, session
from flask_login import LoginManager, current_user, login_required

from okta_session_mw.integrations.flask import OktaSession
from okta_session_mw.integrations.flask.login_manager import use_okta_session
from okta_session_mw.testing import FakeOkta
from tests.support.flask_apps import okta_settings
from tests.support.okta_users import LOGIN

API = {"Accept": "application/json"}


@contextmanager
def login_app(okta: FakeOkta, protection: str = "basic") -> Iterator[Flask]:
    app = Flask(__name__)
    app.secret_key = "flask-session-secret"
    app.config.update(okta_settings(okta, OKTA_LOGIN_URL="/login"))
    extension = OktaSession(app)
    manager = LoginManager(app)
    manager.session_protection = protection
    use_okta_session(manager)

    @app.get("/me")
    @login_required
    def me() -> dict[str, Any]:
        return {"id": current_user.get_id()}

    @app.get("/note")
    def note() -> dict[str, Any]:
        session["seen"] = True  # what flash(), Flask-WTF's csrf_token and apps store
        return {}

    try:
        yield app
    finally:
        extension.close()


def test_attack_30_a_remember_cookie_hides_the_okta_user(okta: FakeOkta) -> None:
    """Flask-Login reads a ``remember_token`` cookie *instead of* the request loader
    (``has_cookie`` wins, whatever the cookie holds): any such cookie, left by the app's
    former password logins or tossed from a sibling subdomain, makes a signed-in Okta
    user anonymous on every request."""
    with login_app(okta) as app:
        client = app.test_client()
        client.set_cookie("sid", okta.create_session(LOGIN))
        assert client.get("/me", headers=API).json == {"id": LOGIN}
        client.set_cookie("remember_token", "planted")
        assert client.get("/me", headers=API).status_code == 200


def test_attack_31_strong_session_protection_hides_the_okta_user(okta: FakeOkta) -> None:
    """With ``session_protection = "strong"`` (Flask-Login's documented hardening), a
    non-empty Flask session without Flask-Login's ``_id`` fails the check on every
    request and the request loader is never asked: the helper never calls
    ``login_user``, so ``_id`` is never there, and the first value the app puts in the
    session (a flash message, a CSRF token) signs the Okta user out for good."""
    with login_app(okta, protection="strong") as app:
        client = app.test_client()
        client.set_cookie("sid", okta.create_session(LOGIN))
        assert client.get("/me", headers=API).json == {"id": LOGIN}
        client.get("/note")
        assert client.get("/me", headers=API).status_code == 200
