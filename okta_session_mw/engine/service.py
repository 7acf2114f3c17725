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
from dataclasses import dataclass
from typing import Any, TypeVar

from okta_session_mw.cache.protocol import keyed_hmac
from okta_session_mw.cache.selection import checked_cache, default_cache
from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.colours import AsyncSide, Shared, SyncSide
from okta_session_mw.engine.effects import Flow
from okta_session_mw.engine.limits import RateLimitGate
from okta_session_mw.engine.login import login
from okta_session_mw.engine.logout import logout, revoke
from okta_session_mw.engine.lookup import Policy, answer_without_io, resolve
from okta_session_mw.engine.policy import RefreshBackoff
from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.engine.rules import Rules
from okta_session_mw.engine.stats import SessionStats
from okta_session_mw.errors import ConfigError, RateLimit
from okta_session_mw.okta.clients import AsyncOktaSessionClient, OktaSessionClient
from okta_session_mw.okta.session import Session
from okta_session_mw.web.access import wants_html
from okta_session_mw.web.cookies import OktaCookies, extract_okta_cookies
from okta_session_mw.web.csrf import CsrfState, LogoutGuard, own_origin
from okta_session_mw.web.logout import forbidden_reply, logout_reply, method_not_allowed_reply
from okta_session_mw.web.logout_request import LogoutRequest
from okta_session_mw.web.reply import Reply

__all__ = ["Lookup", "SessionService"]

T = TypeVar("T")
C = TypeVar("C", OktaSessionClient, AsyncOktaSessionClient)

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
        self.cache = checked_cache(cache) if cache is not None else default_cache(config, clock)
        # An in-process cache is read directly on the hit path (see ``prepare``).
        self._local_get = self.cache.get if getattr(self.cache, "local", False) else None
        self.gate = RateLimitGate(
            config.rate_limit_reserve,
            config.new_cookie_lookups_per_minute,
            sign_ins_per_minute=config.sign_ins_per_minute,
            max_addresses=config.cache_maxsize,
        )
        self.refresh_backoff = RefreshBackoff(config.cache_maxsize)
        self.stats = stats if stats is not None else SessionStats()
        self.logout_guard = LogoutGuard(config)
        self._keyed = keyed_hmac(config.secret_key_bytes)
        self._policy = Policy(config, self.gate, self.refresh_backoff)
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
            hit = answer_without_io(entry, self.clock(), self._policy, key)
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
        self, cookies: OktaCookies | None, client: str | None, rules: Rules
    ) -> Flow[bool]:
        """CloseCurrentSession and evict; True at once when there is no Okta cookie."""
        if cookies is None:
            return True
        key = self.key_for(cookies)
        return (yield from logout(key, cookies.header, rules, cookies.value(SID), client))

    def _logout_route(self, request: LogoutRequest, rules: Rules) -> Flow[Reply]:
        """The whole logout route as one flow, for both colours: refused (405, CSRF 403)
        before any effect, else CloseCurrentSession, evict, and the answer to send."""
        cookies = self.okta_cookies(request.cookie_header)
        refused = self._refuse_logout(request, cookies)
        if refused is not None:
            return refused
        closed = yield from self._logout_flow(cookies, request.client, rules)
        return logout_reply(
            self.config,
            html=wants_html(request.headers),
            present_cookies=cookies.names if cookies else (),
            redirect_to=request.redirect_to,
            closed=closed,
        )

    def _resolve_flow(self, lookup: Lookup, rules: Rules) -> Flow[Resolution]:
        return resolve(lookup.key, lookup.cookie, rules, lookup.client)

    def _login_flow(self, session_token: str, client: str | None, rules: Rules) -> Flow[Session]:
        if SID not in self.config.cookie_names:
            raise ConfigError(
                "cookie_names",
                "the login helper sets Okta's 'sid' cookie; add 'sid' to cookie_names",
            )
        return (yield from login(session_token, self._sid_key, rules, client))

    def _recorded(self, resolution: Resolution) -> Resolution:
        return self.stats.record(resolution)

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
            return self.stats.record(await self._arun(self._resolve_flow, lookup))
        except Exception:  # a bug or a broken cache must not take the app down
            logger.exception("okta_session_mw: session lookup failed unexpectedly")
            return _FAILED

    async def alogout(self, cookie_header: str | None, client: str | None = None) -> bool:
        """CloseCurrentSession and evict; True when closed (or there was nothing).
        ``client`` is the peer address, as for ``prepare``: a cookie with no cached
        session spends that address's allowance."""
        return await self._arun(self._logout_flow, self.okta_cookies(cookie_header), client)

    async def alogout_request(self, request: LogoutRequest) -> Reply:
        """The whole logout route: refuse (405, CSRF 403) before any Okta call, else
        CloseCurrentSession, evict, and the answer to send (303/204, or 503)."""
        return await self._arun(self._logout_route, request)

    async def arevoke(self, session_id: str) -> bool:
        """RevokeSession by id and evict it everywhere; False if Okta had no such session."""
        return await self._arun(revoke, session_id)

    async def alogin(self, session_token: str, client: str | None = None) -> Session:
        """CreateSession from a ``sessionToken`` and prime the cache for its ``sid``.
        ``client`` is the peer address (as for ``prepare``): sign-ins are bounded per
        address and may not spend the whole rate-limit window; refused, this raises
        ``SignInThrottledError`` before any call to Okta."""
        return await self._arun(self._login_flow, session_token, client)

    async def aclose(self) -> None:
        """Close what we made for the running loop (Okta client, Redis connections) and
        the sync side. Everything reopens on next use, so a second app lifespan works."""
        await self._async.aclose()
        closer = getattr(self.cache, "aclose", None) if self._owns_cache else None
        if closer is not None:
            await closer()
        self.close()

    async def _arun(self, flow: Callable[..., Flow[T]], *arguments: Any) -> T:
        return await self._async.run(lambda rules: flow(*arguments, rules))

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
            return self.stats.record(self._run(self._resolve_flow, lookup))
        except Exception:  # a bug or a broken cache must not take the app down
            logger.exception("okta_session_mw: session lookup failed unexpectedly")
            return _FAILED

    def logout(self, cookie_header: str | None, client: str | None = None) -> bool:
        """Sync twin of ``alogout``."""
        return self._run(self._logout_flow, self.okta_cookies(cookie_header), client)

    def logout_request(self, request: LogoutRequest) -> Reply:
        """Sync twin of ``alogout_request``."""
        return self._run(self._logout_route, request)

    def revoke(self, session_id: str) -> bool:
        """Sync twin of ``arevoke``."""
        return self._run(revoke, session_id)

    def login(self, session_token: str, client: str | None = None) -> Session:
        """Sync twin of ``alogin``."""
        return self._run(self._login_flow, session_token, client)

    def close(self) -> None:
        """Close the sync Okta client and the cache's connections, if we made them."""
        self._sync.close()
        closer = getattr(self.cache, "close", None) if self._owns_cache else None
        if closer is not None:
            closer()

    def _run(self, flow: Callable[..., Flow[T]], *arguments: Any) -> T:
        return self._sync.run(lambda rules: flow(*arguments, rules))

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
