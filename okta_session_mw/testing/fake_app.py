"""The fake Okta's HTTP face: the nine routes, Okta's headers and error bodies.

Every request is recorded first, then meets the injected faults, then the rate limit,
then its operation. Every answer carries ``Date``, ``X-Okta-Request-Id`` and the
``X-Rate-Limit-*`` headers; every error is Okta's JSON error body (okta-sessions.md s3).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from okta_session_mw.testing.asgi_exchange import DropConnection, Receive, Scope, Send
from okta_session_mw.testing.fake_json import (
    authn_body,
    error_body,
    error_body_for_status,
    http_date,
    okta_id,
    session_body,
)
from okta_session_mw.testing.fake_rate_limit import RateLimitState
from okta_session_mw.testing.fake_records import FakeSession, RecordedCall, parse_cookie_header

if TYPE_CHECKING:
    from okta_session_mw.testing.fake_okta import FakeOkta

__all__ = ["handle"]

_GARBAGE = (
    b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1><p>The upstream server is unavailable.</p></body></html>"
)


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    path: str
    org_url: str
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    content: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[bytes, bytes], ...] = ()


def _json(status: int, value: Any) -> _Reply:
    return _Reply(status, json.dumps(value, separators=(",", ":")).encode(), "application/json")


def _error(code: str, *args: str) -> _Reply:
    return _json(*error_body(code, *args))


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _session(fake: FakeOkta, request: _Request, session: FakeSession, *, by_id: bool) -> _Reply:
    return _json(
        200, session_body(session, org_url=request.org_url, org_id=fake.org_id, by_id=by_id)
    )


def _refreshed(fake: FakeOkta, request: _Request, session: FakeSession, *, by_id: bool) -> _Reply:
    """A refresh answers the Session, or 204 to ``Prefer: return=minimal`` (DOC-SESS)."""
    if "return=minimal" in request.headers.get("prefer", ""):
        return _Reply(204, headers=((b"preference-applied", b"return=minimal"),))
    return _session(fake, request, session, by_id=by_id)


# -- the operations -------------------------------------------------------------------

_Match = re.Match[str]
_ME_NOT_FOUND = ("E0000007", "Resource not found: me (Session)")


def _authn(fake: FakeOkta, request: _Request, _: _Match) -> _Reply:
    payload = _json_object(request.body) or {}
    username, password = payload.get("username"), payload.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return _error("E0000003")
    result = fake._authenticate(username, password)
    if result is None:
        return _error("E0000004")
    user, token, expires_at = result
    return _json(200, authn_body(user, session_token=token, expires_at=expires_at))


def _create(fake: FakeOkta, request: _Request, _: _Match) -> _Reply:
    credential = fake._credential(request.headers.get("authorization"))
    if credential is None:
        return _error("E0000011")
    if credential != "ssws":  # CreateSession takes the API token only
        return _error("E0000006")
    token = (_json_object(request.body) or {}).get("sessionToken")
    if not isinstance(token, str):
        return _error("E0000003")
    session = fake._redeem(token)
    if session is None:
        return _error("E0000004")
    return _session(fake, request, session, by_id=False)


def _get_me(fake: FakeOkta, request: _Request, _: _Match) -> _Reply:
    session = fake._session_for_cookies(request.cookies)
    if session is None:
        return _error(*_ME_NOT_FOUND)
    return _session(fake, request, session, by_id=False)


def _close_me(fake: FakeOkta, request: _Request, _: _Match) -> _Reply:
    session = fake._session_for_cookies(request.cookies)
    if session is None or not fake.revoke(session.id):
        return _error(*_ME_NOT_FOUND)
    return _Reply(204)


def _refresh_me(fake: FakeOkta, request: _Request, _: _Match) -> _Reply:
    session = fake._session_for_cookies(request.cookies)
    refreshed = fake._refresh(session.id) if session is not None else None
    if refreshed is None:
        return _error(*_ME_NOT_FOUND)
    return _refreshed(fake, request, refreshed, by_id=False)


def _by_id(operation: Callable[[FakeOkta, _Request, str], _Reply]) -> _Handler:
    """Check the API token or OAuth2 bearer token first, as Okta's admin API does."""

    def handler(fake: FakeOkta, request: _Request, match: _Match) -> _Reply:
        if fake._credential(request.headers.get("authorization")) is None:
            return _error("E0000011")
        return operation(fake, request, match["id"])

    return handler


def _not_found(resource_id: str, kind: str = "AppSession") -> _Reply:
    return _error("E0000007", f"Resource not found: {resource_id} ({kind})")


@_by_id
def _get_by_id(fake: FakeOkta, request: _Request, session_id: str) -> _Reply:
    session = fake.session(session_id)
    if session is None:
        return _not_found(session_id)
    return _session(fake, request, session, by_id=True)


@_by_id
def _revoke_by_id(fake: FakeOkta, request: _Request, session_id: str) -> _Reply:
    return _Reply(204) if fake.revoke(session_id) else _not_found(session_id)


@_by_id
def _refresh_by_id(fake: FakeOkta, request: _Request, session_id: str) -> _Reply:
    session = fake._refresh(session_id)
    if session is None:
        return _not_found(session_id)
    return _refreshed(fake, request, session, by_id=True)


@_by_id
def _revoke_user_sessions(fake: FakeOkta, request: _Request, user_id: str) -> _Reply:
    """204, or 404 (unknown user). EVENT DELIVERY (issue 13, Helper A): clear for ``ended``."""
    ended = fake.revoke_user_sessions(user_id)
    return _not_found(user_id, "User") if ended is None else _Reply(204)


_Handler = Callable[["FakeOkta", _Request, _Match], _Reply]
_ROUTES: list[tuple[re.Pattern[str], dict[str, _Handler]]] = [
    (re.compile(r"/api/v1/authn"), {"POST": _authn}),
    (re.compile(r"/api/v1/sessions/?"), {"POST": _create}),
    (re.compile(r"/api/v1/sessions/me"), {"GET": _get_me, "DELETE": _close_me}),
    (re.compile(r"/api/v1/sessions/me/lifecycle/refresh"), {"POST": _refresh_me}),
    (re.compile(r"/api/v1/sessions/(?P<id>[^/]+)"), {"GET": _get_by_id, "DELETE": _revoke_by_id}),
    (re.compile(r"/api/v1/sessions/(?P<id>[^/]+)/lifecycle/refresh"), {"POST": _refresh_by_id}),
    (re.compile(r"/api/v1/users/(?P<id>[^/]+)/sessions"), {"DELETE": _revoke_user_sessions}),
]


def _route(fake: FakeOkta, request: _Request) -> _Reply:
    for pattern, handlers in _ROUTES:
        match = pattern.fullmatch(request.path)
        if match is not None:
            handler = handlers.get(request.method)
            return _error("E0000022") if handler is None else handler(fake, request, match)
    return _error("E0000007", f"Resource not found: {request.path}")


# -- ASGI ---------------------------------------------------------------------------------


async def handle(fake: FakeOkta, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer one ASGI connection scope for ``fake``."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        raise RuntimeError(f"the fake Okta serves HTTP only, not {scope['type']!r}")
    body = await _read_body(receive)
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        joiner = "; " if name == "cookie" else ", "
        headers[name] = headers[name] + joiner + value if name in headers else value
    cookies = parse_cookie_header([headers.get("cookie", "")])
    host = headers.get("host") or "{}:{}".format(*(scope.get("server") or ("localhost", 80)))
    request = _Request(
        scope["method"], scope["path"], f"{scope.get('scheme', 'http')}://{host}",
        headers, cookies, body,
    )  # fmt: skip
    call = RecordedCall(
        request.method, request.path, scope.get("query_string", b"").decode("latin-1"),
        headers, cookies, headers.get("authorization"), body,
    )  # fmt: skip
    fake._record(call)

    faults = fake._take_faults(request.path)
    if faults.latency:
        await asyncio.sleep(faults.latency)
    if faults.drop_connection:
        raise DropConnection
    allowed, rate = fake._take_rate(request.method, request.path)
    if faults.body is not None:
        reply = _Reply(faults.status or 200, faults.body, "application/json")
    elif faults.garbage_body:
        reply = _Reply(faults.status or 200, _GARBAGE, "text/html; charset=utf-8")
    elif faults.status is not None:
        reply = _json(*error_body_for_status(faults.status))
    elif not allowed:
        reply = _error("E0000047")
    else:
        reply = _route(fake, request)
    if faults.content_encoding:
        encoding = (b"content-encoding", faults.content_encoding.encode())
        reply = dataclasses.replace(reply, headers=(*reply.headers, encoding))
    await _send(send, reply, fake, rate, faults.trickle)
    fake._answered(call, reply.status)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # the client went away; answer what arrived
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(
    send: Send, reply: _Reply, fake: FakeOkta, rate: RateLimitState, trickle: float = 0.0
) -> None:
    headers = [
        (b"date", http_date(fake.now()).encode()),
        (b"x-okta-request-id", okta_id("", 27).encode()),
        *rate.headers(),
        *reply.headers,
    ]
    if reply.content_type is not None:
        headers.append((b"content-type", reply.content_type.encode()))
    if reply.status != 204:
        headers.append((b"content-length", str(len(reply.content)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    if not (trickle and reply.content):
        await send({"type": "http.response.body", "body": reply.content})
        return
    for index in range(len(reply.content)):
        chunk = reply.content[index : index + 1]
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await asyncio.sleep(trickle)
    await send({"type": "http.response.body", "body": b""})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
