"""Okta's budget for the whole cluster (issue 14.2, 14.3): several workers
(``SessionService`` objects, each with its own Redis connections) share one real Redis,
and the fake Okta answers over HTTP on loopback.

A 429 seen by one worker closes that bucket (and only that one) for every worker; the
shared ``X-Rate-Limit-Remaining`` keeps the reserve for known sessions across workers;
the cap on concurrent Okta calls holds across workers; a dead worker's lease expires;
without Redis each process keeps the same rules alone.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

from okta_session_mw import SessionService
from okta_session_mw.cache.gate_state import SlotAsk
from okta_session_mw.cache.redis.cache import RedisSessionCache
from okta_session_mw.engine.resolution import Source
from okta_session_mw.engine.shared_gate import org_scope
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.fake_helpers import me_calls
from tests.support.gate_workers import LOGIN, LOOKUPS, SECRET, gate_config, served_okta

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server, redis_client


@pytest.fixture
def okta() -> Iterator[FakeOkta]:
    with served_okta() as fake:
        yield fake


def workers(okta: FakeOkta, url: str, count: int, **settings: object) -> list[SessionService]:
    config = gate_config(okta, url, **settings)
    return [SessionService(config) for _ in range(count)]


def gate_key(client: redis.Redis, pattern: str) -> Any:
    """The shared gate's key matching ``pattern`` (its prefix is the cache's: H3's hash
    tag or not), or None."""
    names = client.keys("*" + pattern)
    assert len(names) <= 1, names
    return names[0] if names else None


def leases(client: redis.Redis) -> list[Any]:
    name = gate_key(client, ":slots")
    return [] if name is None else list(client.zrange(name, 0, -1))


def made_up() -> str:
    return "sid=102" + secrets.token_hex(12)


async def resolved(service: SessionService, colour: str, cookie: str) -> Source:
    if colour == "sync":
        return (await asyncio.to_thread(service.resolve, cookie)).source
    return (await service.aresolve(cookie)).source


async def closed(pool: list[SessionService]) -> None:
    for service in pool:
        await service.aclose()
        service.close()


@pytest.mark.parametrize("colour", ["sync", "async"])
async def test_i14_20_a_429_seen_by_one_worker_closes_its_bucket_for_every_worker(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis, colour: str
) -> None:
    pool = workers(okta, redis_server.url, 4)
    ann = okta.cookie_header(okta.create_session(LOGIN))
    assert await resolved(pool[1], colour, ann) is Source.MISS  # cached: known everywhere
    okta.rate_limit_until(okta.now() + 30, bucket=LOOKUPS)
    assert await resolved(pool[0], colour, made_up()) is Source.UNAVAILABLE  # the 429
    okta.clear_calls()
    for service in pool[1:]:  # the other workers never saw a 429 themselves
        for _ in range(3):
            assert await resolved(service, colour, made_up()) is Source.UNAVAILABLE
    assert me_calls(okta) == 0  # not one call to that bucket before Reset
    closing = gate_key(redis_client, ":x:" + LOOKUPS)
    assert closing is not None
    pause = redis_client.pttl(closing)
    assert 0 < pause <= 32_000  # Reset - Date + 1, as a key's expiry: no clock compared
    # Only that bucket: a known session's logout (CloseCurrentSession) still reaches Okta.
    assert (await pool[3].alogout(ann)) if colour == "async" else pool[3].logout(ann)
    assert len(okta.calls_to("DELETE", "/api/v1/sessions/me")) == 1
    await closed(pool)


async def test_i14_21_the_shared_remaining_keeps_the_reserve_for_the_whole_cluster(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """Workers 1 and 2 last heard "19 left"; worker 0 then spends the window down to the
    reserve. Their made-up cookies must not spend it (each would have sent one call on
    its own figures), while their known sessions' logouts still go through."""
    fake = FakeOkta(rate_limit=20)  # one bucket for every /api/v1/sessions call
    fake.add_user(LOGIN, "correct horse")
    with serve_fake_okta(fake):
        pool = workers(fake, redis_server.url, 3, rate_limit_reserve=0.2)  # reserve: 4
        anns = [fake.cookie_header(fake.create_session(LOGIN)) for _ in range(2)]
        assert pool[1].resolve(anns[0]).session is not None
        assert pool[2].resolve(anns[1]).session is not None
        sources = [pool[0].resolve(made_up()).source for _ in range(20)]
        assert me_calls(fake) == 20 - 4  # worker 0 stopped at the reserve
        assert sources[-1] is Source.UNAVAILABLE
        for service in pool[1:]:
            for _ in range(2):
                assert service.resolve(made_up()).source is Source.UNAVAILABLE
        assert me_calls(fake) == 16  # nor did the others spend the reserve
        assert pool[1].logout(anns[0]) and pool[2].logout(anns[1])  # known: may spend it
        assert len(fake.calls_to("DELETE", "/api/v1/sessions/me")) == 2
        await closed(pool)


@pytest.mark.parametrize("colour", ["sync", "async"])
async def test_i14_22_a_burst_of_new_cookies_over_workers_stays_under_the_cap(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis, colour: str
) -> None:
    pool = workers(okta, redis_server.url, 4, max_concurrent_okta_calls=4, timeout=10.0)
    cookies = [okta.cookie_header(okta.create_session(LOGIN)) for _ in range(24)]
    for service in pool:  # the start-up probes: every worker knows the figures
        assert service.resolve(made_up()).source is Source.MISS
    okta.clear_calls()
    okta.inject(latency=0.1, path_prefix="/api/v1/sessions/me")
    if colour == "sync":
        with ThreadPoolExecutor(16) as threads:
            found = list(threads.map(lambda i: pool[i % 4].resolve(cookies[i]), range(24)))
    else:
        found = await asyncio.gather(*(pool[i % 4].aresolve(c) for i, c in enumerate(cookies)))
    assert all(r.session is not None for r in found)
    assert me_calls(okta) == 24
    # never-seen cookies leave the reserve's share of the slots (1 of 4) to known sessions
    assert 2 <= okta.most_in_flight <= 3
    assert leases(redis_client) == []  # every lease given back
    await closed(pool)


async def test_i14_23_a_dead_workers_leases_expire(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """A worker that took every slot and died (its leases never given back) holds them
    for its leases' time only: a live worker's call then goes through within its wait."""
    (live,) = workers(okta, redis_server.url, 1, max_concurrent_okta_calls=2, timeout=3.0)
    dead = RedisSessionCache(redis_server.url, secret_key=SECRET)
    org = org_scope(live.config.org_url)  # the same Okta org's slots
    for lease in ("dead-1", "dead-2"):
        assert dead.gate_slot(SlotAsk(lease, 2, 60_000, org)) is True
    ann = okta.cookie_header(okta.create_session(LOGIN))
    assert live.resolve(ann).source is Source.UNAVAILABLE  # every slot held: no call
    assert me_calls(okta) == 0
    redis_client.delete(*redis_client.keys("*:slots"))
    for lease in ("dead-1", "dead-2"):  # now as the engine's leases: the timeout, plus 1 s
        assert dead.gate_slot(SlotAsk(lease, 2, 300, org)) is True
    assert live.resolve(ann).source is Source.MISS  # waited for them to expire
    assert me_calls(okta) == 1
    assert leases(redis_client) == []
    dead.close()
    await closed([live])


async def test_i14_24_without_redis_each_process_keeps_the_same_rules_at_once(
    okta: FakeOkta,
) -> None:
    """Redis out of reach: the per-process gate decides at once (no request waits on
    Redis beyond its own bounded try), a 429 closes the bucket in this process, and the
    cap is this process's counter."""
    (service,) = workers(okta, "redis://127.0.0.1:1/0", 1, max_concurrent_okta_calls=2)
    cookies = [okta.cookie_header(okta.create_session(LOGIN)) for _ in range(6)]
    okta.inject(latency=0.1, path_prefix="/api/v1/sessions/me")
    found = await asyncio.gather(*(service.aresolve(c) for c in cookies))
    assert all(r.session is not None for r in found)
    assert okta.most_in_flight == 1  # never-seen cookies: 2 slots minus the reserve's one
    okta.clear_faults()
    okta.rate_limit_until(okta.now() + 30, bucket=LOOKUPS)
    assert (await service.aresolve(made_up())).source is Source.UNAVAILABLE
    okta.clear_calls()
    assert (await service.aresolve(made_up())).source is Source.UNAVAILABLE
    assert me_calls(okta) == 0
    await closed([service])


async def test_i14_33_a_logout_gets_a_slot_while_new_cookies_hold_theirs(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """Cap 5: never-seen cookies may hold 4 slots (``rate_limit_reserve`` 0.2), so a
    known session's logout on another worker goes out at once, while their lookups are
    still at Okta, instead of waiting for one of them to end."""
    pool = workers(okta, redis_server.url, 3, max_concurrent_okta_calls=5, timeout=5.0)
    ann = okta.cookie_header(okta.create_session(LOGIN))
    assert pool[2].resolve(ann).session is not None  # cached: a known session
    for service in pool[:2]:  # start-up probes: the figures are known
        assert service.resolve(made_up()).source is Source.MISS
    cookies = [okta.cookie_header(okta.create_session(LOGIN)) for _ in range(5)]
    okta.clear_calls()
    okta.inject(latency=1.0, path_prefix="/api/v1/sessions/me")
    lookups = [asyncio.ensure_future(pool[i % 2].aresolve(c)) for i, c in enumerate(cookies)]
    while len(okta.calls) < 4:  # the new cookies' four slots are taken
        await asyncio.sleep(0.01)
    okta.clear_faults()
    assert await pool[2].alogout(ann)
    still_asking = [c for c in okta.calls_to("GET", "/api/v1/sessions/me") if c.status is None]
    assert len(still_asking) == 4  # the logout did not wait for a lookup to end
    assert all(r.session is not None for r in await asyncio.gather(*lookups))
    await closed(pool)
