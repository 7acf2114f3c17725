"""The counters ``SessionStats`` keeps, as OpenTelemetry observable counters.

Read when the meter collects (an observable instrument's callback), never pushed per
request: the cache-hit path keeps counting into its own thread's ``dict`` and pays
nothing for the export. Each instrument reports the cumulative totals:

- ``okta_session_mw.session.lookups`` (``{lookup}``), by ``okta_session_mw.lookup.source``:
  ``hit``, ``miss``, ``negative_hit``, ``stale`` (a stale serve), ``unavailable``,
  ``no_cookie``;
- ``okta_session_mw.okta.calls`` (``{call}``), by ``okta_session_mw.operation``
  (refreshes are ``refresh_current_session``);
- ``okta_session_mw.okta.errors`` (``{error}``), by ``error.type`` (the library's error
  class: ``OktaRateLimitError``...);
- ``okta_session_mw.okta.call.time`` (``s``), by operation: the seconds spent in calls
  to Okta, retries and their waits included (divided by the calls: the mean latency).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from okta_session_mw.engine.stats import SessionStats
from okta_session_mw.telemetry.request_span import OPERATION

__all__ = ["LOOKUP_SOURCE", "observe_stats"]

LOOKUP_SOURCE = "okta_session_mw.lookup.source"

_COUNTERS = (
    # name, unit, description, stats prefix, attribute
    ("okta_session_mw.session.lookups", "{lookup}", "Requests resolved, by where the "
     "answer came from.", "resolve.", LOOKUP_SOURCE),
    ("okta_session_mw.okta.calls", "{call}", "Calls to Okta, by operation.", "okta_call.",
     OPERATION),
    ("okta_session_mw.okta.errors", "{error}", "Failed calls to Okta, by error class.",
     "okta_error.", "error.type"),
)  # fmt: skip

Observe = Callable[[CallbackOptions], Iterable[Observation]]


class _Sources:
    """The instruments of one meter provider and the stats they add up: a provider keeps
    the first instrument of a name (a second one's callbacks would never run), so two
    services instrumented on one provider share these."""

    def __init__(self, meter: Meter) -> None:
        self._lock = threading.Lock()
        self._stats: list[SessionStats] = []
        for name, unit, description, prefix, attribute in _COUNTERS:
            meter.create_observable_counter(
                name, [self._counts(prefix, attribute)], unit=unit, description=description
            )
        meter.create_observable_counter(
            "okta_session_mw.okta.call.time",
            [self._call_time],
            unit="s",
            description="Seconds spent in calls to Okta (retries included), by operation.",
        )

    def add(self, stats: SessionStats) -> Callable[[], None]:
        """Report ``stats`` too, until the function returned is called."""
        with self._lock:
            self._stats.append(stats)

        def stop() -> None:
            with self._lock:
                if stats in self._stats:
                    self._stats.remove(stats)

        return stop

    def _readings(self) -> tuple[Counter[str], dict[str, float]]:
        with self._lock:
            sources = list(self._stats)
        counts: Counter[str] = Counter()
        seconds: dict[str, float] = {}
        for stats in sources:
            more_counts, more_seconds = stats.readings()
            counts.update(more_counts)
            for operation, total in more_seconds.items():
                seconds[operation] = seconds.get(operation, 0.0) + total
        return counts, seconds

    def _counts(self, prefix: str, attribute: str) -> Observe:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            counts, _ = self._readings()
            return [
                Observation(count, {attribute: name.removeprefix(prefix)})
                for name, count in counts.items()
                if name.startswith(prefix)
            ]

        return observe

    def _call_time(self, options: CallbackOptions) -> Iterable[Observation]:
        _, seconds = self._readings()
        return [Observation(total, {OPERATION: operation}) for operation, total in seconds.items()]


_sources: dict[object, _Sources] = {}
_sources_lock = threading.Lock()


def observe_stats(provider: object, meter: Meter, stats: SessionStats) -> Callable[[], None]:
    """Report ``stats`` as observable counters of ``meter`` (of ``provider``; None: the
    global one) until the function returned is called."""
    with _sources_lock:
        sources = _sources.get(provider)
        if sources is None:
            sources = _sources[provider] = _Sources(meter)
    return sources.add(stats)
