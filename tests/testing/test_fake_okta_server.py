"""The loopback HTTP/1.1 server under the fake, and the pytest plugin's fixture."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from okta_session_mw.testing import (
    DropConnection,
    FakeOkta,
    LoopbackServer,
    serve_asgi,
    serve_fake_okta,
)
from okta_session_mw.testing.asgi_exchange import Receive, Scope, Send
from tests.support.fake_helpers import API, DEMO_LOGIN, DEMO_PASSWORD, ME, okta_client


def _port(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1])


def _raw_exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data`` on one connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_fixture_serves_a_seeded_fake(fake_okta: FakeOkta, request: pytest.FixtureRequest) -> None:
    assert request.config.pluginmanager.hasplugin("okta_session_mw")  # the pytest11 entry point
    assert fake_okta.base_url is not None
    assert fake_okta.base_url.startswith("http://127.0.0.1:")
    with okta_client(fake_okta.base_url) as http:
        response = http.post(
            "/api/v1/authn", json={"username": DEMO_LOGIN, "password": DEMO_PASSWORD}
        )
        token = response.json()["sessionToken"]
        created = http.post("/api/v1/sessions", headers=API, json={"sessionToken": token})
        assert created.status_code == 200


def test_restart_on_the_same_port_keeps_state() -> None:
    fake = FakeOkta()
    fake.add_user(DEMO_LOGIN, DEMO_PASSWORD)
    session_id = fake.create_session(DEMO_LOGIN)
    cookie = {"Cookie": f"sid={session_id}"}
    with serve_fake_okta(fake) as base_url:
        assert fake.base_url == base_url
        with okta_client(base_url) as http:
            assert http.get(ME, headers=cookie).status_code == 200
            port = _port(base_url)
    assert fake.base_url is None
    with okta_client(base_url) as http:
        with pytest.raises(httpx.ConnectError):
            http.get(ME, headers=cookie)
        with serve_fake_okta(fake, port=port) as again:
            assert again == base_url
            assert http.get(ME, headers=cookie).status_code == 200


def test_a_busy_port_fails_to_start() -> None:
    with serve_fake_okta(FakeOkta()) as base_url:
        server = LoopbackServer(FakeOkta(), port=_port(base_url))
        with pytest.raises(OSError, match=r"in use|address"):
            server.start()
        server.stop()  # harmless when not running


async def test_many_concurrent_connections() -> None:
    fake = FakeOkta()
    fake.inject(latency=0.3)
    with serve_fake_okta(fake) as base_url:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=base_url, trust_env=False, limits=limits) as http:
            started = time.perf_counter()
            responses = await asyncio.gather(*(http.get(ME) for _ in range(150)))
            elapsed = time.perf_counter() - started
    assert [r.status_code for r in responses] == [404] * 150
    assert elapsed < 5.0  # in parallel: 150 x 0.3 s would be 45 s one by one
    assert len(fake.calls) == 150


def test_keep_alive_and_pipelining() -> None:
    request = b"GET /api/v1/sessions/me HTTP/1.1\r\nHost: okta.test\r\n\r\n"
    closing = b"GET /api/v1/sessions/me HTTP/1.1\r\nHost: okta.test\r\nConnection: close\r\n\r\n"
    with serve_fake_okta(FakeOkta()) as base_url:
        answer = _raw_exchange(_port(base_url), request * 2 + closing)
    assert answer.count(b"HTTP/1.1 404 Not Found\r\n") == 3
    assert answer.count(b"connection: close") == 1
    assert answer.count(b"http://okta.test") == 0  # error bodies carry no links
    assert b'"errorCode":"E0000007"' in answer


def test_http_1_0_closes_after_one_response() -> None:
    with serve_fake_okta(FakeOkta()) as base_url:
        answer = _raw_exchange(_port(base_url), b"GET /api/v1/sessions/me HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404 ")
    assert b"connection: close" in answer


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"GET /x HTTP/2.0\r\n\r\n", b"505"),
        (b"GET /x HTTP/1.1\r\nbad header\r\n\r\n", b"400"),
        (b"POST /x HTTP/1.1\r\nContent-Length: nope\r\n\r\n", b"400"),
        (b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"411"),
        (b"GET /x HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", b"431"),
    ],
)
def test_malformed_requests(data: bytes, status: bytes) -> None:
    fake = FakeOkta()
    with serve_fake_okta(fake) as base_url:
        answer = _raw_exchange(_port(base_url), data)
    assert answer.startswith(b"HTTP/1.1 " + status + b" ")
    assert fake.calls == []


def test_stop_closes_idle_connections_fast() -> None:
    with serve_fake_okta(FakeOkta()) as base_url:
        sock = socket.create_connection(("127.0.0.1", _port(base_url)), timeout=5)
        sock.sendall(b"GET /api/v1/sessions/me HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while not answer.endswith(b"}"):  # the whole response, whatever the segments
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 404")
        started = time.perf_counter()
    assert time.perf_counter() - started < 1.0  # no grace period for idle connections
    with sock:
        assert sock.recv(65536) == b""  # the server closed the kept-alive connection


def test_stop_cuts_a_slow_request_after_the_grace_period() -> None:
    fake = FakeOkta()
    fake.inject(latency=10.0)
    errors: list[BaseException] = []

    def slow_call(base_url: str) -> None:
        with okta_client(base_url) as http:
            try:
                http.get(ME)
            except httpx.HTTPError as exc:
                errors.append(exc)

    with serve_fake_okta(fake) as base_url:
        caller = threading.Thread(target=slow_call, args=(base_url,))
        caller.start()
        while not fake.calls:
            time.sleep(0.01)
        started = time.perf_counter()
    stopped_in = time.perf_counter() - started
    caller.join(5)
    assert stopped_in < 2.0  # grace is 0.25 s; the request wanted 10 s
    assert [type(e) for e in errors] == [httpx.RemoteProtocolError]


def _starlette_app() -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "body": (await request.body()).decode(),
                "query": dict(request.query_params),
                "path": request.url.path,
            }
        )

    return Starlette(routes=[Route("/echo/{rest:path}", echo, methods=["POST"])])


def test_serves_any_asgi_app() -> None:
    with serve_asgi(_starlette_app()) as base_url, okta_client(base_url) as http:
        response = http.post("/echo/a%20b", params={"q": "1"}, content=b"x" * 100_000)
    assert response.status_code == 200
    assert response.json() == {"body": "x" * 100_000, "query": {"q": "1"}, "path": "/echo/a b"}


async def _failing_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["path"] == "/drop":
        raise DropConnection
    if scope["path"] == "/silent":
        return
    raise RuntimeError("boom")


@pytest.mark.parametrize("path", ["/boom", "/silent"])
def test_an_app_that_fails_gets_a_500(path: str, caplog: pytest.LogCaptureFixture) -> None:
    with serve_asgi(_failing_app) as base_url, okta_client(base_url) as http:
        response = http.get(path)
        assert response.status_code == 500
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/drop")
    assert ("boom" in caplog.text) == (path == "/boom")


async def test_fake_speaks_asgi_lifespan() -> None:
    fake = FakeOkta()
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[object] = []

    async def receive() -> dict[str, str]:
        return inbox.pop(0)

    async def send(message: object) -> None:
        sent.append(message)

    await fake({"type": "lifespan"}, receive, send)
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]


def test_state_is_shared_safely_with_the_server_thread() -> None:
    fake = FakeOkta()
    fake.add_user(DEMO_LOGIN, DEMO_PASSWORD)
    with serve_fake_okta(fake) as base_url:

        def worker(ids: list[str]) -> None:
            with okta_client(base_url) as http:
                for _ in range(20):
                    token = fake.issue_session_token(DEMO_LOGIN)
                    body = {"sessionToken": token}
                    ids.append(http.post("/api/v1/sessions", headers=API, json=body).json()["id"])
                    fake.revoke(fake.create_session(DEMO_LOGIN))

        results: list[list[str]] = [[] for _ in range(8)]
        threads = [threading.Thread(target=worker, args=(ids,)) for ids in results]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    created = {session_id for ids in results for session_id in ids}
    assert len(created) == 160
    assert {s.id for s in fake.sessions} == created
    assert len(fake.calls) == 160
