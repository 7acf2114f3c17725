"""Counters of what the middleware did, readable at once and pushed to an optional hook.

``SessionStats.snapshot()`` gives plain numbers; ``on_event`` (if set) is called with
``(name, value)`` for every event so a few lines can feed Prometheus or OpenTelemetry.
Counting is a dict increment under a lock: cheap enough for the hit path.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.errors import OktaSessionError

__all__ = ["EventHook", "SessionStats"]

EventHook = Callable[[str, float], None]
"""``hook(name, value)``: ``value`` is 1 for a count, seconds for ``okta_latency.*``."""


_RESOLVE_NAMES = {source: "resolve." + source.value for source in Source}


class SessionStats:
    """Cache hits, misses, negative hits, refreshes, stale serves, Okta errors, latency."""

    def __init__(self, on_event: EventHook | None = None) -> None:
        self.on_event = on_event
        self._counts: Counter[str] = Counter()
        self._latency_total: dict[str, float] = {}
        self._lock = threading.Lock()

    def record(self, resolution: Resolution) -> Resolution:
        """Count one request's resolution (by its source) and hand it back."""
        self._count(_RESOLVE_NAMES[resolution.source])
        return resolution

    def okta_call(self, operation: str, seconds: float, error: OktaSessionError | None) -> None:
        """Count one call to Okta, its latency and, if it failed, the error kind."""
        self._count("okta_call." + operation)
        with self._lock:
            self._latency_total[operation] = self._latency_total.get(operation, 0.0) + seconds
        if self.on_event is not None:
            self.on_event("okta_latency." + operation, seconds)
        if error is not None:
            self._count("okta_error." + type(error).__name__)

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1
        if self.on_event is not None:
            self.on_event(name, 1)

    def snapshot(self) -> dict[str, float]:
        """All counters, plus ``okta_latency_avg.<operation>`` in seconds."""
        with self._lock:
            data: dict[str, float] = dict(self._counts)
            for operation, total in self._latency_total.items():
                calls = self._counts["okta_call." + operation]
                if calls:
                    data["okta_latency_avg." + operation] = total / calls
        return data

    def get(self, name: str) -> int:
        with self._lock:
            return self._counts[name]
