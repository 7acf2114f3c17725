"""Render the core's neutral ``Reply`` as a Flask ``Response``."""

from __future__ import annotations

from flask import Response

from okta_session_mw.web.reply import Reply

__all__ = ["render_reply"]


def render_reply(reply: Reply) -> Response:
    """A Flask ``Response`` for a core ``Reply`` (repeated ``Set-Cookie`` kept)."""
    response = Response(
        reply.body, status=reply.status, headers=reply.other_headers, content_type=reply.media_type
    )
    if reply.media_type is None:  # werkzeug would label a 204 or a 303 text/html
        del response.headers["Content-Type"]
    return response
