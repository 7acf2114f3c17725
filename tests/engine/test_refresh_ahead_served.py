"""Refresh-ahead (issue 14.1) and one refresh per expiresAt (14.4) through the service,
with both runners, against the fake Okta over real HTTP; with a real Redis for the
cluster (several ``SessionService`` objects, each a worker, sharing one server).

Time is the fake's (``okta.advance``). "Served at once" is shown without timing: the
fake holds the revalidation's call (injected latency) while the request has already
been answered from the entry the revalidation has not replaced yet.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from okta_session_mw import Resolution, SessionService, Source
from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.cache.redis import RedisSessionCache
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.apps import make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import API_TOKEN, LOGIN, PASSWORD

pytest_plugins = ["tests.support.redis_fixtures"]

COLOURS = ["sync", "async"]
ME = "/api/v1/sessions/me"
REFRESH = "/api/v1/sessions/me/lifecycle/refresh"
HOLD = 2.5  # the fake holds the revalidation's call this long
SECRET = "r" * 32
BOUND = 10.0  # a bound on "never happens", not a timing


async def resolve(colour: str, service: SessionService, cookie: str) -> Resolution:
    return service.resolve(cookie) if colour == "sync" else await service.aresolve(cookie)


async def settle(condition: Callable[[], bool]) -> None:
    """Wait (on the loop, so async background tasks run) until ``condition`` holds."""
    deadline = time.monotonic() + BOUND
    while not condition():
        assert time.monotonic() < deadline, "the background revalidation never ended"
        await asyncio.sleep(0.01)


def entry_of(service: SessionService, cookie: str) -> CacheEntry | None:
    cookies = service.okta_cookies(cookie)
    assert cookies is not None
    return service.cache.get(service.key_for(cookies))  # type: ignore[union-attr]


async def close(service: SessionService) -> None:
    await service.aclose()  # waits for this loop's background tasks, joins the threads


@pytest.mark.parametrize("colour", COLOURS)
async def test_i14_11_a_request_in_the_window_is_served_at_once_and_okta_asked_behind(
    okta: FakeOkta, colour: str
) -> None:
    service = SessionService(make_config(okta, timeout=5.0), clock=okta.now)  # ttl 60, 0.2
    try:
        sid = okta.create_session(LOGIN)
        cookie = okta.cookie_header(sid)
        assert (await resolve(colour, service, cookie)).source is Source.MISS
        first = entry_of(service, cookie)
        assert first is not None
        okta.advance(50)  # the last 12 s of its 60: the window
        okta.inject(latency=HOLD, times=1, path_prefix=ME)
        served = await resolve(colour, service, cookie)
        assert served.source is Source.HIT and served.session is not None
        assert served.session.id == sid
        assert entry_of(service, cookie) == first  # the revalidation is still at Okta
        await settle(lambda: entry_of(service, cookie) != first)
        renewed = entry_of(service, cookie)
        assert renewed is not None and renewed.fresh_until > first.fresh_until + 45
        assert me_calls(okta) == 2
        okta.advance(20)  # past the first answer's freshness, within the second's
        assert (await resolve(colour, service, cookie)).source is Source.HIT
        assert me_calls(okta) == 2
    finally:
        await close(service)


@pytest.mark.parametrize("colour", COLOURS)
async def test_i14_12_a_revalidation_that_finds_the_session_gone_ends_it(
    okta: FakeOkta, colour: str
) -> None:
    service = SessionService(make_config(okta, timeout=5.0), clock=okta.now)
    try:
        sid = okta.create_session(LOGIN)
        cookie = okta.cookie_header(sid)
        idx = okta.cookie_header(sid, name="idx")  # the same session under its other cookie
        assert (await resolve(colour, service, cookie)).session is not None
        okta.advance(5)
        assert (await resolve(colour, service, idx)).session is not None
        assert okta.revoke(sid)  # ended at Okta, the library not told
        okta.advance(45)  # the sid entry's window (the idx one's is 5 s later)
        assert (await resolve(colour, service, cookie)).session is not None  # cached
        await settle(lambda: (e := entry_of(service, cookie)) is not None and e.session is None)
        assert entry_of(service, idx) is None  # ended like a logout: by session id
        calls = me_calls(okta)
        assert (await resolve(colour, service, cookie)).session is None
        assert (await resolve(colour, service, idx)).session is None
        assert me_calls(okta) == calls + 1  # the idx cookie asks; sid's "no session" is cached
    finally:
        await close(service)


def workers(okta: FakeOkta, url: str, count: int, **settings: Any) -> list[SessionService]:
    """``count`` services (workers) sharing the Redis at ``url``, on the fake's clock."""
    config = make_config(okta, timeout=5.0, secret_key=SECRET, cache_url=url, **settings)
    return [SessionService(config, clock=okta.now) for _ in range(count)]


async def everyone(colour: str, services: list[SessionService], cookie: str) -> list[Resolution]:
    """One request for ``cookie`` on every worker at once (threads, or one loop)."""
    if colour == "async":
        return list(await asyncio.gather(*(s.aresolve(cookie) for s in services)))
    results: list[Resolution] = []
    threads = [
        threading.Thread(target=lambda s=s: results.append(s.resolve(cookie))) for s in services
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BOUND)
    return results


@pytest.mark.parametrize("colour", COLOURS)
async def test_i14_13_one_revalidation_per_session_for_the_whole_cluster(
    okta: FakeOkta, redis_server: RedisServer, redis_client: object, colour: str
) -> None:
    services = workers(okta, redis_server.url, 4)
    try:
        sid = okta.create_session(LOGIN)
        cookie = okta.cookie_header(sid)
        assert (await resolve(colour, services[0], cookie)).source is Source.MISS
        first = entry_of(services[0], cookie)
        okta.advance(50)
        okta.inject(latency=1.0, times=1, path_prefix=ME)  # held while the others arrive
        for _ in range(3):  # every worker, three rounds, while the revalidation is out
            served = await everyone(colour, services, cookie)
            assert [r.source for r in served] == [Source.HIT] * 4
        await settle(lambda: entry_of(services[1], cookie) != first)
        assert me_calls(okta) == 2  # the first sight, and one revalidation for all
    finally:
        for service in services:
            await close(service)


class Rendezvous:
    """Every worker's cache read waits for all of them: each reads before any writes."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.barrier = threading.Barrier(parties, timeout=BOUND)
        self._arrived = 0
        self._event: asyncio.Event | None = None

    def wait(self) -> None:
        self.barrier.wait()

    async def await_all(self) -> None:
        if self._event is None:
            self._event = asyncio.Event()
        event = self._event
        self._arrived += 1
        if self._arrived == self.parties:
            self._arrived, self._event = 0, None
            event.set()
        await asyncio.wait_for(event.wait(), BOUND)


class InStep(RedisSessionCache):
    """A real Redis cache whose reads of entries, while ``armed``, meet at a rendezvous."""

    rendezvous: Rendezvous | None = None

    def get(self, key: str) -> CacheEntry | None:
        entry = super().get(key)
        if self.rendezvous is not None:
            self.rendezvous.wait()
        return entry

    async def aget(self, key: str) -> CacheEntry | None:
        entry = await super().aget(key)
        if self.rendezvous is not None:
            await self.rendezvous.await_all()
        return entry


@pytest.fixture
def idle_okta() -> Iterator[FakeOkta]:
    """A fake whose sessions live 10 minutes idle: with a 600 s cache TTL, an entry is
    still fresh when its session is due for its refresh (within 300 s of its end)."""
    fake = FakeOkta(api_token=API_TOKEN, idle_timeout=600)
    fake.add_user(LOGIN, PASSWORD)
    with serve_fake_okta(fake):
        yield fake


@pytest.mark.parametrize("colour", COLOURS)
async def test_i14_14_one_refresh_per_expires_at_for_the_whole_cluster(
    idle_okta: FakeOkta, redis_server: RedisServer, redis_client: object, colour: str
) -> None:
    """Refresh-ahead off: each worker's request makes the refresh itself (``_refresh``).
    Every worker reads the entry due for its refresh before any of them writes: before
    the refresh's claim each marked it "tried" and each asked Okta."""
    okta, count = idle_okta, 4
    config = make_config(
        okta, timeout=5.0, secret_key=SECRET, cache_ttl=600, refresh_threshold=300,
        refresh_ahead=0,
    )  # fmt: skip
    caches = [InStep(redis_server.url, secret_key=SECRET) for _ in range(count)]
    services = [SessionService(config, cache=c, clock=okta.now) for c in caches]
    try:
        cookie = okta.cookie_header(okta.create_session(LOGIN))
        assert (await resolve(colour, services[0], cookie)).session is not None
        okta.advance(400)  # 200 s left: due for its refresh; the entry is still fresh
        rendezvous = Rendezvous(count)
        for cache in caches:
            cache.rendezvous = rendezvous
        served = await everyone(colour, services, cookie)
        for cache in caches:
            cache.rendezvous = None
        assert len(served) == count and all(r.session is not None for r in served)
        assert len(okta.calls_to("POST", REFRESH)) == 1
    finally:
        for service, cache in zip(services, caches, strict=True):
            await close(service)
            cache.close()


@pytest.mark.parametrize("colour", COLOURS)
async def test_i14_18_with_refresh_ahead_the_due_refresh_is_made_once_behind(
    idle_okta: FakeOkta, redis_server: RedisServer, redis_client: object, colour: str
) -> None:
    okta = idle_okta
    services = workers(okta, redis_server.url, 4, cache_ttl=600, refresh_threshold=300)
    try:
        sid = okta.create_session(LOGIN)
        cookie = okta.cookie_header(sid)
        assert (await resolve(colour, services[0], cookie)).session is not None
        okta.advance(400)  # due for its refresh; the entry is still fresh
        okta.inject(latency=1.0, times=1, path_prefix=REFRESH)  # held while the others ask
        for _ in range(3):
            served = await everyone(colour, services, cookie)
            assert [r.source for r in served] == [Source.HIT] * 4  # none waits on Okta
        await settle(
            lambda: (e := entry_of(services[2], cookie)) is not None
            and e.session is not None
            and e.session.expires_at.timestamp() > okta.now() + 500  # refreshed
        )
        assert len(okta.calls_to("POST", REFRESH)) == 1
        assert me_calls(okta) == 1  # the first sight only
    finally:
        for service in services:
            await close(service)
