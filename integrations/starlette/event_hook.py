"""Starlette/FastAPI Okta Event Hook route (behaviour 15): translation only.

``event_hook_route(config)`` answers Okta's verification ``GET`` and its ``POST``
deliveries at ``config.event_hook_path`` (``web/event_hook.py`` decides; the service
ends what a delivery names). Needs ``OktaSessionMiddleware`` on the app, as the
logout route does.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.integrations.starlette.protect import get_service, render_reply
from okta_session_mw.web.event_hook import MAX_BODY_BYTES

__all__ = ["event_hook_route"]


async def _body(request: Request) -> bytes:
    """The body, read no further than one byte past ``MAX_BODY_BYTES`` (the service
    answers 413 to that)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            break
    return bytes(body[: MAX_BODY_BYTES + 1])


def event_hook_route(
    config: OktaSessionConfig, *, path: str | None = None, name: str = "okta_event_hook"
) -> Route:
    """``Route`` for ``config.event_hook_path`` (or ``path``; it works mounted too): give
    its full URL to the Event Hook in Okta, with ``event_hook_header`` as the
    authentication field and one of ``event_hook_secrets`` as the secret."""

    async def endpoint(request: Request) -> Response:
        service = get_service(request)
        headers = request.headers
        early = service.event_hook.screen(request.method, headers, headers.get("content-length"))
        if early is not None:  # refused, or the verification: the body is never read
            return render_reply(early)
        return render_reply(await service.aend_pushed(await _body(request)))

    return Route(path or config.event_hook_path, endpoint, methods=["GET", "POST"], name=name)
