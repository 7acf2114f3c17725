"""Issue 15.5: OpenTelemetry stays optional, and needs no code from us to be on. Each case
runs in a fresh interpreter (the global providers can be set once per process, and the
point is what gets imported), calling the served fake Okta over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from okta_session_mw.testing import FakeOkta
from tests.support.okta_users import API_TOKEN, LOGIN


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


_UNUSED = """
    import sys
    from okta_session_mw import OktaSessionClient, OktaSessionConfig, SessionService

    url, token, cookie = sys.argv[1:]
    with OktaSessionClient(url) as client:
        client.get_current_session(cookie)
    service = SessionService(OktaSessionConfig(org_url=url, api_token=token))
    assert service.resolve(cookie).session is not None
    service.close()
    print(sorted(name for name in sys.modules if name.startswith("opentelemetry")))
"""


def test_i15_68_opentelemetry_is_never_imported_while_the_app_does_not_use_it(
    okta: FakeOkta,
) -> None:
    assert okta.base_url is not None
    cookie = okta.cookie_header(okta.create_session(LOGIN))
    assert _run(_UNUSED, okta.base_url, API_TOKEN, cookie).strip() == "[]"
    assert len(okta.calls_to("GET", "/api/v1/sessions/me")) == 2


_GLOBAL = """
    import json, sys
    from okta_session_mw import OktaSessionConfig, SessionService  # before the providers
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    url, token, cookie = sys.argv[1:]
    service = SessionService(OktaSessionConfig(org_url=url, api_token=token))
    exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    with trace.get_tracer("app").start_as_current_span("GET /page") as page:
        assert service.resolve(cookie).session is not None
    service.close()
    [call] = [span for span in exporter.get_finished_spans() if span.name != "GET /page"]
    [metric] = [
        metric.name
        for resource in reader.get_metrics_data().resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    ]
    print(json.dumps({
        "name": call.name,
        "kind": call.kind.name,
        "child": call.parent.span_id == page.get_span_context().span_id,
        "scope": call.instrumentation_scope.name,
        "metric": metric,
    }))
"""


def test_i15_69_spans_and_durations_follow_the_global_providers_without_any_call(
    okta: FakeOkta,
) -> None:
    assert okta.base_url is not None
    cookie = okta.cookie_header(okta.create_session(LOGIN))
    assert json.loads(_run(_GLOBAL, okta.base_url, API_TOKEN, cookie)) == {
        "name": "GET /api/v1/sessions/me",
        "kind": "CLIENT",
        "child": True,
        "scope": "okta_session_mw",
        "metric": "http.client.request.duration",
    }
