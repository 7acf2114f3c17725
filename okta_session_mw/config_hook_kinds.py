"""The kinds of the Okta Event Hook's settings (``event_hook_*``): checked at start-up
and read from text like every other kind (``config_kinds``), a secret never shown."""

from __future__ import annotations

from typing import Any

from okta_session_mw.config_kinds import Kind
from okta_session_mw.errors import ConfigError

__all__ = ["EVENT_TYPES", "HEADER_NAME", "HOOK_SECRETS"]

_TOKEN_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~"
)
_EVENT_TYPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._")


def _listed(name: str, value: Any) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)):
        raise ConfigError(name, "must be a list or tuple of strings, not one string")
    return tuple(value)


def _comma_list(key: str, raw: str) -> Any:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _hook_secrets(name: str, value: Any) -> Any:
    """Each accepted value of the secret header: printable ASCII (a header value) of 16
    characters or more. The message never shows one."""
    for secret in (accepted := _listed(name, value)):
        printable = isinstance(secret, str) and all(" " <= char <= "~" for char in secret)
        if not printable or secret != secret.strip() or len(secret) < 16:
            raise ConfigError(name, "each value must be printable ASCII of 16 characters or more")
    return accepted


def _header_name(name: str, value: Any) -> Any:
    if not isinstance(value, str) or not value or not set(value) <= _TOKEN_CHARS:
        raise ConfigError(name, f"must be an HTTP header name like 'authorization', got {value!r}")
    return value.lower()


def _event_types(name: str, value: Any) -> Any:
    types = _listed(name, value)
    if not types or any(
        not isinstance(kind, str) or not kind or not set(kind) <= _EVENT_TYPE_CHARS
        for kind in types
    ):
        raise ConfigError(
            name, f"need one or more System Log event types like 'user.session.end', got {types!r}"
        )
    return types


HOOK_SECRETS = Kind(_hook_secrets, _comma_list, tuple)
HEADER_NAME = Kind(_header_name)
EVENT_TYPES = Kind(_event_types, _comma_list, tuple)
