"""The Flask variants: a bare app, the same with ``OktaSession``, and Flask's own session.

Flask always opens its signed-cookie session for each request, so the reference for
"what a cookie session costs" is the bare app receiving a valid Flask ``session``
cookie, against the baseline of the bare app receiving none.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, session

from benchmarks.asgi_apps import APP_COOKIE
from benchmarks.wsgi_call import WsgiVariant, call_wsgi, wsgi_environ
from okta_session_mw import OktaSessionConfig

__all__ = ["flask_variants"]


def _app() -> Flask:
    app = Flask("okta_bench")
    app.secret_key = "bench-flask-session-secret"

    @app.get("/")
    def index() -> str:
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
    """Bare, + OktaSession (hit, no Okta cookie), and bare with Flask's session cookie;
    and the function that closes the extension's Okta client."""
    from okta_session_mw.integrations.flask import OktaSession

    bare = _app()
    okta = _app()
    extension = OktaSession(okta, config=config)
    plain = f"{okta_cookie}; {APP_COOKIE}"
    variants = [
        WsgiVariant("bare", "bare Flask app (baseline)", bare.wsgi_app, plain),
        WsgiVariant("okta_hit", "+ OktaSession, cache hit", okta.wsgi_app, plain),
        WsgiVariant("okta_no_cookie", "+ OktaSession, no Okta cookie", okta.wsgi_app, APP_COOKIE),
        WsgiVariant(
            "flask_session",
            "bare, with Flask's session cookie (reference)",
            bare.wsgi_app,
            f"{plain}; {_flask_session_cookie(bare)}",
        ),
    ]
    return variants, extension.close
