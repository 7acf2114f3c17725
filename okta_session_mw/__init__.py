"""okta-session-mw: trust the browser's Okta session in a Python web app.

The public names are re-exported here; the module that holds each one is named in
docs/ARCHITECTURE.md.
"""

from __future__ import annotations

from okta_session_mw._version import __version__
from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.engine.service import SessionService
from okta_session_mw.engine.stats import SessionStats
from okta_session_mw.errors import (
    ConfigError,
    InvalidRequestError,
    OktaAPIError,
    OktaAuthenticationError,
    OktaAuthError,
    OktaAuthnIncompleteError,
    OktaBadRequestError,
    OktaConnectionError,
    OktaInvalidResponseError,
    OktaNotFoundError,
    OktaPermissionError,
    OktaRateLimitError,
    OktaResponseTooLargeError,
    OktaServerError,
    OktaSessionError,
    OktaTimeoutError,
    OktaTransportError,
    RateLimit,
    SessionParseError,
    SignInThrottledError,
)
from okta_session_mw.integrations.starlette.asgi_routes import with_okta_routes
from okta_session_mw.integrations.starlette.auth_backend import OktaAuthBackend, OktaUser
from okta_session_mw.integrations.starlette.event_hook import event_hook_route
from okta_session_mw.integrations.starlette.middleware import (
    OktaSessionDenied,
    OktaSessionMiddleware,
)
from okta_session_mw.integrations.starlette.protect import (
    RequireOktaSession,
    get_okta_session,
    get_resolution,
    get_service,
    okta_session_refusal,
    okta_session_required,
    optional_okta_session,
    require_okta_session,
)
from okta_session_mw.integrations.starlette.routes import (
    csrf_allows,
    login_with_session_token,
    logout,
    logout_csrf_token,
    logout_route,
)
from okta_session_mw.okta.clients import AsyncOktaSessionClient, OktaSessionClient
from okta_session_mw.okta.session import (
    AuthenticationMethod,
    IdentityProvider,
    IdentityProviderType,
    Link,
    Session,
    SessionStatus,
)
from okta_session_mw.web.csrf import CSRF_FIELD, CSRF_HEADER

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "AsyncOktaSessionClient",
    "AuthenticationMethod",
    "ConfigError",
    "IdentityProvider",
    "IdentityProviderType",
    "InvalidRequestError",
    "Link",
    "OktaAPIError",
    "OktaAuthBackend",
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
    "OktaSessionClient",
    "OktaSessionConfig",
    "OktaSessionDenied",
    "OktaSessionError",
    "OktaSessionMiddleware",
    "OktaTimeoutError",
    "OktaTransportError",
    "OktaUser",
    "RateLimit",
    "RequireOktaSession",
    "Resolution",
    "Session",
    "SessionParseError",
    "SessionService",
    "SessionStats",
    "SessionStatus",
    "SignInThrottledError",
    "Source",
    "__version__",
    "csrf_allows",
    "event_hook_route",
    "get_okta_session",
    "get_resolution",
    "get_service",
    "login_with_session_token",
    "logout",
    "logout_csrf_token",
    "logout_route",
    "okta_session_refusal",
    "okta_session_required",
    "optional_okta_session",
    "require_okta_session",
    "with_okta_routes",
]
