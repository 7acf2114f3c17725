"""Behaviour 7: when Okta fails, never crash, never hang past ``timeout``; serve a cached
session up to ``stale_if_error`` past its TTL (never past expiresAt); otherwise protected
views answer 503 and public views see no session; after a 429, no call until Reset."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest

from okta_session_mw import SessionService
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.apps import make_app, make_config
from tests.support.fake_helpers import gzip_of_zeros, me_calls
from tests.support.okta_users import API_TOKEN, LOGIN

TIMEOUT = 0.5
MARGIN = 0.75


@dataclass
class Okta:
    """A fake Okta whose server a test can stop and start again on the same port."""

    fake: FakeOkta
    stack: contextlib.ExitStack
    port: int

    def stop(self) -> None:
        self.stack.close()

    def start(self) -> None:
        self.stack = contextlib.ExitStack()
        self.stack.enter_context(serve_fake_okta(self.fake, port=self.port))


@pytest.fixture
def okta_ctl() -> Iterator[Okta]:
    fake = FakeOkta(api_token=API_TOKEN)
    fake.add_user(LOGIN, "pw")
    stack = contextlib.ExitStack()
    url = stack.enter_context(serve_fake_okta(fake))
    ctl = Okta(fake, stack, urlsplit(url).port or 0)
    yield ctl
    ctl.stack.close()


def stop(ctl: Okta) -> None:
    ctl.stop()


def slow(ctl: Okta) -> None:
    ctl.fake.inject(latency=TIMEOUT + 1.5)


def error_500(ctl: Okta) -> None:
    ctl.fake.inject(status=500)


def rate_limited(ctl: Okta) -> None:
    ctl.fake.rate_limit_until(ctl.fake.now() + 30)


def html_body(ctl: Okta) -> None:
    ctl.fake.inject(garbage_body=True)


def dropped(ctl: Okta) -> None:
    ctl.fake.inject(drop_connection=True)


FAILURES: dict[str, Callable[[Okta], None]] = {
    "stopped": stop,
    "slow": slow,
    "500": error_500,
    "429": rate_limited,
    "html": html_body,
    "dropped": dropped,
}


@pytest.fixture
async def svc(okta_ctl: Okta) -> AsyncIterator[SessionService]:
    config = make_config(okta_ctl.fake, timeout=TIMEOUT, cache_ttl=60, stale_if_error=120)
    service = SessionService(config, clock=okta_ctl.fake.now)
    yield service
    await service.aclose()


async def timed_get(client: httpx.AsyncClient, path: str, **headers: str) -> httpx.Response:
    started = time.monotonic()
    response = await client.get(path, headers=headers)
    assert time.monotonic() - started < TIMEOUT + MARGIN, "request waited past the timeout"
    return response


@pytest.mark.parametrize("failure", FAILURES)
async def test_7_uncached_session_gives_503_on_protected_and_none_on_public(
    okta_ctl: Okta, svc: SessionService, failure: str
) -> None:
    cookie = okta_ctl.fake.cookie_header(okta_ctl.fake.create_session(LOGIN))
    FAILURES[failure](okta_ctl)
    transport = httpx.ASGITransport(app=make_app(svc), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        browser = {"cookie": cookie, "accept": "text/html"}
        protected = await timed_get(client, "/private", **browser)
        assert protected.status_code == 503  # not a login redirect: no loop in an outage
        api = await timed_get(client, "/private", cookie=cookie, accept="application/json")
        assert api.status_code == 503
        assert api.json()["error"] == "okta_unavailable"
        public = await timed_get(client, "/", cookie=cookie)
        assert public.status_code == 200
        assert public.json() == {"login": None, "id": None}


@pytest.mark.parametrize("failure", FAILURES)
async def test_7_cached_session_served_within_stale_if_error_only(
    okta_ctl: Okta, svc: SessionService, failure: str
) -> None:
    fake = okta_ctl.fake
    sid = fake.create_session(LOGIN)
    cookie = fake.cookie_header(sid)
    transport = httpx.ASGITransport(app=make_app(svc))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/private", headers={"cookie": cookie})).status_code == 200
        fake.advance(61)  # past cache_ttl (60), inside stale_if_error (120)
        FAILURES[failure](okta_ctl)
        stale = await timed_get(client, "/private", cookie=cookie)
        assert stale.status_code == 200
        assert stale.json()["id"] == sid
        fake.advance(120)  # past cache_ttl + stale_if_error
        if failure == "429":
            rate_limited(okta_ctl)  # the first window has passed: Okta limits again
        gone = await timed_get(client, "/private", cookie=cookie)
        assert gone.status_code == 503
    assert svc.stats.get("resolve.stale") >= 1


async def test_7_after_429_no_okta_call_until_reset_then_service_resumes(
    okta_ctl: Okta, svc: SessionService
) -> None:
    fake = okta_ctl.fake
    cookies = [fake.cookie_header(fake.create_session(LOGIN)) for _ in range(5)]
    fake.rate_limit_until(fake.now() + 30)
    assert (await svc.aresolve(cookies[0])).unavailable
    assert me_calls(fake) == 1  # the call that got the 429
    for cookie in cookies:
        assert (await svc.aresolve(cookie)).unavailable
    fake.advance(29)
    await svc.aresolve(cookies[1])
    assert me_calls(fake) == 1  # still gated, for every cookie
    fake.rate_limit_until(None)
    fake.advance(4)  # past Reset - Date + 1 (Okta's Date has whole seconds)
    resolution = await svc.aresolve(cookies[1])
    assert resolution.session is not None
    assert me_calls(fake) == 2


async def test_7_fake_stopped_then_restarted_service_resumes(
    okta_ctl: Okta, svc: SessionService
) -> None:
    fake = okta_ctl.fake
    cookie = fake.cookie_header(fake.create_session(LOGIN))
    okta_ctl.stop()
    assert (await svc.aresolve(cookie)).unavailable
    okta_ctl.start()
    assert (await svc.aresolve(cookie)).session is not None


async def test_an_okta_failure_is_logged_with_its_cause_and_no_secret(
    okta_ctl: Okta, svc: SessionService, caplog: pytest.LogCaptureFixture
) -> None:
    fake = okta_ctl.fake
    sid = fake.create_session(LOGIN)
    okta_ctl.stop()
    with caplog.at_level(logging.WARNING, "okta_session_mw"):
        assert (await svc.aresolve(fake.cookie_header(sid))).unavailable
    okta_ctl.start()
    assert "Okta session call failed: OktaConnectionError: connection to Okta failed" in caplog.text
    assert "get_current_session" in caplog.text  # which call
    assert sid not in caplog.text


async def test_7_concurrent_requests_during_an_outage_do_not_hang(
    okta_ctl: Okta, svc: SessionService
) -> None:
    fake = okta_ctl.fake
    cookies = [fake.cookie_header(fake.create_session(LOGIN)) for _ in range(10)]
    slow(okta_ctl)
    started = time.monotonic()
    results = await asyncio.gather(*(svc.aresolve(c) for c in cookies for _ in range(10)))
    assert time.monotonic() - started < TIMEOUT + MARGIN
    assert all(r.unavailable for r in results)
    assert me_calls(fake) <= 10  # one per cookie at most (single flight)


async def test_7_a_broken_cache_does_not_reach_the_app(okta_ctl: Okta) -> None:
    class BrokenCache:  # the whole async protocol, every call failing
        async def aget(self, key: str) -> None:
            raise RuntimeError("cache is down")

        aclaim = arelease = aset = aevict = aevict_session = aevict_user = aended = aget

    service = SessionService(make_config(okta_ctl.fake), cache=BrokenCache())
    cookie = okta_ctl.fake.cookie_header(okta_ctl.fake.create_session(LOGIN))
    transport = httpx.ASGITransport(app=make_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/", headers={"cookie": cookie})).status_code == 200
        assert (await client.get("/private", headers={"cookie": cookie})).status_code == 503
    await service.aclose()


def restore(ctl: Okta, failure: str) -> None:
    """Undo a failure the way the world would: the fake comes back, the window passes."""
    if failure == "stopped":
        ctl.start()
    ctl.fake.clear_faults()
    ctl.fake.rate_limit_until(None)
    ctl.fake.advance(33)  # past the 429's Reset - Date + 1


@pytest.mark.parametrize("failure", FAILURES)
async def test_7_normal_service_resumes_by_itself(
    okta_ctl: Okta, svc: SessionService, failure: str
) -> None:
    fake = okta_ctl.fake
    cookie = fake.cookie_header(fake.create_session(LOGIN))
    transport = httpx.ASGITransport(app=make_app(svc))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        FAILURES[failure](okta_ctl)
        assert (await timed_get(client, "/private", cookie=cookie)).status_code == 503
        restore(okta_ctl, failure)
        back = await timed_get(client, "/private", cookie=cookie)
        assert back.status_code == 200  # no restart, no manual reset


async def _stale_served_while(
    okta_ctl: Okta, svc: SessionService, fail: Callable[[], None]
) -> None:
    """A cached session past its TTL is served stale while Okta answers with ``fail``."""
    fake = okta_ctl.fake
    sid = fake.create_session(LOGIN)
    cookie = fake.cookie_header(sid)
    transport = httpx.ASGITransport(app=make_app(svc), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/private", headers={"cookie": cookie})).status_code == 200
        fake.advance(61)  # past cache_ttl (60), inside stale_if_error (120)
        fail()
        stale = await client.get("/private", headers={"cookie": cookie})
        assert stale.status_code == 200
        assert stale.json()["id"] == sid
    assert me_calls(fake) == 2  # Okta was asked, and its answer counted as a failure
    assert svc.stats.get("resolve.stale") == 1


async def test_i10_15_nested_body_keeps_stale_if_error(okta_ctl: Okta, svc: SessionService) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    await _stale_served_while(okta_ctl, svc, lambda: okta_ctl.fake.inject(body=deep, status=500))


async def test_i10_16_gzip_bomb_keeps_stale_if_error(okta_ctl: Okta, svc: SessionService) -> None:
    """Okta answering a 1 GiB gzip bomb is Okta failing: the stale session is served, and
    the bomb costs memory in proportion to max_response_bytes, not to the bomb."""
    bomb = gzip_of_zeros(1 << 30)
    tracemalloc.start()
    try:
        await _stale_served_while(
            okta_ctl, svc, lambda: okta_ctl.fake.inject(body=bomb, content_encoding="gzip")
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < len(bomb) + (8 << 20)


async def test_i10_16_the_service_clients_take_max_response_bytes(okta_ctl: Okta) -> None:
    """A bound below a Session's size (about 1.5 KB) makes every answer too large: both
    drivers' clients were made with the setting."""
    fake = okta_ctl.fake
    cookie = fake.cookie_header(fake.create_session(LOGIN))
    service = SessionService(make_config(fake, max_response_bytes=512), clock=fake.now)
    try:
        assert (await service.aresolve(cookie)).unavailable
        assert (await asyncio.to_thread(service.resolve, cookie)).unavailable
        assert me_calls(fake) == 2
        assert service.stats.get("okta_error.OktaResponseTooLargeError") == 2
    finally:
        await service.aclose()
