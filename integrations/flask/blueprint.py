"""The extension's blueprint: ``POST logout_path`` and ``GET, POST event_hook_path``.

One blueprint named ``okta_session`` (so ``url_for("okta_session.logout")`` and
``url_for("okta_session.event_hook")``); ``OktaSession.init_app`` registers it with
the routes its arguments leave on.
"""

from __future__ import annotations

from flask import Blueprint, Response

from .event_hook_view import event_hook
from .service import EXTENSION_KEY
from .views import logout

__all__ = ["okta_blueprint"]


def okta_blueprint(*, logout_path: str | None, event_hook_path: str | None) -> Blueprint:
    """The blueprint with the routes whose path is given (None: left out)."""
    blueprint = Blueprint(EXTENSION_KEY, __name__)
    if logout_path is not None:
        blueprint.add_url_rule(logout_path, "logout", _logout_view, methods=["POST"])
    if event_hook_path is not None:
        blueprint.add_url_rule(event_hook_path, "event_hook", event_hook, methods=["GET", "POST"])
    return blueprint


def _logout_view() -> Response:
    return logout()
