"""OpenTelemetry's SDK wired to in-memory exporters, for the telemetry tests.

``Telemetry`` holds a tracer provider exporting to an ``InMemorySpanExporter`` and a
meter provider read by an ``InMemoryMetricReader``; ``server_span_asgi``/``_wsgi``
wrap an app so each request runs in a SERVER span, as an app's own instrumentation
would; ``starlette_get``/``flask_get`` serve ``/private`` behind the middleware of one colour
(the async client, the sync one) in such a span and GET it with each cookie in turn;
``texts_of`` lists every string a span exports (name, attributes, events,
status), for the secret checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Tracer
from starlette.types import ASGIApp, Receive, Scope, Send

from okta_session_mw import SessionService
from tests.support.apps import make_app
from tests.support.flask_apps import flask_app

__all__ = [
    "Telemetry",
    "flask_get",
    "metric_points",
    "server_span_asgi",
    "server_span_wsgi",
    "starlette_get",
    "texts_of",
]


@dataclass
class Telemetry:
    exporter: InMemorySpanExporter = field(default_factory=InMemorySpanExporter)
    reader: InMemoryMetricReader = field(default_factory=InMemoryMetricReader)

    def __post_init__(self) -> None:
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    @property
    def tracer(self) -> Tracer:
        return self.tracer_provider.get_tracer("tests.app")

    def spans(self) -> tuple[ReadableSpan, ...]:
        return tuple(self.exporter.get_finished_spans())

    def okta_spans(self) -> list[ReadableSpan]:
        return [span for span in self.spans() if span.kind is SpanKind.CLIENT]

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def metric_points(reader: InMemoryMetricReader, name: str) -> list[Any]:
    """Every data point of the metric ``name`` collected now."""
    data = reader.get_metrics_data()
    points: list[Any] = []
    if data is None:
        return points
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    points.extend(metric.data.data_points)
    return points


def server_span_asgi(app: ASGIApp, tracer: Tracer) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        with tracer.start_as_current_span("GET app", kind=SpanKind.SERVER):
            await app(scope, receive, send)

    return wrapped


def server_span_wsgi(app: Callable[..., Iterable[bytes]], tracer: Tracer) -> Any:
    def wrapped(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with tracer.start_as_current_span("GET app", kind=SpanKind.SERVER):
            return list(app(environ, start_response))

    return wrapped


def texts_of(span: ReadableSpan) -> Iterator[str]:
    """Every string the span exports: its name, attribute keys and values, events, links,
    status description."""
    yield span.name
    if span.status.description:
        yield span.status.description
    for key, value in (span.attributes or {}).items():
        yield key
        yield str(value)
    for event in span.events:
        yield event.name
        for key, value in (event.attributes or {}).items():
            yield key
            yield str(value)
    for link in span.links:
        for key, value in (link.attributes or {}).items():
            yield key
            yield str(value)


async def starlette_get(service: SessionService, cookies: list[str], otel: Telemetry) -> list[int]:
    """The statuses of ``GET /private`` with each cookie, from Starlette (async client)."""
    app = server_span_asgi(make_app(service), otel.tracer)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        statuses = [
            (await client.get("/private", headers={"cookie": cookie})).status_code
            for cookie in cookies
        ]
    await service.aclose()
    return statuses


async def flask_get(service: SessionService, cookies: list[str], otel: Telemetry) -> list[int]:
    """The same from Flask (the sync client)."""
    with flask_app(service.config, service) as (app, _):
        app.wsgi_app = server_span_wsgi(app.wsgi_app, otel.tracer)  # type: ignore[method-assign]
        client = app.test_client(use_cookies=False)
        return [client.get("/private", headers={"cookie": c}).status_code for c in cookies]
