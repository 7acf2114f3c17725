"""Issue 15.5: the counters ``SessionStats`` keeps, and each request's duration, as
OpenTelemetry metrics, read by the SDK's in-memory reader, through the middleware of
both colours over real HTTP to the fake Okta."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from okta_session_mw import SessionService
from okta_session_mw.telemetry import instrument
from okta_session_mw.telemetry.providers import DURATION_BUCKETS
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_config
from tests.support.okta_users import LOGIN
from tests.support.telemetry import Telemetry, flask_get, metric_points, starlette_get

COLOURS = pytest.mark.parametrize("get", [starlette_get, flask_get], ids=["async", "sync"])


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    otel = Telemetry()
    yield otel
    otel.shutdown()


def _by(points: list[Any], attribute: str) -> dict[str, Any]:
    return {point.attributes[attribute]: point.value for point in points}


def _units(otel: Telemetry) -> dict[str, str]:
    data = otel.reader.get_metrics_data()
    assert data is not None
    return {
        metric.name: metric.unit
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }


@COLOURS
async def test_i15_67_session_stats_and_request_durations_are_otel_metrics(
    okta: FakeOkta, telemetry: Telemetry, get: Any
) -> None:
    service = SessionService(make_config(okta), clock=okta.now)
    handle = instrument(
        service, tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    known = okta.cookie_header(okta.create_session(LOGIN))
    other = okta.cookie_header(okta.create_session(LOGIN))
    okta.inject(status=503, times=1, path_prefix="/api/v1/sessions/me")
    # the 503 answers the first lookup; then a miss, a hit (no Okta call)
    statuses = await get(service, [other, known, known], telemetry)
    assert statuses[1:] == [200, 200]
    reader = telemetry.reader
    lookups = _by(
        metric_points(reader, "okta_session_mw.session.lookups"), "okta_session_mw.lookup.source"
    )
    assert lookups == {"unavailable": 1, "miss": 1, "hit": 1}
    calls = metric_points(reader, "okta_session_mw.okta.calls")
    assert _by(calls, "okta_session_mw.operation") == {"get_current_session": 2}
    errors = metric_points(reader, "okta_session_mw.okta.errors")
    assert _by(errors, "error.type") == {"OktaServerError": 1}
    [time] = metric_points(reader, "okta_session_mw.okta.call.time")
    assert time.attributes == {"okta_session_mw.operation": "get_current_session"}
    assert time.value > 0
    assert okta.base_url is not None
    port = httpx.URL(okta.base_url).port
    durations = metric_points(reader, "http.client.request.duration")
    common = {
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": port,
        "url.template": "/api/v1/sessions/me",
        "okta_session_mw.operation": "get_current_session",
    }
    by_status = {p.attributes["http.response.status_code"]: p for p in durations}
    assert dict(by_status[200].attributes) == {**common, "http.response.status_code": 200}
    assert dict(by_status[503].attributes) == {
        **common, "http.response.status_code": 503, "error.type": "503",
    }  # fmt: skip
    assert [p.count for p in durations] == [1, 1]  # the hit sent nothing
    assert tuple(by_status[200].explicit_bounds) == DURATION_BUCKETS
    assert _units(telemetry) == {
        "okta_session_mw.session.lookups": "{lookup}",
        "okta_session_mw.okta.calls": "{call}",
        "okta_session_mw.okta.errors": "{error}",
        "okta_session_mw.okta.call.time": "s",
        "http.client.request.duration": "s",
    }
    handle.uninstrument()
    assert metric_points(reader, "okta_session_mw.session.lookups") == []


def test_i15_70_two_services_instrumented_on_one_provider_are_added_up(
    okta: FakeOkta, telemetry: Telemetry
) -> None:
    services = [SessionService(make_config(okta), clock=okta.now) for _ in range(2)]
    handles = [instrument(service, meter_provider=telemetry.meter_provider) for service in services]
    cookie = okta.cookie_header(okta.create_session(LOGIN))
    try:
        for service in services:
            assert service.resolve(cookie).session is not None
        lookups = metric_points(telemetry.reader, "okta_session_mw.session.lookups")
        assert _by(lookups, "okta_session_mw.lookup.source") == {"miss": 2}
        handles[0].uninstrument()
        assert services[1].resolve(cookie).session is not None  # a hit of the second only
        lookups = metric_points(telemetry.reader, "okta_session_mw.session.lookups")
        assert _by(lookups, "okta_session_mw.lookup.source") == {"miss": 1, "hit": 1}
    finally:
        handles[1].uninstrument()
        for service in services:
            service.close()
