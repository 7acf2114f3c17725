"""Caches of Okta's answers: the in-process ``MemorySessionCache`` and, with the
``redis`` extra, ``RedisSessionCache`` (``okta_session_mw.cache.redis``)."""

from __future__ import annotations

from okta_session_mw.cache.memory import (
    AsyncSessionCache,
    CacheEntry,
    Claimed,
    MemorySessionCache,
    SessionCache,
)

__all__ = ["AsyncSessionCache", "CacheEntry", "Claimed", "MemorySessionCache", "SessionCache"]
