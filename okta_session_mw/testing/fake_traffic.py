"""The base of ``FakeOkta``: its lock and clock, and what a test steers and reads of the
requests that reach it (the recorded calls, injected faults, rate limits).

Every piece of state sits behind the one lock ``FakeOkta`` shares with this base,
never held across an ``await``. Time is the fake's own: ``clock()`` plus whatever
``advance()`` added.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from okta_session_mw.testing.fake_faults import FaultEffect, FaultPlan
from okta_session_mw.testing.fake_rate_limit import RateLimiter, RateLimitState, bucket_for
from okta_session_mw.testing.fake_records import RecordedCall

__all__ = ["FakeTraffic"]


class FakeTraffic:
    """The clock, the call log, the fault plan and the rate limits of a fake Okta."""

    def __init__(
        self,
        *,
        rate_limit: int,
        rate_limit_window: float,
        rate_limit_buckets: str,
        clock: Callable[[], float],
    ) -> None:
        self.rate_limit_buckets = rate_limit_buckets
        self._clock = clock
        self._offset = 0.0
        self._lock = threading.RLock()
        self._calls: list[RecordedCall] = []
        self._faults = FaultPlan()
        self._rate = RateLimiter(rate_limit, rate_limit_window)
        self._in_flight = 0
        self._most_in_flight = 0

    # -- clock ------------------------------------------------------------------------

    def now(self) -> float:
        """The fake's current time, epoch seconds."""
        with self._lock:
            return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (sessions, tokens and rate windows see it)."""
        with self._lock:
            self._offset += seconds

    def _stamp(self) -> float:
        """Now, to the millisecond: what Okta's dates can carry."""
        return math.floor(self.now() * 1000) / 1000

    # -- calls, faults, rate limits ----------------------------------------------------

    @property
    def calls(self) -> list[RecordedCall]:
        """Every request that reached the fake, oldest first (a copy of the list)."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str, path: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.method == method.upper() and c.path == path]

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()
            self._most_in_flight = self._in_flight

    @property
    def most_in_flight(self) -> int:
        """The most requests the fake was answering at once since it started (or since
        ``clear_calls``): what Okta's limit on concurrent transactions counts."""
        with self._lock:
            return self._most_in_flight

    def _record(self, call: RecordedCall) -> None:
        with self._lock:
            self._calls.append(call)
            self._in_flight += 1
            self._most_in_flight = max(self._most_in_flight, self._in_flight)

    def _finished(self) -> None:
        """A request ``_record`` counted is over (answered, dropped or failed)."""
        with self._lock:
            self._in_flight -= 1

    def _answered(self, call: RecordedCall, status: int) -> None:
        with self._lock:
            call.status = status

    def inject(
        self,
        *,
        latency: float = 0.0,
        status: int | None = None,
        drop_connection: bool = False,
        garbage_body: bool = False,
        body: bytes | None = None,
        content_encoding: str | None = None,
        trickle: float = 0.0,
        times: int | None = None,
        path_prefix: str | None = None,
    ) -> None:
        """Make the next ``times`` requests (``None``: all until ``clear_faults()``) whose
        path starts with ``path_prefix`` (``None``: any) misbehave. Faults add up: a drop
        or a status comes after the latency; ``garbage_body`` answers an HTML page and
        ``body`` these exact bytes, with ``status`` (default 200); a faulted request does
        not reach the operation. ``content_encoding`` labels the body (compress ``body``
        yourself: ``gzip.compress``); ``trickle`` sends any answer's body a byte at a time,
        that many seconds apart, while still running the operation."""
        with self._lock:
            self._faults.add(
                latency=latency,
                status=status,
                drop_connection=drop_connection,
                garbage_body=garbage_body,
                body=body,
                content_encoding=content_encoding,
                trickle=trickle,
                times=times,
                path_prefix=path_prefix,
            )

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_faults(self, path: str) -> FaultEffect:
        with self._lock:
            return self._faults.take(path)

    def set_rate_limit(
        self, limit: int, window: float = 60.0, *, bucket: str | None = None
    ) -> None:
        """Allow ``limit`` requests per ``window`` seconds per bucket (or in ``bucket``
        only, e.g. ``"GET /api/v1/sessions/me"``); those windows restart now."""
        with self._lock:
            self._rate.configure(limit, window, bucket)

    def rate_limit_until(self, reset_epoch: float | None, *, bucket: str | None = None) -> None:
        """Answer 429 (``X-Rate-Limit-Reset: reset_epoch``) until then, in every bucket
        or in ``bucket`` only; ``None`` lifts it."""
        with self._lock:
            self._rate.block_until(reset_epoch, bucket)

    def _take_rate(self, method: str, path: str) -> tuple[bool, RateLimitState]:
        with self._lock:
            bucket = bucket_for(path, method, self.rate_limit_buckets)
            return self._rate.take(bucket, self.now())
