"""Okta's System Log events and the event-hook envelope, written out by hand.

A ``LogEvent`` carries every top-level field of Okta's System Log API object (``uuid``,
``published``, ``eventType``, ``version``, ``severity``, ``displayMessage``,
``legacyEventType``, ``actor``, ``client``, ``request``, ``outcome``, ``target``,
``transaction``, ``debugContext``, ``authenticationContext``, ``securityContext``), filled
with what the fake knows and Okta's ``null``/``"unknown"`` placeholders for the rest (an
API-token call has no client browser and no session of its own). An event hook delivers
them in Okta's envelope: ``{"eventType": "com.okta.event_hook", ..., "data": {"events":
[...]}}``. Like ``fake_json``, independent of the library's own parsing, so a handler's bug
is not mirrored here.
"""

from __future__ import annotations

import uuid
from typing import Any

from okta_session_mw.testing.fake_json import okta_time
from okta_session_mw.testing.fake_records import FakeUser

__all__ = ["EMITTED_EVENT_TYPES", "hook_envelope", "log_event"]

# eventType -> (displayMessage, legacyEventType): the fake emits these, and only these.
_EVENT_TYPES: dict[str, tuple[str, str | None]] = {
    "user.session.end": ("User logout from Okta", "core.user_auth.logout_success"),
    "user.session.clear": ("Clear user session", None),
    "user.lifecycle.suspend": ("Suspend Okta user", None),
    "user.lifecycle.deactivate": ("Deactivate Okta user", None),
}
EMITTED_EVENT_TYPES = frozenset(_EVENT_TYPES)
"""The System Log event types the fake emits (a hook may subscribe to others; they never
come)."""

NO_SESSION = "unknown"
"""``externalSessionId`` of an event an API-token caller caused: it has no Okta session."""


def _principal(user: FakeUser) -> dict[str, Any]:
    """An ``actor`` or ``target`` entry for a user: the login is the ``alternateId``."""
    return {
        "id": user.id,
        "type": "User",
        "alternateId": user.login,
        "displayName": user.display_name,
        "detailEntry": None,
    }


def log_event(
    event_type: str,
    *,
    actor: FakeUser,
    target: FakeUser,
    external_session_id: str,
    transaction_id: str,
    request_uri: str,
    published: float,
) -> dict[str, Any]:
    """One System Log event of ``event_type`` by ``actor`` on ``target``.

    ``external_session_id`` is ``authenticationContext.externalSessionId`` (the session
    the event is about, or ``NO_SESSION``); ``transaction_id`` ties together the events of
    one operation (a clear and the session ends it causes); ``request_uri`` is the API
    path of the operation, in ``debugContext.debugData``.
    """
    display_message, legacy = _EVENT_TYPES[event_type]
    return {
        "uuid": str(uuid.uuid4()),
        "published": okta_time(published),
        "eventType": event_type,
        "version": "0",
        "severity": "INFO",
        "displayMessage": display_message,
        "legacyEventType": legacy,
        "actor": _principal(actor),
        "client": _client(),
        "request": _request(),
        "outcome": {"result": "SUCCESS", "reason": None},
        "target": [_principal(target)],
        "transaction": {"type": "WEB", "id": transaction_id, "detail": {}},
        "debugContext": {
            "debugData": {
                "requestId": transaction_id,
                "requestUri": request_uri,
                "url": request_uri,
            }
        },
        "authenticationContext": _authentication_context(external_session_id),
        "securityContext": dict.fromkeys(("asNumber", "asOrg", "isp", "domain", "isProxy")),
    }


def _client() -> dict[str, Any]:
    """The fake's callers are on loopback and it does not parse their user agents."""
    return {
        "userAgent": {"rawUserAgent": "unknown", "os": "Unknown", "browser": "UNKNOWN"},
        "zone": "null",
        "device": "Unknown",
        "id": None,
        "ipAddress": "127.0.0.1",
        "geographicalContext": None,
    }


def _request() -> dict[str, Any]:
    hop = {"ip": "127.0.0.1", "geographicalContext": None, "version": "V4", "source": None}
    return {"ipChain": [hop]}


def _authentication_context(external_session_id: str) -> dict[str, Any]:
    return {
        "authenticationProvider": None,
        "credentialProvider": None,
        "credentialType": None,
        "issuer": None,
        "interface": None,
        "authenticationStep": 0,
        "externalSessionId": external_session_id,
    }


def hook_envelope(
    events: list[dict[str, Any]], *, org_url: str, hook_id: str, event_time: float
) -> dict[str, Any]:
    """The body of one event-hook delivery: Okta's envelope around ``events``."""
    return {
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1",
        "source": f"{org_url}/api/v1/eventHooks/{hook_id}",
        "eventId": str(uuid.uuid4()),
        "eventTime": okta_time(event_time),
        "contentType": "application/json",
        "data": {"events": events},
    }
