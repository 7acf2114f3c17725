"""The clients when the wire misbehaves, and their lifecycle; real HTTP, sync and async.

Timeouts, dropped connections and foreign bodies must surface as transport errors
(never as an Okta answer); 429s are waited out only within budget; secrets stay out of
reprs, messages and logs; one pool serves every call; a user's httpx client is theirs.
"""

from __future__ import annotations

import copy
import json
import logging
import pickle
import socket
import threading
import time
import traceback
import tracemalloc
from typing import Any

import httpx
import pytest

from okta_session_mw.errors import (
    ConfigError,
    OktaAPIError,
    OktaAuthenticationError,
    OktaBadRequestError,
    OktaConnectionError,
    OktaInvalidResponseError,
    OktaRateLimitError,
    OktaSessionError,
    OktaTimeoutError,
    OktaTransportError,
)
from okta_session_mw.okta.clients import AsyncOktaSessionClient, OktaSessionClient
from okta_session_mw.okta.session import Session
from okta_session_mw.testing import FakeOkta
from tests.support.client_helpers import API_TOKEN, BEARER, DEMO_LOGIN, Connect
from tests.support.fake_helpers import gzip_of_zeros
from tests.support.okta_answers import SESSION

pytest_plugins = ["tests.support.client_fixtures"]  # the fixtures: flavour, fake_org, connect


# -- transport failures --------------------------------------------------------------


async def test_per_call_timeout(connect: Connect, fake_org: FakeOkta) -> None:
    cookie = fake_org.cookie_header(fake_org.create_session(DEMO_LOGIN))
    client = connect(timeout=30)
    fake_org.inject(latency=3.0, times=1)
    started = time.monotonic()
    with pytest.raises(OktaTimeoutError, match="get_current_session") as info:
        await client.get_current_session(cookie, timeout=0.2)
    assert time.monotonic() - started < 1.5
    assert OktaAPIError not in type(info.value).__mro__
    assert isinstance(info.value.__cause__, httpx.TimeoutException)
    assert (await client.get_current_session(cookie)).login == DEMO_LOGIN  # pool still fine


async def test_default_timeout(connect: Connect, fake_org: FakeOkta) -> None:
    client = connect(api_token=API_TOKEN, timeout=0.2)
    fake_org.inject(latency=3.0, times=1)
    started = time.monotonic()
    with pytest.raises(OktaTimeoutError):
        await client.revoke_session("any")
    assert time.monotonic() - started < 1.5


async def test_dropped_connection(connect: Connect, fake_org: FakeOkta) -> None:
    fake_org.inject(drop_connection=True, times=1)
    with pytest.raises(OktaConnectionError, match="get_session") as info:
        await connect(api_token=API_TOKEN).get_session("any")
    assert OktaAPIError not in type(info.value).__mro__


@pytest.mark.parametrize("status", [None, 404, 503])
async def test_garbage_body(connect: Connect, fake_org: FakeOkta, status: int | None) -> None:
    """An HTML page (a proxy's, say) is not Okta's answer, whatever its status."""
    fake_org.inject(garbage_body=True, status=status, times=1)
    with pytest.raises(OktaInvalidResponseError) as info:
        await connect().get_current_session("sid=x")
    assert info.value.status_code == (status or 200)
    assert OktaAPIError not in type(info.value).__mro__


async def test_connection_refused(connect: Connect) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OktaConnectionError, match="get_current_session") as info:
        await connect(f"http://127.0.0.1:{port}", timeout=2).get_current_session("sid=x")
    assert isinstance(info.value, OktaTransportError)


# -- 429 -----------------------------------------------------------------------------


async def test_429_is_waited_out_until_reset(connect: Connect, fake_org: FakeOkta) -> None:
    session_id = fake_org.create_session(DEMO_LOGIN)
    client = connect(api_token=API_TOKEN, max_retries=3, max_retry_wait=10)
    fake_org.rate_limit_until(fake_org.now() + 2)  # time for the first call to arrive blocked
    started = time.monotonic()
    assert (await client.get_session(session_id)).id == session_id
    waited = time.monotonic() - started
    assert 2.0 <= waited < 6.0  # Reset - Date + 1: 3 to 4 s on Okta's whole seconds
    first, retry = fake_org.calls
    assert (first.status, retry.status) == (429, 200)
    assert "x-okta-retry-count" not in first.headers
    assert retry.headers["x-okta-retry-count"] == "1"
    assert retry.headers["x-okta-retry-for"]
    assert retry.authorization == f"SSWS {API_TOKEN}"
    assert client.last_rate_limit.remaining is not None
    assert client.last_rate_limit.remaining > 0


async def test_429_over_budget_is_raised_at_once(connect: Connect, fake_org: FakeOkta) -> None:
    client = connect(api_token=API_TOKEN, max_retries=3, max_retry_wait=2)
    fake_org.rate_limit_until(fake_org.now() + 30)
    started = time.monotonic()
    with pytest.raises(OktaRateLimitError) as info:
        await client.get_session("any")
    assert time.monotonic() - started < 1.0
    assert len(fake_org.calls) == 1
    assert (info.value.reset or 0) >= fake_org.now() + 29


async def test_429_not_retried_by_default(connect: Connect, fake_org: FakeOkta) -> None:
    fake_org.rate_limit_until(fake_org.now() + 30)
    with pytest.raises(OktaRateLimitError):
        await connect().get_current_session("sid=x")
    assert len(fake_org.calls) == 1


# -- secrets -------------------------------------------------------------------------


async def test_tokens_and_cookies_never_leak(
    connect: Connect, fake_org: FakeOkta, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "00-wrong-token-Do-Not-Leak-77aa"
    session_id = fake_org.create_session(DEMO_LOGIN)
    cookie = fake_org.cookie_header(session_id, "idx")
    secrets = [API_TOKEN, BEARER, wrong, cookie.partition("=")[2]]
    client = connect(api_token=API_TOKEN, bearer_token=BEARER, max_retries=1, max_retry_wait=5)
    bad = connect(api_token=wrong)
    errors: list[BaseException] = []

    async def attempt(call: object) -> None:
        try:
            await call  # type: ignore[misc]
        except OktaSessionError as exc:
            errors.append(exc)

    await client.get_current_session(cookie)
    await attempt(bad.get_session(session_id))
    fake_org.inject(latency=2, times=1)
    await attempt(client.get_current_session(cookie, timeout=0.1))
    fake_org.inject(drop_connection=True, times=1)
    await attempt(client.refresh_current_session(cookie))
    fake_org.inject(garbage_body=True, times=1)
    await attempt(client.get_session(session_id))
    fake_org.rate_limit_until(fake_org.now() + 60)
    await attempt(client.close_current_session(cookie))
    await attempt(client.refresh_session(session_id))
    assert [type(e) for e in errors] == [
        OktaAuthenticationError,
        OktaTimeoutError,
        OktaConnectionError,
        OktaInvalidResponseError,
        OktaRateLimitError,
        OktaRateLimitError,
    ]
    assert any(record.name == "okta_session_mw" for record in caplog.records)
    texts = [repr(client.client), repr(bad.client), caplog.text]
    texts += [record.getMessage() for record in caplog.records]
    for error in errors:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    for secret in secrets:
        for text in texts:
            assert secret not in text
    assert repr(client.client) == f"{type(client.client).__name__}(org_url={fake_org.base_url!r})"


# -- pooling and lifecycle -----------------------------------------------------------


async def test_calls_share_one_pooled_connection(connect: Connect, fake_org: FakeOkta) -> None:
    session_id = fake_org.create_session(DEMO_LOGIN)
    client = connect(api_token=API_TOKEN)
    peers: list[object] = []
    client.on_response(
        lambda r: peers.append(r.extensions["network_stream"].get_extra_info("client_addr"))
    )
    for _ in range(3):
        await client.get_session(session_id)
        await client.get_current_session(fake_org.cookie_header(session_id))
    assert len(peers) == 6
    assert len(set(peers)) == 1


async def test_users_http_client_is_used_and_left_open(flavour: str, fake_org: FakeOkta) -> None:
    """Its auth and default headers never reach Okta (no token on /me), and we don't close it."""
    assert fake_org.base_url is not None
    session_id = fake_org.create_session(DEMO_LOGIN)
    cookie = fake_org.cookie_header(session_id)
    settings = {"auth": ("user", "pass"), "headers": {"Authorization": "Basic eA=="}}
    if flavour == "sync":
        with httpx.Client(**settings) as mine:  # type: ignore[arg-type]
            with OktaSessionClient(fake_org.base_url, http_client=mine) as client:
                assert client.http_client is mine
                client.get_current_session(cookie)
            assert not mine.is_closed
            assert mine.get(fake_org.base_url + "/api/v1/sessions/me").status_code == 404
    else:
        async with httpx.AsyncClient(**settings) as amine:  # type: ignore[arg-type]
            async with AsyncOktaSessionClient(fake_org.base_url, http_client=amine) as aclient:
                assert aclient.http_client is amine
                await aclient.get_current_session(cookie)
            assert not amine.is_closed
            assert (await amine.get(fake_org.base_url + "/api/v1/sessions/me")).status_code == 404
    assert fake_org.calls[0].authorization is None


async def test_own_http_client_is_closed_by_the_context_manager(
    flavour: str, fake_org: FakeOkta
) -> None:
    assert fake_org.base_url is not None
    if flavour == "sync":
        with OktaSessionClient(fake_org.base_url) as client:
            assert not client.http_client.is_closed
        assert client.http_client.is_closed
    else:
        async with AsyncOktaSessionClient(fake_org.base_url) as aclient:
            assert not aclient.http_client.is_closed
        assert aclient.http_client.is_closed


async def test_cookies_set_by_okta_are_not_kept(connect: Connect, fake_org: FakeOkta) -> None:
    """One client serves every browser: a cookie from one answer must not be kept."""
    client = connect()
    request = httpx.Request("GET", f"{fake_org.base_url}/api/v1/sessions/me")
    answer = httpx.Response(200, headers={"Set-Cookie": "sid=abc; Path=/"}, request=request)
    client.http_client.cookies.extract_cookies(answer)  # what httpx does with every answer
    assert len(client.http_client.cookies.jar) == 0


def test_wrong_http_client_flavour_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"httpx\.Client"):
        OktaSessionClient("https://example.fake_org.com", http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"httpx\.AsyncClient"):
        AsyncOktaSessionClient("https://example.fake_org.com", http_client=httpx.Client())  # type: ignore[arg-type]


# -- bodies no parser should choke on (issue 10, item 15) ----------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
"""A JSON array nested 100k deep: ``json.loads`` itself raises RecursionError on it."""


@pytest.mark.parametrize("status", [None, 404, 500])
async def test_i10_15_deeply_nested_body_is_an_invalid_response(
    connect: Connect, fake_org: FakeOkta, status: int | None
) -> None:
    fake_org.inject(body=DEEP, status=status, times=1)
    with pytest.raises(OktaInvalidResponseError) as info:
        await connect().get_current_session("sid=x")
    assert info.value.status_code == (status or 200)


async def test_i10_15_deeply_nested_429_is_still_a_rate_limit(
    connect: Connect, fake_org: FakeOkta
) -> None:
    fake_org.inject(body=DEEP, status=429, times=1)
    with pytest.raises(OktaRateLimitError):
        await connect().get_current_session("sid=x")


def _nested(depth: int) -> object:
    value: object = "why"
    for _ in range(depth):
        value = [value]
    return value


async def test_i10_15_deep_error_causes_leave_a_picklable_copyable_error(
    connect: Connect, fake_org: FakeOkta
) -> None:
    """``errorCauses`` 900 deep (json reads it; deepcopy and pickle recurse past the
    limit): the error keeps causes as flat text, so Celery or multiprocessing can ship it."""
    causes = [
        {"errorSummary": _nested(900)},
        {"errorSummary": "the id is malformed", "reason": {"deep": _nested(900)}},
        "not an object",
    ]
    body = {"errorCode": "E0000001", "errorSummary": "Api validation failed", "errorCauses": causes}
    fake_org.inject(body=json.dumps(body).encode(), status=400, times=1)
    with pytest.raises(OktaBadRequestError) as info:
        await connect().get_current_session("sid=x")
    error = info.value
    for cause in error.error_causes:
        assert all(type(k) is str and type(v) is str for k, v in cause.items())
    assert {"errorSummary": "the id is malformed"} in error.error_causes
    copied = copy.deepcopy(error)
    assert copied.error_causes == error.error_causes
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is OktaBadRequestError
    assert (again.status_code, again.error_causes) == (400, error.error_causes)
    assert len(pickle.dumps(error)) < 16_384  # a bounded copy, not Okta's whole body


# -- bounded bodies (issue 10, item 16) -----------------------------------------------


async def test_i10_16_gzip_bomb_is_refused_without_inflating_it(
    connect: Connect, fake_org: FakeOkta
) -> None:
    """1 MB of gzip that inflates to 1 GiB: refused once the default bound (1 MiB, counted
    after decompression) is passed, with memory bounded by it, not by the bomb."""
    bomb = gzip_of_zeros(1 << 30)
    fake_org.inject(body=bomb, content_encoding="gzip", times=1)
    client = connect()
    tracemalloc.start()
    try:
        with pytest.raises(OktaInvalidResponseError, match="max_response_bytes") as info:
            await client.get_current_session("sid=x")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < len(bomb) + (8 << 20)  # the fake's copy of the bomb, plus a few MiB
    assert info.value.status_code == 200
    cookie = fake_org.cookie_header(fake_org.create_session(DEMO_LOGIN))
    assert (await client.get_current_session(cookie)).login == DEMO_LOGIN


async def test_i10_16_plain_body_over_the_setting_is_refused(
    connect: Connect, fake_org: FakeOkta
) -> None:
    cookie = fake_org.cookie_header(fake_org.create_session(DEMO_LOGIN))
    client = connect(max_response_bytes=4096)
    assert (await client.get_current_session(cookie)).login == DEMO_LOGIN  # ~1 KB: fine
    fake_org.inject(body=b'{"padding": "' + b"x" * 5000 + b'"}', status=404, times=1)
    with pytest.raises(OktaInvalidResponseError, match="max_response_bytes"):
        await client.get_current_session(cookie)
    fake_org.inject(body=gzip_of_zeros(5000), content_encoding="gzip", status=500, times=1)
    with pytest.raises(OktaInvalidResponseError, match="max_response_bytes"):
        await client.get_current_session(cookie)


async def test_oversize_429_is_still_a_rate_limit(connect: Connect, fake_org: FakeOkta) -> None:
    """A proxy's 429 page larger than the bound: the body is not read, the status still
    means "slow down", with the figures of its headers."""
    fake_org.inject(body=b"x" * 5000, status=429, times=1)
    with pytest.raises(OktaRateLimitError) as info:
        await connect(max_response_bytes=4096).get_current_session("sid=x")
    assert info.value.rate_limit.limit is not None


def _many_small_arrays(status_body: dict[str, Any]) -> bytes:
    """The attack review's body: ~1 MB of members holding 20 nested empty arrays each."""
    unit = "[" * 20 + "]" * 20
    members = ",".join(f'"d{i}":{unit}' for i in range(20_000))
    return (json.dumps(status_body)[:-1] + "," + members + "}").encode()


async def test_i10_16_a_body_of_many_small_arrays_is_refused_unparsed(
    connect: Connect, fake_org: FakeOkta
) -> None:
    """Within max_response_bytes, but 400k arrays: json.loads would hold the GIL (on a
    worker thread too) for a tenth of a second or more and allocate tens of MiB. It is
    refused before parsing, as Okta failing; a 429 still means "slow down"; a long body
    of plain values is still read."""
    client = connect()
    raw = _many_small_arrays(SESSION)
    assert len(raw) < 1 << 20
    fake_org.inject(body=raw, times=1)
    tracemalloc.start()
    try:
        with pytest.raises(OktaInvalidResponseError, match="2048 JSON objects and arrays"):
            await client.get_current_session("sid=x")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(raw) + (4 << 20)  # copies of the body, never its 400k arrays
    fake_org.inject(body=_many_small_arrays({"errorCode": "E0000007"}), status=404, times=1)
    with pytest.raises(OktaInvalidResponseError):
        await client.get_current_session("sid=x")
    fake_org.inject(body=_many_small_arrays({"errorCode": "E0000047"}), status=429, times=1)
    with pytest.raises(OktaRateLimitError):
        await client.get_current_session("sid=x")
    plain = json.dumps({**SESSION, "padding": ["p" * 1000] * 900}).encode()
    fake_org.inject(body=plain, times=1)
    assert (await client.get_current_session("sid=x")).id == SESSION["id"]


@pytest.mark.parametrize("padding", [0, 100_000])
async def test_i10_16_a_large_body_is_parsed_off_the_event_loop(
    connect: Connect,
    fake_org: FakeOkta,
    flavour: str,
    padding: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The async client reads a body over 64 KiB (JSON and Session) on a worker thread,
    so a large valid answer cannot hold the loop; a small one stays on the loop, as
    everything stays in the caller's thread on the sync client."""
    parsed_in: list[int] = []
    real = Session.from_okta.__func__  # type: ignore[attr-defined]

    def from_okta(cls: type[Session], data: Any) -> Session:
        parsed_in.append(threading.get_ident())
        return real(cls, data)  # type: ignore[no-any-return]

    monkeypatch.setattr(Session, "from_okta", classmethod(from_okta))
    body = {**SESSION, "padding": ["p" * 100] * (padding // 100)}
    raw = json.dumps(body).encode()
    assert (len(raw) > 64 * 1024) == (padding > 0)
    fake_org.inject(body=raw, times=1)
    session = await connect().get_current_session("sid=x")
    assert session.id == SESSION["id"]
    off_loop = flavour == "async" and padding > 0
    assert (parsed_in[0] != threading.get_ident()) == off_loop
    assert len(parsed_in) == 1


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "1024"])
def test_i10_16_max_response_bytes_is_validated(value: object) -> None:
    for kind in (OktaSessionClient, AsyncOktaSessionClient):
        with pytest.raises(ConfigError, match="max_response_bytes"):
            kind("https://example.okta.com", max_response_bytes=value)  # type: ignore[arg-type]
