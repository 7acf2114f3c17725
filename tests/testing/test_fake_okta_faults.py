"""The fake Okta misbehaving on purpose: rate limits, injected faults; and its call log."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator

import httpx
import pytest

from okta_session_mw.testing import FakeOkta
from tests.support.fake_helpers import (
    API,
    DEMO_LOGIN,
    DEMO_PASSWORD,
    EPOCH,
    ME,
    assert_okta_error,
    served,
)


@pytest.fixture
def fake() -> FakeOkta:
    fake = FakeOkta(rate_limit=3, rate_limit_window=60.0, clock=lambda: EPOCH)
    fake.add_user(DEMO_LOGIN, DEMO_PASSWORD)
    return fake


@pytest.fixture
def http(fake: FakeOkta) -> Iterator[httpx.Client]:
    with served(fake) as client:
        yield client


def _figures(response: httpx.Response) -> tuple[int, int, int]:
    return (
        int(response.headers["x-rate-limit-limit"]),
        int(response.headers["x-rate-limit-remaining"]),
        int(response.headers["x-rate-limit-reset"]),
    )


def test_rate_limit_counts_down_then_429(fake: FakeOkta, http: httpx.Client) -> None:
    reset = int(EPOCH) + 60
    figures = [_figures(http.get(ME)) for _ in range(3)]
    assert figures == [(3, 2, reset), (3, 1, reset), (3, 0, reset)]
    limited = http.get(ME)
    body = assert_okta_error(limited, 429, "E0000047")
    assert body["errorSummary"] == "API call exceeded rate limit due to too many requests."
    assert _figures(limited) == (3, 0, reset)
    assert limited.headers["date"] == "Mon, 22 Sep 2025 07:01:28 GMT"  # Reset - Date = 60 s
    fake.advance(60)
    assert _figures(http.get(ME)) == (3, 2, reset + 60)


def test_authn_has_its_own_bucket(http: httpx.Client) -> None:
    for _ in range(3):
        http.get(ME)
    assert http.get(ME).status_code == 429
    response = http.post("/api/v1/authn", json={"username": DEMO_LOGIN, "password": DEMO_PASSWORD})
    assert response.status_code == 200
    assert _figures(response)[1] == 2


def test_429_comes_before_authentication(http: httpx.Client) -> None:
    for _ in range(3):
        http.get(ME)
    assert_okta_error(http.get("/api/v1/sessions/102x", headers={}), 429, "E0000047")


def test_set_rate_limit_restarts_windows(fake: FakeOkta, http: httpx.Client) -> None:
    fake.set_rate_limit(1, window=5)
    assert _figures(http.get(ME)) == (1, 0, int(EPOCH) + 5)
    assert http.get(ME).status_code == 429
    fake.set_rate_limit(0)
    assert http.get(ME).status_code == 429
    with pytest.raises(ValueError, match="rate limit"):
        fake.set_rate_limit(1, window=0)


def test_rate_limit_until(fake: FakeOkta, http: httpx.Client) -> None:
    fake.rate_limit_until(EPOCH + 10.5)
    response = http.get(ME)
    assert_okta_error(response, 429, "E0000047")
    assert _figures(response) == (3, 0, int(EPOCH) + 11)
    fake.advance(10.5)
    assert http.get(ME).status_code == 404
    fake.rate_limit_until(EPOCH + 100)
    fake.rate_limit_until(None)
    assert http.get(ME).status_code == 404


def test_latency(fake: FakeOkta, http: httpx.Client) -> None:
    fake.inject(latency=0.5, times=1)
    started = time.perf_counter()
    assert http.get(ME).status_code == 404
    assert time.perf_counter() - started >= 0.45
    started = time.perf_counter()
    http.get(ME)
    assert time.perf_counter() - started < 0.45  # times=1: only the first was delayed


def test_latency_past_the_client_timeout(fake: FakeOkta) -> None:
    fake.inject(latency=1.0, times=1)
    with served(fake) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get(ME, timeout=0.1)
        assert [call.status for call in fake.calls] == [None]  # recorded, not yet answered


@pytest.mark.parametrize(
    ("status", "code"), [(500, "E0000009"), (503, "E0000010"), (403, "E0000006"), (504, None)]
)
def test_injected_status(fake: FakeOkta, http: httpx.Client, status: int, code: str | None) -> None:
    session_id = fake.create_session(DEMO_LOGIN)
    fake.inject(status=status)
    for _ in range(2):  # times=None: until cleared
        response = http.delete(f"/api/v1/sessions/{session_id}", headers=API)
        body = assert_okta_error(response, status, code or "E0000009")
        assert response.headers["date"]
        assert response.headers["x-rate-limit-reset"]
    assert fake.session(session_id) is not None  # the operation never ran
    fake.clear_faults()
    assert http.delete(f"/api/v1/sessions/{session_id}", headers=API).status_code == 204
    if code is None:
        assert body["errorSummary"] == "Gateway Timeout"


def test_dropped_connection(fake: FakeOkta, http: httpx.Client) -> None:
    fake.inject(drop_connection=True, times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(ME)
    assert http.get(ME).status_code == 404  # a new connection works
    assert [call.status for call in fake.calls] == [None, 404]


def test_garbage_body(fake: FakeOkta, http: httpx.Client) -> None:
    fake.inject(garbage_body=True, times=1)
    response = http.get(ME)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError, match="Expecting value"):
        response.json()
    fake.inject(garbage_body=True, status=502, times=1)
    response = http.get(ME)
    assert response.status_code == 502
    assert response.text.startswith("<!DOCTYPE html>")
    assert http.get(ME).headers["content-type"] == "application/json"


def test_faults_match_a_path_prefix_and_count_down(fake: FakeOkta, http: httpx.Client) -> None:
    fake.set_rate_limit(100)
    fake.inject(status=500, times=2, path_prefix="/api/v1/sessions/me")
    assert http.get("/api/v1/sessions/102x", headers=API).status_code == 404
    assert http.get(ME).status_code == 500
    assert http.post(f"{ME}/lifecycle/refresh").status_code == 500
    assert http.get(ME).status_code == 404


def test_faults_combine(fake: FakeOkta, http: httpx.Client) -> None:
    fake.inject(latency=0.2, times=1)
    fake.inject(status=503, times=1)
    started = time.perf_counter()
    assert http.get(ME).status_code == 503
    assert time.perf_counter() - started >= 0.15


def test_inject_validates(fake: FakeOkta) -> None:
    with pytest.raises(ValueError, match="at least one fault"):
        fake.inject()
    with pytest.raises(ValueError, match="latency"):
        fake.inject(latency=-1.0)
    with pytest.raises(ValueError, match="status"):
        fake.inject(status=200)
    with pytest.raises(ValueError, match="times"):
        fake.inject(status=500, times=0)


def test_calls_are_recorded(fake: FakeOkta, http: httpx.Client) -> None:
    session_id = fake.create_session(DEMO_LOGIN)
    http.get(f"{ME}?expand=user", headers={"Cookie": f"theme=dark; sid={session_id}"})
    http.post("/api/v1/sessions", headers={"Authorization": "SSWS secret-ish"}, json={})
    first, second = fake.calls
    assert (first.method, first.path, first.query, first.status) == ("GET", ME, "expand=user", 200)
    assert first.cookies == {"theme": "dark", "sid": session_id}
    assert first.headers["cookie"] == f"theme=dark; sid={session_id}"
    assert f"http://{first.headers['host']}" == fake.base_url
    assert first.authorization is None
    assert (second.method, second.status, second.authorization) == ("POST", 401, "SSWS secret-ish")
    assert second.body == b"{}"
    assert fake.calls_to("get", ME) == [first]
    assert fake.calls_to("GET", "/api/v1/sessions") == []
    fake.clear_calls()
    assert fake.calls == []


def test_recorded_call_repr_masks_credentials(fake: FakeOkta, http: httpx.Client) -> None:
    session_id = fake.create_session(DEMO_LOGIN)
    http.get(ME, headers={"Cookie": f"sid={session_id}", "Authorization": "SSWS top-secret"})
    http.get(ME, headers={"Authorization": "Bearer also-secret"})
    http.get(ME, headers={"Authorization": "whatever-secret"})
    text = repr(fake.calls)
    for secret in (session_id, "top-secret", "also-secret", "whatever-secret"):
        assert secret not in text
    assert "'SSWS ***'" in text
    assert "'Bearer ***'" in text
    assert "{'sid': '***'}" in text


def test_endpoint_layout_counts_each_method_and_path_template_apart() -> None:
    fake = FakeOkta(rate_limit=2, rate_limit_buckets="endpoint", clock=lambda: EPOCH)
    with served(fake) as http:
        for _ in range(2):
            http.get(ME)
        assert http.get(ME).status_code == 429
        assert http.delete(ME).status_code == 404  # DELETE /me: a bucket of its own
        assert _figures(http.get("/api/v1/sessions/102a"))[1] == 1  # GET /{id}: its own too
        assert _figures(http.get("/api/v1/sessions/102b"))[1] == 0  # one template, one bucket


def test_one_bucket_can_have_its_own_limit_and_block() -> None:
    fake = FakeOkta(rate_limit=5, rate_limit_buckets="endpoint", clock=lambda: EPOCH)
    fake.set_rate_limit(1, bucket="GET /api/v1/sessions/me")
    with served(fake) as http:
        assert _figures(http.get(ME))[:2] == (1, 0)
        assert _figures(http.delete(ME))[:2] == (5, 4)
        fake.rate_limit_until(EPOCH + 10, bucket="DELETE /api/v1/sessions/me")
        assert http.delete(ME).status_code == 429
        assert http.get("/api/v1/sessions/102a").status_code != 429
        fake.rate_limit_until(None, bucket="DELETE /api/v1/sessions/me")
        assert http.delete(ME).status_code == 404
    with pytest.raises(ValueError, match="rate_limit_buckets"):
        FakeOkta(rate_limit_buckets="per-user")


def test_chosen_body_with_its_encoding(fake: FakeOkta, http: httpx.Client) -> None:
    packed = gzip.compress(b'{"nested": [[[]]]}')
    fake.inject(body=packed, content_encoding="gzip", status=502, times=1)
    response = http.get(ME)
    assert response.status_code == 502
    assert response.headers["content-encoding"] == "gzip"
    assert response.json() == {"nested": [[[]]]}  # httpx decoded the gzip the fake sent
    assert http.get(ME).status_code == 404  # once only, then the operation again


def test_trickled_answer_arrives_byte_by_byte(fake: FakeOkta, http: httpx.Client) -> None:
    fake.inject(trickle=0.002, times=1)
    with http.stream("GET", ME) as response:
        parts = list(response.iter_raw())
    assert response.status_code == 404
    assert len(parts) > 10  # a read returns what has come so far: a byte or a few
    assert json.loads(b"".join(parts))["errorCode"] == "E0000007"
    assert http.get(ME).status_code == 404  # the next connection is served whole
