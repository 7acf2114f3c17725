"""The two Okta Session API clients: thin I/O shells over one shared core.

``OktaSessionClient`` (``httpx.Client``) and ``AsyncOktaSessionClient``
(``httpx.AsyncClient``) differ only in how they send one request (``send``) and which of
the engine's two runners runs the call's flow. Every operation is one line: a
:class:`~okta_session_mw.okta.operations.Call` (what to send, how to read the answer) as
the shared flow (:mod:`okta_session_mw.okta.call_flow`: retries, rate limits, error
mapping), run by the runner.

Credentials: the three ``/me`` operations send the browser's cookie and never an
``Authorization`` header; ``create_session`` needs ``api_token`` (``SSWS``); the
``{id}`` operations send ``SSWS`` when there is an API token, else the OAuth2 bearer
token. A missing credential raises :class:`~okta_session_mw.errors.ConfigError`
before any I/O.

One pooled connection set per client: create one client per process and share it.
A user's httpx client is used as given (its ``auth`` is never applied) and is not
closed by :meth:`close`; only a client we created is.

Timeouts: ``timeout`` is httpx's, per phase (connect, write, pool wait, each read),
not a bound on the whole call; an Okta trickling its answer within each read timeout
keeps a call going. The runners under the middleware (``engine/``) hold the hard
bound on the whole call; wrap a direct call yourself when you need one.

Bodies: read within ``max_response_bytes`` (see ``bounded_body.py``); one holding more than
``answer_bodies.MAX_JSON_CONTAINERS`` objects and arrays is refused unparsed. The async
client parses a body over ``call_flow.LARGE_BODY_BYTES`` (64 KiB) on a worker thread
(the async runner resumes the flow there after its PARSE step), so the Python part of
reading it (the Session, the error) does not hold its loop; a small body, the common
case, stays on the loop with no thread hop. ``json.loads`` itself holds the GIL on any
thread, which is why the container bound exists.
"""

from __future__ import annotations

import functools
import inspect
from types import TracebackType
from typing import TypeVar

import httpx

from okta_session_mw.engine.async_runner import AsyncRunner
from okta_session_mw.engine.effects import Send
from okta_session_mw.engine.sync_runner import SyncRunner
from okta_session_mw.errors import ConfigError
from okta_session_mw.okta import log_redaction, operations
from okta_session_mw.okta.bounded_body import decoded_response
from okta_session_mw.okta.call_handle import current_call
from okta_session_mw.okta.client_core import (
    AsyncBearerToken,
    BearerToken,
    ClientCore,
    bearer_header,
)
from okta_session_mw.okta.operations import Call
from okta_session_mw.telemetry.hook import okta_request

__all__ = ["AsyncOktaSessionClient", "OktaSessionClient"]

log_redaction.install()

T = TypeVar("T")


class OktaSessionClient(ClientCore[httpx.Client, BearerToken]):
    """Okta's Session API over a pooled ``httpx.Client``; use it as a context manager.

    ``timeout`` (seconds) bounds connect, write, pool wait and each read of every
    call, also on a client you pass in; a call's ``timeout=`` overrides it. It bounds
    each of those waits, not the whole call: an answer trickling in within each read's
    timeout takes longer. The middleware and ``SessionService`` (their runners) hold a
    hard bound on the whole call; used directly, bound it yourself if you need to.
    ``max_retries`` > 0 waits out 429s until ``X-Rate-Limit-Reset``, ``max_retry_wait``
    seconds in total per call at most. ``user_agent`` is appended to the library's own.
    An answer whose body, decompressed, passes ``max_response_bytes`` (1 MiB) raises
    :class:`~okta_session_mw.errors.OktaResponseTooLargeError`, read no further.
    """

    _http_class = httpx.Client

    def _refuse_other_colour(self, bearer_token: object, http_client: object) -> None:
        super()._refuse_other_colour(bearer_token, http_client)
        if inspect.iscoroutinefunction(bearer_token):
            raise ConfigError("bearer_token", "is an async function; use AsyncOktaSessionClient")

    @functools.cached_property
    def _runner(self) -> SyncRunner:
        return SyncRunner(self.send)

    def _run(self, call: Call[T], timeout: float | None) -> T:
        return self._runner.run(self.call(call, timeout))

    def send(self, effect: Send) -> httpx.Response:
        """Perform one ``Send`` of a flow: the bearer token if it still needs one, then
        the request (what the engine's sync runner calls), inside its OpenTelemetry
        span when OpenTelemetry is in use (``okta_session_mw.telemetry``)."""
        if effect.token is not None:
            token = effect.token()
            if inspect.isawaitable(token):
                if inspect.iscoroutine(token):
                    token.close()  # never awaited: say so plainly instead of a warning
                raise ConfigError("bearer_token", "returned an awaitable; use the async client")
            effect.request.headers["Authorization"] = bearer_header(token)
        with okta_request(effect.request) as seen:  # a span when OpenTelemetry is in use
            return seen.answered(self._send(effect.request))

    def _send(self, request: httpx.Request) -> httpx.Response:
        """Send, then read the body as it streams in, never past ``max_response_bytes``.

        Run for a waiting request (the sync runner), the call's connection is known to
        its :class:`~okta_session_mw.okta.call_handle.CallHandle`, which shuts it at once
        when the request stops waiting, and is taken back before the pool gets it.
        """
        handle = current_call()
        if handle is not None:
            request.extensions["trace"] = handle.trace
        response = self._http.send(request, auth=None, follow_redirects=False, stream=True)
        try:
            if response.is_stream_consumed:  # the transport read it (MockTransport)
                return self._read_already(response)
            if handle is not None:
                handle.watch(response.extensions.get("network_stream"))
            body = self._body(response)
            for raw in response.iter_raw():
                if handle is not None and handle.abandoned:
                    raise httpx.ReadError("nobody waits for this answer", request=request)
                body.feed(raw)
            return decoded_response(response, body.content())
        finally:
            if handle is not None:
                handle.release()
            response.close()

    def authenticate(self, username: str, password: str, *, timeout: float | None = None) -> str:
        """Primary authentication (``/api/v1/authn``): the ``sessionToken`` on SUCCESS."""
        return self._run(operations.authenticate(username, password), timeout)

    def revoke_user_sessions(
        self, user_id: str, *, oauth_tokens: bool = False, timeout: float | None = None
    ) -> None:
        """Clear all of a user's sessions (``DELETE /api/v1/users/{id}/sessions``; API
        or bearer token); ``oauth_tokens=True`` revokes the user's OAuth 2.0 tokens too."""
        return self._run(operations.revoke_user_sessions(user_id, oauth_tokens), timeout)

    def close(self) -> None:
        """Close the connection pool, if this client created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> OktaSessionClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncOktaSessionClient(ClientCore[httpx.AsyncClient, AsyncBearerToken]):
    """As :class:`OktaSessionClient`, over ``httpx.AsyncClient``; ``bearer_token`` may
    also be an async function. Use ``async with`` or ``await client.aclose()``.

    ``timeout`` bounds each connect, write, pool wait and read, not the whole call (the
    middleware's runner adds that bound; used directly, wrap a call in
    ``asyncio.timeout`` or ``anyio.fail_after``). A body over 64 KiB is parsed on a
    worker thread, never on the loop; a smaller one on the loop."""

    _http_class = httpx.AsyncClient

    @functools.cached_property
    def _runner(self) -> AsyncRunner:
        return AsyncRunner(self.send)

    async def _run(self, call: Call[T], timeout: float | None) -> T:
        return await self._runner.run(self.call(call, timeout))

    async def send(self, effect: Send) -> httpx.Response:
        """Perform one ``Send`` of a flow (what the engine's async runner calls), in
        its span as the sync client's ``send``."""
        if effect.token is not None:
            token = effect.token()
            if inspect.isawaitable(token):
                token = await token
            effect.request.headers["Authorization"] = bearer_header(token)
        with okta_request(effect.request) as seen:  # a span when OpenTelemetry is in use
            return seen.answered(await self._send(effect.request))

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """Send, then read the body as it streams in, never past ``max_response_bytes``
        (each network read inflates to at most that much: the loop is never held long)."""
        response = await self._http.send(request, auth=None, follow_redirects=False, stream=True)
        try:
            if response.is_stream_consumed:  # the transport read it (MockTransport)
                return self._read_already(response)
            body = self._body(response)
            async for raw in response.aiter_raw():
                body.feed(raw)
            return decoded_response(response, body.content())
        finally:
            await response.aclose()

    async def authenticate(
        self, username: str, password: str, *, timeout: float | None = None
    ) -> str:
        """Primary authentication (``/api/v1/authn``): the ``sessionToken`` on SUCCESS."""
        return await self._run(operations.authenticate(username, password), timeout)

    async def revoke_user_sessions(
        self, user_id: str, *, oauth_tokens: bool = False, timeout: float | None = None
    ) -> None:
        """Clear all of a user's sessions (``DELETE /api/v1/users/{id}/sessions``; API
        or bearer token); ``oauth_tokens=True`` revokes the user's OAuth 2.0 tokens too."""
        return await self._run(operations.revoke_user_sessions(user_id, oauth_tokens), timeout)

    async def aclose(self) -> None:
        """Close the connection pool, if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncOktaSessionClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
