"""Flask quickstart: trust the browser's Okta session.

::

    export OKTA_ORG_URL=https://example.okta.com
    export OKTA_API_TOKEN=...      # only for the sign-in form below (CreateSession)
    flask --app example_app/flask_app.py run

``/`` is public and shows who is signed in; ``/profile`` (a page) and ``/api/me`` (JSON)
need an active Okta session; ``POST /logout`` is mounted by the extension.

``/login`` is the "set the session cookie yourself" path, for apps that do not share
Okta's cookies (no custom domain or reverse proxy): the username and password go to
Okta's ``/api/v1/authn`` (Classic engine) for a ``sessionToken``, and
``login_with_session_token`` turns it into a session and a ``sid`` cookie. Apps whose
users sign in on Okta's own pages on a shared host do not need it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, g, redirect, render_template, request
from flask.typing import ResponseReturnValue
from jinja2 import DictLoader

from okta_session_mw import OktaSessionClient
from okta_session_mw.errors import (
    OktaAuthenticationError,
    OktaAuthnIncompleteError,
    OktaRateLimitError,
    OktaServerError,
    OktaTransportError,
    SignInThrottledError,
)
from okta_session_mw.integrations.flask import (
    OktaSession,
    csrf_allows,
    login_with_session_token,
    okta_session_required,
)
from okta_session_mw.web.access import is_safe_path

TEMPLATES = {
    "layout.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<nav><a href="/">Home</a> · <a href="/profile">Profile</a></nav>
<main>{% block main %}{% endblock %}</main>
</body></html>
""",
    "index.html": """{% extends "layout.html" %}{% block main %}
{% if g.okta_session and g.okta_session.status.value == "ACTIVE" %}
  <p id="who">Signed in as {{ g.okta_session.login }}</p>
  <form method="post" action="{{ url_for('okta_session.logout') }}">
    <input type="hidden" name="csrf_token" value="{{ okta_logout_csrf_token() }}">
    <button type="submit" id="logout">Sign out</button>
  </form>
{% else %}
  <p id="who">Not signed in. <a href="{{ url_for('login') }}">Sign in</a></p>
{% endif %}
{% endblock %}""",
    "profile.html": """{% extends "layout.html" %}{% block main %}
<dl id="profile">
  <dt>Login</dt><dd id="login">{{ s.login }}</dd>
  <dt>User id</dt><dd>{{ s.user_id }}</dd>
  <dt>Status</dt><dd>{{ s.status.value }}</dd>
  <dt>Expires</dt><dd>{{ s.expires_at.isoformat() }}</dd>
</dl>
{% endblock %}""",
    "login.html": """{% extends "layout.html" %}{% block main %}
{% if error %}<p id="error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="{{ url_for('login') }}">
  <input type="hidden" name="csrf_token" value="{{ okta_logout_csrf_token() }}">
  <input type="hidden" name="next" value="{{ next }}">
  <label>Username <input name="username" autocomplete="username"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit" id="sign-in">Sign in</button>
</form>
{% endblock %}""",
}


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """The app; settings come from ``OKTA_*`` environment variables, then ``settings``."""
    app = Flask(__name__)
    app.config.from_mapping({k: v for k, v in os.environ.items() if k.startswith("OKTA_")})
    app.config.from_mapping(settings or {})
    okta = OktaSession(app)  # validates the OKTA_* settings now, not at the first request
    config = okta.service.config
    app.jinja_loader = DictLoader(TEMPLATES)  # one file for the quickstart; use templates/

    def page(template: str, title: str, **context: Any) -> str:
        return render_template(template, title=title, **context)

    @app.get("/")
    def index() -> ResponseReturnValue:
        return page("index.html", "Home")

    @app.get("/profile")
    @okta_session_required
    def profile() -> ResponseReturnValue:
        return page("profile.html", "Profile", s=g.okta_session)

    @app.get("/api/me")
    @okta_session_required
    def api_me() -> ResponseReturnValue:
        session = g.okta_session
        return {
            "id": session.id,
            "login": session.login,
            "status": session.status.value,
            "expires_at": session.expires_at.isoformat(),
        }

    @app.route("/login", methods=["GET", "POST"])
    def login() -> ResponseReturnValue:
        # Only a same-site path may come back from the form (no open redirect).
        next_path = request.values.get("next", "/")
        if not is_safe_path(next_path):
            next_path = "/"
        if request.method == "GET":
            return page("login.html", "Sign in", next=next_path, error=None)

        def failed(error: str, status: int) -> ResponseReturnValue:
            return page("login.html", "Sign in", next=next_path, error=error), status

        # Login CSRF: a foreign page must not sign this browser in as someone else.
        if not csrf_allows():
            return failed("This form did not come from this site.", 403)
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not username or not password:
            return failed("Enter both fields.", 400)
        response = redirect(next_path, 303)
        try:
            with OktaSessionClient(config.org_url, timeout=config.timeout) as client:
                session_token = client.authenticate(username, password)
            login_with_session_token(response, session_token)
        except OktaAuthenticationError:
            return failed("Wrong username or password.", 401)
        except OktaAuthnIncompleteError:
            return failed("Okta wants another step (MFA) that this example skips.", 401)
        except SignInThrottledError:  # held back to keep Okta's rate limit
            return failed("Too many sign-ins right now; try again shortly.", 503)
        except (OktaTransportError, OktaServerError, OktaRateLimitError):
            return failed("Okta could not be reached; try again shortly.", 503)
        return response

    return app
