"""Counters of what the middleware did, readable at once and pushed to an optional hook.

``SessionStats.snapshot()`` gives plain numbers; ``on_event`` (if set) is called with
``(name, value)`` for every event so a few lines can feed Prometheus or OpenTelemetry.

Counting takes no lock: every request is counted (``record``), so the count must cost no
more than a dict increment. Each thread counts into a ``dict`` of its own, found through a
``threading.local``; no other thread ever writes it, so an increment cannot race. Readers
(``snapshot``, ``get``) add up the totals of finished threads and every live thread's
counts, copying each with ``dict(counts)``: one C call, so an owner adding a new name
meanwhile cannot break the iteration. Only a thread's first count, and the latency totals
of calls to Okta (never on the hit path), take the lock.

Threads end (a thread-per-request WSGI server starts one per request), so what a thread
counted is folded into the finished totals when it ends and its counts dropped: beside
them, the thread-local holds a ``_ThreadMark`` watched by a weak reference. CPython
releases a thread's thread-local values when the thread finishes (in the dying thread,
after its last line of Python ran; no garbage collection needed), or when the
``threading.local`` itself goes (with this object). The mark dies then, and the weak
reference's callback folds that thread's counts under the lock. The owner can no longer
write them at that point (its last count is done), so nothing is lost and nothing counted
twice; a reader holding the lock sees each thread's counts either live or in the finished
totals, never both or neither, so a total never goes down. The registry holds one entry
per live thread that has counted. (Folding dead threads at the next registration instead
would need a liveness test per entry, and ``threading`` cannot tell that of a thread it
did not start.) The lock is never held where a mark can die: a thread's values are not
released while it runs this module's code.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Callable

from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.errors import OktaSessionError

__all__ = ["EventHook", "SessionStats"]

EventHook = Callable[[str, float], None]
"""``hook(name, value)``: ``value`` is 1 for a count, seconds for ``okta_latency.*``."""


_RESOLVE_NAMES = {source: "resolve." + source.value for source in Source}
_FRESH_COUNTS = dict.fromkeys(_RESOLVE_NAMES.values(), 0)
"""A thread's counts start from a copy: ``record`` then always finds its name (a plain
``dict`` increment; ``Counter``'s costs twice as much). Zeros are left out of readings."""


class _ThreadMark:
    """Lives exactly as long as one thread's thread-local values (what is watched)."""

    __slots__ = ("__weakref__",)


class SessionStats:
    """Cache hits, misses, negative hits, refreshes, stale serves, Okta errors, latency."""

    def __init__(self, on_event: EventHook | None = None) -> None:
        self.on_event = on_event
        self._lock = threading.Lock()
        self._finished: Counter[str] = Counter()  # what threads now ended counted
        self._live: dict[weakref.ref[_ThreadMark], dict[str, int]] = {}
        self._local = threading.local()  # .counts: this thread's dict; .mark: its _ThreadMark
        self._latency_total: dict[str, float] = {}

    def record(self, resolution: Resolution) -> Resolution:
        """Count one request's resolution (by its source) and hand it back.

        On every request: no lock, no call but the hook's (``_count`` is not reused)."""
        name = _RESOLVE_NAMES[resolution.source]
        try:
            counts: dict[str, int] = self._local.counts
        except AttributeError:
            counts = self._start_thread()
        counts[name] += 1
        if self.on_event is not None:
            self.on_event(name, 1)
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
        try:
            counts: dict[str, int] = self._local.counts
        except AttributeError:
            counts = self._start_thread()
        if name in counts:
            counts[name] += 1
        else:
            counts[name] = 1
        if self.on_event is not None:
            self.on_event(name, 1)

    def _start_thread(self) -> dict[str, int]:
        """Give the calling thread its counts, registered until the thread ends."""
        counts = dict(_FRESH_COUNTS)
        mark = _ThreadMark()
        with self._lock:
            self._live[weakref.ref(mark, self._thread_ended)] = counts
        self._local.counts = counts
        self._local.mark = mark
        return counts

    def _thread_ended(self, mark: weakref.ref[_ThreadMark]) -> None:
        """A thread's values were released: its counts join the finished totals."""
        with self._lock:
            counts = self._live.pop(mark, None)
            if counts is not None:
                self._finished.update(counts)

    def _totals(self) -> dict[str, int]:
        """Every thread's counts added up, zeros left out (the caller holds the lock)."""
        totals = self._finished.copy()
        for counts in self._live.values():
            totals.update(dict(counts))  # one C call: safe while its owner adds a name
        return {name: count for name, count in totals.items() if count}

    def snapshot(self) -> dict[str, float]:
        """All counters, plus ``okta_latency_avg.<operation>`` in seconds."""
        with self._lock:
            counts = self._totals()
            latency = dict(self._latency_total)
        data: dict[str, float] = dict(counts)
        for operation, total in latency.items():
            calls = counts.get("okta_call." + operation)
            if calls:
                data["okta_latency_avg." + operation] = total / calls
        return data

    def readings(self) -> tuple[dict[str, int], dict[str, float]]:
        """Every counter, and the total seconds of calls to Okta per operation, read
        together (what an exporter turns into cumulative counters)."""
        with self._lock:
            return self._totals(), dict(self._latency_total)

    def get(self, name: str) -> int:
        """One counter (0 if never counted)."""
        with self._lock:
            return self._finished[name] + sum(c.get(name, 0) for c in self._live.values())
