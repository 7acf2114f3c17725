"""The Okta Event Hook view (behaviour 15): translation only.

``event_hook()`` answers Okta's verification ``GET`` and its ``POST`` deliveries; the
extension's blueprint serves it at ``config.event_hook_path`` (endpoint
``okta_session.event_hook``). ``web/event_hook.py`` decides (the secret header, 401
before the body is read, the size bound, the verification answer) and the service
ends what a delivery names in the cache. It needs no CSRF token: the secret header
authenticates every call (with Flask-WTF's ``CSRFProtect``, exempt the blueprint:
``csrf.exempt(app.blueprints["okta_session"])``; logout has its own CSRF check).
"""

from __future__ import annotations

from flask import Response, request

from okta_session_mw.web.event_hook import read_bounded

from .per_request import lower_headers
from .responses import render_reply
from .service import get_service

__all__ = ["event_hook"]



def event_hook() -> Response:
    """The Okta Event Hook endpoint for this request (GET: verification; POST: a delivery).

    Apps that mount it themselves (``OktaSession(app, event_hook_route=False)``) call
    it from their own view, which must accept GET and POST."""
    service = get_service()
    headers = lower_headers()  # werkzeug's Headers are no Mapping
    length = headers.get("content-length") or None  # a WSGI server may set it empty
    early = service.event_hook.screen(request.method, headers, length)
    if early is not None:  # refused, or the verification: the body is never read
        return render_reply(early)
    return render_reply(service.end_pushed(read_bounded(request.stream.read)))
