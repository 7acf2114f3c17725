"""The CSRF rule of logout and of the app's own forms (behaviour 9), with no framework in it.

A state-changing request whose ``Origin`` (or, when the browser sent none, its
``Referer``) is foreign is refused whatever else it carries; one from the app's own
origin or an ``allowed_origins`` entry passes; one with neither header needs a valid
signed token (itsdangerous, its own salt) bound to this browser. Refusal happens before
Okta is called.

A token is bound to the request's Okta cookies (their cache key) or, for a visitor
without one, to a random nonce the library keeps in a signed, HttpOnly, SameSite=Lax
cookie (double submit). So a token is only good in the browser it was made for: an
attacker's token, fetched in the attacker's browser, fails in the victim's (which
closes login CSRF on a sign-in form), and one user's cannot log out another.

Double submit trusts that only the app sets its cookies. A sibling subdomain (or a
plain-http page on the same host) can "toss" a cookie of any plain name into the
victim's browser, so two more rules: under Secure cookies the nonce cookie is named
``__Host-okta_mw_csrf`` (``CSRF_HOST_COOKIE``), a name browsers accept only with Secure,
``Path=/`` and no ``Domain`` from a secure origin, which nobody else can set; the plain
``okta_mw_csrf`` (``CSRF_COOKIE``) is kept only when cookies are not Secure (plain-http
loopback development, where there is no such guarantee to have). And a request that
carries Okta cookies passes only with a token bound to those cookies, never with a
nonce-bound one: whatever nonce may have been planted, it cannot log out (or act for)
a signed-in user.

The same origin rule guards WebSocket handshakes (behaviour 8): browsers always send
``Origin`` there, so a foreign one is a cross-site page riding the victim's cookies.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.web.cookies import extract_okta_cookies, session_cookie_header

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "CSRF_HOST_COOKIE",
    "CsrfState",
    "LogoutGuard",
    "csrf_cookie_name",
    "own_origin",
]

CSRF_FIELD = "csrf_token"
"""Form field that carries the token."""
CSRF_HEADER = "x-csrf-token"
"""Header that carries the token (for scripts)."""
CSRF_COOKIE = "okta_mw_csrf"
"""Cookie holding an anonymous browser's signed nonce when cookies are not Secure."""
CSRF_HOST_COOKIE = "__Host-" + CSRF_COOKIE
"""The same cookie under Secure cookies: the ``__Host-`` prefix keeps tossed ones out."""
TOKEN_MAX_AGE = 24 * 3600
_MAX_TOKEN = 512
_NONCE = "n:"  # prefix of a nonce binding; a cookie-key binding is hex, never has ':'


class CsrfState:
    """One request's nonce: read from its cookie or made now. ``set_cookie`` is the
    ``Set-Cookie`` line the adapter adds to the response when it was made now; kept
    per request so every token of one page shares one nonce."""

    __slots__ = ("nonce", "set_cookie")

    def __init__(self) -> None:
        self.nonce: str | None = None
        self.set_cookie: str | None = None

    def __repr__(self) -> str:  # the nonce is what a token is bound to
        return f"CsrfState(new_cookie={self.set_cookie is not None})"


def own_origin(scheme: str, host_header: str | None) -> str:
    """The app's origin as the browser sees it, from the request's scheme and Host
    (a WebSocket's ``ws``/``wss`` is the page's ``http``/``https``)."""
    scheme = scheme.lower()
    scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    return f"{scheme}://{(host_header or '').strip().lower()}"


def csrf_cookie_name(config: OktaSessionConfig) -> str:
    """The nonce cookie's name for ``config``: ``__Host-`` prefixed when cookies are
    Secure (a browser then takes it only from this host over https, so no sibling
    subdomain can plant one); the plain name only for non-Secure (plain-http) cookies,
    which a browser would refuse under a ``__Host-`` name."""
    return CSRF_HOST_COOKIE if config.secure_cookies else CSRF_COOKIE


class LogoutGuard:
    """Issues and checks CSRF tokens; one per config (derived values made once)."""

    def __init__(self, config: OktaSessionConfig) -> None:
        # itsdangerous takes the keys oldest first and signs with the last: ours is first.
        keys = list(reversed(config.secret_keys))
        self._tokens = URLSafeTimedSerializer(keys, salt="okta-session-mw.logout")
        self._nonces = URLSafeSerializer(keys, salt="okta-session-mw.csrf-nonce")
        self._allowed = frozenset(o.lower() for o in config.allowed_origins)
        self._secure = config.secure_cookies
        self.cookie_name = csrf_cookie_name(config)
        """The nonce cookie's name (``csrf_cookie_name``), fixed for this config."""
        self._cookie_names = (self.cookie_name,)

    # -- the origin rule ---------------------------------------------------------------
    def origin_verdict(self, own: str, origin: str | None, referer: str | None) -> bool | None:
        """True: the app's own or an allowed origin. False: foreign (including
        ``Origin: null`` and a ``Referer`` that names no http(s) origin). None: the
        request carried neither header, so only a token can tell."""
        if origin is not None:
            source: str | None = origin.strip().lower()
        elif referer is not None:
            source = _origin_of(referer)
        else:
            return None
        return source is not None and (source == own.lower() or source in self._allowed)

    def websocket_allowed(self, own: str, origin: str | None) -> bool:
        """A WebSocket handshake may use the browser's session: no ``Origin`` (not a
        browser) or a trusted one."""
        return origin is None or bool(self.origin_verdict(own, origin, None))

    # -- tokens ------------------------------------------------------------------------
    def token(self, cookie_key: str | None, cookie_header: str | None, state: CsrfState) -> str:
        """A token for a form's ``csrf_token`` field: bound to ``cookie_key`` (the
        request's Okta cookies) if any, else to the browser's nonce, made now (and
        ``state.set_cookie`` set) when the request carried no valid nonce cookie."""
        if cookie_key:
            return self._tokens.dumps(cookie_key[:32])
        if state.nonce is None:
            state.nonce = self._nonce_of(cookie_header)
            if state.nonce is None:
                state.nonce = secrets.token_urlsafe(24)
                value = self._nonces.dumps(state.nonce)
                state.set_cookie = _nonce_cookie(self.cookie_name, value, self._secure)
        return self._tokens.dumps(_NONCE + state.nonce)

    def token_valid(
        self, token: str | None, cookie_keys: Sequence[str], cookie_header: str | None
    ) -> bool:
        """True when ``token`` was made for this browser: bound to its Okta cookies
        (``cookie_keys``, their cache keys; empty when it carries none) when it carries
        any, else to the nonce in its signed nonce cookie. A nonce-bound token never
        passes a request with Okta cookies: the nonce cookie may have been planted
        (cookie tossing), the Okta cookies are the user's."""
        if not token or len(token) > _MAX_TOKEN:
            return False
        try:
            bound = self._tokens.loads(token, max_age=TOKEN_MAX_AGE)
        except BadSignature:
            return False
        if not isinstance(bound, str) or not bound:
            return False
        if bound.startswith(_NONCE):
            if cookie_keys:
                return False  # signed in: only a token bound to these Okta cookies
            nonce = self._nonce_of(cookie_header)
            return nonce is not None and secrets.compare_digest(bound, _NONCE + nonce)
        # every key compared, whichever matches: no early exit to time
        matches = [secrets.compare_digest(bound, key[:32]) for key in cookie_keys]
        return any(matches)

    def allows(
        self,
        *,
        own_origin: str,
        origin: str | None,
        referer: str | None,
        token: str | None,
        cookie_keys: Sequence[str],
        cookie_header: str | None,
    ) -> bool:
        """True when the POST may go on (see the module docstring)."""
        verdict = self.origin_verdict(own_origin, origin, referer)
        if verdict is not None:
            return verdict
        return self.token_valid(token, cookie_keys, cookie_header)

    def _nonce_of(self, cookie_header: str | None) -> str | None:
        found = extract_okta_cookies(cookie_header, self._cookie_names, _MAX_TOKEN)
        value = found.value(self.cookie_name) if found else None
        if value is None:
            return None
        try:
            nonce = self._nonces.loads(value)
        except BadSignature:
            return None
        return nonce if isinstance(nonce, str) and nonce else None


def _nonce_cookie(name: str, value: str, secure: bool) -> str:
    """``Set-Cookie`` for the nonce: HttpOnly, SameSite=Lax, Path=/, no Domain (as a
    ``__Host-`` name requires), a browser-session cookie (no expiry: it lives as long
    as the pages that embed its tokens)."""
    return session_cookie_header(name, value, None, secure=secure)


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()
