"""The Flask app the Flask tests drive, and the settings that point it at the fake org.

``flask_app(config, service, **settings)`` is a Flask app with ``OktaSession`` and the
routes of ``add_routes`` (public, protected sync/async/MFA-tolerant, exempt, token, login),
closed on exit; ``okta_settings(fake)`` is the ``OKTA_*`` app config for the served fake.
``ORIGIN`` is the test client's own origin (what a same-site logout sends).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, g, render_template_string, request

from okta_session_mw import OktaSessionConfig, SessionService, SessionStatus
from okta_session_mw.integrations.flask import (
    OktaSession,
    csrf_allows,
    login_with_session_token,
    okta_session_required,
)
from okta_session_mw.testing import FakeOkta
from tests.support.okta_users import API_TOKEN

__all__ = ["ORIGIN", "add_routes", "flask_app", "okta_settings"]

ORIGIN = "http://localhost"


def okta_settings(fake: FakeOkta, **extra: Any) -> dict[str, Any]:
    return {
        "OKTA_ORG_URL": fake.base_url,
        "OKTA_API_TOKEN": API_TOKEN,
        "OKTA_TIMEOUT": 1.0,
        **extra,
    }


def _session_json() -> dict[str, Any]:
    session = g.okta_session
    return {
        "g": session.id if session else None,
        "request": request.okta_session.id if request.okta_session else None,  # type: ignore[attr-defined]
        "status": session.status.value if session else None,
        "expires_at": session.expires_at.isoformat() if session else None,
    }


def add_routes(app: Flask) -> None:
    """Public, protected (sync, async, MFA-tolerant), exempt, token and login views."""
    app.add_url_rule("/", "public", _session_json)
    app.add_url_rule("/health", "health", _session_json)
    app.add_url_rule("/private", "private", okta_session_required(_session_json))
    app.add_url_rule("/p/<path:rest>", "deep", okta_session_required(lambda rest: _session_json()))
    statuses = {SessionStatus.ACTIVE, SessionStatus.MFA_REQUIRED}
    app.add_url_rule("/mfa-ok", "mfa_ok", okta_session_required(statuses=statuses)(_session_json))

    @app.get("/private-async")
    @okta_session_required
    async def private_async() -> dict[str, Any]:
        return _session_json()

    @app.get("/token")
    def token() -> str:
        return render_template_string("{{ okta_logout_csrf_token() }}")

    @app.post("/change")
    def change() -> tuple[str, int]:  # an app's own form, guarded by csrf_allows
        return ("changed", 200) if csrf_allows() else ("refused", 403)

    @app.post("/login")
    def login() -> Response:
        response = Response(status=204)
        login_with_session_token(response, request.form["token"])
        return response


@contextmanager
def flask_app(
    config: OktaSessionConfig | None = None,
    service: SessionService | None = None,
    **settings: Any,
) -> Iterator[tuple[Flask, OktaSession]]:
    app = Flask(__name__)
    app.config.update(settings)
    extension = OktaSession(app, config, service=service)
    add_routes(app)
    try:
        yield app, extension
    finally:
        extension.close()
        if service is not None:
            service.close()
