"""The Flask variants: a bare app, the same with ``OktaSession``, and with Flask's session.

Flask opens its session on every request, once the app has a ``secret_key``; without
one it opens a ``NullSession`` and does no cookie work. So the bare app (the baseline)
has no secret key, and the reference is the same app with one: Flask's own signed-cookie
session (``SecureCookieSessionInterface``), verifying and decoding the valid ``session``
cookie every request carries. The view reads ``session.get("user")`` and
``g.okta_session`` in every variant (the Okta adapter is lazy: a view that never reads
the session never looks it up, so a "hit" that is not read would measure no hit).
Each variant gets the same browser request (``browser_request.py``), whose cookies
include that Flask ``session``; "no Okta cookie" lacks only the ``sid``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, g, session

from benchmarks.browser_request import browser_cookie
from benchmarks.wsgi_call import WsgiVariant, call_wsgi, wsgi_environ
from okta_session_mw import OktaSessionConfig

__all__ = ["flask_variants"]


def _app(*, secret_key: str | None = None) -> Flask:
    app = Flask("okta_bench")
    app.secret_key = secret_key

    @app.get("/")
    def index() -> str:
        session.get("user")  # the session's read, where there is one
        if g.get("okta_session"):  # the lazy Okta session: read, so a hit is looked up
            return "ok"
        return "ok"

    @app.get("/login")
    def login() -> str:
        session["user"] = "ann@example.com"
        session["csrf"] = "f1c9a2d4b8e6"
        return "ok"

    return app


def _flask_session_cookie(app: Flask) -> str:
    _, headers, _ = call_wsgi(app.wsgi_app, wsgi_environ("", "/login"))
    return next(v for k, v in headers if k.lower() == "set-cookie").split(";", 1)[0]


def flask_variants(
    config: OktaSessionConfig, okta_cookie: str
) -> tuple[list[WsgiVariant], Callable[[], None]]:
    """Bare, + OktaSession (hit, no Okta cookie), + Flask's session (reference); and the
    function that closes the extension's Okta client."""
    from okta_session_mw.integrations.flask import OktaSession

    bare = _app()
    okta = _app()
    extension = OktaSession(okta, config=config)
    sessions = _app(secret_key="bench-flask-session-secret")
    flask_session = _flask_session_cookie(sessions)
    full = browser_cookie(okta_cookie, flask_session)
    variants = [
        WsgiVariant("bare", "bare Flask app, no secret key (baseline)", bare.wsgi_app, full),
        WsgiVariant("okta_hit", "+ OktaSession, cache hit", okta.wsgi_app, full),
        WsgiVariant(
            "okta_no_cookie",
            "+ OktaSession, no Okta cookie",
            okta.wsgi_app,
            browser_cookie(None, flask_session),
        ),
        WsgiVariant(
            "flask_session",
            "+ Flask's session, signed cookie (reference)",
            sessions.wsgi_app,
            full,
        ),
    ]
    return variants, extension.close
