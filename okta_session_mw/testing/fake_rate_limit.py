"""Okta-style rate limiting for the fake: fixed windows per bucket, plus a forced block.

Okta counts requests per endpoint bucket in one-minute windows and reports the state in
``X-Rate-Limit-Limit/Remaining/Reset`` (Reset in epoch seconds) on every response
(okta-sessions.md section 4). Which endpoints share a bucket is per org (the Admin
Console's rate-limit dashboard shows it), so the fake has two layouts:

* ``"sessions"`` (the default, as Okta documented it): one bucket for every
  ``/api/v1/sessions*`` call and one for ``/api/v1/authn``;
* ``"endpoint"``: each method and path template its own bucket, named like
  ``"GET /api/v1/sessions/me"`` or ``"DELETE /api/v1/sessions/{id}"``.

Every bucket has the default limit unless given its own. ``FakeOkta`` holds its lock
around every call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["BUCKET_LAYOUTS", "RateLimitState", "RateLimiter", "bucket_for"]

BUCKET_LAYOUTS = ("sessions", "endpoint")
_SESSIONS = "/api/v1/sessions"
_AUTHN = "/api/v1/authn"


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


def _template(path: str) -> str:
    """``/api/v1/sessions/102abc/lifecycle/refresh`` -> ``.../{id}/lifecycle/refresh``."""
    parts = path.split("/")  # "", "api", "v1", "sessions", id, ...
    if len(parts) > 4 and parts[4] != "me":
        parts[4] = "{id}"
    return "/".join(parts)


def bucket_for(path: str, method: str = "GET", layout: str = "sessions") -> str:
    """The bucket a request is counted in, under ``layout`` (see the module docstring)."""
    for prefix in (_AUTHN, _SESSIONS):
        if path == prefix or path.startswith(prefix + "/"):
            return prefix if layout == "sessions" else f"{method.upper()} {_template(path)}"
    return "other"


class RateLimiter:
    """``take(bucket, now)`` counts one request and says whether it may proceed."""

    def __init__(self, limit: int, window: float) -> None:
        self.configure(limit, window)
        self._blocked_until: dict[str | None, float] = {}

    def configure(self, limit: int, window: float, bucket: str | None = None) -> None:
        """New limit and window length for ``bucket`` (None: the default for every
        bucket, and each bucket's own limit is dropped); its windows start afresh."""
        if limit < 0 or window <= 0:
            raise ValueError("rate limit must be >= 0 and its window > 0 seconds")
        if bucket is None:
            self.limit = limit
            self.window = window
            self._own: dict[str, tuple[int, float]] = {}
            self._windows: dict[str, _Window] = {}
        else:
            self._own[bucket] = (limit, window)
            self._windows.pop(bucket, None)

    def block_until(self, reset_epoch: float | None, bucket: str | None = None) -> None:
        """Answer 429 until ``reset_epoch`` (fake clock) to ``bucket`` (None: every
        bucket); ``None`` lifts the block."""
        if reset_epoch is None:
            self._blocked_until.pop(bucket, None)
        else:
            self._blocked_until[bucket] = reset_epoch

    def take(self, bucket: str, now: float) -> tuple[bool, RateLimitState]:
        limit, length = self._own.get(bucket, (self.limit, self.window))
        for blocked in (None, bucket):
            until = self._blocked_until.get(blocked)
            if until is not None and now < until:
                return False, RateLimitState(limit, 0, math.ceil(until))
            if until is not None:
                del self._blocked_until[blocked]
        window = self._windows.get(bucket)
        if window is None or now >= window.ends_at:
            window = self._windows[bucket] = _Window(now + length)
        reset = math.ceil(window.ends_at)
        if window.used >= limit:
            return False, RateLimitState(limit, 0, reset)
        window.used += 1
        return True, RateLimitState(limit, limit - window.used, reset)
