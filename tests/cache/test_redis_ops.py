"""The cross-worker claim (``redis_ops.py``) through SessionService, both drivers, on a
real redis-server: a follower tells "another worker is asking Okta right now" from "an
answer was stored", and asks Okta itself at once when the stored answer cannot be used.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import redis

from okta_session_mw import SessionService
from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.cache.redis.codec import MAX_VALUE_BYTES
from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.okta.session import Session
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.apps import make_config
from tests.support.fake_helpers import me_calls

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server, redis_client

SECRET = "redis-ops-tests-shared-secret-0123456789"
STORED = "{okta-session-mw:}"  # the default prefix, as one Redis Cluster hash tag


def _workers(okta: FakeOkta, url: str) -> tuple[SessionService, SessionService]:
    """Two workers sharing one Redis (timeout 1 s: the wait a follower must not pay)."""
    config = make_config(okta, cache_url=url, secret_key=SECRET)
    return SessionService(config, clock=okta.now), SessionService(config, clock=okta.now)


def _cache_key(worker: SessionService, cookie_header: str) -> str:
    cookies = worker.okta_cookies(cookie_header)
    assert cookies is not None
    return worker.key_for(cookies)


async def _close(*workers: SessionService) -> None:
    for worker in workers:
        await worker.cache.aclose()  # type: ignore[attr-defined]
        await worker.aclose()


def _spoil(client: redis.Redis, name: str, how: str) -> None:
    """What can happen to a stored entry while its claim (the freshness marker) stays."""
    if how == "evicted by Redis":  # maxmemory eviction, or any DEL of the entry alone
        client.delete(name)
    elif how == "junk":
        client.set(name, b"x" * 54)
    elif how == "oversize":
        client.set(name, b"\x02" + b"9" * (MAX_VALUE_BYTES + 1))
    else:  # not a string
        client.delete(name)
        client.rpush(name, b"a", b"list")


@pytest.mark.parametrize("driver", ["sync", "async"])
@pytest.mark.parametrize("how", ["evicted by Redis", "junk", "oversize", "not a string"])
async def test_i10_10_a_stored_answer_that_cannot_be_read_is_asked_again_at_once(
    how: str, driver: str, okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
):
    worker, other = _workers(okta, redis_server.url)
    sid = okta.create_session("ann@example.com")
    cookie = okta.cookie_header(sid)
    assert other.resolve(cookie).source is Source.MISS  # the other worker asked and stored
    key = _cache_key(worker, cookie)
    assert redis_client.pttl(STORED + "c:" + key) > 0  # its claim stays, as freshness marker
    _spoil(redis_client, STORED + "e:" + key, how)
    # Before: this request found the claim held, waited the whole timeout for an entry
    # nobody was fetching any more, and answered "unavailable" without asking Okta.
    resolution = worker.resolve(cookie) if driver == "sync" else await worker.aresolve(cookie)
    assert resolution.source is Source.MISS
    assert resolution.session is not None and resolution.session.id == sid
    assert me_calls(okta) == 2  # asked Okta itself
    assert other.resolve(cookie).source is Source.HIT  # and shared its answer again
    assert me_calls(okta) == 2
    await _close(worker, other)


def _okta_session(session_id: str) -> Session:
    expires = datetime.now(timezone.utc) + timedelta(hours=1)
    return Session.from_okta(
        {"id": session_id, "login": "ann@example.com", "userId": "00u1", "status": "ACTIVE",
         "expiresAt": expires.isoformat(), "amr": ["pwd"]}
    )


def _script_calls(client: redis.Redis) -> int:
    """Scripts Redis has run so far (each cache read and claim is one)."""
    stats = client.info("commandstats")
    names = ("cmdstat_eval", "cmdstat_evalsha")
    return sum(int(stats.get(name, {}).get("calls", 0)) for name in names)


@pytest.mark.parametrize("driver", ["sync", "async"])
@pytest.mark.parametrize("leader_ends", ["answer stored, then evicted", "answer not shared"])
async def test_i10_10_a_follower_stops_waiting_when_nobody_asks_any_more(
    leader_ends: str,
    driver: str,
    okta: FakeOkta,
    redis_server: RedisServer,
    redis_client: redis.Redis,
):
    worker, leader = _workers(okta, redis_server.url)
    sid = okta.create_session("ann@example.com")
    cookie = okta.cookie_header(sid)
    key = _cache_key(worker, cookie)
    leader.cache.claim(key, 1.0)  # another worker is asking Okta (within the same timeout)
    assert redis_client.pttl(STORED + "c:" + key) > 0
    before = _script_calls(redis_client)
    results: list[Resolution] = []
    if driver == "sync":
        thread = threading.Thread(target=lambda: results.append(worker.resolve(cookie)))
        thread.start()
    else:
        task = asyncio.ensure_future(worker.aresolve(cookie))
    deadline = time.monotonic() + 10
    while _script_calls(redis_client) < before + 5:  # two reads, the claim, then polling
        assert time.monotonic() < deadline
        await asyncio.sleep(0.002)
    now = okta.now()
    if leader_ends == "answer stored, then evicted":
        leader.cache.set(key, CacheEntry(_okta_session(sid), now, now + 60, now + 180))
        redis_client.delete(STORED + "e:" + key)
    else:  # too large to share, or over already: the leader only releases its claim
        leader.cache.set(key, CacheEntry(_okta_session(sid), now - 10, now - 5, now - 1))
    if driver == "sync":
        thread.join(10)
        assert not thread.is_alive()
    else:
        results.append(await asyncio.wait_for(task, 10))
    # Before: the follower polled for the entry until its timeout, then gave up.
    assert [r.source for r in results] == [Source.MISS]
    assert results[0].session is not None and results[0].session.id == sid
    assert me_calls(okta) == 1  # the follower asked Okta itself once nobody else was
    await _close(worker, leader)
