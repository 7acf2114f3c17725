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


def observe_stats(meter: Meter, stats: SessionStats, active: Callable[[], bool]) -> None:
    """Register the observable counters reading ``stats`` (while ``active()``)."""
    for name, unit, description, prefix, attribute in _COUNTERS:
        meter.create_observable_counter(
            name,
            callbacks=[_counts(stats, prefix, attribute, active)],
            unit=unit,
            description=description,
        )
    meter.create_observable_counter(
        "okta_session_mw.okta.call.time",
        callbacks=[_call_time(stats, active)],
        unit="s",
        description="Seconds spent in calls to Okta (retries included), by operation.",
    )


def _counts(
    stats: SessionStats, prefix: str, attribute: str, active: Callable[[], bool]
) -> Callable[[CallbackOptions], Iterable[Observation]]:
    def observe(options: CallbackOptions) -> Iterable[Observation]:
        if not active():
            return []
        counts, _ = stats.readings()
        return [
            Observation(count, {attribute: name.removeprefix(prefix)})
            for name, count in counts.items()
            if name.startswith(prefix)
        ]

    return observe


def _call_time(
    stats: SessionStats, active: Callable[[], bool]
) -> Callable[[CallbackOptions], Iterable[Observation]]:
    def observe(options: CallbackOptions) -> Iterable[Observation]:
        if not active():
            return []
        _, seconds = stats.readings()
        return [Observation(total, {OPERATION: operation}) for operation, total in seconds.items()]

    return observe
