"""Which cache a service uses: the one passed in, checked against the protocol, or the
default its config names (in-process, or Redis when ``cache_url`` is set)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from okta_session_mw.cache.memory import MemorySessionCache
from okta_session_mw.cache.protocol import (
    REQUIRED_OPERATIONS,
    AsyncSessionCache,
    SessionCache,
    ended_ttl,
)
from okta_session_mw.config import OktaSessionConfig

__all__ = ["checked_cache", "default_cache"]

C = TypeVar("C")

_SYNC_CACHE = REQUIRED_OPERATIONS  # the gate's operations are optional (protocol.py)
_ASYNC_CACHE = tuple("a" + name for name in REQUIRED_OPERATIONS)


def checked_cache(cache: C) -> C:
    """A cache passed in must offer one whole colour of the protocol (``cache/protocol.py``): a
    cache missing ``ended`` would let a lookup under way serve a session that ended."""
    for names in (_SYNC_CACHE, _ASYNC_CACHE):
        if all(callable(getattr(cache, name, None)) for name in names):
            return cache
    missing = [n for n in _SYNC_CACHE if not callable(getattr(cache, n, None))]
    raise TypeError(
        f"cache {type(cache).__name__} does not implement the SessionCache protocol: "
        f"missing {', '.join(missing) or 'nothing sync'} (or the async a-methods); "
        "see okta_session_mw/cache/protocol.py"
    )


def default_cache(
    config: OktaSessionConfig, clock: Callable[[], float]
) -> SessionCache | AsyncSessionCache:
    if config.cache_url is None:
        return MemorySessionCache(config.cache_maxsize, timer=clock, ended_ttl=ended_ttl(config))
    from okta_session_mw.cache.redis.cache import RedisSessionCache  # optional extra
    from okta_session_mw.cache.redis.key_marks import record_key_mark

    cache = RedisSessionCache.from_config(config, timer=clock)
    # what `python -m okta_session_mw doctor` compares: every worker shares one key
    # (a mark derived from it, never the key; a Redis that is down only logs it)
    record_key_mark(config)
    return cache
