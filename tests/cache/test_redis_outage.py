"""Redis down, hung or restarted: requests keep working with a bounded wait, the log says
so once per interval, owed evictions are sent on return, and the cache recovers alone."""

from __future__ import annotations

import logging
import time

import pytest

from okta_session_mw import SessionService
from okta_session_mw.cache.entry import Claimed
from okta_session_mw.cache.redis.cache import RedisSessionCache
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.redis_server import RedisServer, free_port
from tests.support.apps import make_config
from tests.support.fake_helpers import me_calls
from tests.support.redis_entries import SECRET, entry_for, key, make_session

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server, redis_client, own_redis_server


def unavailable_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.message for r in caplog.records if "unavailable" in r.message]


def test_redis_down_answers_at_once_and_logs_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"  # nothing listens there
    cache = RedisSessionCache(url, secret_key=SECRET, retry_interval=0, log_interval=60)
    started = time.monotonic()
    for _ in range(50):  # every call really tries Redis (retry_interval=0)
        assert cache.get(key("sid=102Down")) is None
        assert cache.claim(key("sid=102Down"), 5) is Claimed.YOURS  # so this worker asks Okta
    assert time.monotonic() - started < 2 * cache.bound
    lines = unavailable_lines(caplog)
    assert len(lines) == 1
    assert "127.0.0.1" in lines[0] and "hunter2" not in lines[0]
    assert cache.available is False


def test_while_down_answers_are_kept_in_process_for_outage_ttl() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    cache = RedisSessionCache(url, secret_key=SECRET, outage_ttl=0.3)
    session = make_session("102Kept")
    cache.set(key("sid=102Kept"), entry_for(session, fresh=60))
    kept = cache.get(key("sid=102Kept"))
    assert kept is not None and kept.session == session
    assert kept.fresh_until <= time.time() + 0.3  # the stated bound for evictions elsewhere
    cache.evict_session("102Kept")  # a logout on this worker is seen here at once
    assert cache.get(key("sid=102Kept")) is None


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_hung_redis_costs_one_bounded_wait_then_nothing(
    own_redis_server: RedisServer, flavour: str, caplog: pytest.LogCaptureFixture
) -> None:
    cache = RedisSessionCache(
        own_redis_server.url, secret_key=SECRET, timeout=0.2, retry_interval=0.5
    )

    async def get() -> object:
        if flavour == "sync":
            return cache.get(key("sid=102Hung"))
        return await cache.aget(key("sid=102Hung"))

    await cache.aset(key("sid=102Hung"), entry_for(make_session("102Hung")))
    assert await get() is not None  # connected before Redis hangs
    own_redis_server.pause()
    try:
        started = time.monotonic()
        assert await get() is None
        assert time.monotonic() - started < cache.bound + 0.5  # 0.4 s bound, plus slack
        started = time.monotonic()
        assert await get() is None  # within retry_interval: Redis is not even tried
        assert time.monotonic() - started < 0.05
    finally:
        own_redis_server.resume()
    time.sleep(0.55)
    assert await get() is not None  # recovered by itself, data intact
    assert any("reachable again" in r.message for r in caplog.records)
    await cache.aclose()


def test_restart_evictions_owed_and_recovery(own_redis_server: RedisServer) -> None:
    cache = RedisSessionCache(own_redis_server.url, secret_key=SECRET, retry_interval=0.2)
    other_worker = RedisSessionCache(own_redis_server.url, secret_key=SECRET)
    leaving = make_session("102Owed")
    cache.set(key("sid=102Owed"), entry_for(leaving))
    own_redis_server.pause()  # a network partition: Redis keeps its data
    cache.evict_session("102Owed")  # logout while Redis cannot be reached
    own_redis_server.resume()
    assert other_worker.get(key("sid=102Owed")) is not None  # not yet delivered
    time.sleep(0.25)
    assert cache.get(key("sid=102Other")) is None  # first call after the outage...
    assert other_worker.get(key("sid=102Owed")) is None  # ...sent the owed eviction first

    own_redis_server.kill()
    cache.set(key("sid=102Later"), entry_for(make_session("102Later")))
    assert cache.get(key("sid=102Later")) is not None  # from this process, meanwhile
    own_redis_server.start()  # same port, empty
    time.sleep(0.25)
    assert cache.get(key("sid=102Later")) is None  # Redis again: in-process copies dropped
    cache.set(key("sid=102Later"), entry_for(make_session("102Later")))
    assert other_worker.get(key("sid=102Later")) is not None
    cache.close()
    other_worker.close()


async def test_service_keeps_answering_through_an_outage(
    okta: FakeOkta, own_redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "okta_session_mw")
    config = make_config(okta, cache_url=own_redis_server.url, secret_key=SECRET)
    worker1 = SessionService(config, clock=okta.now)
    worker2 = SessionService(config, clock=okta.now)
    sid = okta.create_session("ann@example.com")
    cookie = okta.cookie_header(sid)
    assert (await worker1.aresolve(cookie)).session is not None
    own_redis_server.kill()
    for _ in range(5):  # Okta once, then this worker's outage copy
        assert (await worker1.aresolve(cookie)).session is not None
    assert me_calls(okta) == 2
    own_redis_server.start()
    assert isinstance(worker1.cache, RedisSessionCache)
    time.sleep(worker1.cache._health.retry_interval + 0.05)
    assert (await worker1.aresolve(cookie)).session is not None  # refills the empty Redis
    assert worker1.cache.available  # the first call after the restart reached Redis
    assert (await worker2.aresolve(cookie)).session is not None  # shared again
    assert me_calls(okta) == 3
    assert len(unavailable_lines(caplog)) == 1
    for worker in (worker1, worker2):
        await worker.cache.aclose()
        await worker.aclose()
