"""The extension's blueprint: ``POST logout_path``.

One blueprint named ``okta_session`` (so ``url_for("okta_session.logout")``);
``OktaSession.init_app`` registers it.
"""

from __future__ import annotations

from flask import Blueprint, Response

from .service import EXTENSION_KEY
from .views import logout

__all__ = ["okta_blueprint"]


def okta_blueprint(*, logout_path: str) -> Blueprint:
    """The blueprint with the logout route."""
    blueprint = Blueprint(EXTENSION_KEY, __name__)
    blueprint.add_url_rule(logout_path, "logout", _logout_view, methods=["POST"])
    return blueprint


def _logout_view() -> Response:
    return logout()
