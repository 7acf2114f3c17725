"""What every session cache offers (``SessionCache`` sync, ``AsyncSessionCache`` async),
the keys it is given, and how long it remembers an end.

Cache keys are an HMAC-SHA256 of the forwarded cookies, so a cookie value is never a
key (behaviour 3). Every cache offers the same small set of operations, in a sync form
(Flask, Django under WSGI) and an async form (ASGI).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Any, Literal, Protocol, get_args

from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.config import OktaSessionConfig

__all__ = [
    "CACHE_OPERATIONS",
    "GATE_OPERATIONS",
    "REQUIRED_OPERATIONS",
    "AsyncSessionCache",
    "CacheOperation",
    "SessionCache",
    "cache_key",
    "cache_methods",
    "cookie_hasher",
    "ended_ttl",
]

CacheOperation = Literal[
    "get", "set", "claim", "evict", "evict_session", "ended", "evict_user", "release",
    "gate_take", "gate_note", "gate_slot",
]  # fmt: skip
"""The methods of ``SessionCache`` (``AsyncSessionCache``'s are the same, ``a``-prefixed)."""
CACHE_OPERATIONS: tuple[CacheOperation, ...] = get_args(CacheOperation)
GATE_OPERATIONS: tuple[CacheOperation, ...] = ("gate_take", "gate_note", "gate_slot")
"""The shared rate-limit gate's operations (``cache/gate_state.py``), optional: a cache
without them (the in-process cache, one passed in) answers None, "the process's own
gate decides"."""
REQUIRED_OPERATIONS: tuple[CacheOperation, ...] = tuple(
    op for op in CACHE_OPERATIONS if op not in GATE_OPERATIONS
)
"""What every cache must offer (in one colour)."""


def _no_shared_gate(*_args: object) -> None:
    return None


async def _ano_shared_gate(*_args: object) -> None:
    return None


def cache_methods(cache: object, prefix: str = "") -> dict[str, Callable[..., Any]]:
    """The cache's method for each operation, found once (``prefix`` "a": the async
    ones): a required one missing fails here, a gate operation missing answers None
    (no shared gate: the process's own gate decides)."""
    absent = _ano_shared_gate if prefix else _no_shared_gate
    return {
        op: getattr(cache, prefix + op) if op in REQUIRED_OPERATIONS
        else getattr(cache, prefix + op, absent)
        for op in CACHE_OPERATIONS
    }  # fmt: skip


def ended_ttl(config: OktaSessionConfig) -> float:
    """The least time a logged-out cookie or session stays "ended" (refused by ``set``
    and reported by ``ended``): longer than any lookup that was already under way can
    take. The in-process cache keeps the mark longer when an evicted entry could have
    been served stale for longer."""
    return max(60.0, 4 * config.timeout)


_BLOCK = hashlib.sha256().block_size  # 64 bytes


def cookie_hasher(secret: bytes) -> Callable[[str], str]:
    """The cache key of forwarded ``name=value`` pairs: HMAC-SHA256 under ``secret``, the
    only form a cookie is stored in (behaviour 3).

    HMAC's two hashes (RFC 2104) are keyed once, as two ``hashlib.sha256`` objects that
    have taken the padded key: each key is then two copies and two updates, about half
    of what copying an ``hmac`` object costs (the service's hit path calls this on every
    request). ``tests/cache/test_cookie_hasher.py`` proves it equals ``hmac.new``."""
    key = hashlib.sha256(secret).digest() if len(secret) > _BLOCK else secret
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))

    def cache_key_of(forwarded_cookie: str) -> str:
        digest = inner.copy()
        digest.update(forwarded_cookie.encode())
        result = outer.copy()
        result.update(digest.digest())
        return result.hexdigest()

    return cache_key_of


def cache_key(secret: bytes, forwarded_cookie: str) -> str:
    """The cache key of ``forwarded_cookie`` under ``secret`` (``cookie_hasher``'s)."""
    return cookie_hasher(secret)(forwarded_cookie)


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
    ``release(key)`` gives up a claim YOURS without storing anything (the Okta call
    failed): the next caller gets YOURS at once instead of waiting out ``ttl`` for an
    answer nobody is bringing (a process-local cache has nothing to release).

    ``evict(key)`` and ``evict_session(id)`` also remember that the cookie or the
    session ended: ``set`` then refuses to store a live session for it, and
    ``ended(key, id, asked_at)`` answers True, for as long as anything of it could
    still be served (a lookup already under way, or a stale entry's ``stale_until``).
    ``asked_at`` (and an entry's ``fetched_at`` in ``set``) is when the answer's Okta
    question was asked: a cache that had to forget an end before its time refuses every
    answer asked before that end instead (``-inf``, the default: asked long ago).

    ``evict_user(user_id)`` (an Okta user id, ``Session.user_id``) drops every entry of
    that user's sessions, in every process the cache serves, and marks the time of that
    end: ``set`` then refuses an entry of that user whose ``fetched_at`` is not after it,
    and ``ended(key, id, asked_at, user_id)`` answers True for an answer asked by then.
    An answer asked later (the user signed in again) is the user's as usual. The mark
    says "ask Okta again", not "this session is over": a user's other sessions live on
    when Okta says so.

    ``evict_session`` and ``evict_user`` answer False when the end could not reach
    every process the cache serves yet (a shared cache that could not be reached keeps
    it, "owed", to send with a later call): the caller that must know the end is
    everywhere (an event hook delivery, which Okta will not send again once answered
    200) says so. None or True: done everywhere (an in-process cache is always done).
    """

    def get(self, key: str) -> CacheEntry | None: ...
    def claim(self, key: str, ttl: float, *, take_over: bool = False) -> Claimed: ...
    def release(self, key: str) -> None: ...
    def set(self, key: str, entry: CacheEntry) -> None: ...
    def evict(self, key: str) -> None: ...
    def evict_session(self, session_id: str) -> bool | None: ...
    def evict_user(self, user_id: str) -> bool | None: ...
    def ended(
        self, key: str, session_id: str, asked_at: float = -math.inf, user_id: str = ""
    ) -> bool: ...


class AsyncSessionCache(Protocol):
    """The same cache used from async code."""

    async def aget(self, key: str) -> CacheEntry | None: ...
    async def aclaim(self, key: str, ttl: float, *, take_over: bool = False) -> Claimed: ...
    async def arelease(self, key: str) -> None: ...
    async def aset(self, key: str, entry: CacheEntry) -> None: ...
    async def aevict(self, key: str) -> None: ...
    async def aevict_session(self, session_id: str) -> bool | None: ...
    async def aevict_user(self, user_id: str) -> bool | None: ...
    async def aended(
        self, key: str, session_id: str, asked_at: float = -math.inf, user_id: str = ""
    ) -> bool: ...
