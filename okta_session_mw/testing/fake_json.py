"""Okta's JSON, written out by hand: Session, error and authn bodies, ids and dates.

Deliberately independent of the library's own ``Session`` model: the fake must produce
what Okta sends (okta-sessions.md sections 1-3), so a bug in the client's parsing shows
up as a failing test instead of being mirrored here.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timezone
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

from okta_session_mw.testing.fake_records import FakeSession, FakeUser

__all__ = [
    "AMR_VALUES",
    "ERRORS",
    "SESSION_STATUSES",
    "authn_body",
    "error_body",
    "error_body_for_status",
    "http_date",
    "okta_id",
    "okta_time",
    "session_body",
]

SESSION_STATUSES = frozenset({"ACTIVE", "MFA_ENROLL", "MFA_REQUIRED"})
AMR_VALUES = frozenset(
    {"fpt", "geo", "hwk", "kba", "mca", "mfa", "otp", "pwd", "sc", "sms", "swk", "tel"}
)

# code -> (HTTP status, errorSummary), from Okta's error catalogue (okta-sessions.md section 3).
ERRORS: dict[str, tuple[int, str]] = {
    "E0000001": (400, "Api validation failed: {0}"),
    "E0000003": (400, "The request body was not well-formed."),
    "E0000004": (401, "Authentication failed"),
    "E0000006": (403, "You do not have permission to perform the requested action"),
    "E0000007": (404, "Not found: {0}"),
    "E0000009": (500, "Internal Server Error"),
    "E0000010": (503, "Service is in read only mode"),
    "E0000011": (401, "Invalid token provided"),
    "E0000022": (405, "The endpoint does not support the provided HTTP method"),
    "E0000047": (429, "API call exceeded rate limit due to too many requests."),
}
_CODE_FOR_STATUS = {status: code for code, (status, _) in ERRORS.items() if code != "E0000004"}

_ALNUM = string.ascii_letters + string.digits


def okta_id(prefix: str, length: int = 20) -> str:
    """An Okta-looking id: ``prefix`` then random letters and digits, ``length`` in all."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length - len(prefix)))


def okta_time(epoch: float | None) -> str | None:
    """Okta's wire format for dates: UTC, milliseconds, ``Z`` (``2025-09-22T09:00:23.000Z``)."""
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def http_date(epoch: float) -> str:
    """The ``Date`` header format (RFC 1123, ``Mon, 22 Sep 2025 07:00:24 GMT``)."""
    return formatdate(epoch, usegmt=True)


def error_body(code: str, *args: str) -> tuple[int, dict[str, Any]]:
    """``(status, body)`` of Okta's error ``code``; ``args`` fill the summary's ``{0}``."""
    status, summary = ERRORS[code]
    return status, {
        "errorCode": code,
        "errorSummary": summary.format(*args),
        "errorLink": code,
        "errorId": okta_id("oae", 25),
        "errorCauses": [],
    }


def error_body_for_status(status: int) -> tuple[int, dict[str, Any]]:
    """An Okta error body for an arbitrary (injected) status: Okta's code where it has one."""
    code = _CODE_FOR_STATUS.get(status)
    if code is not None:
        return error_body(code, "Resource not found")  # fills E0000007's (or E0000001's) "{0}"
    try:
        summary = HTTPStatus(status).phrase
    except ValueError:
        summary = "Error"
    _, body = error_body("E0000009")
    body["errorSummary"] = summary
    return status, body


def _link(href: str, *allow: str, name: str | None = None) -> dict[str, Any]:
    link: dict[str, Any] = {"href": href, "hints": {"allow": list(allow)}}
    if name is not None:
        link = {"name": name, **link}
    return link


def session_body(session: FakeSession, *, org_url: str, org_id: str, by_id: bool) -> dict[str, Any]:
    """A Session as Okta returns it.

    ``by_id``: links point at ``/sessions/{id}`` and ``/users/{userId}`` (GET/refresh by
    id); otherwise at ``/sessions/me`` and ``/users/me`` (the ``/me`` operations and
    CreateSession), as in Okta's recorded responses.
    """
    base = f"{org_url}/api/v1"
    session_ref = session.id if by_id else "me"
    user_ref = session.user_id if by_id else "me"
    created = okta_time(session.created_at)
    return {
        "id": session.id,
        "userId": session.user_id,
        "login": session.login,
        "createdAt": created,
        "expiresAt": okta_time(session.expires_at),
        "status": session.status,
        "lastPasswordVerification": created if "pwd" in session.amr else None,
        "lastFactorVerification": created if "mfa" in session.amr else None,
        "amr": list(session.amr),
        "idp": {"id": org_id, "type": "OKTA"},
        "mfaActive": "mfa" in session.amr,
        "_links": {
            "self": _link(f"{base}/sessions/{session_ref}", "GET", "DELETE"),
            "refresh": _link(f"{base}/sessions/{session_ref}/lifecycle/refresh", "POST"),
            "user": _link(f"{base}/users/{user_ref}", "GET", name=session.user.display_name),
        },
    }


def authn_body(user: FakeUser, *, session_token: str, expires_at: float) -> dict[str, Any]:
    """The ``SUCCESS`` answer of ``POST /api/v1/authn`` (Okta's Authentication API)."""
    return {
        "expiresAt": okta_time(expires_at),
        "status": "SUCCESS",
        "sessionToken": session_token,
        "_embedded": {
            "user": {
                "id": user.id,
                "profile": {
                    "login": user.login,
                    "firstName": user.first_name,
                    "lastName": user.last_name,
                    "locale": "en_US",
                    "timeZone": "America/Los_Angeles",
                },
            }
        },
    }
