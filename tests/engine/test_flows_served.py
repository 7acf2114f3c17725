"""Flow decisions through the service, against the fake Okta over real HTTP.

Behaviour 13 ("ended means ended"), with each driver: the async one (an ASGI app) and
the sync one (threads). A lookup is held in flight by the fake's injected latency; the
session ends through the library meanwhile; what the held lookup, and a request that
starts after the end, get. Then refreshes (behaviour 5) that Okta's answers could
otherwise turn into a call per request, or into serving an expired session.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from okta_session_mw import Resolution, SessionService
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.apps import make_app, make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import API_TOKEN, LOGIN, PASSWORD

ME = "/api/v1/sessions/me"
REFRESH = "/api/v1/sessions/me/lifecycle/refresh"
HOLD = 2.5  # the fake holds the lookup begun before the end (ample time to log out)


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10  # a bound on "never happens", not a timing
    while not condition():
        assert time.monotonic() < deadline, "the lookup never reached the fake"
        time.sleep(0.005)


async def await_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the lookup never reached the fake"
        await asyncio.sleep(0.005)


@asynccontextmanager
async def app_on(
    fake: FakeOkta, clock: Callable[[], float], **settings: object
) -> AsyncIterator[tuple[SessionService, httpx.AsyncClient]]:
    """A service on ``clock`` and a client of ``make_app(service)``; closed however the
    test ends."""
    service = SessionService(make_config(fake, **settings), clock=clock)
    try:
        transport = httpx.ASGITransport(app=make_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield service, c
    finally:
        await service.aclose()


@pytest.fixture
async def served(okta: FakeOkta) -> AsyncIterator[tuple[SessionService, httpx.AsyncClient]]:
    async with app_on(okta, okta.now, timeout=5.0) as pair:
        yield pair


@pytest.fixture
def sync_service(okta: FakeOkta) -> Iterator[SessionService]:
    service = SessionService(make_config(okta, timeout=5.0), clock=okta.now)
    yield service
    service.close()


async def cached_then_stale(okta: FakeOkta, client: httpx.AsyncClient) -> tuple[str, str]:
    """A signed-in user seen once (cached), then past the cache TTL (stale)."""
    sid = okta.create_session(LOGIN)
    cookie = okta.cookie_header(sid)
    assert (await client.get("/", headers={"cookie": cookie})).json()["id"] == sid
    okta.advance(61)  # cache_ttl is 60 s: the next request asks Okta again
    return sid, cookie


async def test_i10_09_async_request_after_logout_does_not_join_the_old_lookup(
    okta: FakeOkta, served: tuple[SessionService, httpx.AsyncClient]
) -> None:
    service, client = served
    _, cookie = await cached_then_stale(okta, client)
    okta.inject(latency=HOLD, status=503, times=1, path_prefix=ME)
    calls = me_calls(okta)
    before = asyncio.create_task(client.get("/", headers={"cookie": cookie}))
    await await_until(lambda: me_calls(okta) > calls)  # its lookup is at Okta now
    assert await service.alogout(cookie) is True
    after = await client.get("/", headers={"cookie": cookie})  # joins that lookup
    assert me_calls(okta) == calls + 1  # it did join: no second lookup
    assert after.json()["id"] is None
    assert (await before).json()["id"] is None  # and the lookup itself serves nothing


async def test_i10_03_async_lookup_under_way_at_logout_then_429_serves_no_stale_session(
    okta: FakeOkta, served: tuple[SessionService, httpx.AsyncClient]
) -> None:
    service, client = served
    _, cookie = await cached_then_stale(okta, client)
    okta.inject(latency=HOLD, status=429, times=1, path_prefix=ME)
    calls = me_calls(okta)
    before = asyncio.create_task(client.get("/", headers={"cookie": cookie}))
    await await_until(lambda: me_calls(okta) > calls)
    assert await service.alogout(cookie) is True
    assert (await before).json()["id"] is None  # Okta's 429 does not bring it back stale
    assert (await client.get("/", headers={"cookie": cookie})).json()["id"] is None


def resolve_in_thread(
    service: SessionService, cookie: str
) -> tuple[threading.Thread, list[Resolution]]:
    """``service.resolve(cookie)`` on a thread of its own (the sync driver's single flight)."""
    results: list[Resolution] = []
    thread = threading.Thread(target=lambda: results.append(service.resolve(cookie)))
    thread.start()
    return thread, results


def sync_cached_then_stale(okta: FakeOkta, service: SessionService) -> tuple[str, str]:
    sid = okta.create_session(LOGIN)
    cookie = okta.cookie_header(sid)
    first = service.resolve(cookie).session
    assert first is not None and first.id == sid
    okta.advance(61)
    return sid, cookie


def sync_lookup_held_then_503(
    okta: FakeOkta, service: SessionService, cookie: str
) -> tuple[int, threading.Thread, list[Resolution]]:
    """A lookup of ``cookie`` on its own thread, held at Okta (which then answers 503):
    the /me calls before it, the thread, and where its resolution will land."""
    okta.inject(latency=HOLD, status=503, times=1, path_prefix=ME)
    calls = me_calls(okta)
    thread, before = resolve_in_thread(service, cookie)
    wait_until(lambda: me_calls(okta) > calls)
    return calls, thread, before


def test_i10_09_sync_request_after_logout_does_not_join_the_old_lookup(
    okta: FakeOkta, sync_service: SessionService
) -> None:
    service = sync_service
    _, cookie = sync_cached_then_stale(okta, service)
    calls, thread, before = sync_lookup_held_then_503(okta, service, cookie)
    assert service.logout(cookie) is True
    after = service.resolve(cookie)  # starts after logout returned: joins that lookup
    thread.join(10)
    assert me_calls(okta) == calls + 1  # it did join: no second lookup
    assert after.session is None
    assert before[0].session is None


def test_i10_03_sync_revoke_while_a_lookup_waits_then_503_serves_no_stale_session(
    okta: FakeOkta, sync_service: SessionService
) -> None:
    service = sync_service
    sid, cookie = sync_cached_then_stale(okta, service)
    _, thread, before = sync_lookup_held_then_503(okta, service, cookie)
    assert service.revoke(sid) is True
    thread.join(10)
    assert before[0].session is None
    okta.inject(status=503, times=1, path_prefix=ME)  # a later failure finds nothing to serve
    assert service.resolve(cookie).session is None


def refresh_calls(fake: FakeOkta) -> int:
    return len(fake.calls_to("POST", REFRESH))


async def test_i10_18_idle_lifetime_within_the_threshold_refreshes_once_per_interval() -> None:
    fake = FakeOkta(api_token=API_TOKEN, idle_timeout=120)  # Okta's idle lifetime: 2 min
    fake.add_user(LOGIN, PASSWORD)
    # refresh_threshold 300 s > 120 s: the session is always "near its end"
    with serve_fake_okta(fake):
        # the request's own refresh: refresh-ahead off (it refreshes behind, unawaited here)
        async with app_on(fake, fake.now, cache_ttl=60, refresh_ahead=0) as (_, client):
            sid = fake.create_session(LOGIN)
            cookie = {"cookie": fake.cookie_header(sid)}
            for _ in range(20):
                assert (await client.get("/private", headers=cookie)).json()["id"] == sid
            assert refresh_calls(fake) == 1
            for _ in range(3):  # 3 more minutes of use: once per interval, and still alive
                fake.advance(61)
                for _ in range(20):
                    assert (await client.get("/private", headers=cookie)).json()["id"] == sid
            assert 2 <= refresh_calls(fake) <= 4


async def test_i10_18_a_refresh_answer_past_its_expiry_by_our_clock_is_not_served() -> None:
    okta_clock = [time.time()]
    fake = FakeOkta(api_token=API_TOKEN, idle_timeout=600, clock=lambda: okta_clock[0])
    fake.add_user(LOGIN, PASSWORD)
    our_clock = [okta_clock[0]]
    with serve_fake_okta(fake):
        async with app_on(  # the request's own refresh: refresh-ahead off
            fake, lambda: our_clock[0], cache_ttl=3600, refresh_threshold=300, refresh_ahead=0
        ) as (service, _):
            cookie = fake.cookie_header(fake.create_session(LOGIN))
            assert (await service.aresolve(cookie)).session is not None  # 600 s left
            our_clock[0] += 400  # 200 s left by our clock: due; the entry is still fresh
            okta_clock[0] -= 300  # Okta's clock is behind: its refresh ends before our now
            assert (await service.aresolve(cookie)).session is None
            assert refresh_calls(fake) == 1
            assert (await service.aresolve(cookie)).session is None  # now "no session"
            assert refresh_calls(fake) == 1


FORGED_LOGOUTS = 8  # 2 ended marks each (cookie and sid): four times cache_maxsize


@pytest.mark.parametrize(
    "hold",
    [
        pytest.param({"trickle": 0.004}, id="live-answer-trickles-in"),
        pytest.param({"latency": HOLD, "status": 503}, id="okta-fails-stale-entry"),
    ],
)
async def test_i10_03_forged_logout_flood_does_not_bring_back_a_lookup_under_way(
    okta: FakeOkta, hold: dict[str, Any]
) -> None:
    """Ended marks are bounded (``cache_maxsize``); forged logouts of made-up cookies
    (own Origin, each answered by Okta with 404) push the real one out while a lookup
    begun before the logout is still at Okta. That lookup's answer (the live session
    Okta read before the close, or the stale entry when Okta fails) is not served."""
    async with app_on(okta, okta.now, timeout=5.0, cache_maxsize=4) as (service, client):
        _, cookie = await cached_then_stale(okta, client)
        okta.inject(times=1, path_prefix=ME, **hold)
        calls = me_calls(okta)
        before = asyncio.create_task(client.get("/", headers={"cookie": cookie}))
        await await_until(lambda: me_calls(okta) > calls)  # its lookup is at Okta now
        assert await service.alogout(cookie) is True
        origin = {"origin": "http://testserver"}
        for n in range(FORGED_LOGOUTS):
            forged = {"cookie": f"sid=102forged{n:017d}", **origin}
            assert (await client.post("/logout", headers=forged)).status_code == 204
        assert not before.done()  # the premise: the flood ended while the lookup waits
        assert (await before).json()["id"] is None
        assert (await client.get("/", headers={"cookie": cookie})).json()["id"] is None
