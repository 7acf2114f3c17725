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

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.integrations.starlette.middleware import client_address
from okta_session_mw.integrations.starlette.protect import get_service, render_reply
from okta_session_mw.okta.session import Session
from okta_session_mw.web import csrf_nonce
from okta_session_mw.web.cookies import asgi_cookie_header
from okta_session_mw.web.csrf import CSRF_FIELD
from okta_session_mw.web.login_cookie import login_cookie_header
from okta_session_mw.web.logout_request import LogoutRequest, form_token_wanted

__all__ = [
    "csrf_allows",
    "login_with_session_token",
    "logout",
    "logout_csrf_token",
    "logout_route",
]

_MAX_FORM_BYTES = 16 * 1024


def logout_csrf_token(request: Request) -> str:
    """Token for a form's ``csrf_token`` field (or the ``X-CSRF-Token`` header): logout,
    or any form ``csrf_allows`` checks. It is bound to this browser; a visitor without
    an Okta cookie gets a nonce cookie, which the middleware adds to the response."""
    return csrf_nonce.csrf_token(get_service(request), _cookie_header(request), request.scope)


def _cookie_header(request: Request) -> str | None:
    # every ``cookie`` field (HTTP/2 sends several), not ``headers.get``: only the first
    return asgi_cookie_header(request.scope["headers"])


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


async def _logout_request(
    request: Request, redirect_to: str | None = None, form_token: str | None = None
) -> LogoutRequest:
    if form_token_wanted(request.method, request.headers, form_token):
        form_token = await _form_field(request, CSRF_FIELD)
    return LogoutRequest(
        method=request.method,
        scheme=request.url.scheme,
        host=request.headers.get("host"),
        headers=request.headers,
        cookie_header=_cookie_header(request),
        form_token=form_token,
        redirect_to=redirect_to,
        client=client_address(request.scope),
    )


async def csrf_allows(request: Request, token: str | None = None) -> bool:
    """The logout CSRF rule, for an app's own state-changing forms (a sign-in form
    too): a foreign ``Origin`` (else ``Referer``) is refused whatever the token says,
    the app's own origin passes, and with neither header the POST needs a token from
    ``logout_csrf_token`` made for this browser.

    Pass ``token`` when the form was already parsed (a FastAPI ``Form`` field);
    otherwise it is read from ``X-CSRF-Token`` or a urlencoded ``csrf_token`` field.
    """
    return get_service(request).csrf_allows(await _logout_request(request, form_token=token))


async def logout(request: Request, *, redirect_to: str | None = None) -> Response:
    """Close the Okta session of this request (POST, CSRF-checked) and answer it."""
    reply = await get_service(request).alogout_request(await _logout_request(request, redirect_to))
    return render_reply(reply)


def logout_route(
    config: OktaSessionConfig, *, path: str | None = None, name: str = "okta_logout"
) -> Route:
    """``Route`` for ``POST config.logout_path`` that logs out (see ``logout``).

    The middleware never looks up ``config.logout_path``, so a refused logout causes no
    Okta call; a route mounted at another ``path`` is looked up like any other path
    (set ``logout_path`` in the config instead)."""

    async def endpoint(request: Request) -> Response:
        return await logout(request)

    return Route(path or config.logout_path, endpoint, methods=["POST"], name=name)


async def login_with_session_token(
    request: Request, response: Response, session_token: str
) -> Session:
    """CreateSession from a ``sessionToken`` and set ``sid`` on ``response``.

    Needs ``api_token`` in the config. Raises the client's errors (e.g.
    ``OktaAuthenticationError`` for a used or expired token), and
    ``SignInThrottledError`` when sign-in is held back to keep Okta's rate limit
    (per client address, and the part of Okta's window kept for signed-in users):
    show "try again shortly".
    """
    service = get_service(request)
    session = await service.alogin(session_token, client_address(request.scope))
    cookie = login_cookie_header(service.config, session)
    response.raw_headers.append((b"set-cookie", cookie.encode()))
    return session
