"""The kinds of setting ``OktaSessionConfig`` holds: how each is checked, and read from text.

A ``Kind`` is one row's worth of rules: the check run at start-up (which also returns
the value to keep, e.g. a list made a tuple), the reader for text (the environment,
``.env`` files, Flask's config loaded from them) and, for list settings, how a Python
list is collected. Each field of the config names its kind with ``setting(default,
KIND)``, so adding a setting is one line there. Every message names the setting and
never echoes a secret (``secret_key`` and ``api_token`` errors show no value).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from okta_session_mw.errors import ConfigError
from okta_session_mw.okta.org_url import validate_org_url
from okta_session_mw.okta.session import SessionStatus

__all__ = [
    "API_TOKEN",
    "BOOL_OR_UNSET",
    "COOKIE_NAMES",
    "COUNT",
    "FINITE_SECONDS",
    "FRACTION",
    "KIND",
    "LOGIN_URL",
    "ORG_URL",
    "ORIGINS",
    "PARAM_NAME",
    "PATH_PREFIXES",
    "PER_MINUTE",
    "SECONDS",
    "SECONDS_OR_ZERO",
    "SECRET_KEY",
    "SITE_PATH",
    "STATUSES",
    "TEXT",
    "Kind",
    "setting",
    "text_or_none",
]

T = TypeVar("T")

KIND = "okta_session_mw.kind"
"""The key of a config field's ``metadata`` that holds its ``Kind``."""

_COOKIE_NAME_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~"
)
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _text(key: str, raw: str) -> Any:
    return raw.strip()


@dataclass(frozen=True, slots=True)
class Kind:
    """How one kind of setting is checked and read; see the module docstring."""

    check: Callable[[str, Any], Any]
    """``(setting, value) -> value to keep``; raises ``ConfigError`` naming the setting."""
    from_text: Callable[[str, str], Any] = _text
    """``(key as written, text) -> value``; raises ``ConfigError`` naming the key."""
    collect: Callable[[Iterable[Any]], Any] | None = None
    """For list settings: turns a list given in Python into the field's type."""
    unit: str = ""
    """``"seconds"`` for durations, so a hint (Django's checks) can find them in the table."""

    def read(self, key: str, raw: Any) -> Any:
        """A value from a mapping (text converted, lists collected) before it is checked."""
        if isinstance(raw, str):
            return self.from_text(key, raw)
        listed = isinstance(raw, Iterable) and not isinstance(raw, (bytes, Mapping))
        if self.collect is not None and listed:
            return self.collect(raw)
        return raw


def setting(default: T, kind: Kind, *, repr: bool = True) -> T:
    """A config field with its default and its kind (``repr=False`` for secrets)."""
    return field(default=default, repr=repr, metadata={KIND: kind})


# -- readers for text ------------------------------------------------------------------


def _number(convert: Callable[[str], object]) -> Callable[[str, str], Any]:
    def read(key: str, raw: str) -> Any:
        try:
            return convert(raw.strip())
        except ValueError:
            raise ConfigError(key, f"must be a number, got {raw!r}") from None

    return read


def text_or_none(key: str, raw: str) -> Any:
    """Text, or None when blank (a setting left unset in the environment)."""
    return raw.strip() or None


def _comma_list(key: str, raw: str) -> Any:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _statuses_text(key: str, raw: str) -> Any:
    return frozenset(part.strip().upper() for part in raw.split(",") if part.strip())


def _bool_or_none(key: str, raw: str) -> Any:
    text = raw.strip().lower()
    if not text:
        return None  # unset: the default applies
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ConfigError(key, f"must be true or false, got {raw!r}")


# -- checks ----------------------------------------------------------------------------


def _printable(text: str) -> bool:
    return text == text.strip() and all(" " <= char <= "~" for char in text)


def _strings(name: str, value: Any) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)):
        raise ConfigError(name, "must be a list or tuple of strings, not one string")
    return tuple(value)


def _cookie_names(name: str, value: Any) -> Any:
    names = _strings(name, value)
    if not names or any(not n or not set(n) <= _COOKIE_NAME_CHARS for n in names):
        raise ConfigError(name, f"need one or more valid cookie names, got {names!r}")
    return names


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def _positive_seconds(name: str, value: Any) -> Any:
    if not _is_number(value) or not value > 0:
        raise ConfigError(name, f"must be a number of seconds > 0, got {value!r}")
    return value


def _finite_seconds(name: str, value: Any) -> Any:
    if not math.isfinite(_positive_seconds(name, value)):
        raise ConfigError(name, "must be a finite number of seconds")
    return value


def _seconds_or_zero(name: str, value: Any) -> Any:
    if not _is_number(value) or not value >= 0:
        raise ConfigError(name, f"must be a number of seconds >= 0, got {value!r}")
    return value


def _count(name: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(name, f"must be a positive integer, got {value!r}")
    return value


def _per_minute(name: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(name, f"must be an integer >= 0 (0 turns the bound off), got {value!r}")
    return value


def _fraction(name: str, value: Any) -> Any:
    if not _is_number(value) or not (0 <= value < 1):
        raise ConfigError(name, f"must be a fraction from 0 up to (not including) 1, got {value!r}")
    return value


def _statuses(name: str, value: Any) -> Any:
    statuses = frozenset(SessionStatus(str(s).upper()) for s in value)
    if not statuses:
        raise ConfigError(name, "must name at least one status (e.g. ACTIVE)")
    unknown = sorted(s.value for s in statuses if not s.is_known)
    if unknown:
        known = ", ".join(m.value for m in SessionStatus)
        raise ConfigError(name, f"unknown status {unknown}; known: {known}")
    return statuses


def _path_prefixes(name: str, value: Any) -> Any:
    prefixes = _strings(name, value)
    if any(not p.startswith("/") for p in prefixes):
        raise ConfigError(name, f"each prefix must start with '/', got {prefixes!r}")
    return prefixes


def _is_login_url(url: str) -> bool:
    if not _printable(url) or " " in url:
        return False
    if url.startswith("/"):
        return not url.startswith(("//", "/\\"))
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _login_url(name: str, value: Any) -> Any:
    if not _is_login_url(value):
        raise ConfigError(
            name,
            "must be a path like '/login' or an http(s) URL with a host, "
            "in printable ASCII (percent-encode anything else)",
        )
    return value


def _param_name(name: str, value: Any) -> Any:
    if not value.isidentifier():
        raise ConfigError(name, "must be a plain parameter name like 'next'")
    return value


def _site_path(name: str, value: Any) -> Any:
    unsafe = value.startswith(("//", "/\\")) or not _printable(value)
    if not value.startswith("/") or unsafe:
        raise ConfigError(
            name, f"must be a same-site path starting with '/' in printable ASCII, got {value!r}"
        )
    return value


def _api_token(name: str, value: Any) -> Any:
    if value is not None and not value:
        raise ConfigError(name, "must not be empty (leave it unset for no API token)")
    if value is not None and not _printable(value):
        raise ConfigError(name, "must be printable ASCII with no spaces around it")
    return value


def _secret_key(name: str, value: Any) -> Any:
    """One key, or a rotation's list, current key first (empty: one is made per process)."""
    keys = ((value,) if value else ()) if isinstance(value, str) else value
    if not isinstance(keys, (list, tuple)) or not all(isinstance(k, str) for k in keys):
        raise ConfigError(name, "must be a string, or a list of strings (the current key first)")
    if any(len(key) < 16 for key in keys):
        raise ConfigError(name, "must be at least 16 characters" + " each" * (len(keys) > 1))
    if len(set(keys)) != len(keys) or (not keys and not isinstance(value, str)):
        raise ConfigError(name, "lists the same key twice" if keys else "is an empty list")
    return keys[0] if len(keys) == 1 else tuple(keys)


def _origins(name: str, value: Any) -> Any:
    origins = _strings(name, value)
    for origin in origins:
        if not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
            raise ConfigError(name, f"{origin!r} is not an origin like https://host")
    return origins


def _bool_or_unset(name: str, value: Any) -> Any:
    if value is not None and not isinstance(value, bool):
        raise ConfigError(name, f"must be true or false, got {value!r}")
    return value  # None: decided from org_url once it is checked


def _anything(name: str, value: Any) -> Any:
    return value


ORG_URL = Kind(lambda name, value: validate_org_url(value))
COOKIE_NAMES = Kind(_cookie_names, _comma_list, tuple)
SECONDS = Kind(_positive_seconds, _number(float), unit="seconds")
FINITE_SECONDS = Kind(_finite_seconds, _number(float), unit="seconds")
SECONDS_OR_ZERO = Kind(_seconds_or_zero, _number(float), unit="seconds")
COUNT = Kind(_count, _number(int))
PER_MINUTE = Kind(_per_minute, _number(int))
FRACTION = Kind(_fraction, _number(float))
STATUSES = Kind(_statuses, _statuses_text, frozenset)
PATH_PREFIXES = Kind(_path_prefixes, _comma_list, tuple)
ORIGINS = Kind(_origins, _comma_list, tuple)
LOGIN_URL = Kind(_login_url)
PARAM_NAME = Kind(_param_name)
SITE_PATH = Kind(_site_path)
SECRET_KEY = Kind(_secret_key, collect=tuple)
API_TOKEN = Kind(_api_token, text_or_none)
BOOL_OR_UNSET = Kind(_bool_or_unset, _bool_or_none)
TEXT = Kind(_anything)
