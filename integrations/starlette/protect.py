"""Protected views for Starlette and FastAPI (behaviour 8).

``@okta_session_required`` wraps sync or async endpoints (it picks once, at decoration
time); ``Depends(require_okta_session)`` (or ``Security(...)``) is the FastAPI form, and
declares the Okta cookies as OpenAPI security schemes for ``/docs``
(``fastapi_security.py``, imported only when FastAPI reads the dependency). Both read
what the middleware resolved (no I/O here) and share one deny path: ``web.access``'s
``passes`` and ``refusal``.

No ``from __future__ import annotations`` here: FastAPI reads these signatures at run
time to inject the request.
"""

import dataclasses
import functools
import inspect
from collections.abc import Callable, Collection, MutableMapping, Sequence
from typing import Any, TypeVar

from starlette.requests import HTTPConnection
from starlette.responses import Response

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.resolution import Resolution
from okta_session_mw.engine.service import SessionService
from okta_session_mw.integrations.starlette.middleware import (
    RESOLUTION_KEY,
    SERVICE_KEY,
    OktaSessionDenied,
)
from okta_session_mw.okta.session import Session, SessionStatus
from okta_session_mw.web.access import passes, refusal
from okta_session_mw.web.reply import Reply
from okta_session_mw.web.view_guard import session_required

__all__ = [
    "RequireOktaSession",
    "get_okta_session",
    "get_resolution",
    "get_service",
    "okta_session_refusal",
    "okta_session_required",
    "optional_okta_session",
    "require_okta_session",
]

F = TypeVar("F", bound=Callable[..., Any])


def get_service(conn: HTTPConnection) -> SessionService:
    """The ``SessionService`` the middleware put on this request."""
    service = conn.scope.get(SERVICE_KEY)
    if service is None:
        raise RuntimeError(
            "OktaSessionMiddleware is not installed: add "
            "Middleware(OktaSessionMiddleware, config=...) to the app"
        )
    assert isinstance(service, SessionService)
    return service


def get_resolution(conn: HTTPConnection) -> Resolution:
    """How the middleware resolved this request: the session and where it came from
    (``Source.HIT``, ``MISS``, ``STALE``...), and whether Okta was unavailable."""
    get_service(conn)
    resolution: Resolution = conn.scope[RESOLUTION_KEY]
    return resolution


def get_okta_session(conn: HTTPConnection) -> Session | None:
    """The request's Okta session (any status), or None."""
    get_service(conn)
    session: Session | None = conn.scope.get("okta_session")
    return session


def reply_for(
    conn: HTTPConnection,
    statuses: Collection[SessionStatus] | None = None,
    *,
    redirect: bool = True,
) -> Reply | None:
    """None if the request may see a protected view, else what to answer."""
    resolution, config = get_resolution(conn), get_service(conn).config
    if passes(resolution, config, statuses):
        return None
    return refusal(
        resolution,
        config,
        headers=conn.headers,
        path=conn.scope["path"],  # ASGI: the full path, root_path included
        query=conn.scope.get("query_string", b"").decode("latin-1"),
        redirect=redirect,
    )


def okta_session_refusal(
    scope: MutableMapping[str, Any],
    statuses: Collection[SessionStatus] | None = None,
    *,
    redirect: bool = True,
) -> Reply | None:
    """``reply_for`` on a bare ASGI scope, for frameworks that are not Starlette (Litestar,
    Quart: ``request.scope``): None when the request may see a protected view, else the
    ``Reply`` (303 to login, 401 JSON, 503) for the framework to send as it is (status,
    ``headers``, ``body``). Needs ``OktaSessionMiddleware`` around the app."""
    return reply_for(HTTPConnection(scope), statuses, redirect=redirect)


def render_reply(reply: Reply) -> Response:
    """A Starlette ``Response`` for a core ``Reply`` (repeated headers kept)."""
    response = Response(reply.body, status_code=reply.status, media_type=reply.media_type)
    for name, value in reply.other_headers:
        response.raw_headers.append((name.encode("latin-1"), value.encode("latin-1")))
    return response


def _deny(conn: HTTPConnection, reply: Reply) -> Response:
    """The refusal as a response; a WebSocket has none, so the middleware closes it
    with 1008 (policy violation) instead."""
    if conn.scope["type"] == "websocket":
        raise OktaSessionDenied(reply)
    return render_reply(reply)


def _find_connection(args: tuple[Any, ...], kwargs: dict[str, Any]) -> HTTPConnection:
    for value in (*args, *kwargs.values()):
        if isinstance(value, HTTPConnection):
            return value
    raise TypeError("@okta_session_required needs the endpoint to take the request")


@session_required
def okta_session_required(view: F, statuses: Collection[SessionStatus] | None) -> F:
    """Protect an endpoint: a browser is redirected to login, an API call gets 401,
    503 while Okta is unreachable. ``statuses`` overrides the config's accepted ones.
    A WebSocket endpoint is closed with 1008 instead, and one opened from a foreign
    ``Origin`` never has a session (the middleware withholds it)."""
    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            conn = _find_connection(args, kwargs)
            reply = reply_for(conn, statuses)
            return _deny(conn, reply) if reply else await view(*args, **kwargs)

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(view)
    def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
        conn = _find_connection(args, kwargs)
        reply = reply_for(conn, statuses)
        return _deny(conn, reply) if reply else view(*args, **kwargs)

    return sync_wrapper  # type: ignore[return-value]


def _default_cookie_names() -> tuple[str, ...]:
    """The config's own default (``sid``, ``idx``), read from it rather than repeated."""
    (field,) = (f for f in dataclasses.fields(OktaSessionConfig) if f.name == "cookie_names")
    names = field.default
    assert isinstance(names, tuple)
    return names


_DEFAULT_COOKIE_NAMES = _default_cookie_names()


class _OpenAPISignature:
    """``RequireOktaSession.__signature__``, made when FastAPI first reads it: the
    connection plus one OpenAPI cookie scheme per cookie name, built from FastAPI's own
    classes, so FastAPI is imported only by an app that uses it. On the class itself it
    is None, so ``inspect.signature(RequireOktaSession)`` still shows the constructor."""

    def __get__(
        self, instance: "RequireOktaSession | None", owner: type | None = None
    ) -> inspect.Signature | None:
        if instance is None:
            return None
        from okta_session_mw.integrations.starlette.fastapi_security import (
            dependency_signature,
        )

        return dependency_signature(instance.cookie_names)


class RequireOktaSession:
    """FastAPI dependency: the session, or the reply is sent instead of the endpoint.

    ``redirect=False`` suits JSON APIs: an anonymous caller always gets 401, even a
    browser tab that navigated there. Used with ``Depends`` or ``Security``, it shows in
    the OpenAPI schema as an apiKey-in-cookie scheme per Okta cookie (``okta_sid``,
    ``okta_idx``): pass ``cookie_names=config.cookie_names`` when the config names
    other cookies. The schemes only declare; the middleware reads the cookie.
    """

    __signature__ = _OpenAPISignature()

    def __init__(
        self,
        statuses: Collection[SessionStatus] | None = None,
        *,
        redirect: bool = True,
        cookie_names: Sequence[str] | None = None,
    ) -> None:
        if isinstance(cookie_names, str):
            raise TypeError("cookie_names takes a list of names, not one string")
        self.statuses = statuses
        self.redirect = redirect
        self.cookie_names = tuple(cookie_names or _DEFAULT_COOKIE_NAMES)

    def __call__(self, request: HTTPConnection, **_schemes: None) -> Session:
        reply = reply_for(request, self.statuses, redirect=self.redirect)
        if reply is not None:
            raise OktaSessionDenied(reply)
        session: Session = request.scope["okta_session"]
        return session


require_okta_session = RequireOktaSession()
"""``Depends(require_okta_session)``: an accepted session or a redirect/401/503; the
``sid`` and ``idx`` cookie schemes in OpenAPI."""


def optional_okta_session(request: HTTPConnection) -> Session | None:
    """``Depends(optional_okta_session)``: the session if it is accepted, else None."""
    resolution = get_resolution(request)
    return resolution.session if passes(resolution, get_service(request).config) else None
