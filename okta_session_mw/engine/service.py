"""``SessionService``: the one object every adapter talks to.

It holds the config, the cache, the Okta clients, the 429 gate and the stats, and runs
the flows of ``flow.py`` with the async driver (ASGI) or the sync driver (Flask,
Django/WSGI). Each public method is one line over a flow, so Starlette, Flask and
Django get exactly the same behaviour.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import Any

from okta_session_mw.cache.memory import (
    AsyncSessionCache,
    MemorySessionCache,
    SessionCache,
    ended_ttl,
    keyed_hmac,
)
from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.drivers import AsyncDriver, SyncDriver, request_deadline
from okta_session_mw.engine.flow import (
    Effect,
    Flow,
    Resolution,
    Rules,
    Source,
    answer_without_io,
    login,
    logout,
    resolve,
    revoke,
)
from okta_session_mw.engine.limits import RateLimitGate
from okta_session_mw.engine.policy import RefreshBackoff
from okta_session_mw.engine.stats import SessionStats
from okta_session_mw.errors import ConfigError, RateLimit
from okta_session_mw.okta.clients import AsyncOktaSessionClient, OktaSessionClient
from okta_session_mw.okta.session import Session
from okta_session_mw.web.access import wants_html
from okta_session_mw.web.cookies import OktaCookies, extract_okta_cookies
from okta_session_mw.web.csrf import CsrfState, LogoutGuard, own_origin
from okta_session_mw.web.logout import (
    LogoutRequest,
    forbidden_reply,
    logout_reply,
    method_not_allowed_reply,
)
from okta_session_mw.web.reply import Reply

__all__ = ["Lookup", "SessionService"]

logger = logging.getLogger("okta_session_mw")


@dataclass(frozen=True, slots=True)
class Lookup:
    """A request that needs the cache or Okta: its cache key and the cookies to forward."""

    key: str
    cookie: str
    client: str | None = None
    """The transport peer's address (never a header the client could forge)."""

    def __repr__(self) -> str:  # the cookie is a credential
        return "Lookup(...)"


_NO_COOKIE = Resolution(None, Source.NO_COOKIE)
_FAILED = Resolution(None, Source.UNAVAILABLE)
SID = "sid"
"""CreateSession's id is the value of Okta's ``sid`` cookie (behaviour 10)."""


class SessionService:
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
        cache: Any = None,
        client: OktaSessionClient | None = None,
        async_client_factory: Callable[[], AsyncOktaSessionClient] | None = None,
        clock: Callable[[], float] = time.time,
        stats: SessionStats | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self._logout_path = config.logout_path
        self._exempt = config.exempt_paths or None
        self._owns_cache = cache is None
        self.cache = _checked_cache(cache) if cache is not None else _default_cache(config, clock)
        # An in-process cache is read directly on the hit path (see ``prepare``).
        self._local_get = self.cache.get if getattr(self.cache, "local", False) else None
        self.gate = RateLimitGate(
            config.rate_limit_reserve,
            config.new_cookie_lookups_per_minute,
            sign_ins_per_minute=config.sign_ins_per_minute,
            max_addresses=config.cache_maxsize,
        )
        self.refresh_backoff = RefreshBackoff(config.cache_maxsize)
        self._rules = Rules(config, self.gate, self.refresh_backoff, clock)
        self.stats = stats if stats is not None else SessionStats()
        self.logout_guard = LogoutGuard(config)
        self._keyed = keyed_hmac(config.secret_key_bytes)
        self._client = client
        self._async_client_factory = async_client_factory or self._new_async_client
        self._sync_driver: SyncDriver | None = None
        self._async_drivers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncDriver] = (
            weakref.WeakKeyDictionary()
        )
        self._loop_guards: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, AsyncGenerator[None, None]
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SessionService(org_url={self.config.org_url!r})"

    # -- pure helpers shared by every adapter ------------------------------------------
    def okta_cookies(self, cookie_header: str | None) -> OktaCookies | None:
        """The request's Okta cookies, or None (no hashing, no lookup: behaviour 2)."""
        config = self.config
        return extract_okta_cookies(cookie_header, config.cookie_names, config.max_cookie_length)

    def key_for(self, cookies: OktaCookies) -> str:
        """The cache key of a request's Okta cookies."""
        return self._key(cookies.header)

    def _key(self, forwarded_cookie: str) -> str:
        # ``cache.cache_key`` with the HMAC already keyed for this service (hot path).
        digest = self._keyed.copy()
        digest.update(forwarded_cookie.encode())
        return digest.hexdigest()

    def is_exempt(self, path: str) -> bool:
        return self._exempt is not None and path.startswith(self._exempt)

    def is_logout_path(self, path: str) -> bool:
        """``path`` (relative to where the app is mounted) is the logout route's."""
        return path == self._logout_path

    def never_looked_up(self, path: str) -> bool:
        """Exempt paths and ``logout_path``: logout needs only the cookie, so a refused
        (cross-site) logout causes no Okta call of any kind. Every adapter asks this
        (through ``prepare``). Runs on every request: attributes made once, no calls."""
        return path == self._logout_path or (
            self._exempt is not None and path.startswith(self._exempt)
        )

    def prepare(
        self,
        cookie_header: str | None,
        path: str,
        client: str | None = None,
        *,
        logout: bool = False,
    ) -> Resolution | Lookup:
        """All of a request's resolution that needs no I/O: the ``Resolution`` for no
        Okta cookie, a path never looked up, or a fresh hit in the in-process cache with
        nothing to refresh; else the ``Lookup`` to hand to ``afinish``/``finish``.

        ``client`` is the transport peer's address as the server saw it (ASGI
        ``scope["client"]``, WSGI ``REMOTE_ADDR``): lookups of unknown cookies are
        bounded per address. Behind a proxy, have the server set it from the proxy's
        header (uvicorn ``--forwarded-allow-ips``, werkzeug ``ProxyFix``).

        ``logout`` says the request is for the logout route though ``path`` is not
        ``logout_path``: the app is mounted under a root path (ASGI ``root_path``), or
        the framework's router says so (Django's logout views mark themselves)."""
        if cookie_header is None or logout or self.never_looked_up(path):
            return _NO_COOKIE
        cookies = self.okta_cookies(cookie_header)
        if cookies is None:
            return _NO_COOKIE
        key = self.key_for(cookies)
        if self._local_get is not None:
            entry = self._local_get(key)
            hit = answer_without_io(entry, self.clock(), self._rules, key)
            if hit is not None:
                return self.stats.record(hit)
        return Lookup(key, cookies.header, client)

    def _sid_key(self, session_id: str) -> str:
        return self._key(f"{SID}={session_id}")

    def cookie_key(self, cookie_header: str | None) -> str | None:
        """The cache key of a request's Okta cookies (what CSRF tokens are bound to)."""
        cookies = self.okta_cookies(cookie_header)
        return self.key_for(cookies) if cookies else None

    def csrf_token(self, cookie_header: str | None, state: CsrfState) -> str:
        """A CSRF token for a form of this request, bound to this browser (its Okta
        cookies, else its nonce cookie). ``state`` is the request's own ``CsrfState``;
        when ``state.set_cookie`` is then set, the adapter adds it to the response."""
        return self.logout_guard.token(self.cookie_key(cookie_header), cookie_header, state)

    def csrf_allows(self, request: LogoutRequest) -> bool:
        """The CSRF rule (``csrf.py``): a foreign ``Origin`` (else ``Referer``) is
        refused, the app's own passes, neither needs a token bound to this browser."""
        return self._csrf_allows(request, self.okta_cookies(request.cookie_header))

    def _csrf_allows(self, request: LogoutRequest, cookies: OktaCookies | None) -> bool:
        return self.logout_guard.allows(
            own_origin=own_origin(request.scheme, request.host),
            origin=request.headers.get("origin"),
            referer=request.headers.get("referer"),
            token=request.token,
            cookie_key=self.key_for(cookies) if cookies else None,
            cookie_header=request.cookie_header,
        )

    def websocket_allowed(self, scheme: str, host: str | None, origin: str | None) -> bool:
        """False for a handshake from a foreign ``Origin`` (cross-site WebSocket
        hijacking): such a socket must not get the browser's Okta session."""
        return self.logout_guard.websocket_allowed(own_origin(scheme, host), origin)

    def _refuse_logout(self, request: LogoutRequest, cookies: OktaCookies | None) -> Reply | None:
        if request.method.upper() != "POST":
            return method_not_allowed_reply()
        return None if self._csrf_allows(request, cookies) else forbidden_reply()

    def _logout_flow(
        self, cookies: OktaCookies | None, client: str | None
    ) -> Generator[Effect, Any, bool]:
        """CloseCurrentSession and evict; True at once when there is no Okta cookie."""
        if cookies is None:
            return True
        key = self.key_for(cookies)
        closed: bool = yield from logout(
            key, cookies.header, self._rules, cookies.value(SID), client
        )
        return closed

    def _logout_route(self, request: LogoutRequest) -> Generator[Effect, Any, Reply]:
        """The whole logout route as one flow, for both colours: refused (405, CSRF 403)
        before any effect, else CloseCurrentSession, evict, and the answer to send."""
        cookies = self.okta_cookies(request.cookie_header)
        refused = self._refuse_logout(request, cookies)
        if refused is not None:
            return refused
        closed = yield from self._logout_flow(cookies, request.client)
        return self._logout_answer(request, cookies, closed)

    def _resolve_flow(self, lookup: Lookup) -> Flow:
        return resolve(lookup.key, lookup.cookie, self._rules, lookup.client)

    def _logout_answer(
        self, request: LogoutRequest, cookies: OktaCookies | None, closed: bool
    ) -> Reply:
        return logout_reply(
            self.config,
            html=wants_html(request.headers),
            present_cookies=cookies.names if cookies else (),
            redirect_to=request.redirect_to,
            closed=closed,
        )

    def _check_login_possible(self) -> None:
        if SID not in self.config.cookie_names:
            raise ConfigError(
                "cookie_names",
                "the login helper sets Okta's 'sid' cookie; add 'sid' to cookie_names",
            )

    # -- async (ASGI) -----------------------------------------------------------------
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
            return self.stats.record(await self._arun(self._resolve_flow(lookup)))
        except Exception:  # a bug or a broken cache must not take the app down
            logger.exception("okta_session_mw: session lookup failed unexpectedly")
            return _FAILED

    async def alogout(self, cookie_header: str | None, client: str | None = None) -> bool:
        """CloseCurrentSession and evict; True when closed (or there was nothing).
        ``client`` is the peer address, as for ``prepare``: a cookie with no cached
        session spends that address's allowance."""
        closed: bool = await self._arun(self._logout_flow(self.okta_cookies(cookie_header), client))
        return closed

    async def alogout_request(self, request: LogoutRequest) -> Reply:
        """The whole logout route: refuse (405, CSRF 403) before any Okta call, else
        CloseCurrentSession, evict, and the answer to send (303/204, or 503)."""
        reply: Reply = await self._arun(self._logout_route(request))
        return reply

    async def arevoke(self, session_id: str) -> bool:
        found: bool = await self._arun(revoke(session_id))
        return found

    async def alogin(self, session_token: str, client: str | None = None) -> Session:
        """CreateSession from a ``sessionToken`` and prime the cache for its ``sid``.
        ``client`` is the peer address (as for ``prepare``): sign-ins are bounded per
        address and may not spend the whole rate-limit window; refused, this raises
        ``SignInThrottledError`` before any call to Okta."""
        self._check_login_possible()
        session: Session = await self._arun(
            login(session_token, self._sid_key, self._rules, client)
        )
        return session

    async def aclose(self) -> None:
        """Close what we made for the running loop (Okta client, Redis connections) and
        the sync side. Everything reopens on next use, so a second app lifespan works."""
        loop = asyncio.get_running_loop()
        self._async_drivers.pop(loop, None)
        guard = self._loop_guards.pop(loop, None)
        if guard is not None:
            await guard.aclose()  # its `finally` closes the client
        closer = getattr(self.cache, "aclose", None) if self._owns_cache else None
        if closer is not None:
            await closer()
        self.close()

    async def _arun(self, flow: Flow) -> Any:
        """Run a flow on this loop's driver, all its Okta calls within one timeout."""
        driver = await self._adriver()
        with request_deadline(self.config.timeout):
            return await driver.run(flow)

    async def _adriver(self) -> AsyncDriver:
        # httpx.AsyncClient and asyncio tasks belong to one loop: one driver per loop.
        loop = asyncio.get_running_loop()
        driver = self._async_drivers.get(loop)
        if driver is None:
            cache: AsyncSessionCache = self.cache
            driver = AsyncDriver(
                cache, self._async_client_factory(), self.config.timeout, self.stats, self.clock
            )
            self._async_drivers[loop] = driver
            self._listen(driver.client)
            # Close the client when its loop shuts down (asyncio.run, anyio, uvicorn all
            # finalize async generators then), so short-lived loops (a TestClient used
            # without `with`, async_to_sync) leave no open sockets behind.
            guard = _close_with_loop(driver.client)
            await guard.asend(None)
            self._loop_guards[loop] = guard
        return driver

    def _listen(self, client: object) -> None:
        """Have ``client`` report every answer's figures (a stand-in client without
        ``add_rate_limit_listener`` reports none: the gate then learns only from 429s)."""
        listen = getattr(client, "add_rate_limit_listener", None)
        if listen is not None:
            listen(self._observe_rate_limit)

    def _observe_rate_limit(self, operation: str, rate_limit: RateLimit) -> None:
        """Every answer's figures, from every client of this service, feed the gate."""
        self.gate.observe(operation, rate_limit, self.clock())

    def _new_async_client(self) -> AsyncOktaSessionClient:
        config = self.config
        return AsyncOktaSessionClient(
            config.org_url,
            api_token=config.api_token,
            timeout=config.timeout,
            max_response_bytes=config.max_response_bytes,
        )

    # -- sync (WSGI) ------------------------------------------------------------------
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
            return self.stats.record(self._run(self._resolve_flow(lookup)))
        except Exception:  # a bug or a broken cache must not take the app down
            logger.exception("okta_session_mw: session lookup failed unexpectedly")
            return _FAILED

    def logout(self, cookie_header: str | None, client: str | None = None) -> bool:
        """Sync twin of ``alogout``."""
        closed: bool = self._run(self._logout_flow(self.okta_cookies(cookie_header), client))
        return closed

    def logout_request(self, request: LogoutRequest) -> Reply:
        """Sync twin of ``alogout_request``."""
        reply: Reply = self._run(self._logout_route(request))
        return reply

    def revoke(self, session_id: str) -> bool:
        found: bool = self._run(revoke(session_id))
        return found

    def login(self, session_token: str, client: str | None = None) -> Session:
        """Sync twin of ``alogin``."""
        self._check_login_possible()
        session: Session = self._run(
            login(session_token, self._sid_key, self._rules, client)
        )
        return session

    def close(self) -> None:
        """Close the sync Okta client and the cache's connections, if we made them."""
        with self._lock:
            driver, self._sync_driver = self._sync_driver, None
        if driver is not None and self._client is None:
            driver.client.close()
        closer = getattr(self.cache, "close", None) if self._owns_cache else None
        if closer is not None:
            closer()

    def _run(self, flow: Flow) -> Any:
        """Run a flow on the sync driver, all its Okta calls within one timeout."""
        with request_deadline(self.config.timeout):
            return self._sync().run(flow)

    def _sync(self) -> SyncDriver:
        driver = self._sync_driver
        if driver is None:
            with self._lock:
                if self._sync_driver is None:
                    client = self._client or OktaSessionClient(
                        self.config.org_url,
                        api_token=self.config.api_token,
                        timeout=self.config.timeout,
                        max_response_bytes=self.config.max_response_bytes,
                    )
                    self._listen(client)
                    cache: SessionCache = self.cache
                    self._sync_driver = SyncDriver(
                        cache, client, self.config.timeout, self.stats, self.clock
                    )
                driver = self._sync_driver
        return driver


async def _close_with_loop(client: AsyncOktaSessionClient) -> AsyncGenerator[None, None]:
    """Suspended until the loop finalizes its async generators, then closes ``client``."""
    try:
        yield
    finally:
        await client.aclose()


_SYNC_CACHE = ("get", "claim", "set", "evict", "evict_session", "ended")
_ASYNC_CACHE = tuple("a" + name for name in _SYNC_CACHE)


def _checked_cache(cache: Any) -> Any:
    """A cache passed in must offer one whole colour of the protocol (``cache.py``): a
    cache missing ``ended`` would let a lookup under way serve a session that ended."""
    for names in (_SYNC_CACHE, _ASYNC_CACHE):
        if all(callable(getattr(cache, name, None)) for name in names):
            return cache
    missing = [n for n in _SYNC_CACHE if not callable(getattr(cache, n, None))]
    raise TypeError(
        f"cache {type(cache).__name__} does not implement the SessionCache protocol: "
        f"missing {', '.join(missing) or 'nothing sync'} (or the async a-methods); see cache.py"
    )


def _default_cache(config: OktaSessionConfig, clock: Callable[[], float]) -> Any:
    if config.cache_url is None:
        return MemorySessionCache(config.cache_maxsize, timer=clock, ended_ttl=ended_ttl(config))
    from okta_session_mw.cache.redis.cache import RedisSessionCache  # optional extra

    return RedisSessionCache.from_config(config, timer=clock)
