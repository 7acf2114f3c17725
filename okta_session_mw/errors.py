"""The one exception family of okta-session-mw.

::

    OktaSessionError                      root: catch this to catch everything below
    ├── ConfigError (ValueError)          a setting is wrong; raised at start-up
    ├── SessionParseError (ValueError)    a Session body is malformed; names the field
    ├── InvalidRequestError (ValueError)  an argument cannot be sent (empty id, CR/LF in a cookie)
    ├── OktaAuthnIncompleteError          /authn answered, but not SUCCESS (MFA_REQUIRED, ...)
    ├── SignInThrottledError              sign-in refused before calling Okta: try again shortly
    ├── OktaAPIError                      Okta answered, with an HTTP error status
    │   ├── OktaBadRequestError           400
    │   ├── OktaAuthError                 401 / 403
    │   │   ├── OktaAuthenticationError   401 (bad API token, bad sessionToken)
    │   │   └── OktaPermissionError       403 (token lacks the permission)
    │   ├── OktaNotFoundError             404 (no such session / no session for the cookie)
    │   ├── OktaRateLimitError            429, with the rate-limit figures
    │   └── OktaServerError               5xx
    └── OktaTransportError                Okta did *not* answer (usable): never an OktaAPIError
        ├── OktaTimeoutError
        ├── OktaConnectionError           refused, reset, dropped mid-response
        └── OktaInvalidResponseError      a body that is not the JSON Okta sends
            └── OktaResponseTooLargeError a body past max_response_bytes (decompressed)

Messages never contain a cookie value, an API token or a session id: they are built
only from the HTTP status and Okta's own error fields, and Okta's ``errorSummary``
("Resource not found: 102etAq... (AppSession)") is shown with every id-like word
masked. The attributes keep Okta's fields as sent (``error_summary`` may name the
session id you asked about); log them knowingly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

__all__ = [
    "ConfigError",
    "InvalidRequestError",
    "OktaAPIError",
    "OktaAuthError",
    "OktaAuthenticationError",
    "OktaAuthnIncompleteError",
    "OktaBadRequestError",
    "OktaConnectionError",
    "OktaInvalidResponseError",
    "OktaNotFoundError",
    "OktaPermissionError",
    "OktaRateLimitError",
    "OktaResponseTooLargeError",
    "OktaServerError",
    "OktaSessionError",
    "OktaTimeoutError",
    "OktaTransportError",
    "RateLimit",
    "SessionParseError",
    "SignInThrottledError",
]


class OktaSessionError(Exception):
    """Root of every error this library raises."""


class ConfigError(OktaSessionError, ValueError):
    """A configuration value is invalid. ``setting`` names it."""

    def __init__(self, setting: str, message: str) -> None:
        self.setting = setting
        self.message = message
        super().__init__(f"{setting}: {message}")


class SessionParseError(OktaSessionError, ValueError):
    """Okta's Session JSON could not be read. ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"invalid Session field {field!r}: {message}")


class InvalidRequestError(OktaSessionError, ValueError):
    """An argument cannot be sent to Okta; raised before any I/O. Never shows the value."""


class OktaAuthnIncompleteError(OktaSessionError):
    """``POST /api/v1/authn`` answered 200 without a session token.

    ``state`` is Okta's transaction status (``MFA_REQUIRED``, ``LOCKED_OUT``,
    ``PASSWORD_EXPIRED``, ...): the user must finish signing in elsewhere.
    """

    def __init__(self, state: str) -> None:
        self.state = state
        super().__init__(f"Okta authentication did not complete: status {state}")


class SignInThrottledError(OktaSessionError):
    """Sign-in (CreateSession through the library) was refused before any call to Okta:
    Okta's rate-limit window is nearly spent and the rest is kept for the logouts and
    refreshes of signed-in users, or this client address signed in too often
    (``sign_ins_per_minute``). Nothing was sent; ask the user to try again shortly."""

    def __init__(self) -> None:
        super().__init__("sign-in refused for now to keep Okta's rate limit; try again shortly")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The ``X-Rate-Limit-*`` figures of one response (any may be missing)."""

    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None
    """Epoch seconds (UTC) at which the window resets."""
    date: float | None = None
    """Okta's clock when it answered (its ``Date`` header), epoch seconds."""

    def wait_seconds(self, now: float) -> float | None:
        """Seconds until the window has turned, by Okta's own clock: ``Reset - Date + 1``
        (the SDKs' formula; ``Date`` has whole seconds). ``now`` stands in for a missing
        ``Date``. None when there is no Reset; never negative."""
        if self.reset is None:
            return None
        return max(0.0, self.reset - (now if self.date is None else self.date) + 1)

    @property
    def reset_at(self) -> datetime | None:
        """``reset`` as an aware UTC datetime."""
        if self.reset is None:
            return None
        return datetime.fromtimestamp(self.reset, tz=timezone.utc)


class OktaAPIError(OktaSessionError):
    """Okta answered with an error status; Okta's error body is kept in attributes."""

    def __init__(
        self,
        status_code: int,
        *,
        error_code: str | None = None,
        error_summary: str | None = None,
        error_link: str | None = None,
        error_id: str | None = None,
        error_causes: Sequence[Mapping[str, object]] = (),
        rate_limit: RateLimit | None = None,
        request_id: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.error_code = error_code
        self.error_summary = error_summary
        self.error_link = error_link
        self.error_id = error_id
        self.error_causes = tuple(dict(cause) for cause in error_causes)
        self.rate_limit = rate_limit if rate_limit is not None else RateLimit()
        self.request_id = request_id
        summary = _masked_ids(error_summary) if error_summary else None
        detail = " ".join(part for part in (error_code, summary) if part)
        super().__init__(f"Okta HTTP {status_code}" + (f" {detail}" if detail else ""))


_ID_LIKE = re.compile(
    r"(?<![\w-])(?:[\w-]{20,}|(?=[A-Za-z_-]*\d)[\w-]{12,})(?![\w-])", re.ASCII
)
"""A word that may be an id or a token: 20+ id characters, or 12+ with a digit in them
(Okta's ids, like ``102etAqRbcPRXGtoDMIRXgWOQ``, have both); English words have neither."""


def _masked_ids(text: str) -> str:
    return _ID_LIKE.sub("***", text)


class OktaBadRequestError(OktaAPIError):
    """400: the request was not well-formed."""


class OktaAuthError(OktaAPIError):
    """401 or 403: authentication or authorization failed."""


class OktaAuthenticationError(OktaAuthError):
    """401: invalid API token, or an invalid or used ``sessionToken``."""


class OktaPermissionError(OktaAuthError):
    """403: the credential lacks the permission."""


class OktaNotFoundError(OktaAPIError):
    """404: no such session (on a ``/me`` call: no session for this cookie)."""


class OktaRateLimitError(OktaAPIError):
    """429: rate limited. ``rate_limit.reset`` says when calls may resume."""

    @property
    def reset(self) -> int | None:
        return self.rate_limit.reset


class OktaServerError(OktaAPIError):
    """5xx: Okta failed."""


class OktaTransportError(OktaSessionError):
    """No usable answer from Okta: a timeout, a connection failure or a foreign body."""


class OktaTimeoutError(OktaTransportError):
    """Okta did not answer within the timeout."""


class OktaConnectionError(OktaTransportError):
    """The connection could not be made or was lost."""


class OktaInvalidResponseError(OktaTransportError):
    """The response is not what Okta sends (not JSON, wrong shape)."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        self.status_code = status_code
        super().__init__(message)


class OktaResponseTooLargeError(OktaInvalidResponseError):
    """The body, decompressed, is larger than ``max_response_bytes`` (``limit``); it was
    read no further than that."""

    def __init__(self, message: str, *, limit: int, status_code: int | None = None) -> None:
        self.limit = limit
        super().__init__(message, status_code=status_code)


_BY_STATUS: dict[int, type[OktaAPIError]] = {
    400: OktaBadRequestError,
    401: OktaAuthenticationError,
    403: OktaPermissionError,
    404: OktaNotFoundError,
    429: OktaRateLimitError,
}


def error_class_for_status(status_code: int) -> type[OktaAPIError]:
    """The most specific ``OktaAPIError`` subclass for an HTTP status."""
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    if status_code >= 500:
        return OktaServerError
    return OktaAPIError
