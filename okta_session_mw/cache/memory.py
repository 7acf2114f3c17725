"""The session cache: entries, keys, and the in-process cache.

Cache keys are an HMAC-SHA256 of the forwarded cookies, so a cookie value is never a
key (behaviour 3). The in-process cache's session-id index holds ids only in this
process's memory, as the cached ``Session`` objects do; the Redis cache stores no id
in the clear, not even in key names (``redis/codec.py``). Every cache offers the same small set of
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
from enum import Enum
from functools import lru_cache
from typing import Protocol

from cachetools import TLRUCache

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.okta.session import Session

__all__ = [
    "AsyncSessionCache",
    "CacheEntry",
    "Claimed",
    "MemorySessionCache",
    "SessionCache",
    "cache_key",
]


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """What Okta said about one cookie, and until when to believe it.

    ``session`` None means Okta said "no session" (a negative entry). Times are epoch
    seconds. ``fresh_until`` ends normal service; ``stale_until`` (never past the
    session's expiresAt) bounds serving it while Okta is failing. ``fetched_at`` is
    when the question was asked (just before the Okta call), not when the answer came:
    an answer to a question asked before an end may predate it. ``refreshed_for``
    is the expiresAt a refresh was already tried for, so it is never tried twice;
    ``refresh_after`` is when the next refresh may be: half of the lifetime the last
    refresh gave, so a session whose idle lifetime is within ``refresh_threshold`` is
    not refreshed on every request.
    """

    session: Session | None
    fetched_at: float
    fresh_until: float
    stale_until: float
    refreshed_for: float | None = None
    refresh_after: float = 0.0
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
    """The least time a logged-out cookie or session stays "ended" (refused by ``set``
    and reported by ``ended``): longer than any lookup that was already under way can
    take. The in-process cache keeps the mark longer when an evicted entry could have
    been served stale for longer."""
    return max(60.0, 4 * config.timeout)


def cache_key(secret: bytes, forwarded_cookie: str) -> str:
    """Keyed hash of the forwarded ``name=value`` pairs: the only form a cookie is stored in."""
    digest = keyed_hmac(secret).copy()
    digest.update(forwarded_cookie.encode())
    return digest.hexdigest()


class Claimed(Enum):
    """What ``claim`` found: who asks Okta about a cookie (see ``SessionCache``)."""

    YOURS = "yours"
    """The caller holds the claim now: it asks Okta, and ``set`` ends the claim."""
    ASKING = "asking"
    """Another worker holds it and is asking Okta right now: wait for its entry."""
    ANSWERED = "answered"
    """Another worker stored its answer a moment ago (the claim stays, for the entry's
    freshness, so a worker that missed the entry by a hair does not ask again): read it."""


class SessionCache(Protocol):
    """A cache used from synchronous code.

    ``claim(key, ttl)`` is cross-process single flight (``Claimed``): YOURS means "you
    ask Okta"; ASKING means another worker is asking right now, so wait for its entry;
    ANSWERED means another worker stored its answer (a fresh entry should be there).
    A cache shared by several processes holds a claim for ``ttl`` seconds at most;
    ``set`` turns it into ANSWERED until the entry's ``fresh_until`` (or drops it when
    the entry is not stored). ``take_over=True`` is for a caller that read the entry
    after ANSWERED and could not use it (gone, unreadable, too large): it gets the claim
    unless another worker is asking by then. A process-local cache always says YOURS.

    ``evict(key)`` and ``evict_session(id)`` also remember that the cookie or the
    session ended: ``set`` then refuses to store a live session for it, and
    ``ended(key, id, asked_at)`` answers True, for as long as anything of it could
    still be served (a lookup already under way, or a stale entry's ``stale_until``).
    ``asked_at`` (and an entry's ``fetched_at`` in ``set``) is when the answer's Okta
    question was asked: a cache that had to forget an end before its time refuses every
    answer asked before that end instead (``-inf``, the default: asked long ago).
    """

    def get(self, key: str) -> CacheEntry | None: ...
    def claim(self, key: str, ttl: float, *, take_over: bool = False) -> Claimed: ...
    def set(self, key: str, entry: CacheEntry) -> None: ...
    def evict(self, key: str) -> None: ...
    def evict_session(self, session_id: str) -> None: ...
    def ended(self, key: str, session_id: str, asked_at: float = -math.inf) -> bool: ...


class AsyncSessionCache(Protocol):
    """The same cache used from async code."""

    async def aget(self, key: str) -> CacheEntry | None: ...
    async def aclaim(self, key: str, ttl: float, *, take_over: bool = False) -> Claimed: ...
    async def aset(self, key: str, entry: CacheEntry) -> None: ...
    async def aevict(self, key: str) -> None: ...
    async def aevict_session(self, session_id: str) -> None: ...
    async def aended(self, key: str, session_id: str, asked_at: float = -math.inf) -> bool: ...


def _marker_deadline(_key: str, mark: tuple[float, float], _now: float) -> float:
    return mark[1]


class _EndedMarks(TLRUCache[str, tuple[float, float]]):
    """The "ended" marks: marker -> (when it ended, until when it is kept).

    Bounded (anyone can post logouts), yet never forgetful in silence: a mark the bound
    pushes out before its time raises ``forgotten`` to the time of that end, and every
    answer to a question asked by then counts as ended. So a flood of logouts of
    made-up cookies cannot push out a real end while a lookup begun before it is still
    under way; it costs at most that lookups asked before the flood are asked again."""

    def __init__(self, maxsize: int, timer: Callable[[], float]) -> None:
        super().__init__(maxsize, _marker_deadline, timer)
        self.forgotten: float | None = None  # the latest end forgotten before its time

    def popitem(self) -> tuple[str, tuple[float, float]]:
        marker, mark = super().popitem()  # only the bound calls this; expiry does not
        self.forgotten = max(self.forgotten or -math.inf, mark[0])
        return marker, mark

    def says_ended(self, key: str, session_id: str, asked_at: float) -> bool:
        if key in self or "id:" + session_id in self:
            return True
        return self.forgotten is not None and asked_at <= self.forgotten


class MemorySessionCache:
    """Bounded in-process cache (LRU, per-entry expiry), safe across threads.

    The entries live in an ``OrderedDict`` used as an LRU whose items expire at their
    ``stale_until``: the read on every request is one dict lookup, one clock read and
    one ``move_to_end`` (cachetools' ``TLRUCache`` cost several times that, measured on
    the hit path). An index from session id to keys lets logout and admin revoke evict
    a session however many cookies (``sid`` and ``idx``) point at it; it is updated
    wherever an entry comes or goes, so it lists every entry that can still be served
    (and is bounded by them). The lock is never held across an ``await``: no method
    here awaits anything.
    """

    def __init__(
        self, maxsize: int, *, timer: Callable[[], float], ended_ttl: float = 60.0
    ) -> None:
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._maxsize = maxsize
        self._timer = timer
        self._by_session: dict[str, tuple[str, ...]] = {}
        # Cookies and sessions logged out or revoked, each until nothing of it can be
        # served any more: a lookup that was already under way must neither put it back
        # (its answer predates the logout) nor hand it to a request (behaviour 13).
        self._ended = _EndedMarks(maxsize, timer)
        self._ended_ttl = ended_ttl
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Live entries (expired ones are dropped first)."""
        with self._lock:
            now = self._timer()
            for key in [k for k, e in self._entries.items() if e.stale_until <= now]:
                self._drop(key)
            return len(self._entries)

    local = True
    """Reads need no I/O: the service may read it without going through a driver."""

    def get(self, key: str) -> CacheEntry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.stale_until <= self._timer():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def claim(self, key: str, ttl: float, *, take_over: bool = False) -> Claimed:
        return Claimed.YOURS  # one process: the driver's single flight already covers it

    def set(self, key: str, entry: CacheEntry) -> None:
        with self._lock:
            if entry.session is not None and self._ended.says_ended(
                key, entry.session.id, entry.fetched_at
            ):
                self._drop(key)
                return
            entries = self._entries
            if key in entries:
                self._drop(key)
            entries[key] = entry
            if entry.session is not None:
                sid = entry.session.id
                self._by_session[sid] = (*self._by_session.get(sid, ()), key)
            while len(entries) > self._maxsize:
                self._drop(next(iter(entries)))  # the least recently used

    def evict(self, key: str) -> None:
        with self._lock:
            entry = self._drop(key)
            self._mark_ended(key, entry.stale_until if entry is not None else 0.0)

    def evict_session(self, session_id: str) -> None:
        with self._lock:
            until = 0.0
            for key in self._by_session.get(session_id, ()):
                entry = self._drop(key)
                if entry is not None:
                    until = max(until, entry.stale_until)
            self._mark_ended("id:" + session_id, until)

    def ended(self, key: str, session_id: str, asked_at: float = -math.inf) -> bool:
        with self._lock:
            return self._ended.says_ended(key, session_id, asked_at)

    def _drop(self, key: str) -> CacheEntry | None:
        """Remove ``key``'s entry and its place in the index (the lock is held)."""
        entry = self._entries.pop(key, None)
        if entry is not None and entry.session is not None:
            sid = entry.session.id
            keys = tuple(k for k in self._by_session.get(sid, ()) if k != key)
            if keys:
                self._by_session[sid] = keys
            else:
                self._by_session.pop(sid, None)
        return entry

    def _mark_ended(self, marker: str, served_until: float) -> None:
        """Remember an end for as long as a lookup under way or anything evicted could
        still be served (the lock is held)."""
        now = self._timer()
        until = max(now + self._ended_ttl, served_until)
        self._ended[marker] = (now, max(until, self._ended.get(marker, (0.0, 0.0))[1]))

    async def aget(self, key: str) -> CacheEntry | None:
        return self.get(key)

    async def aclaim(self, key: str, ttl: float, *, take_over: bool = False) -> Claimed:
        return Claimed.YOURS

    async def aset(self, key: str, entry: CacheEntry) -> None:
        self.set(key, entry)

    async def aevict(self, key: str) -> None:
        self.evict(key)

    async def aevict_session(self, session_id: str) -> None:
        self.evict_session(session_id)

    async def aended(self, key: str, session_id: str, asked_at: float = -math.inf) -> bool:
        return self.ended(key, session_id, asked_at)
