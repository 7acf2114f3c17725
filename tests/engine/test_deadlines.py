"""One request waits for Okta at most ``timeout`` in all, on both drivers, even when an
answer trickles in a byte at a time; refreshes survive their request and back off."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from okta_session_mw import OktaSessionConfig, SessionService
from okta_session_mw.okta.clients import OktaSessionClient
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.apps import make_config
from tests.support.okta_users import API_TOKEN, LOGIN

TIMEOUT = 0.6


@pytest.fixture
def trickling_okta() -> Iterator[str]:
    """A server that answers every request one byte every 0.1 s, for ever."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            head += b"Content-Length: 99\r\n\r\n"
            try:
                for byte in head + b"{" * 99:
                    if stop.is_set():
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(0.1)
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()


def test_sync_lookup_is_bounded_by_the_timeout_as_a_whole(trickling_okta: str) -> None:
    service = SessionService(OktaSessionConfig(org_url=trickling_okta, timeout=TIMEOUT))
    started = time.monotonic()
    resolution = service.resolve("sid=abc")
    assert time.monotonic() - started < TIMEOUT + 0.5
    assert resolution.unavailable
    service.close()


async def test_async_lookup_is_bounded_by_the_timeout_as_a_whole(trickling_okta: str) -> None:
    service = SessionService(OktaSessionConfig(org_url=trickling_okta, timeout=TIMEOUT))
    started = time.monotonic()
    resolution = await service.aresolve("sid=abc")
    assert time.monotonic() - started < TIMEOUT + 0.5
    assert resolution.unavailable
    await service.aclose()


def refresh_calls(fake: FakeOkta) -> int:
    return len(fake.calls_to("POST", "/api/v1/sessions/me/lifecycle/refresh"))


async def test_a_failed_refresh_backs_off_then_is_tried_again() -> None:
    fake = FakeOkta(api_token=API_TOKEN, idle_timeout=600)
    fake.add_user(LOGIN, "pw")
    with serve_fake_okta(fake):
        service = SessionService(  # the request's own refresh: refresh-ahead off
            make_config(fake, cache_ttl=600, refresh_threshold=300, refresh_ahead=0),
            clock=fake.now,
        )
        cookie = fake.cookie_header(fake.create_session(LOGIN))
        await service.aresolve(cookie)
        fake.advance(400)  # due; the entry is still fresh
        fake.inject(status=500, path_prefix="/api/v1/sessions/me/lifecycle")
        for _ in range(5):
            assert (await service.aresolve(cookie)).session is not None  # still valid
        assert refresh_calls(fake) == 1  # not asked again on every request
        fake.clear_faults()
        fake.advance(31)  # past the back-off
        await service.aresolve(cookie)
        assert refresh_calls(fake) == 2
        entry = service.cache.get(service.key_for(service.okta_cookies(cookie)))  # type: ignore[arg-type]
        assert entry is not None
        assert entry.session is not None
        assert entry.session.expires_at.timestamp() > fake.now() + 500  # refreshed
        await service.aclose()


async def test_a_refresh_outlives_the_request_that_started_it() -> None:
    fake = FakeOkta(api_token=API_TOKEN, idle_timeout=600)
    fake.add_user(LOGIN, "pw")
    with serve_fake_okta(fake):
        service = SessionService(
            # the request's own refresh: refresh-ahead off (on, it runs in the background)
            make_config(fake, cache_ttl=600, refresh_threshold=300, timeout=2.0, refresh_ahead=0),
            clock=fake.now,
        )
        cookie = fake.cookie_header(fake.create_session(LOGIN))
        await service.aresolve(cookie)
        fake.advance(400)
        fake.inject(latency=0.3, path_prefix="/api/v1/sessions/me/lifecycle")
        request = asyncio.ensure_future(service.aresolve(cookie))
        await asyncio.sleep(0.1)
        request.cancel()  # the browser went away mid-refresh
        with pytest.raises(asyncio.CancelledError):
            await request
        await asyncio.sleep(0.6)
        entry = service.cache.get(service.key_for(service.okta_cookies(cookie)))  # type: ignore[arg-type]
        assert entry is not None
        assert entry.session is not None
        assert entry.session.expires_at.timestamp() > fake.now() + 500  # it completed
        assert refresh_calls(fake) == 1
        await service.aclose()


def test_i10_17_abandoned_sync_calls_give_their_connections_back() -> None:
    """Sync lookups of a trickling Okta (a byte every 0.1 s: each answer would take minutes)
    are abandoned at the timeout; the connections they held go back at once, so with a pool
    of two, the first lookup after Okta is healthy again succeeds."""
    fake = FakeOkta(api_token=API_TOKEN)
    fake.add_user(LOGIN, "pw")
    with serve_fake_okta(fake) as url:
        pool = httpx.Client(limits=httpx.Limits(max_connections=2))
        client = OktaSessionClient(url, timeout=TIMEOUT, http_client=pool)
        service = SessionService(make_config(fake, timeout=TIMEOUT), client=client)
        cookies = [fake.cookie_header(fake.create_session(LOGIN)) for _ in range(4)]
        fake.inject(trickle=0.1)
        for cookie in cookies[:3]:  # more lookups than the pool has connections
            assert service.resolve(cookie).unavailable
        fake.clear_faults()
        try:
            resolution = service.resolve(cookies[3])
            assert resolution.session is not None
            assert resolution.session.login == LOGIN
        finally:
            service.close()
            pool.close()


def test_i10_17_a_call_abandoned_while_the_head_trickles_ends_at_once(
    trickling_okta: str,
) -> None:
    """Here even the status line comes a byte at a time (some 17 s in all): the new
    connection is shut as the request gives up, so the call's thread ends then, not
    when the trickle does."""
    service = SessionService(OktaSessionConfig(org_url=trickling_okta, timeout=TIMEOUT))
    assert service.resolve("sid=abc").unavailable
    give_up = time.monotonic() + 5.0  # generous: the trickle alone takes three times that
    while _call_threads() and time.monotonic() < give_up:
        time.sleep(0.05)
    assert not _call_threads()
    service.close()


def _call_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "okta-session-mw-call"]
