"""OpenTelemetry for okta-session-mw (the ``opentelemetry`` extra): a span around every
request to Okta, and the counters ``SessionStats`` keeps as metrics.

Spans need no code: once the app has configured OpenTelemetry (a global tracer
provider), every request a client sends to Okta, each retry included, is a CLIENT span,
a child of the span current where the request is made (the app's server span), and a
point of the ``http.client.request.duration`` histogram of the global meter provider.
:func:`instrument` adds the ``SessionStats`` counters, and may name providers instead of
the global ones.

Optional all the way: this package is imported by the clients, but ``opentelemetry`` is
not until some part of the process has imported it; until then an Okta request costs
one dictionary lookup more, and the cache-hit path nothing. See ``request_span.py`` for
the attributes (never a cookie, token, session id, user id or header value) and
``stats_metrics.py`` for the metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from okta_session_mw.engine.stats import SessionStats

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

__all__ = ["HasStats", "Instrumentation", "instrument"]


class HasStats(Protocol):
    """A ``SessionService`` (either colour), or anything else holding its stats."""

    @property
    def stats(self) -> SessionStats: ...


class Instrumentation:
    """What :func:`instrument` set up; ``uninstrument()`` stops it."""

    def __init__(self, explicit_providers: bool, stop: Callable[[], None] | None) -> None:
        self._explicit = explicit_providers
        self._stop = stop

    def uninstrument(self) -> None:
        """Stop reporting the stats, and send the requests' telemetry to the global
        providers again if this call had named others."""
        from okta_session_mw.telemetry import providers

        if self._stop is not None:
            self._stop()
        if self._explicit:
            providers.use(None)


def instrument(
    target: HasStats | SessionStats | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
) -> Instrumentation:
    """Report ``target``'s counters (a ``SessionService``, or its ``SessionStats``) as
    observable counters of ``meter_provider`` (None: the global one); several services
    instrumented on one provider are added up.

    ``tracer_provider``/``meter_provider``, when given, also receive the span and the
    ``http.client.request.duration`` point of every later request to Okta, from any
    client of the process, instead of the global providers.
    """
    from okta_session_mw.telemetry import providers
    from okta_session_mw.telemetry.stats_metrics import observe_stats

    explicit = tracer_provider is not None or meter_provider is not None
    chosen = providers.providers(tracer_provider, meter_provider)
    if explicit:
        providers.use(chosen)
    stop = None
    if target is not None:
        stats = target if isinstance(target, SessionStats) else target.stats
        stop = observe_stats(meter_provider, chosen.meter, stats)
    return Instrumentation(explicit, stop)
