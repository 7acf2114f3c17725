"""``settings.OKTA_SESSION`` -> ``OktaSessionConfig``: the only place Django settings are read.

Keys are the config's field names in upper case (``ORG_URL``, ``CACHE_TTL``, ...); an
unknown key is an error, so a typo cannot silently fall back to a default. When
``SECRET_KEY`` is left out, one is derived from Django's own ``SECRET_KEY`` (and from
its ``SECRET_KEY_FALLBACKS``, for a rotation): every worker of a deployment then shares
the key that signs logout tokens and keys the cache (a Redis cache needs that), with
nothing more to configure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.errors import ConfigError

__all__ = [
    "ADAPTER_KEYS",
    "CREATE_USERS",
    "SETTING",
    "adapter_setting",
    "build_config",
    "config_from_settings",
    "setting_key",
]

SETTING = "OKTA_SESSION"
"""The name of the Django setting that holds the dict."""

CREATE_USERS = "CREATE_USERS"
"""``OKTA_SESSION["CREATE_USERS"]``: True lets ``OktaSessionBackend`` create unknown users."""

ADAPTER_KEYS = frozenset({CREATE_USERS})
"""Keys of ``OKTA_SESSION`` that only the Django adapter reads (``CREATE_USERS``: whether
``OktaSessionBackend`` makes a Django user for an Okta login it has not seen); they are
not fields of ``OktaSessionConfig``."""

_DERIVATION_SALT = "okta_session_mw.integrations.django"

_EXAMPLE = 'OKTA_SESSION = {"ORG_URL": "https://example.okta.com"}'


def setting_key(error: ConfigError) -> str:
    """The ``OKTA_SESSION`` key a ``ConfigError`` is about (fields are named in lower case)."""
    return error.setting.upper()


def error_message(error: ConfigError) -> str:
    """The error's text without the ``setting: `` prefix ``ConfigError`` adds."""
    return str(error).removeprefix(f"{error.setting}: ")


def _derived_secret_key() -> str | tuple[str, ...] | None:
    """HMAC-SHA256 of Django's ``SECRET_KEY`` under our own salt, and of each of its
    ``SECRET_KEY_FALLBACKS`` after it: rotating Django's key rotates ours the same way
    (the current one keys the cache and signs, the fallbacks still verify). The
    algorithm is named: Django 6.1 warns when it is left to its default (SHA-1)."""
    try:
        current = salted_hmac(_DERIVATION_SALT, "secret_key", algorithm="sha256").hexdigest()
    except ImproperlyConfigured:  # Django's SECRET_KEY is empty: a per-process key is made
        return None
    fallbacks = [
        salted_hmac(_DERIVATION_SALT, "secret_key", secret=old, algorithm="sha256").hexdigest()
        for old in getattr(settings, "SECRET_KEY_FALLBACKS", ())
    ]
    return (current, *fallbacks) if fallbacks else current


def build_config(values: Mapping[str, Any]) -> OktaSessionConfig:
    """The config for an ``OKTA_SESSION`` dict; raises ``ConfigError`` for a bad value."""
    overrides: dict[str, Any] = {}
    values = {key: value for key, value in values.items() if key not in ADAPTER_KEYS}
    if "SECRET_KEY" not in values:
        derived = _derived_secret_key()
        if derived is not None:
            overrides["secret_key"] = derived
    return OktaSessionConfig.from_mapping(values, strict=True, **overrides)


def adapter_setting(key: str, default: Any) -> Any:
    """``OKTA_SESSION[key]`` for one of ``ADAPTER_KEYS``, or ``default`` (the system checks
    report a bad value)."""
    values = getattr(settings, SETTING, None)
    return values.get(key, default) if isinstance(values, Mapping) else default


def config_from_settings() -> OktaSessionConfig:
    """Read ``settings.OKTA_SESSION``; ``ImproperlyConfigured`` says what to fix."""
    values = getattr(settings, SETTING, None)
    if values is None:
        raise ImproperlyConfigured(
            f"settings.{SETTING} is not set. Add your Okta org to settings.py: {_EXAMPLE}"
        )
    if not isinstance(values, Mapping):
        raise ImproperlyConfigured(
            f"settings.{SETTING} must be a dict like {_EXAMPLE}, not {type(values).__name__}"
        )
    try:
        return build_config(values)
    except ConfigError as exc:
        raise ImproperlyConfigured(
            f"settings.{SETTING}[{setting_key(exc)!r}] {error_message(exc)} "
            "(run `manage.py check` for a hint)"
        ) from exc
