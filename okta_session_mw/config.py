"""``OktaSessionConfig``: the one validated, frozen configuration every adapter shares.

Every setting is checked in ``__post_init__`` so a bad value fails at start-up with a
message that names it. Flask (``app.config["OKTA_*"]``), Django (``OKTA_SESSION``) and
the environment (``OKTA_*``) all map onto the same field names through ``from_mapping``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any
from urllib.parse import urlsplit

from okta_session_mw.errors import ConfigError
from okta_session_mw.okta.org_url import is_loopback_host, masked_url, validate_org_url
from okta_session_mw.okta.session import SessionStatus

__all__ = ["OktaSessionConfig"]

logger = logging.getLogger("okta_session_mw")

_COOKIE_NAME_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class OktaSessionConfig:
    """Settings for the middleware, the adapters, logout and the login helper.

    Durations are seconds. ``secret_key`` keys the cache's HMAC and signs logout CSRF
    tokens; left unset, a random per-process key is made (fine for the in-process
    cache, refused with Redis, where every worker must share one key).
    """

    org_url: str
    """Your Okta org, e.g. ``https://example.okta.com`` (http only on loopback)."""
    cookie_names: tuple[str, ...] = ("sid", "idx")
    """Okta's cookies to forward to Okta; every other cookie stays in the app."""
    cache_ttl: float = 60.0
    """How long an answer from Okta is trusted before asking again (never past expiresAt)."""
    cache_maxsize: int = 10_000
    """Most sessions kept in the in-process cache (least recently used go first)."""
    negative_cache_ttl: float = 10.0
    """How long "Okta says no session for this cookie" is remembered."""
    refresh_threshold: float = 300.0
    """Refresh the Okta session when it expires in less than this."""
    timeout: float = 5.0
    """Longest wait for Okta on a request's behalf."""
    stale_if_error: float = 120.0
    """While Okta fails, keep serving a cached session this long past its cache TTL."""
    accepted_statuses: frozenset[SessionStatus] = frozenset({SessionStatus.ACTIVE})
    """Session statuses that pass ``okta_session_required`` (add MFA_REQUIRED to let them)."""
    exempt_paths: tuple[str, ...] = ()
    """Path prefixes never looked up (static files, health checks)."""
    login_url: str = "/login"
    """Where a browser without a session is sent (a path, or an absolute http(s) URL)."""
    login_return_param: str = "next"
    """Query parameter of ``login_url`` that carries the path to come back to."""
    post_logout_redirect: str = "/"
    """Same-site path a browser is sent to after logout."""
    logout_path: str = "/logout"
    """Path of the logout route (``logout_route``, Flask's blueprint); never looked up."""
    secret_key: str = field(default="", repr=False)
    """HMAC key for cache keys and CSRF tokens; a random one per process when empty."""
    api_token: str | None = field(default=None, repr=False)
    """Okta API token (SSWS) for the login helper (CreateSession) and admin revoke."""
    cache_url: str | None = None
    """``redis://``, ``rediss://`` or ``unix://`` for the shared cache; None = in-process."""
    cache_prefix: str = "okta-session-mw:"
    """Key prefix in a shared cache."""
    max_cookie_length: int = 4096
    """An Okta cookie longer than this is refused without asking Okta."""
    allowed_origins: tuple[str, ...] = ()
    """Extra origins (``https://host``) trusted like the app's own: their POSTs (logout,
    ``csrf_allows``) and WebSocket handshakes are not cross-site."""
    cookie_secure: bool | None = None
    """``Secure`` on every cookie the library sets (``sid``, expired cookies, the CSRF
    nonce). None: on, unless ``org_url`` is plain http on loopback (local development).
    Never taken from the request's Host header, which a TLS proxy may rewrite."""
    rate_limit_reserve: float = 0.2
    """Fraction of each Okta rate-limit window (``X-Rate-Limit-Limit``) that lookups of
    cookies with no cached session leave for logouts, refreshes and re-checks of cached
    sessions; 0 keeps no reserve."""
    new_cookie_lookups_per_minute: int = 60
    """Okta calls for cookies with no cached session (lookups, and logouts: up to two
    each) allowed per client address (the transport peer; bursts up to this many),
    refilled evenly over a minute; 0 = no bound."""
    sign_ins_per_minute: int = 30
    """Sign-ins through the library (CreateSession) allowed per client address, apart
    from the lookups above (so a flood of cookies from one address does not stop its
    users signing in); refilled evenly over a minute; 0 = no bound."""
    max_response_bytes: int = 1 << 20
    """Largest Okta answer read (after decompression); a larger one counts as Okta failing."""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "org_url", validate_org_url(self.org_url))
        for name in ("cookie_names", "exempt_paths", "allowed_origins"):
            if isinstance(getattr(self, name), (str, bytes)):
                raise ConfigError(name, "must be a list or tuple of strings, not one string")
        names = tuple(self.cookie_names)
        if not names or any(not n or not set(n) <= _COOKIE_NAME_CHARS for n in names):
            raise ConfigError("cookie_names", f"need one or more valid cookie names, got {names!r}")
        set_(self, "cookie_names", names)
        for name in ("cache_ttl", "timeout"):
            _positive(name, getattr(self, name))
        for name in ("negative_cache_ttl", "refresh_threshold", "stale_if_error"):
            _non_negative(name, getattr(self, name))
        for name in ("cache_maxsize", "max_cookie_length", "max_response_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(name, f"must be a positive integer, got {value!r}")
        statuses = frozenset(SessionStatus(str(s).upper()) for s in self.accepted_statuses)
        if not statuses:
            raise ConfigError("accepted_statuses", "must name at least one status (e.g. ACTIVE)")
        unknown = sorted(s.value for s in statuses if not s.is_known)
        if unknown:
            known = ", ".join(m.value for m in SessionStatus)
            raise ConfigError("accepted_statuses", f"unknown status {unknown}; known: {known}")
        set_(self, "accepted_statuses", statuses)
        prefixes = tuple(self.exempt_paths)
        if any(not p.startswith("/") for p in prefixes):
            raise ConfigError("exempt_paths", f"each prefix must start with '/', got {prefixes!r}")
        set_(self, "exempt_paths", prefixes)
        if not _is_login_url(self.login_url):
            raise ConfigError(
                "login_url", "must be a path like '/login' or an http(s) URL with a host, "
                "in printable ASCII (percent-encode anything else)"
            )
        if not self.login_return_param.isidentifier():
            raise ConfigError("login_return_param", "must be a plain parameter name like 'next'")
        for name in ("post_logout_redirect", "logout_path"):
            value = getattr(self, name)
            unsafe = value.startswith(("//", "/\\")) or not _printable(value)
            if not value.startswith("/") or unsafe:
                raise ConfigError(
                    name, f"must be a same-site path starting with '/' in printable ASCII, "
                    f"got {value!r}"
                )
        if self.cache_url is not None and not self.cache_url.startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ConfigError("cache_url", "must start with redis://, rediss:// or unix://")
        if self.cache_url is not None and not self.secret_key:
            raise ConfigError(
                "secret_key",
                "a shared cache needs one secret_key shared by every worker "
                "(set OKTA_SECRET_KEY to a long random string)",
            )
        if self.api_token is not None and not self.api_token:
            raise ConfigError("api_token", "must not be empty (leave it unset for no API token)")
        if self.api_token is not None and not _printable(self.api_token):
            raise ConfigError("api_token", "must be printable ASCII with no spaces around it")
        if not math.isfinite(self.timeout):
            raise ConfigError("timeout", "must be a finite number of seconds")
        if self.secret_key and len(self.secret_key) < 16:
            raise ConfigError("secret_key", "must be at least 16 characters")
        if not self.secret_key:
            set_(self, "secret_key", secrets.token_urlsafe(32))
        for origin in self.allowed_origins:
            if not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
                raise ConfigError(
                    "allowed_origins", f"{origin!r} is not an origin like https://host"
                )
        set_(self, "allowed_origins", tuple(self.allowed_origins))
        if self.cookie_secure is None:
            parts = urlsplit(self.org_url)
            local = parts.scheme == "http" and is_loopback_host(parts.hostname or "")
            set_(self, "cookie_secure", not local)
        elif not isinstance(self.cookie_secure, bool):
            raise ConfigError("cookie_secure", f"must be true or false, got {self.cookie_secure!r}")
        reserve = self.rate_limit_reserve
        if isinstance(reserve, bool) or not isinstance(reserve, (int, float)) or not (
            0 <= reserve < 1
        ):
            raise ConfigError(
                "rate_limit_reserve", f"must be a fraction from 0 up to (not including) 1, "
                f"got {reserve!r}"
            )
        for name in ("new_cookie_lookups_per_minute", "sign_ins_per_minute"):
            per_minute = getattr(self, name)
            if isinstance(per_minute, bool) or not isinstance(per_minute, int) or per_minute < 0:
                raise ConfigError(
                    name, f"must be an integer >= 0 (0 turns the bound off), got {per_minute!r}"
                )

    def __repr__(self) -> str:
        """Every setting but the secrets; ``cache_url`` with its password masked."""
        shown = []
        for f in dataclasses.fields(self):
            if not f.repr:
                continue
            value = getattr(self, f.name)
            if f.name == "cache_url" and value is not None:
                value = masked_url(value)
            shown.append(f"{f.name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    @property
    def secret_key_bytes(self) -> bytes:
        return self.secret_key.encode()

    @property
    def secure_cookies(self) -> bool:
        """``cookie_secure`` as resolved at start-up (never None once built)."""
        return self.cookie_secure is not False

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], *, prefix: str = "", strict: bool = False, **overrides: Any
    ) -> OktaSessionConfig:
        """Build from ``{PREFIX + FIELD_NAME_UPPER: value}``; strings are converted.

        With ``strict``, a key that starts with ``prefix`` but names no setting is an
        error (catches typos in Django's ``OKTA_SESSION``).
        """
        known = {f.name.upper(): f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, raw in values.items():
            if not key.startswith(prefix):
                continue
            f = known.get(key[len(prefix) :])
            if f is None:
                if strict:
                    raise ConfigError(key, f"unknown setting; known: {', '.join(sorted(known))}")
                _warn_if_typo(key, prefix, known)
                continue
            kwargs[f.name] = _convert(key, f.name, raw)
        kwargs.update(overrides)
        if "org_url" not in kwargs:
            raise ConfigError(f"{prefix}ORG_URL", "is required (your Okta org, https://...)")
        try:
            return cls(**kwargs)
        except ConfigError as exc:  # name the key as the user wrote it
            if exc.setting in overrides:
                raise
            raise ConfigError(prefix + exc.setting.upper(), exc.message) from None

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> OktaSessionConfig:
        """Build from ``OKTA_*`` environment variables (``OKTA_ORG_URL``, ``OKTA_CACHE_TTL``...)."""
        return cls.from_mapping(
            os.environ if environ is None else environ, prefix="OKTA_", **overrides
        )


def _warn_if_typo(key: str, prefix: str, known: Mapping[str, object]) -> None:
    """Other tools share the ``OKTA_`` prefix (Okta's SDKs read ``OKTA_CLIENT_*``), so an
    unknown key is not an error here; one that looks like a misspelt setting is logged."""
    name = key[len(prefix) :]
    close = get_close_matches(name, list(known), n=1, cutoff=0.8) or [
        k for k in known if name.startswith(k + "_")  # CACHE_TTL_SECONDS
    ][:1]
    if close:
        logger.warning(
            "okta_session_mw: unknown setting %s ignored; did you mean %s%s?", key, prefix, close[0]
        )


def _printable(text: str) -> bool:
    return text == text.strip() and all(" " <= char <= "~" for char in text)


def _is_login_url(url: str) -> bool:
    if not _printable(url) or " " in url:
        return False
    if url.startswith("/"):
        return not url.startswith(("//", "/\\"))
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(name, f"must be a number of seconds > 0, got {value!r}")


def _non_negative(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ConfigError(name, f"must be a number of seconds >= 0, got {value!r}")


_FLOATS = {
    "cache_ttl", "negative_cache_ttl", "refresh_threshold", "timeout", "stale_if_error",
    "rate_limit_reserve",
}  # fmt: skip
_INTS = {
    "cache_maxsize", "max_cookie_length", "new_cookie_lookups_per_minute", "max_response_bytes",
    "sign_ins_per_minute",
}  # fmt: skip
_TUPLES = {"cookie_names", "exempt_paths", "allowed_origins"}
_BOOLS = {"cookie_secure"}
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _convert(key: str, name: str, raw: Any) -> Any:
    """Turn a setting given as text (environment, .env files) into the field's type."""
    if not isinstance(raw, str):
        if name in _TUPLES | {"accepted_statuses"} and isinstance(raw, Iterable) and not isinstance(
            raw, (str, bytes, Mapping)
        ):
            return tuple(raw) if name in _TUPLES else frozenset(raw)
        return raw
    text = raw.strip()
    try:
        if name in _FLOATS:
            return float(text)
        if name in _INTS:
            return int(text)
    except ValueError:
        raise ConfigError(key, f"must be a number, got {raw!r}") from None
    if name in _TUPLES:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if name in _BOOLS:
        if not text:
            return None  # unset: the default applies
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ConfigError(key, f"must be true or false, got {raw!r}")
    if name == "accepted_statuses":
        return frozenset(part.strip().upper() for part in text.split(",") if part.strip())
    if name == "cache_url" or name == "api_token":
        return text or None
    return text
