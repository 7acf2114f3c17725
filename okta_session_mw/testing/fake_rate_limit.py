"""Okta-style rate limiting for the fake: fixed windows per bucket, plus a forced block.

Okta counts requests per endpoint bucket in one-minute windows and reports the state in
``X-Rate-Limit-Limit/Remaining/Reset`` (Reset in epoch seconds) on every response
(okta-sessions.md section 4). The fake keeps one bucket for ``/api/v1/authn`` and one for
``/api/v1/sessions*``, both with the configured limit. ``FakeOkta`` holds its lock around
every call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["RateLimitState", "RateLimiter", "bucket_for"]


@dataclass(frozen=True, slots=True)
class RateLimitState:
    """The three figures sent in the ``X-Rate-Limit-*`` headers."""

    limit: int
    remaining: int
    reset: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-rate-limit-limit", str(self.limit).encode()),
            (b"x-rate-limit-remaining", str(self.remaining).encode()),
            (b"x-rate-limit-reset", str(self.reset).encode()),
        ]


@dataclass(slots=True)
class _Window:
    ends_at: float
    used: int = 0


def bucket_for(path: str) -> str:
    for bucket in ("/api/v1/authn", "/api/v1/sessions"):
        if path == bucket or path.startswith(bucket + "/"):
            return bucket
    return "other"


class RateLimiter:
    """``take(bucket, now)`` counts one request and says whether it may proceed."""

    def __init__(self, limit: int, window: float) -> None:
        self.configure(limit, window)
        self._blocked_until: float | None = None

    def configure(self, limit: int, window: float) -> None:
        """New limit and window length; every window starts afresh."""
        if limit < 0 or window <= 0:
            raise ValueError("rate limit must be >= 0 and its window > 0 seconds")
        self.limit = limit
        self.window = window
        self._windows: dict[str, _Window] = {}

    def block_until(self, reset_epoch: float | None) -> None:
        """Answer 429 to everything until ``reset_epoch`` (fake clock); ``None`` lifts it."""
        self._blocked_until = reset_epoch

    def take(self, bucket: str, now: float) -> tuple[bool, RateLimitState]:
        if self._blocked_until is not None:
            if now < self._blocked_until:
                return False, RateLimitState(self.limit, 0, math.ceil(self._blocked_until))
            self._blocked_until = None
        window = self._windows.get(bucket)
        if window is None or now >= window.ends_at:
            window = self._windows[bucket] = _Window(now + self.window)
        reset = math.ceil(window.ends_at)
        if window.used >= self.limit:
            return False, RateLimitState(self.limit, 0, reset)
        window.used += 1
        return True, RateLimitState(self.limit, self.limit - window.used, reset)
