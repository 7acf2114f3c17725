"""What the sync and async clients share: settings, credentials, request building.

No I/O here. The two shells in ``clients.py`` add only an httpx client (sending one
request, fetching a bearer token) and a runner for the flows :meth:`ClientCore.call` makes.

Secrets: the API token is kept only as the ready ``SSWS ...`` header value, checked
once; ``repr`` shows the org URL alone, and no message or log line built here or in
the flow contains a token or a cookie.
"""

from __future__ import annotations

import functools
import http.cookiejar
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import httpx

from okta_session_mw._version import __version__
from okta_session_mw.engine.effects import Flow
from okta_session_mw.errors import ConfigError, InvalidRequestError, RateLimit
from okta_session_mw.okta.bounded_body import ACCEPT_ENCODING, BoundedBody, read_already
from okta_session_mw.okta.call_flow import RetryPolicy, call_flow
from okta_session_mw.okta.client_operations import SessionApi
from okta_session_mw.okta.operations import FIXED_PATHS, Auth, Call, check_header_value
from okta_session_mw.okta.org_url import validate_org_url

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "AsyncBearerToken",
    "BearerToken",
    "ClientCore",
    "default_user_agent",
]

T = TypeVar("T")
H = TypeVar("H", httpx.Client, httpx.AsyncClient)
B = TypeVar("B", str | Callable[[], str], str | Callable[[], str] | Callable[[], Awaitable[str]])

BearerToken = str | Callable[[], str]
"""An OAuth2 access token, or a function returning the current one."""
AsyncBearerToken = str | Callable[[], str] | Callable[[], Awaitable[str]]
"""As :data:`BearerToken`; the async client also takes an async function."""
DEFAULT_MAX_RESPONSE_BYTES = 1 << 20
"""1 MiB: a Session is about 1.5 KB; nothing Okta sends these calls comes near it."""


def default_user_agent() -> str:
    """``okta-session-mw/<version> python/<x.y> httpx/<version>``."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"okta-session-mw/{__version__} python/{python} httpx/{httpx.__version__}"


def refuse_all_cookies() -> http.cookiejar.CookieJar:
    """A jar that stores nothing: one pooled client serves every user, so a cookie
    Okta sets in one answer must never be kept (let alone sent with another call)."""
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def _seconds(value: object) -> float | None:
    """``value`` as a positive, finite number of seconds, or None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 < value < float("inf") else None


def _timeout_extension(seconds: float) -> dict[str, float]:
    """httpx's per-request ``timeout`` extension: connect, write, pool and read each."""
    return {"connect": seconds, "read": seconds, "write": seconds, "pool": seconds}


class ClientCore(SessionApi, Generic[H, B]):
    """Settings and request preparation shared by both clients (see ``clients.py``):
    ``H`` is the httpx client class a client sends with, ``B`` the bearer tokens it
    takes. A client passed as ``http_client`` is used as given and never closed here."""

    def __init__(
        self,
        org_url: str,
        *,
        api_token: str | None = None,
        bearer_token: B | None = None,
        timeout: float = 10.0,
        max_retries: int = 0,
        max_retry_wait: float = 30.0,
        http_client: H | None = None,
        user_agent: str | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._refuse_other_colour(bearer_token, http_client)
        self._configure(org_url, api_token, bearer_token, timeout, max_retries, max_retry_wait)
        self._owns_http = http_client is None
        self._http: H = (
            self._http_class(cookies=refuse_all_cookies()) if http_client is None else http_client
        )
        size = max_response_bytes
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigError("max_response_bytes", "must be a positive integer (bytes)")
        self._max_body = size
        agent = default_user_agent()
        if user_agent is not None:
            agent = f"{agent} {_header_setting(user_agent, 'user_agent')}"
        self._headers = {
            "Accept": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
            "User-Agent": agent,
        }
        self.last_rate_limit: RateLimit | None = None
        """The ``X-Rate-Limit-*`` figures of the latest response Okta sent."""
        self._rate_limit_listeners: list[Callable[[str, RateLimit], None]] = []

    @property
    def http_client(self) -> H:
        """The underlying httpx client (for event hooks and metrics; do not close it)."""
        return self._http

    _http_class: type[H]
    """The httpx client class this client sends with (and makes, when given none)."""

    def _refuse_other_colour(self, bearer_token: object, http_client: object) -> None:
        """Raise ``ConfigError`` for a setting only the other client can use."""
        if http_client is not None and not isinstance(http_client, self._http_class):
            raise ConfigError("http_client", f"must be an httpx.{self._http_class.__name__}")

    def _configure(
        self,
        org_url: str,
        api_token: str | None,
        bearer_token: B | None,
        timeout: float,
        max_retries: int,
        max_retry_wait: float,
    ) -> None:
        self.org_url = validate_org_url(org_url)
        # Parsed once: the /me calls run on every cache miss of the middleware.
        self._urls = {path: httpx.URL(self.org_url + path) for path in FIXED_PATHS}
        self._ssws = (
            None if api_token is None else "SSWS " + _header_setting(api_token, "api_token")
        )
        if bearer_token is None or callable(bearer_token):
            self._bearer: Callable[[], object] | str | None = bearer_token
        else:
            self._bearer = "Bearer " + _header_setting(bearer_token, "bearer_token")
        seconds = _seconds(timeout)
        if seconds is None:
            raise ConfigError("timeout", "must be a positive number of seconds")
        self._timeout = _timeout_extension(seconds)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigError("max_retries", "must be an integer >= 0 (0 turns retries off)")
        wait_ok = max_retry_wait == 0 or _seconds(max_retry_wait) is not None
        if isinstance(max_retry_wait, bool) or not wait_ok:
            raise ConfigError("max_retry_wait", "must be a number of seconds >= 0")
        self._retry = RetryPolicy(max_retries, float(max_retry_wait))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(org_url={self.org_url!r})"

    def _run(self, call: Call[T], timeout: float | None) -> object:
        """Run ``call``'s flow with this client's runner (each client says how)."""
        raise NotImplementedError

    def call(self, call: Call[T], timeout: float | None = None) -> Flow[T]:
        """The flow of one call (a sub-flow for the engine's runners): its first request
        built once from the shared headers, with the credential ``call`` needs.

        ``/me`` calls and authn carry no ``Authorization`` whatever the client holds:
        Okta refuses a token there, and a browser's session must never be mixed with
        the app's. A missing credential raises ``ConfigError`` here, before any I/O.
        """
        headers = self._headers.copy()
        headers.update(call.headers)
        credential = self._credential(call)
        token = credential if callable(credential) else None
        if isinstance(credential, str):
            headers["Authorization"] = credential
        extension = self._timeout
        if timeout is not None:
            seconds = _seconds(timeout)
            if seconds is None:
                raise InvalidRequestError("timeout must be a positive number of seconds")
            extension = _timeout_extension(seconds)
        request = httpx.Request(
            call.method,
            self._urls.get(call.path) or self.org_url + call.path,
            headers=headers,
            content=call.body,
            extensions={"timeout": extension},
        )
        observe = functools.partial(self._observe, call.name)
        return call_flow(
            call, request, retry=self._retry, clock=time.time, observe=observe, token=token
        )

    def _credential(self, call: Call[T]) -> str | Callable[[], object] | None:
        """The ``Authorization`` value ``call`` needs, or the function giving the token."""
        if call.auth is Auth.COOKIE or call.auth is Auth.NONE:
            return None
        if self._ssws is not None:
            return self._ssws
        if call.auth is Auth.API_TOKEN:
            raise ConfigError(
                "api_token",
                f"{call.name} needs an API token (SSWS); Okta accepts no OAuth2 token for it",
            )
        if self._bearer is None:
            raise ConfigError("api_token", f"{call.name} needs api_token or bearer_token")
        return self._bearer

    def _body(self, response: httpx.Response) -> BoundedBody:
        """Where the shell feeds a streamed answer's bytes: decoded, never past the bound."""
        return BoundedBody(response, self._max_body)

    def _read_already(self, response: httpx.Response) -> httpx.Response:
        return read_already(response, self._max_body)


    def add_rate_limit_listener(self, listener: Callable[[str, RateLimit], None]) -> None:
        """Have ``listener(operation, figures)`` called with the ``X-Rate-Limit-*``
        figures of every answer, with the name of the operation it answered (the
        middleware's per-bucket gate learns Okta's budget this way). Adding the same
        listener twice changes nothing."""
        if listener not in self._rate_limit_listeners:
            self._rate_limit_listeners.append(listener)

    def _observe(self, operation: str, rate_limit: RateLimit) -> None:
        self.last_rate_limit = rate_limit
        for listener in self._rate_limit_listeners:
            listener(operation, rate_limit)


def _header_setting(value: object, setting: str) -> str:
    """A setting fit for a header (a token...); the error names the setting, never the value."""
    try:
        return check_header_value(value, setting)
    except InvalidRequestError as exc:
        raise ConfigError(setting, str(exc).removeprefix(f"{setting} ")) from None


def bearer_header(token: object) -> str:
    """``Bearer <token>`` for what a ``bearer_token`` function returned."""
    return "Bearer " + _header_setting(token, "bearer_token")
