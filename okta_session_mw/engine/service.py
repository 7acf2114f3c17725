"""``SessionService``: the one object every adapter talks to.

It holds the config, the cache, the Okta clients, the 429 gate and the stats, and runs
the flows (``lookup.py``, ``logout.py``, ``login.py``) with the async runner (ASGI) or
the sync runner (Flask, Django/WSGI): see ``colours.py``. Each public method is one line
over a flow, so Starlette, Flask and Django get exactly the same behaviour.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from okta_session_mw.cache.protocol import AsyncSessionCache, SessionCache
from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.colours import AsyncSide, Shared, SyncSide
from okta_session_mw.engine.logout import revoke
from okta_session_mw.engine.pushed_ends import end_pushed
from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.engine.rules import Rules
from okta_session_mw.engine.service_core import Lookup, ServiceCore
from okta_session_mw.engine.stats import SessionStats
from okta_session_mw.engine.user_sessions import revoke_user_sessions
from okta_session_mw.errors import RateLimit
from okta_session_mw.okta.clients import AsyncOktaSessionClient, OktaSessionClient
from okta_session_mw.okta.session import Session
from okta_session_mw.web.event_hook import EventHook
from okta_session_mw.web.logout_request import LogoutRequest
from okta_session_mw.web.reply import Reply

__all__ = ["Lookup", "SessionService"]  # Lookup: from service_core.py

C = TypeVar("C", OktaSessionClient, AsyncOktaSessionClient)

logger = logging.getLogger("okta_session_mw")

_FAILED = Resolution(None, Source.UNAVAILABLE)


class SessionService(ServiceCore):
    """Resolves, refreshes, closes and revokes Okta sessions for one app.

    One per app (the middleware or extension makes it). ``cache`` defaults to the
    in-process cache, or to Redis when ``config.cache_url`` is set (a cache you pass in
    is yours to close). For a proxy or TLS settings, pass ``client`` (an
    ``OktaSessionClient`` over your ``httpx.Client``: yours to close) and
    ``async_client_factory`` (makes one ``AsyncOktaSessionClient`` per event loop; the
    service closes those when it closes or their loop ends).
    """

    def __init__(
        self,
        config: OktaSessionConfig,
        *,
        cache: SessionCache | AsyncSessionCache | None = None,
        client: OktaSessionClient | None = None,
        async_client_factory: Callable[[], AsyncOktaSessionClient] | None = None,
        clock: Callable[[], float] = time.time,
        stats: SessionStats | None = None,
    ) -> None:
        super().__init__(config, cache, clock, stats)
        rules = functools.partial(
            Rules, config, self.gate, self.refresh_backoff, clock,
            stats=self.stats, monotonic=time.monotonic,
        )  # fmt: skip
        shared = Shared(self.cache, rules, config.timeout)
        self._sync = SyncSide(
            shared,
            lambda: self._listened(client or self._new_client(OktaSessionClient)),
            owns_client=client is None,
        )
        make_async = async_client_factory or functools.partial(
            self._new_client, AsyncOktaSessionClient
        )
        self._async = AsyncSide(shared, lambda: self._listened(make_async()))

    def __repr__(self) -> str:
        return f"SessionService(org_url={self.config.org_url!r})"

    # -- async (ASGI) ------------------------------------------------------------------
    async def aresolve_request(
        self, cookie_header: str | None, path: str, client: str | None = None
    ) -> Resolution:
        """What an adapter calls per request: ``prepare``, then ``afinish`` if needed.
        Exempt paths and requests without an Okta cookie cost nothing, and nothing
        raises (a failure reads as "unavailable")."""
        ready = self.prepare(cookie_header, path, client)
        return ready if isinstance(ready, Resolution) else await self.afinish(ready)

    async def aresolve(self, cookie_header: str | None) -> Resolution:
        """The session for a ``Cookie`` header (no exempt-path check)."""
        return await self.aresolve_request(cookie_header, "")

    async def afinish(self, lookup: Lookup) -> Resolution:
        """The part of a request's resolution that needs I/O (cache, Okta)."""
        try:
            return self.stats.record(await self._async.run(partial(self._resolve_flow, lookup)))
        except Exception:  # a bug or a broken cache must not take the app down
            logger.exception("okta_session_mw: session lookup failed unexpectedly")
            return _FAILED

    async def alogout(self, cookie_header: str | None, client: str | None = None) -> bool:
        """CloseCurrentSession and evict; True when closed (or there was nothing).
        ``client`` is the peer address, as for ``prepare``: a cookie with no cached
        session spends that address's allowance."""
        cookies = self.okta_cookies(cookie_header)
        return await self._async.run(partial(self._logout_flow, cookies, client), shielded=True)

    async def alogout_request(self, request: LogoutRequest) -> Reply:
        """The whole logout route: refuse (405, CSRF 403) before any Okta call, else
        CloseCurrentSession, evict, and the answer to send (303/204, or 503)."""
        return await self._async.run(partial(self._logout_route, request), shielded=True)

    async def arevoke(self, session_id: str) -> bool:
        """RevokeSession by id and evict it everywhere; False if Okta had no such session."""
        return await self._async.run(partial(revoke, session_id), shielded=True)

    async def alogin(self, session_token: str, client: str | None = None) -> Session:
        """CreateSession from a ``sessionToken`` and prime the cache for its ``sid``.
        ``client`` is the peer address (as for ``prepare``): sign-ins are bounded per
        address and may not spend the whole rate-limit window; refused, this raises
        ``SignInThrottledError`` before any call to Okta."""
        return await self._async.run(partial(self._login_flow, session_token, client))

    async def aclose(self) -> None:
        """Close what we made for the running loop (Okta client, Redis connections) and
        the sync side. Everything reopens on next use, so a second app lifespan works."""
        await self._async.aclose()
        closer = getattr(self.cache, "aclose", None) if self._owns_cache else None
        if closer is not None:
            await closer()
        self.close()

    # -- sync (WSGI) -------------------------------------------------------------------
    def resolve_request(
        self, cookie_header: str | None, path: str, client: str | None = None
    ) -> Resolution:
        """Sync twin of ``aresolve_request``."""
        ready = self.prepare(cookie_header, path, client)
        return ready if isinstance(ready, Resolution) else self.finish(ready)

    def resolve(self, cookie_header: str | None) -> Resolution:
        """Sync twin of ``aresolve``."""
        return self.resolve_request(cookie_header, "")

    def finish(self, lookup: Lookup) -> Resolution:
        """Sync twin of ``afinish``."""
        try:
            return self.stats.record(self._sync.run(partial(self._resolve_flow, lookup)))
        except Exception:  # a bug or a broken cache must not take the app down
            logger.exception("okta_session_mw: session lookup failed unexpectedly")
            return _FAILED

    def logout(self, cookie_header: str | None, client: str | None = None) -> bool:
        """Sync twin of ``alogout``."""
        return self._sync.run(partial(self._logout_flow, self.okta_cookies(cookie_header), client))

    def logout_request(self, request: LogoutRequest) -> Reply:
        """Sync twin of ``alogout_request``."""
        return self._sync.run(partial(self._logout_route, request))

    def revoke(self, session_id: str) -> bool:
        """Sync twin of ``arevoke``."""
        return self._sync.run(partial(revoke, session_id))

    def login(self, session_token: str, client: str | None = None) -> Session:
        """Sync twin of ``alogin``."""
        return self._sync.run(partial(self._login_flow, session_token, client))

    def close(self) -> None:
        """Close the sync Okta client and the cache's connections, if we made them."""
        self._sync.close()
        closer = getattr(self.cache, "close", None) if self._owns_cache else None
        if closer is not None:
            closer()

    # -- the clients ---------------------------------------------------------------------
    def _listened(self, client: C) -> C:
        """Have ``client`` report every answer's figures to the gate (a stand-in client
        without ``add_rate_limit_listener`` reports none: the gate then learns only
        from 429s)."""
        listen = getattr(client, "add_rate_limit_listener", None)
        if listen is not None:
            listen(self._observe_rate_limit)
        return client

    def _observe_rate_limit(self, operation: str, rate_limit: RateLimit) -> None:
        """Every answer's figures, from every client of this service, feed the gate."""
        self.gate.observe(operation, rate_limit, self.clock())

    def _new_client(self, kind: type[C]) -> C:
        config = self.config
        return kind(
            config.org_url,
            api_token=config.api_token,
            timeout=config.timeout,
            max_response_bytes=config.max_response_bytes,
        )

    # -- ends by user (issue 13) ---------------------------------------------------------
    async def arevoke_user_sessions(self, user_id: str, *, oauth_tokens: bool = False) -> bool:
        """Clear all of a user's sessions at Okta (``oauth_tokens``: and its OAuth 2.0
        tokens), then evict them everywhere; False if Okta knows no such user."""
        flow = partial(revoke_user_sessions, user_id, oauth_tokens=oauth_tokens)
        return await self._async.run(flow, shielded=True)

    def revoke_user_sessions(self, user_id: str, *, oauth_tokens: bool = False) -> bool:
        """Sync twin of ``arevoke_user_sessions``."""
        return self._sync.run(partial(revoke_user_sessions, user_id, oauth_tokens=oauth_tokens))

    # -- the event hook endpoint (issue 13) ----------------------------------------------
    @functools.cached_property
    def event_hook(self) -> EventHook:
        """The event hook endpoint's decisions for this config (who may call it, what a
        delivery ends) and its memory of events already seen: ``screen`` first."""
        return EventHook(self.config)

    async def aend_pushed(self, body: bytes) -> Reply:
        """An authenticated delivery's body (``event_hook.screen`` said read it): end the
        sessions and users its events name, everywhere; the answer for Okta (200; 400 or
        413 for a body that is no delivery; 503 when an end could not reach the shared
        cache, so Okta delivers it again)."""
        return await self._async.run(partial(end_pushed, self.event_hook, body), shielded=True)

    def end_pushed(self, body: bytes) -> Reply:
        """Sync twin of ``aend_pushed``."""
        return self._sync.run(partial(end_pushed, self.event_hook, body))
