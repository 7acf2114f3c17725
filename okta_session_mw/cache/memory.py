"""``MemorySessionCache``: the in-process session cache.

The session-id and user-id indexes hold ids only in this process's memory, as the
cached ``Session`` objects do; the Redis cache stores no id in the clear, not even in key
names (``redis/codec.py``). This cache does no I/O, so its async form simply calls the
sync one. Entries and claims live in ``entry.py``, the cache protocols and key hashing
in ``protocol.py``.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable

from cachetools import TLRUCache

from okta_session_mw.cache.entry import CacheEntry, Claimed

__all__ = ["MemorySessionCache"]


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

    def says_ended(self, key: str, session_id: str, asked_at: float, user_id: str) -> bool:
        if key in self or "id:" + session_id in self:
            return True
        if user_id:  # a user's end holds for answers asked by then, not for later sign-ins
            user_mark = self.get("user:" + user_id)
            if user_mark is not None and asked_at <= user_mark[0]:
                return True
        return self.forgotten is not None and asked_at <= self.forgotten


class MemorySessionCache:
    """Bounded in-process cache (per-entry expiry; the bound pushes out by second chance,
    LRU's cheap twin), safe across threads.

    The entries live in an ``OrderedDict`` whose items expire at their ``stale_until``.
    Which entry the bound pushes out is decided by "second chance", LRU's cheap twin: a
    read only adds its key to a set of keys used since the last sweep, and when the
    cache is full the oldest entry that is not in that set goes (each one in it is
    taken out of the set and moved to the back instead). So the hit path (``peek``,
    then ``touch``) is one dict lookup and one set insertion, with no lock and no
    reordering, and a session read on every request still outlives any number of
    sign-ins between its reads. An index from session id to keys lets logout and
    admin revoke evict a session however many cookies (``sid`` and ``idx``) point at
    it, and one from Okta user id to keys lets an end by user (an event hook, a
    revoke of all the user's sessions) evict every session of that user; both are
    updated wherever an entry comes or goes, so they list every entry that can still
    be served (and are bounded by them). The lock is never held across an
    ``await``: no method here awaits anything.
    """

    def __init__(
        self, maxsize: int, *, timer: Callable[[], float], ended_ttl: float = 60.0
    ) -> None:
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._maxsize = maxsize
        self._timer = timer
        # owner (session id, user id) -> its keys, each a dict used as an ordered set:
        # adding or dropping one key costs the same however many the owner has
        self._by_session: dict[str, dict[str, None]] = {}
        self._by_user: dict[str, dict[str, None]] = {}
        self._used: set[str] = set()  # keys read since the bound last swept past them
        # The hit path's two calls, both on built-in containers (C, no Python frame; the
        # GIL makes each atomic against the writers, which hold the lock):
        self.peek: Callable[[str], CacheEntry | None] = self._entries.get
        """``key``'s entry, even one past its ``stale_until`` (the caller checks its
        times): no lock, no clock, no reordering."""
        self.touch: Callable[[str], None] = self._used.add
        """Mark ``key`` used (it was served): the bound gives it a second chance."""
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
            self._used.add(key)
            return entry

    def claim(self, key: str, ttl: float, *, take_over: bool = False) -> Claimed:
        return Claimed.YOURS  # one process: the driver's single flight already covers it

    def release(self, key: str) -> None:
        """Nothing to give up: ``claim`` holds nothing (see there)."""

    def set(self, key: str, entry: CacheEntry) -> None:
        with self._lock:
            session = entry.session
            if session is not None and self._ended.says_ended(
                key, session.id, entry.fetched_at, session.user_id or ""
            ):
                self._drop(key)
                return
            entries = self._entries
            if key in entries:
                self._drop(key)
            entries[key] = entry
            if session is not None:
                self._by_session.setdefault(session.id, {})[key] = None
                if session.user_id:
                    self._by_user.setdefault(session.user_id, {})[key] = None
            if len(entries) > self._maxsize:
                self._make_room(key)

    def evict(self, key: str) -> None:
        with self._lock:
            entry = self._drop(key)
            self._mark_ended(key, entry.stale_until if entry is not None else 0.0)

    def evict_session(self, session_id: str) -> None:
        with self._lock:
            until = 0.0
            for key in list(self._by_session.get(session_id, ())):
                entry = self._drop(key)
                if entry is not None:
                    until = max(until, entry.stale_until)
            self._mark_ended("id:" + session_id, until)

    def evict_user(self, user_id: str) -> None:
        """Drop every entry of the user's sessions, and refuse any answer about them
        asked of Okta until now (a sign-in after this is the user's again)."""
        with self._lock:
            for key in list(self._by_user.get(user_id, ())):
                self._drop(key)
            self._mark_ended("user:" + user_id, 0.0)

    def ended(
        self, key: str, session_id: str, asked_at: float = -math.inf, user_id: str = ""
    ) -> bool:
        with self._lock:
            return self._ended.says_ended(key, session_id, asked_at, user_id)

    def _make_room(self, stored: str) -> None:
        """Drop entries, oldest first, until the bound holds, giving each one used since
        the last sweep a second chance (and never the one just ``stored``): it goes to
        the back, unmarked. One sweep unmarks them all, so this ends (the lock is
        held)."""
        entries, used = self._entries, self._used
        while len(entries) > self._maxsize:
            oldest = next(iter(entries))
            if oldest in used or (oldest == stored and len(entries) > 1):
                used.discard(oldest)
                entries.move_to_end(oldest)
            else:
                self._drop(oldest)
        if len(used) > self._maxsize:  # keys a read marked as they were dropped
            used.intersection_update(entries)

    def _drop(self, key: str) -> CacheEntry | None:
        """Remove ``key``'s entry and its place in the index (the lock is held)."""
        self._used.discard(key)
        entry = self._entries.pop(key, None)
        if entry is not None and entry.session is not None:
            _unindex(self._by_session, entry.session.id, key)
            if entry.session.user_id:
                _unindex(self._by_user, entry.session.user_id, key)
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

    async def arelease(self, key: str) -> None:
        return None

    async def aset(self, key: str, entry: CacheEntry) -> None:
        self.set(key, entry)

    async def aevict(self, key: str) -> None:
        self.evict(key)

    async def aevict_session(self, session_id: str) -> None:
        self.evict_session(session_id)

    async def aevict_user(self, user_id: str) -> None:
        self.evict_user(user_id)

    async def aended(
        self, key: str, session_id: str, asked_at: float = -math.inf, user_id: str = ""
    ) -> bool:
        return self.ended(key, session_id, asked_at, user_id)


def _unindex(index: dict[str, dict[str, None]], owner: str, key: str) -> None:
    """Take ``key`` out of ``owner``'s keys in ``index`` (and ``owner`` when none is left)."""
    keys = index.get(owner)
    if keys is not None:
        keys.pop(key, None)
        if not keys:
            del index[owner]
