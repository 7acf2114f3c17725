"""Caches of Okta's answers: the in-process ``MemorySessionCache`` and, with the
``redis`` extra, ``RedisSessionCache`` (``okta_session_mw.cache.redis``)."""

from __future__ import annotations

from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.cache.memory import MemorySessionCache
from okta_session_mw.cache.protocol import AsyncSessionCache, SessionCache

__all__ = ["AsyncSessionCache", "CacheEntry", "Claimed", "MemorySessionCache", "SessionCache"]
