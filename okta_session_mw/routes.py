"""Starlette/FastAPI logout route, logout helper and login helper.

``logout_route(config)`` mounts ``POST /logout``; ``logout(request)`` is the same
thing for apps that build their own route; ``logout_csrf_token(request)`` gives
templates the token for the logout form; ``login_with_session_token`` turns a
``sessionToken`` into a session and sets the ``sid`` cookie.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from okta_session_mw.access import wants_html
from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.csrf import CSRF_FIELD, CSRF_HEADER
from okta_session_mw.logout import (
    cookie_should_be_secure,
    forbidden_reply,
    login_cookie_header,
    logout_reply,
    own_origin,
)
from okta_session_mw.protect import get_service, render_reply
from okta_session_mw.session import Session

__all__ = ["login_with_session_token", "logout", "logout_csrf_token", "logout_route"]

_MAX_FORM_BYTES = 16 * 1024


def _cookie_key(request: Request) -> str | None:
    service = get_service(request)
    cookies = service.okta_cookies(request.headers.get("cookie"))
    return service.key_for(cookies) if cookies else None


def logout_csrf_token(request: Request) -> str:
    """Token for a logout form's ``csrf_token`` field (or the ``X-CSRF-Token`` header)."""
    return get_service(request).logout_guard.token(_cookie_key(request))


async def _form_field(request: Request, name: str) -> str | None:
    if request.headers.get("content-type", "").split(";")[0].strip() != (
        "application/x-www-form-urlencoded"
    ):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_FORM_BYTES:
            return None
    values = parse_qs(body.decode("latin-1"), max_num_fields=50).get(name)
    return values[0] if values else None


async def logout(request: Request, *, redirect_to: str | None = None) -> Response:
    """Close the Okta session of this request (POST, CSRF-checked) and answer it."""
    if request.method != "POST":
        return Response(status_code=405, headers={"allow": "POST"})
    service = get_service(request)
    token = request.headers.get(CSRF_HEADER) or await _form_field(request, CSRF_FIELD)
    allowed = get_service(request).logout_guard.allows(
        own_origin=own_origin(request.url.scheme, request.headers.get("host")),
        origin=request.headers.get("origin"),
        referer=request.headers.get("referer"),
        token=token,
        cookie_key=_cookie_key(request),
    )
    if not allowed:
        return render_reply(forbidden_reply())
    cookie_header = request.headers.get("cookie")
    await service.alogout(cookie_header)
    cookies = service.okta_cookies(cookie_header)
    reply = logout_reply(
        service.config,
        html=wants_html(request.headers),
        present_cookies=cookies.names if cookies else (),
        secure=cookie_should_be_secure(request.url.scheme, request.headers.get("host")),
        redirect_to=redirect_to,
    )
    return render_reply(reply)


def logout_route(
    config: OktaSessionConfig, *, path: str | None = None, name: str = "okta_logout"
) -> Route:
    """``Route`` for ``POST config.logout_path`` that logs out (see ``logout``)."""

    async def endpoint(request: Request) -> Response:
        return await logout(request)

    return Route(path or config.logout_path, endpoint, methods=["POST"], name=name)


async def login_with_session_token(
    request: Request, response: Response, session_token: str
) -> Session:
    """CreateSession from a ``sessionToken`` and set ``sid`` on ``response``.

    Needs ``api_token`` in the config. Raises the client's errors (e.g.
    ``OktaAuthenticationError`` for a used or expired token).
    """
    service = get_service(request)
    session = await service.alogin(session_token)
    secure = cookie_should_be_secure(request.url.scheme, request.headers.get("host"))
    response.raw_headers.append(
        (b"set-cookie", login_cookie_header(service.config, session, secure=secure).encode())
    )
    return session
