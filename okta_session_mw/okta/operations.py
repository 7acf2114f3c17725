"""The Okta calls as data: what to send, and what an answer means. No I/O here.

Each operation is a function returning a :class:`Call`: method, path, which
credential it takes, and how to read a successful answer. :func:`raise_for_status`
turns an error answer into the typed exception and :func:`parse_rate_limit` reads
the ``X-Rate-Limit-*`` figures: each written once, for both clients. ``call_flow.py``
runs a call (retries included) and ``client.py``'s shells only move bytes.

Arguments are checked before any I/O: a session id is URL-quoted and may not be
empty, ``.``/``..`` or ``me`` (which would turn an admin call into a ``/me`` call);
a cookie or token may hold only printable ASCII, so no header can be split and no
HTTP library error can echo a secret.

Answers are read with bounded work: a body holding more than ``MAX_JSON_CONTAINERS``
objects and arrays is not parsed, and an error's ``errorCauses`` are kept as flat text
only (so the exception can be copied and pickled).
"""

from __future__ import annotations

import enum
import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Generic, TypeVar
from urllib.parse import quote

import httpx

from okta_session_mw.errors import (
    InvalidRequestError,
    OktaAuthnIncompleteError,
    OktaInvalidResponseError,
    RateLimit,
    SessionParseError,
    error_class_for_status,
)
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
    "parse_rate_limit",
    "raise_for_status",
    "refresh_current_session",
    "refresh_session",
    "revoke_session",
]

T = TypeVar("T")

_SESSIONS = "/api/v1/sessions"
_ME = f"{_SESSIONS}/me"
_ME_REFRESH = f"{_ME}/lifecycle/refresh"
_AUTHN = "/api/v1/authn"
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
    return _cookie_call("get_current_session", "GET", _ME, cookie, _parse_session)


def refresh_current_session(cookie: str) -> Call[Session]:
    """RefreshCurrentSession: ``POST /api/v1/sessions/me/lifecycle/refresh``."""
    return _cookie_call("refresh_current_session", "POST", _ME_REFRESH, cookie, _parse_session)


def close_current_session(cookie: str) -> Call[None]:
    """CloseCurrentSession: ``DELETE /api/v1/sessions/me`` (204)."""
    return _cookie_call("close_current_session", "DELETE", _ME, cookie, _parse_nothing)


def create_session(session_token: str) -> Call[Session]:
    """CreateSession: ``POST /api/v1/sessions`` exchanging a one-time session token."""
    if not isinstance(session_token, str) or not session_token:
        raise InvalidRequestError("session_token must be a non-empty string")
    body = _json_body({"sessionToken": session_token})
    return Call(
        "create_session", "POST", _SESSIONS, Auth.API_TOKEN, _parse_session, _JSON_BODY, body
    )


def get_session(session_id: str) -> Call[Session]:
    """GetSession: ``GET /api/v1/sessions/{id}``."""
    return Call("get_session", "GET", _session_path(session_id), Auth.TOKEN, _parse_session)


def refresh_session(session_id: str) -> Call[Session]:
    """RefreshSession: ``POST /api/v1/sessions/{id}/lifecycle/refresh`` (no body)."""
    path = _session_path(session_id, "/lifecycle/refresh")
    return Call("refresh_session", "POST", path, Auth.TOKEN, _parse_session)


def revoke_session(session_id: str) -> Call[None]:
    """RevokeSession: ``DELETE /api/v1/sessions/{id}`` (204)."""
    path = _session_path(session_id)
    return Call("revoke_session", "DELETE", path, Auth.TOKEN, _parse_nothing)


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
    return Call("authenticate", "POST", _AUTHN, Auth.NONE, _parse_session_token, _JSON_BODY, body)


# -- reading answers ---------------------------------------------------------------


MAX_JSON_CONTAINERS = 2048
"""The most ``[`` and ``{`` a body may hold (inside strings too) to be parsed at all; a
Session has about a dozen, an error body a few. ``json.loads`` holds the GIL, a worker
thread's too, and most of its time on a body goes to making containers (and to the
garbage collector they wake): a megabyte of small nested arrays is a tenth of a second
or more of a stalled event loop. Counting costs well under a millisecond per megabyte.
A body of plain values is cheap to parse however long (up to ``max_response_bytes``)."""


def _too_many_containers(content: bytes) -> bool:
    return (
        len(content) > MAX_JSON_CONTAINERS
        and content.count(b"[") + content.count(b"{") > MAX_JSON_CONTAINERS
    )


def _load_json(content: bytes) -> object:
    """The decoded body, or None when it is not JSON, or holds more objects and arrays
    than ``MAX_JSON_CONTAINERS``. Every Okta body is read here, so none reaches the
    caller as anything but the typed errors: a body nested too deep for the parser
    (``[[[[...``) raises RecursionError, not ValueError."""
    if _too_many_containers(content):
        return None
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # ValueError also covers UnicodeDecodeError
        return None


def _parse_session(response: httpx.Response) -> Session:
    if _too_many_containers(response.content):
        raise OktaInvalidResponseError(
            f"Okta's answer (HTTP {response.status_code}) holds more than "
            f"{MAX_JSON_CONTAINERS} JSON objects and arrays; a Session has about a dozen",
            status_code=response.status_code,
        )
    data = _load_json(response.content)
    if not isinstance(data, dict):
        raise OktaInvalidResponseError(
            f"Okta's answer (HTTP {response.status_code}) is not a JSON Session object",
            status_code=response.status_code,
        )
    try:
        return Session.from_okta(data)
    except RecursionError:  # nested just shallow enough for the parser, not for the walk
        raise OktaInvalidResponseError(
            f"Okta's answer (HTTP {response.status_code}) is nested too deep for a Session",
            status_code=response.status_code,
        ) from None
    except SessionParseError as exc:
        raise OktaInvalidResponseError(
            f"Okta's answer (HTTP {response.status_code}) is not a valid Session: "
            f"field {exc.field!r} is invalid",
            status_code=response.status_code,
        ) from exc


def _parse_nothing(response: httpx.Response) -> None:
    """204 (or any 2xx): any body carries nothing we need."""


def _parse_session_token(response: httpx.Response) -> str:
    data = _load_json(response.content)
    if not isinstance(data, dict) or not isinstance(data.get("status"), str):
        raise OktaInvalidResponseError(
            f"Okta's authn answer (HTTP {response.status_code}) is not an authentication "
            "transaction",
            status_code=response.status_code,
        )
    token = data.get("sessionToken")
    if data["status"] != "SUCCESS" or not isinstance(token, str) or not token:
        raise OktaAuthnIncompleteError(data["status"][:40])
    return token


def _header_int(headers: httpx.Headers, name: str) -> int | None:
    """The smallest integer among the header's values (Okta's SDKs take the minimum)."""
    values: list[int] = []
    for raw in headers.get_list(name, split_commas=True):
        try:
            values.append(int(raw.strip()))
        except ValueError:
            continue
    return min(values) if values else None


def okta_time(headers: httpx.Headers) -> float | None:
    """The response's ``Date`` as epoch seconds: Okta's "now". None if absent or bad."""
    value = headers.get("Date")
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000" and obsolete zones: RFC 9110 says UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def parse_rate_limit(headers: httpx.Headers) -> RateLimit:
    """The ``X-Rate-Limit-Limit/Remaining/Reset`` figures and Okta's ``Date``; a missing
    or bad one is None."""
    return RateLimit(
        limit=_header_int(headers, "X-Rate-Limit-Limit"),
        remaining=_header_int(headers, "X-Rate-Limit-Remaining"),
        reset=_header_int(headers, "X-Rate-Limit-Reset"),
        date=okta_time(headers) if "X-Rate-Limit-Reset" in headers else None,
    )


def raise_for_status(response: httpx.Response, rate_limit: RateLimit) -> None:
    """Return for a 2xx; raise the typed error for anything else.

    An error status with Okta's error JSON (or no body at all, which the spec allows
    for ``/me``) is an :class:`OktaAPIError` subclass keeping every field. A redirect,
    or a body that is not Okta's error JSON (a proxy's HTML page, garbage), is not an
    answer from Okta's API: :class:`OktaInvalidResponseError`.
    """
    status = response.status_code
    if 200 <= status < 300:
        return
    if status < 400:
        raise OktaInvalidResponseError(
            f"unexpected HTTP {status} from Okta (a redirect, not an API answer)",
            status_code=status,
        )
    fields: dict[str, object] = {}
    if status == 429:
        # Whatever the body (a proxy's or CDN's page too), 429 means "slow down".
        data = _load_json(response.content)
        fields = data if isinstance(data, dict) else {}
    elif response.content.strip():
        data = _load_json(response.content)
        if not isinstance(data, dict) or not isinstance(data.get("errorCode"), str):
            raise OktaInvalidResponseError(
                f"HTTP {status} with a body that is not Okta's error JSON", status_code=status
            )
        fields = data
    raise error_class_for_status(status)(
        status,
        error_code=_str_or_none(fields.get("errorCode")),
        error_summary=_str_or_none(fields.get("errorSummary")),
        error_link=_str_or_none(fields.get("errorLink")),
        error_id=_str_or_none(fields.get("errorId")),
        error_causes=_causes(fields.get("errorCauses")),
        rate_limit=rate_limit,
        request_id=response.headers.get("X-Okta-Request-Id"),
    )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


_MAX_CAUSES = 16
_MAX_CAUSE_TEXT = 1024
_MAX_CAUSE_MEMBERS = 8


def _causes(value: object) -> list[dict[str, str]]:
    """``errorCauses`` as flat text: at most 16 causes, each only its (first 8) members
    whose value is a string (``errorSummary``), cut to 1 KiB. Anything nested is dropped: the
    error is kept, copied and pickled (Celery, multiprocessing), and a value nested
    hundreds deep would make each of those raise RecursionError."""
    if not isinstance(value, list):
        return []
    causes: list[dict[str, str]] = []
    for cause in value:
        if not isinstance(cause, dict):
            continue
        texts = (
            (key[:_MAX_CAUSE_TEXT], text[:_MAX_CAUSE_TEXT])
            for key, text in cause.items()
            if isinstance(key, str) and isinstance(text, str)
        )
        causes.append(dict(itertools.islice(texts, _MAX_CAUSE_MEMBERS)))
        if len(causes) == _MAX_CAUSES:
            break
    return causes
