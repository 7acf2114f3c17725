"""The Okta calls as data: what to send, and what an answer means. No I/O here.

Each operation is a function returning a :class:`Call`: method, path, which
credential it takes, and how to read a successful answer (``answer_bodies``).
:func:`raise_for_status` turns an error answer into the typed exception and
:func:`parse_rate_limit` reads the ``X-Rate-Limit-*`` figures (both in
``answer_status``, importable from here): each written once, for both clients.
``call_flow.py`` runs a call (retries included) and the clients only move bytes.

Arguments are checked before any I/O: a session id is URL-quoted and may not be
empty, ``.``/``..`` or ``me`` (which would turn an admin call into a ``/me`` call);
a cookie or token may hold only printable ASCII, so no header can be split and no
HTTP library error can echo a secret.

Answers are read with bounded work (``answer_bodies``): a body holding more than
``MAX_JSON_CONTAINERS`` objects and arrays is not parsed, and an error's
``errorCauses`` are kept as flat text only (so the exception can be copied and pickled).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import quote

import httpx

from okta_session_mw.errors import InvalidRequestError
from okta_session_mw.okta.answer_bodies import (
    MAX_JSON_CONTAINERS,
    parse_nothing,
    parse_session,
    parse_session_token,
)
from okta_session_mw.okta.answer_status import okta_time, parse_rate_limit, raise_for_status
from okta_session_mw.okta.session import Session

__all__ = [
    "FIXED_PATHS",
    "MAX_JSON_CONTAINERS",
    "Auth",
    "Call",
    "authenticate",
    "check_header_value",
    "close_current_session",
    "create_session",
    "get_current_session",
    "get_session",
    "okta_time",
    "parse_rate_limit",
    "raise_for_status",
    "refresh_current_session",
    "refresh_session",
    "revoke_session",
    "revoke_user_sessions",
]

T = TypeVar("T")

_SESSIONS = "/api/v1/sessions"
_ME = f"{_SESSIONS}/me"
_ME_REFRESH = f"{_ME}/lifecycle/refresh"
_AUTHN = "/api/v1/authn"
_USERS = "/api/v1/users"
FIXED_PATHS = (_ME, _ME_REFRESH, _SESSIONS, _AUTHN)
"""The paths that never vary (a client may parse their URLs once)."""
_JSON_BODY = (("Content-Type", "application/json"),)


class Auth(enum.Enum):
    """Which credential a call carries in its ``Authorization`` header."""

    COOKIE = "cookie"
    """The browser's cookie only, never a token (Okta: "an API token isn't allowed")."""
    API_TOKEN = "api_token"
    """``SSWS`` only (CreateSession)."""
    TOKEN = "token"
    """``SSWS`` if the client has an API token, else the OAuth2 bearer token."""
    NONE = "none"
    """No credential (primary authentication)."""


@dataclass(frozen=True, slots=True, repr=False)
class Call(Generic[T]):
    """One request to Okta and how to read its successful (2xx) answer.

    Its ``repr`` is the operation alone: the headers hold the browser's cookie, the
    body a session token or a password, and the path a session id.
    """

    name: str
    """The operation's name, for messages and logs (never an id, cookie or token)."""
    method: str
    path: str
    auth: Auth
    parse: Callable[[httpx.Response], T]
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None

    def __repr__(self) -> str:
        return f"Call(name={self.name!r}, method={self.method!r})"


# -- building requests -------------------------------------------------------------


def check_header_value(value: object, what: str) -> str:
    """Return ``value`` if it can travel in a header; the error never shows it."""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{what} must be a string, not {type(value).__name__}")
    if not value:
        raise InvalidRequestError(f"{what} is empty")
    if value != value.strip() or not all(" " <= char <= "~" for char in value):
        raise InvalidRequestError(
            f"{what} must be printable ASCII, without CR/LF or surrounding whitespace"
        )
    return value


def _cookie_call(
    name: str, method: str, path: str, cookie: str, parse: Callable[[httpx.Response], T]
) -> Call[T]:
    headers = (("Cookie", check_header_value(cookie, "cookie")),)
    return Call(name, method, path, Auth.COOKIE, parse, headers)


def _session_path(session_id: object, suffix: str = "") -> str:
    if not isinstance(session_id, str) or not session_id:
        raise InvalidRequestError("session_id must be a non-empty string")
    if session_id in (".", "..", "me"):
        raise InvalidRequestError(
            f"session_id {session_id!r} is not a session id; the browser's own session "
            "is reached with the *_current_session operations"
        )
    return f"{_SESSIONS}/{quote(session_id, safe='')}{suffix}"


def _json_body(data: Mapping[str, object]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def get_current_session(cookie: str) -> Call[Session]:
    """GetCurrentSession: ``GET /api/v1/sessions/me`` with the browser's cookie."""
    return _cookie_call("get_current_session", "GET", _ME, cookie, parse_session)


def refresh_current_session(cookie: str) -> Call[Session]:
    """RefreshCurrentSession: ``POST /api/v1/sessions/me/lifecycle/refresh``."""
    return _cookie_call("refresh_current_session", "POST", _ME_REFRESH, cookie, parse_session)


def close_current_session(cookie: str) -> Call[None]:
    """CloseCurrentSession: ``DELETE /api/v1/sessions/me`` (204)."""
    return _cookie_call("close_current_session", "DELETE", _ME, cookie, parse_nothing)


def create_session(session_token: str) -> Call[Session]:
    """CreateSession: ``POST /api/v1/sessions`` exchanging a one-time session token."""
    if not isinstance(session_token, str) or not session_token:
        raise InvalidRequestError("session_token must be a non-empty string")
    body = _json_body({"sessionToken": session_token})
    return Call(
        "create_session", "POST", _SESSIONS, Auth.API_TOKEN, parse_session, _JSON_BODY, body
    )


def get_session(session_id: str) -> Call[Session]:
    """GetSession: ``GET /api/v1/sessions/{id}``."""
    return Call("get_session", "GET", _session_path(session_id), Auth.TOKEN, parse_session)


def refresh_session(session_id: str) -> Call[Session]:
    """RefreshSession: ``POST /api/v1/sessions/{id}/lifecycle/refresh`` (no body)."""
    path = _session_path(session_id, "/lifecycle/refresh")
    return Call("refresh_session", "POST", path, Auth.TOKEN, parse_session)


def revoke_session(session_id: str) -> Call[None]:
    """RevokeSession: ``DELETE /api/v1/sessions/{id}`` (204)."""
    path = _session_path(session_id)
    return Call("revoke_session", "DELETE", path, Auth.TOKEN, parse_nothing)


def revoke_user_sessions(user_id: str, oauth_tokens: bool = False) -> Call[None]:
    """Clear a user's sessions: ``DELETE /api/v1/users/{userId}/sessions`` (204), Okta's
    user sessions API, with ``oauthTokens=true`` to revoke the user's OAuth 2.0 tokens
    too. An admin call (API token or bearer token, like RevokeSession), in a rate-limit
    bucket of its own. ``me`` is refused: with an API token it names the token's owner."""
    if not isinstance(user_id, str) or not user_id:
        raise InvalidRequestError("user_id must be a non-empty string")
    if user_id in (".", "..", "me"):
        raise InvalidRequestError(f"user_id {user_id!r} is not a user id")
    query = "true" if oauth_tokens else "false"
    path = f"{_USERS}/{quote(user_id, safe='')}/sessions?oauthTokens={query}"
    return Call("revoke_user_sessions", "DELETE", path, Auth.TOKEN, parse_nothing)


def authenticate(username: str, password: str) -> Call[str]:
    """Primary authentication: ``POST /api/v1/authn``; its answer is a session token.

    Sent without any credential: with an API token Okta would treat the caller as a
    trusted application, which needs more set-up than a login form has.
    """
    if not isinstance(username, str) or not username:
        raise InvalidRequestError("username must be a non-empty string")
    if not isinstance(password, str):
        raise InvalidRequestError("password must be a string")
    body = _json_body({"username": username, "password": password})
    return Call("authenticate", "POST", _AUTHN, Auth.NONE, parse_session_token, _JSON_BODY, body)
