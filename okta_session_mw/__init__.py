"""okta-session-mw: trust the browser's Okta session in a Python web app."""

from __future__ import annotations

from okta_session_mw._version import __version__
from okta_session_mw.errors import (
    ConfigError,
    OktaAPIError,
    OktaAuthenticationError,
    OktaAuthError,
    OktaBadRequestError,
    OktaConnectionError,
    OktaInvalidResponseError,
    OktaNotFoundError,
    OktaPermissionError,
    OktaRateLimitError,
    OktaServerError,
    OktaSessionError,
    OktaTimeoutError,
    OktaTransportError,
    RateLimit,
    SessionParseError,
)

__all__ = [
    "ConfigError",
    "OktaAPIError",
    "OktaAuthError",
    "OktaAuthenticationError",
    "OktaBadRequestError",
    "OktaConnectionError",
    "OktaInvalidResponseError",
    "OktaNotFoundError",
    "OktaPermissionError",
    "OktaRateLimitError",
    "OktaServerError",
    "OktaSessionError",
    "OktaTimeoutError",
    "OktaTransportError",
    "RateLimit",
    "SessionParseError",
    "__version__",
]
