"""The tracer and the request-duration histogram every Okta request reports to.

By default they come from OpenTelemetry's global providers (the API's proxies follow a
provider the app sets later); :func:`okta_session_mw.telemetry.instrument` may name
providers of its own instead. Process-wide, like the global providers: every client of
the process sends its requests' telemetry to the same place.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry import metrics, trace
from opentelemetry.metrics import Histogram, Meter, MeterProvider
from opentelemetry.trace import Tracer, TracerProvider

from okta_session_mw._version import __version__

__all__ = ["DURATION_BUCKETS", "NAME", "SCHEMA_URL", "Providers", "current", "use"]

NAME = "okta_session_mw"
"""The instrumentation scope's name (the tracer's and the meter's)."""

SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"
"""The semantic conventions the attribute names follow."""

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
"""The boundaries the conventions advise for ``http.client.request.duration`` (seconds)."""


@dataclass(frozen=True, slots=True)
class Providers:
    """Where spans and metric points go."""

    tracer: Tracer
    meter: Meter
    request_duration: Histogram


def providers(
    tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None
) -> Providers:
    """The tracer and meter of these providers (None: the global one)."""
    tracer = trace.get_tracer(NAME, __version__, tracer_provider, schema_url=SCHEMA_URL)
    meter = metrics.get_meter(NAME, __version__, meter_provider, schema_url=SCHEMA_URL)
    duration = meter.create_histogram(
        "http.client.request.duration",
        unit="s",
        description="Duration of HTTP client requests to Okta.",
        explicit_bucket_boundaries_advisory=list(DURATION_BUCKETS),
    )
    return Providers(tracer, meter, duration)


_current: Providers | None = None


def current() -> Providers:
    """What the requests report to now (the global providers until ``use`` says else)."""
    global _current
    if _current is None:
        _current = providers()
    return _current


def use(chosen: Providers | None) -> None:
    """Report every later request to ``chosen`` (None: the global providers again)."""
    global _current
    _current = chosen
