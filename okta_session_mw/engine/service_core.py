"""``ServiceCore``: what the service decides for a request without any I/O.

The Okta cookies a request carries and the cache key they hash to, the paths never
looked up, the hit path (``prepare``: a fresh entry of the in-process cache answers
with no flow at all), the CSRF rule of logout, and the flows the service's methods run
(``service.py`` runs them with either runner). Every adapter reaches these through
``SessionService``, which is this class plus the I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.cache.protocol import AsyncSessionCache, SessionCache, cookie_hasher
from okta_session_mw.cache.selection import checked_cache, default_cache
from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.effects import Flow
from okta_session_mw.engine.limits import RateLimitGate
from okta_session_mw.engine.login import login
from okta_session_mw.engine.logout import logout
from okta_session_mw.engine.lookup import HitRules, answer_without_io, resolve
from okta_session_mw.engine.refresh_backoff import RefreshBackoff
from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.engine.rules import Rules
from okta_session_mw.engine.stats import SessionStats
from okta_session_mw.errors import ConfigError
from okta_session_mw.okta.session import Session
from okta_session_mw.web.access import wants_html
from okta_session_mw.web.cookie_slice import okta_cookie_slice
from okta_session_mw.web.cookies import OktaCookies, extract_okta_cookies
from okta_session_mw.web.csrf import CsrfState, LogoutGuard, own_origin
from okta_session_mw.web.logout_replies import (
    forbidden_reply,
    logout_reply,
    method_not_allowed_reply,
)
from okta_session_mw.web.logout_request import LogoutRequest
from okta_session_mw.web.reply import Reply

__all__ = ["SID", "Cache", "Lookup", "ServiceCore"]

Cache = SessionCache | AsyncSessionCache
"""A cache of either colour (``cache/protocol.py``); most offer both."""


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


def _untouched(key: str) -> None:
    """``touch`` of a cache that keeps no record of use."""
SID = "sid"
"""CreateSession's id is the value of Okta's ``sid`` cookie (behaviour 10)."""


class ServiceCore:
    """The no-I/O half of ``SessionService`` (see there for the arguments)."""

    def __init__(
        self,
        config: OktaSessionConfig,
        cache: SessionCache | AsyncSessionCache | None,
        clock: Callable[[], float] = time.time,
        stats: SessionStats | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self._logout_path = config.logout_path
        self._exempt = config.exempt_paths or None
        self._owns_cache = cache is None
        self.cache: Cache = default_cache(config, clock) if cache is None else checked_cache(cache)
        # An in-process cache is read directly on the hit path (see ``prepare``): by its
        # ``peek`` (no lock) when it has one, and a served entry is ``touch``ed.
        self._local_get: Callable[[str], CacheEntry | None] | None = None
        self._touch: Callable[[str], None] = _untouched
        if getattr(self.cache, "local", False):
            local = cast(SessionCache, self.cache)
            self._local_get = getattr(local, "peek", None) or local.get
            self._touch = getattr(local, "touch", None) or _untouched
        self._names = config.cookie_names
        self.gate = RateLimitGate(
            config.rate_limit_reserve,
            config.new_cookie_lookups_per_minute,
            sign_ins_per_minute=config.sign_ins_per_minute,
            max_addresses=config.cache_maxsize,
        )
        self.refresh_backoff = RefreshBackoff(config.cache_maxsize)
        self.stats = stats if stats is not None else SessionStats()
        self.logout_guard = LogoutGuard(config)
        # The first secret_key keys the cache; the others (a rotation) only name the
        # entries that workers still on an older key may hold, so an end reaches them.
        self._keys = tuple(cookie_hasher(secret) for secret in config.secret_keys_bytes)
        self._key = self._keys[0]
        self._hit_rules = HitRules.of(config, self.gate, self.refresh_backoff)

    # -- pure helpers shared by every adapter ------------------------------------------
    def okta_cookies(self, cookie_header: str | None) -> OktaCookies | None:
        """The request's Okta cookies, or None (no hashing, no lookup: behaviour 2)."""
        config = self.config
        return extract_okta_cookies(cookie_header, config.cookie_names, config.max_cookie_length)

    def key_for(self, cookies: OktaCookies) -> str:
        """The cache key of a request's Okta cookies."""
        return self._key(cookies.header)

    def keys_for(self, cookies: OktaCookies) -> tuple[str, ...]:
        """The cache key of a request's Okta cookies under every ``secret_key``, the
        current one first (what a CSRF token may be bound to, what a logout evicts)."""
        header = cookies.header
        return tuple(key(header) for key in self._keys)

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
        sliced = okta_cookie_slice(cookie_header, self._names)
        if sliced is None:
            return _NO_COOKIE  # no Okta cookie's name anywhere in the header
        key = None
        if sliced:  # the hit path: the slice's key, and no parsing (``cookie_slice.py``)
            key = self._key(sliced)
            hit = self._local_hit(key)
            if hit is not None:
                return hit
        cookies = self.okta_cookies(cookie_header)  # read in full, every value checked
        if cookies is None:
            return _NO_COOKIE
        if key is None or cookies.header != sliced:  # the slice was no forwarded header
            key = self.key_for(cookies)
            hit = self._local_hit(key)
            if hit is not None:
                return hit
        return Lookup(key, cookies.header, client)

    def _local_hit(self, key: str) -> Resolution | None:
        """The answer of a fresh entry the in-process cache holds for ``key`` with
        nothing to refresh (marked used, counted); None when the flows must decide."""
        local_get = self._local_get
        if local_get is None:
            return None
        hit = answer_without_io(local_get(key), self.clock(), self._hit_rules, key)
        if hit is None:
            return None
        self._touch(key)
        return self.stats.record(hit)

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
            cookie_keys=self.keys_for(cookies) if cookies else (),
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
        key, *older = self.keys_for(cookies)
        return (
            yield from logout(
                key, cookies.header, rules, cookies.value(SID), client, older_keys=tuple(older)
            )
        )

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
