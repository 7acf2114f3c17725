"""The kinds of the shared cache's settings (``cache_url``, ``cache_prefix``): checked at
start-up and read from text like every other kind (``config_kinds``); a message never
quotes the URL, which may hold a password."""

from __future__ import annotations

from typing import Any

from okta_session_mw.config_kinds import Kind, text_or_none
from okta_session_mw.errors import ConfigError
from okta_session_mw.redis_topology import parse_cache_url, tagged_prefix

__all__ = ["CACHE_PREFIX", "CACHE_URL"]


def _cache_url(name: str, value: Any) -> Any:
    """One server, a cluster or Sentinel (``redis_topology.py``); the message never
    quotes the URL, which may hold a password."""
    if value is not None:
        if not isinstance(value, str):
            raise ConfigError(name, "must be a URL (text)")
        try:
            parse_cache_url(value)
        except ValueError as exc:
            raise ConfigError(name, str(exc)) from None
    return value


def _cache_prefix(name: str, value: Any) -> Any:
    """Kept as given; the Redis cache files every key under it with one hash tag."""
    if not isinstance(value, str):
        raise ConfigError(name, "must be text")
    try:
        tagged_prefix(value)
    except ValueError as exc:
        raise ConfigError(name, str(exc)) from None
    return value


CACHE_URL = Kind(_cache_url, text_or_none)
CACHE_PREFIX = Kind(_cache_prefix)
