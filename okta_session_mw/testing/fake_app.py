"""The fake Okta's operations: its routes, each a handler from request to reply, with
Okta's error bodies (okta-sessions.md s3). ``fake_asgi`` puts them on ASGI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from okta_session_mw.testing.fake_json import authn_body, error_body, session_body
from okta_session_mw.testing.fake_records import FakeSession

if TYPE_CHECKING:
    from okta_session_mw.testing.fake_okta import FakeOkta

__all__ = ["route"]

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
    if session is None or not fake._close_current(session.id):
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
def _user_lifecycle(fake: FakeOkta, request: _Request, user_id: str) -> _Reply:
    """Suspend or deactivate a user: 200 without a body, as Okta answers."""
    operation = fake.suspend_user if request.path.endswith("suspend") else fake.deactivate_user
    try:
        operation(user_id)
    except KeyError:
        return _error("E0000007", f"Resource not found: {user_id} (User)")
    except ValueError as exc:
        return _error("E0000001", str(exc))
    return _Reply(200)


@_by_id
def _revoke_user_sessions(fake: FakeOkta, request: _Request, user_id: str) -> _Reply:
    """204 (the user's sessions ended, ``user.session.clear`` delivered to the event
    hooks), or 404 (unknown user)."""
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
    (re.compile(r"/api/v1/users/(?P<id>[^/]+)/lifecycle/(suspend|deactivate)"),
     {"POST": _user_lifecycle}),
    (re.compile(r"/api/v1/users/(?P<id>[^/]+)/sessions"), {"DELETE": _revoke_user_sessions}),
]


def route(fake: FakeOkta, request: _Request) -> _Reply:
    """The reply of the operation ``request`` names (Okta's 404 or 405 if none)."""
    for pattern, handlers in _ROUTES:
        match = pattern.fullmatch(request.path)
        if match is not None:
            handler = handlers.get(request.method)
            return _error("E0000022") if handler is None else handler(fake, request, match)
    return _error("E0000007", f"Resource not found: {request.path}")
