"""``RefreshBackoff``: the refreshes that failed lately, so a failing Okta is not asked
again on every request (locked state, per process; the rules are in ``policy.py``)."""

from __future__ import annotations

import threading

from cachetools import LRUCache

__all__ = ["REFRESH_RETRY_PAUSE", "RefreshBackoff"]

REFRESH_RETRY_PAUSE = 30.0
"""After a refresh that Okta did not answer (down, 5xx), wait this long to try again."""


class RefreshBackoff:
    """Per-process memory of refreshes that failed for want of an answer, so a failing
    Okta is not asked to refresh on every request, yet the session is refreshed once
    Okta answers again (before it runs out)."""

    __slots__ = ("_lock", "_until")

    def __init__(self, maxsize: int = 10_000) -> None:
        self._until: LRUCache[str, float] = LRUCache(maxsize)
        self._lock = threading.Lock()

    def allows(self, key: str, now: float) -> bool:
        with self._lock:
            until = self._until.get(key)
        return until is None or now >= until

    def failed(self, key: str, now: float) -> None:
        self.pause(key, now, REFRESH_RETRY_PAUSE)

    def pause(self, key: str, now: float, seconds: float) -> None:
        """Not ``allows`` for ``key`` for ``seconds`` (a revalidation under way holds
        its key so: the requests meanwhile are plain hits)."""
        with self._lock:
            self._until[key] = now + seconds

    def clear(self, key: str) -> None:
        with self._lock:
            self._until.pop(key, None)
