"""The session cache: entries, keys, and the in-process cache.

Cache keys are an HMAC-SHA256 of the forwarded cookies, so a cookie value is never a
key (behaviour 3). The in-process cache's session-id index holds ids only in this
process's memory, as the cached ``Session`` objects do; the Redis cache stores no id
in the clear, not even in key names (``redis_codec.py``). Every cache offers the same small set of
operations, in a sync form (Flask, Django under WSGI) and an async form (ASGI); the
in-process cache does no I/O, so its async form simply calls the sync one.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from cachetools import TLRUCache, TTLCache

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.session import Session

__all__ = [
    "AsyncSessionCache",
    "CacheEntry",
    "MemorySessionCache",
    "SessionCache",
    "cache_key",
]


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """What Okta said about one cookie, and until when to believe it.

    ``session`` None means Okta said "no session" (a negative entry). Times are epoch
    seconds. ``fresh_until`` ends normal service; ``stale_until`` (never past the
    session's expiresAt) bounds serving it while Okta is failing. ``refreshed_for``
    is the expiresAt a refresh was already tried for, so it is never tried twice.
    """

    session: Session | None
    fetched_at: float
    fresh_until: float
    stale_until: float
    refreshed_for: float | None = None
    expires: float = field(init=False, repr=False, compare=False)
    """The session's expiresAt as epoch seconds, worked out once ("no session": never)."""

    def __post_init__(self) -> None:
        expires = self.session.expires_at.timestamp() if self.session is not None else math.inf
        object.__setattr__(self, "expires", expires)


@lru_cache(maxsize=8)
def keyed_hmac(secret: bytes) -> hmac.HMAC:
    """HMAC-SHA256 with ``secret`` already keyed: each key is then a copy and an update."""
    return hmac.new(secret, digestmod=hashlib.sha256)


def ended_ttl(config: OktaSessionConfig) -> float:
    """How long a logged-out cookie or session may not be cached again: longer than any
    lookup that was already under way can take."""
    return max(60.0, 4 * config.timeout)


def cache_key(secret: bytes, forwarded_cookie: str) -> str:
    """Keyed hash of the forwarded ``name=value`` pairs: the only form a cookie is stored in."""
    digest = keyed_hmac(secret).copy()
    digest.update(forwarded_cookie.encode())
    return digest.hexdigest()


class SessionCache(Protocol):
    """A cache used from synchronous code.

    ``claim(key, ttl)`` is cross-process single flight: True means "you ask Okta";
    False means another worker is asking right now (or has just answered: a fresh
    entry is stored), so wait for its entry. A cache shared by several processes stores
    the claim for ``ttl`` seconds at most and drops it when ``set`` stores the entry; a
    process-local cache always says True.
    """

    def get(self, key: str) -> CacheEntry | None: ...
    def claim(self, key: str, ttl: float) -> bool: ...
    def set(self, key: str, entry: CacheEntry) -> None: ...
    def evict(self, key: str) -> None: ...
    def evict_session(self, session_id: str) -> None: ...


class AsyncSessionCache(Protocol):
    """The same cache used from async code."""

    async def aget(self, key: str) -> CacheEntry | None: ...
    async def aclaim(self, key: str, ttl: float) -> bool: ...
    async def aset(self, key: str, entry: CacheEntry) -> None: ...
    async def aevict(self, key: str) -> None: ...
    async def aevict_session(self, session_id: str) -> None: ...


def _index_deadline(_key: str, value: tuple[tuple[str, ...], float], _now: float) -> float:
    return value[1]


class MemorySessionCache:
    """Bounded in-process cache (LRU, per-entry expiry), safe across threads.

    The entries live in an ``OrderedDict`` used as an LRU whose items expire at their
    ``stale_until``: the read on every request is one dict lookup, one clock read and
    one ``move_to_end`` (cachetools' ``TLRUCache`` cost several times that, measured on
    the hit path). A small index from session id to keys lets logout and admin revoke
    evict a session however many cookies (``sid`` and ``idx``) point at it. The lock is
    never held across an ``await``: no method here awaits anything.
    """

    def __init__(
        self, maxsize: int, *, timer: Callable[[], float], ended_ttl: float = 60.0
    ) -> None:
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._maxsize = maxsize
        self._timer = timer
        self._by_session: TLRUCache[str, tuple[tuple[str, ...], float]] = TLRUCache(
            maxsize, _index_deadline, timer
        )
        # Cookies and sessions just logged out or revoked: a lookup that was already
        # under way must not put them back (its answer predates the logout).
        self._ended: TTLCache[str, bool] = TTLCache(maxsize, ended_ttl, timer)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Live entries (expired ones are dropped first)."""
        with self._lock:
            now = self._timer()
            for key in [k for k, e in self._entries.items() if e.stale_until <= now]:
                del self._entries[key]
            return len(self._entries)

    local = True
    """Reads need no I/O: the service may read it without going through a driver."""

    def get(self, key: str) -> CacheEntry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.stale_until <= self._timer():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def claim(self, key: str, ttl: float) -> bool:
        return True  # one process: the driver's single flight already covers it

    def set(self, key: str, entry: CacheEntry) -> None:
        with self._lock:
            if entry.session is not None and (
                key in self._ended or "id:" + entry.session.id in self._ended
            ):
                self._entries.pop(key, None)
                return
            entries = self._entries
            entries[key] = entry
            entries.move_to_end(key)
            while len(entries) > self._maxsize:
                entries.popitem(last=False)  # the least recently used
            if entry.session is not None:
                sid = entry.session.id
                keys, until = self._by_session.get(sid, ((), 0.0))
                if key not in keys:
                    keys = (*keys, key)
                self._by_session[sid] = (keys, max(until, entry.stale_until))

    def evict(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._ended[key] = True

    def evict_session(self, session_id: str) -> None:
        with self._lock:
            self._ended["id:" + session_id] = True
            keys, _ = self._by_session.pop(session_id, ((), 0.0))
            for key in keys:
                entry = self._entries.get(key)
                if (
                    entry is not None
                    and entry.session is not None
                    and entry.session.id == session_id
                ):
                    del self._entries[key]

    async def aget(self, key: str) -> CacheEntry | None:
        return self.get(key)

    async def aclaim(self, key: str, ttl: float) -> bool:
        return True

    async def aset(self, key: str, entry: CacheEntry) -> None:
        self.set(key, entry)

    async def aevict(self, key: str) -> None:
        self.evict(key)

    async def aevict_session(self, session_id: str) -> None:
        self.evict_session(session_id)
