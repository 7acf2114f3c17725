"""``OktaSessionConfig``: the one validated, frozen configuration every adapter shares.

Every setting is checked in ``__post_init__`` so a bad value fails at start-up with a
message that names it. Flask (``app.config["OKTA_*"]``), Django (``OKTA_SESSION``) and
the environment (``OKTA_*``) all map onto the same field names through ``from_mapping``.
Each field names its kind (``config_kinds``): the kind says how the value is checked and
how it is read from text, and ``SETTINGS`` (field name -> kind) is the table that
``__post_init__`` and ``from_mapping`` both read, so adding a setting is one field.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from okta_session_mw.config_cache_kinds import CACHE_PREFIX, CACHE_URL
from okta_session_mw.config_hook_kinds import EVENT_TYPES, HEADER_NAME, HOOK_SECRETS
from okta_session_mw.config_kinds import (
    API_TOKEN,
    BOOL_OR_UNSET,
    COOKIE_NAMES,
    COUNT,
    FINITE_SECONDS,
    FRACTION,
    KIND,
    LOGIN_URL,
    ORG_URL,
    ORIGINS,
    PARAM_NAME,
    PATH_PREFIXES,
    PER_MINUTE,
    SECONDS,
    SECONDS_OR_ZERO,
    SECRET_KEY,
    SITE_PATH,
    STATUSES,
    Kind,
    setting,
)
from okta_session_mw.errors import ConfigError
from okta_session_mw.okta.org_url import is_loopback_host, masked_url
from okta_session_mw.okta.session import SessionStatus

__all__ = ["SETTINGS", "OktaSessionConfig"]

logger = logging.getLogger("okta_session_mw")


@dataclass(frozen=True, kw_only=True, slots=True)
class OktaSessionConfig:
    """Settings for the middleware, the adapters, logout and the login helper.

    Durations are seconds. ``secret_key`` keys the cache's HMAC and signs logout CSRF
    tokens; left unset, a random per-process key is made (fine for the in-process
    cache, refused with Redis, where every worker must share one key).
    """

    org_url: str = field(metadata={KIND: ORG_URL})
    """Your Okta org, e.g. ``https://example.okta.com`` (http only on loopback)."""
    cookie_names: tuple[str, ...] = setting(("sid", "idx"), COOKIE_NAMES)
    """Okta's cookies to forward to Okta; every other cookie stays in the app."""
    cache_ttl: float = setting(60.0, SECONDS)
    """How long an answer from Okta is trusted before asking again (never past expiresAt)."""
    cache_maxsize: int = setting(10_000, COUNT)
    """Most sessions kept in the in-process cache (least recently used go first, by
    second chance: ``cache/memory.py``)."""
    negative_cache_ttl: float = setting(10.0, SECONDS_OR_ZERO)
    """How long "Okta says no session for this cookie" is remembered."""
    refresh_threshold: float = setting(300.0, SECONDS_OR_ZERO)
    """Refresh the Okta session when it expires in less than this."""
    refresh_ahead: float = setting(0.2, FRACTION)
    """Fraction of ``cache_ttl`` at the end of a cached session's freshness in which a
    request is served from the cache at once and one background revalidation asks Okta
    (one per session for the whole cluster with Redis): a session requested at least
    once in that window never makes a request wait on Okta after its first sight. Each
    revalidation restarts the entry's ``cache_ttl``, so with continuous traffic Okta is
    asked ``1 / (1 - refresh_ahead)`` times per session per ``cache_ttl`` (1.25 at 0.2).
    0 turns it off (an expired entry is looked up by the request that finds it)."""
    timeout: float = setting(5.0, FINITE_SECONDS)
    """Longest wait for Okta on a request's behalf."""
    stale_if_error: float = setting(120.0, SECONDS_OR_ZERO)
    """While Okta fails, keep serving a cached session this long past its cache TTL."""
    accepted_statuses: frozenset[SessionStatus] = setting(
        frozenset({SessionStatus.ACTIVE}), STATUSES
    )
    """Session statuses that pass ``okta_session_required`` (add MFA_REQUIRED to let them)."""
    exempt_paths: tuple[str, ...] = setting((), PATH_PREFIXES)
    """Path prefixes never looked up (static files, health checks)."""
    login_url: str = setting("/login", LOGIN_URL)
    """Where a browser without a session is sent (a path, or an absolute http(s) URL)."""
    login_return_param: str = setting("next", PARAM_NAME)
    """Query parameter of ``login_url`` that carries the path to come back to."""
    post_logout_redirect: str = setting("/", SITE_PATH)
    """Same-site path a browser is sent to after logout."""
    logout_path: str = setting("/logout", SITE_PATH)
    """Path of the logout route (``logout_route``, Flask's blueprint); never looked up."""
    secret_key: str | Sequence[str] = setting("", SECRET_KEY, repr=False)
    """HMAC key for cache keys and CSRF tokens; a random one per process when empty.
    A list rotates keys: the first keys the cache and signs, every one verifies, and
    ends (logout, revoke, an event hook) reach entries keyed by any of them
    (``secret_keys``; the README's "Rotating secret_key")."""
    api_token: str | None = setting(None, API_TOKEN, repr=False)
    """Okta API token (SSWS) for the login helper (CreateSession) and admin revoke."""
    cache_url: str | None = setting(None, CACHE_URL)
    """The shared cache: one server (``redis://``, ``rediss://``, ``unix://``), a Redis
    Cluster (``redis+cluster://host:port[,host:port]``) or a primary found through
    Sentinel (``redis+sentinel://host:26379[,host:26379]/service_name[/db]``; ``rediss+``
    for TLS); None = in-process."""
    cache_prefix: str = setting("okta-session-mw:", CACHE_PREFIX)
    """Key prefix in a shared cache, made its Redis Cluster hash tag (``{okta-session-mw:}``)
    unless it holds one (``app:{okta}:``): every key of the cache is in one slot."""
    max_cookie_length: int = setting(4096, COUNT)
    """An Okta cookie longer than this is refused without asking Okta."""
    allowed_origins: tuple[str, ...] = setting((), ORIGINS)
    """Extra origins (``https://host``) trusted like the app's own: their POSTs (logout,
    ``csrf_allows``) and WebSocket handshakes are not cross-site."""
    cookie_secure: bool | None = setting(None, BOOL_OR_UNSET)
    """``Secure`` on every cookie the library sets (``sid``, expired cookies, the CSRF
    nonce). None: on, unless ``org_url`` is plain http on loopback (local development).
    Never taken from the request's Host header, which a TLS proxy may rewrite."""
    rate_limit_reserve: float = setting(0.2, FRACTION)
    """Fraction of each Okta rate-limit window (``X-Rate-Limit-Limit``) that lookups of
    cookies with no cached session leave for logouts, refreshes and re-checks of cached
    sessions; 0 keeps no reserve."""
    new_cookie_lookups_per_minute: int = setting(60, PER_MINUTE)
    """Okta calls for cookies with no cached session (lookups, and logouts: up to two
    each) allowed per client address (the transport peer; bursts up to this many),
    refilled evenly over a minute; 0 = no bound."""
    sign_ins_per_minute: int = setting(30, PER_MINUTE)
    """Sign-ins through the library (CreateSession) allowed per client address, apart
    from the lookups above (so a flood of cookies from one address does not stop its
    users signing in); refilled evenly over a minute; 0 = no bound."""
    max_concurrent_okta_calls: int = setting(50, COUNT)
    """Most Okta calls in flight at once: for the whole cluster with a Redis cache (a
    lease per call, expiring with a dead worker), per process without; below Okta's 75
    concurrent transactions. A call waits for a slot within ``timeout`` (else it is
    refused, like a rate-limited one); never-seen cookies leave ``rate_limit_reserve``
    of the slots to known sessions."""
    max_response_bytes: int = setting(1 << 20, COUNT)
    """Largest Okta answer read (after decompression); a larger one counts as Okta failing."""
    event_hook_path: str = setting("/okta/event-hook", SITE_PATH)
    """Path of the Okta Event Hook endpoint (``event_hook_route``, Flask's and Django's)."""
    event_hook_secrets: tuple[str, ...] = setting((), HOOK_SECRETS, repr=False)
    """Accepted values of the hook's secret header (the "Authentication secret" set on the
    hook in Okta; two during a rotation); none set: the endpoint refuses every call."""
    event_hook_header: str = setting("authorization", HEADER_NAME)
    """Name of the header Okta sends the secret in (the hook's "Authentication field")."""
    event_hook_events: tuple[str, ...] = setting(
        (
            "user.session.end",
            "user.session.clear",
            "user.lifecycle.suspend",
            "user.lifecycle.deactivate",
            "user.lifecycle.delete.initiated",
        ),
        EVENT_TYPES,
    )
    """System Log event types whose sessions and users the endpoint ends; others are ignored."""

    def __post_init__(self) -> None:
        for name, kind in SETTINGS.items():
            object.__setattr__(self, name, kind.check(name, getattr(self, name)))
        _resolve_defaults(self)

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
    def secret_keys(self) -> tuple[str, ...]:
        """Every key, the current one (which keys the cache and signs) first."""
        key = self.secret_key
        return (key,) if isinstance(key, str) else tuple(key)

    @property
    def secret_key_bytes(self) -> bytes:
        """The current key (the first), as bytes."""
        return self.secret_keys[0].encode()

    @property
    def secret_keys_bytes(self) -> tuple[bytes, ...]:
        return tuple(key.encode() for key in self.secret_keys)

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
        known = {name.upper(): name for name in SETTINGS}
        kwargs: dict[str, Any] = {}
        for key, raw in values.items():
            if not key.startswith(prefix):
                continue
            name = known.get(key[len(prefix) :])
            if name is None:
                if strict:
                    raise ConfigError(key, f"unknown setting; known: {', '.join(sorted(known))}")
                _warn_if_typo(key, prefix, known)
                continue
            kwargs[name] = SETTINGS[name].read(key, raw)
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


SETTINGS: Mapping[str, Kind] = MappingProxyType(
    {f.name: f.metadata[KIND] for f in dataclasses.fields(OktaSessionConfig)}
)
"""Every setting (field name) and its kind, in the order they are checked."""


def _resolve_defaults(config: OktaSessionConfig) -> None:
    """The rules that span two settings, and the defaults that depend on another one."""
    if config.cache_url is not None and not config.secret_key:
        raise ConfigError(
            "secret_key",
            "a shared cache needs one secret_key shared by every worker "
            "(set OKTA_SECRET_KEY to a long random string)",
        )
    if not config.secret_key:
        object.__setattr__(config, "secret_key", secrets.token_urlsafe(32))
    if config.cookie_secure is None:
        parts = urlsplit(config.org_url)
        local = parts.scheme == "http" and is_loopback_host(parts.hostname or "")
        object.__setattr__(config, "cookie_secure", not local)
