"""Issue 15.5: a CLIENT span around every request to Okta, through the middleware and the
clients, over real HTTP to the fake Okta, in both colours (Starlette with the async
client, Flask with the sync one), exported by the SDK's in-memory exporter."""

from __future__ import annotations

import inspect
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from okta_session_mw import (
    AsyncOktaSessionClient,
    OktaRateLimitError,
    OktaSessionClient,
    SessionService,
)
from okta_session_mw.telemetry import instrument
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_config
from tests.support.okta_users import API_TOKEN, LOGIN, PASSWORD
from tests.support.telemetry import Telemetry, flask_get, starlette_get, texts_of


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    otel = Telemetry()
    handle = instrument(tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider)
    yield otel
    handle.uninstrument()
    otel.shutdown()


COLOURS = pytest.mark.parametrize("get", [starlette_get, flask_get], ids=["async", "sync"])


def _the_okta_span(otel: Telemetry) -> tuple[ReadableSpan, ReadableSpan]:
    """The request's server span and the one Okta span under it."""
    [server] = [span for span in otel.spans() if span.kind is SpanKind.SERVER]
    [call] = otel.okta_spans()
    assert call.parent is not None
    assert call.parent.span_id == server.context.span_id
    assert call.context.trace_id == server.context.trace_id
    return server, call


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@COLOURS
async def test_i15_61_a_lookup_is_a_client_span_under_the_apps_server_span(
    okta: FakeOkta, telemetry: Telemetry, get: Any
) -> None:
    session_id = okta.create_session(LOGIN)
    service = SessionService(make_config(okta), clock=okta.now)
    assert await get(service, [okta.cookie_header(session_id)], telemetry) == [200]
    _, call = _the_okta_span(telemetry)
    assert okta.base_url is not None
    port = httpx.URL(okta.base_url).port
    assert call.name == "GET /api/v1/sessions/me"
    assert dict(call.attributes or {}) == {
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": port,
        "url.template": "/api/v1/sessions/me",
        "okta_session_mw.operation": "get_current_session",
        "http.response.status_code": 200,
        "okta_session_mw.rate_limit.limit": 600,
        "okta_session_mw.rate_limit.remaining": 599,
        "okta_session_mw.rate_limit.reset": pytest.approx(okta.now() + 60, abs=2),
    }
    assert call.status.status_code is StatusCode.UNSET
    assert call.events == ()


@COLOURS
async def test_i15_62_a_429_is_an_error_span_with_okta_rate_limit_figures(
    okta: FakeOkta, telemetry: Telemetry, get: Any
) -> None:
    session_id = okta.create_session(LOGIN)
    reset = int(okta.now()) + 30
    okta.rate_limit_until(reset)
    service = SessionService(make_config(okta), clock=okta.now)
    await get(service, [okta.cookie_header(session_id)], telemetry)
    _, call = _the_okta_span(telemetry)
    attributes = call.attributes or {}
    assert attributes["http.response.status_code"] == 429
    assert attributes["error.type"] == "429"
    assert attributes["okta_session_mw.rate_limit.reset"] == reset
    assert isinstance(attributes["okta_session_mw.rate_limit.remaining"], int)
    assert call.status.status_code is StatusCode.ERROR
    assert not call.status.description


@COLOURS
async def test_i15_63_a_5xx_is_an_error_span_typed_by_its_status(
    okta: FakeOkta, telemetry: Telemetry, get: Any
) -> None:
    session_id = okta.create_session(LOGIN)
    okta.inject(status=503, times=1)
    service = SessionService(make_config(okta), clock=okta.now)
    await get(service, [okta.cookie_header(session_id)], telemetry)
    _, call = _the_okta_span(telemetry)
    attributes = call.attributes or {}
    assert (attributes["http.response.status_code"], attributes["error.type"]) == (503, "503")
    assert call.status.status_code is StatusCode.ERROR


@COLOURS
async def test_i15_64_a_refused_connection_is_an_error_span_named_by_the_exception_class(
    okta: FakeOkta, telemetry: Telemetry, get: Any
) -> None:
    port = _closed_port()
    service = SessionService(make_config(okta, org_url=f"http://127.0.0.1:{port}"))
    await get(service, ["sid=102abcdefghijklmnopqrstuvw"], telemetry)
    _, call = _the_okta_span(telemetry)
    attributes = call.attributes or {}
    assert attributes["error.type"] == "ConnectError"
    assert attributes["server.port"] == port
    assert "http.response.status_code" not in attributes
    assert call.status.status_code is StatusCode.ERROR
    assert not call.status.description
    assert call.events == ()  # no exception event: its message could quote what was sent


async def test_i15_65_each_retry_of_a_429_is_a_span_of_its_own_with_its_resend_count(
    okta: FakeOkta, telemetry: Telemetry
) -> None:
    session_id = okta.create_session(LOGIN)
    # Two seconds for the first call to arrive blocked, even on a loaded machine (int(now) + 1
    # could be over before it was sent); the retry waits Reset - Date + 1 s: 4 s at most.
    okta.rate_limit_until(okta.now() + 2)
    assert okta.base_url is not None
    async with AsyncOktaSessionClient(okta.base_url, max_retries=1, max_retry_wait=5) as client:
        with telemetry.tracer.start_as_current_span("job"):
            await client.get_current_session(okta.cookie_header(session_id))
    first, retry = telemetry.okta_spans()
    assert (first.attributes or {})["http.response.status_code"] == 429
    assert "http.request.resend_count" not in (first.attributes or {})
    assert (retry.attributes or {})["http.response.status_code"] == 200
    assert (retry.attributes or {})["http.request.resend_count"] == 1
    assert first.parent == retry.parent


@pytest.mark.parametrize("colour", [OktaSessionClient, AsyncOktaSessionClient])
async def test_i15_66_no_cookie_token_id_or_password_in_any_span_or_metric_point(
    okta: FakeOkta, telemetry: Telemetry, colour: Any
) -> None:
    user = okta.users[0]
    session_id = okta.create_session(LOGIN)
    other_id = okta.create_session(LOGIN)
    idx_cookie = okta.cookie_header(other_id, "idx")
    assert okta.base_url is not None
    client = colour(okta.base_url, api_token=API_TOKEN)

    async def call(operation: str, *arguments: str) -> Any:
        result = getattr(client, operation)(*arguments)
        return await result if inspect.isawaitable(result) else result

    token = await call("authenticate", LOGIN, PASSWORD)
    created = await call("create_session", token)
    await call("get_current_session", okta.cookie_header(session_id))
    await call("get_current_session", idx_cookie)
    await call("refresh_current_session", okta.cookie_header(session_id))
    await call("get_session", other_id)
    await call("refresh_session", other_id)
    await call("revoke_session", created.id)
    okta.rate_limit_until(int(okta.now()) + 30)
    with pytest.raises(OktaRateLimitError):  # an error answer is checked too
        await call("get_current_session", okta.cookie_header(other_id))
    okta.rate_limit_until(None)
    await call("close_current_session", okta.cookie_header(session_id))
    await call("revoke_user_sessions", user.id)
    await call("aclose" if colour is AsyncOktaSessionClient else "close")
    spans = telemetry.okta_spans()
    assert [span.name for span in spans] == [
        "POST /api/v1/authn",
        "POST /api/v1/sessions",
        "GET /api/v1/sessions/me",
        "GET /api/v1/sessions/me",
        "POST /api/v1/sessions/me/lifecycle/refresh",
        "GET /api/v1/sessions/{id}",
        "POST /api/v1/sessions/{id}/lifecycle/refresh",
        "DELETE /api/v1/sessions/{id}",
        "GET /api/v1/sessions/me",
        "DELETE /api/v1/sessions/me",
        "DELETE /api/v1/users/{id}/sessions",
    ]
    secrets = {
        session_id, other_id, created.id, idx_cookie.partition("=")[2], token, API_TOKEN,
        PASSWORD, LOGIN, user.id, "SSWS",
    }  # fmt: skip
    texts = [text for span in spans for text in texts_of(span)]
    data = telemetry.reader.get_metrics_data()
    assert data is not None
    texts.append(data.to_json())  # every metric point's attributes
    leaks = {secret for secret in secrets for text in texts if secret in text}
    assert not leaks
    assert not any("url.full" in text or "header" in text for text in texts)
