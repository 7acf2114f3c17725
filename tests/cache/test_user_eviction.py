"""Eviction by Okta user (issue 13, item 2), in the in-process cache and in a real Redis:
every cached session of the user goes, however many sign-ins came in between, on every
worker; an answer asked of Okta before the end is refused, one asked after it is kept;
no user id in the clear in Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import redis

from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.cache.memory import MemorySessionCache
from okta_session_mw.cache.redis.cache import RedisSessionCache
from okta_session_mw.okta.session import Session
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.redis_entries import PREFIX, SECRET, STORED, key

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server, redis_client

USER, OTHER_USER = "00uBusyUser0123456789", "00uSomeoneElse98765"

Cache = MemorySessionCache | RedisSessionCache


def session_of(user_id: str, session_id: str) -> Session:
    expires = datetime.now(timezone.utc) + timedelta(hours=1)
    return Session.from_okta(
        {"id": session_id, "userId": user_id, "login": f"{user_id}@example.com",
         "status": "ACTIVE", "expiresAt": expires.isoformat()}
    )  # fmt: skip


def entry(user_id: str, session_id: str, asked_at: float | None = None) -> CacheEntry:
    now = time.time()
    asked = now if asked_at is None else asked_at
    return CacheEntry(session_of(user_id, session_id), asked, now + 60, now + 180)


@pytest.fixture(params=["memory", "redis", "redis-cluster", "redis-sentinel"])
def caches(request: pytest.FixtureRequest) -> Iterator[tuple[Cache, Cache]]:
    """Two workers' caches: one in-process cache (the same one twice: one process), or
    two ``RedisSessionCache`` objects on one real Redis (two workers): a server, a Redis
    Cluster or a primary found through Sentinel (issue 14)."""
    if request.param == "memory":
        memory = MemorySessionCache(4, timer=time.time)
        yield memory, memory
        return
    topology = {"redis": "server"}.get(request.param, request.param.removeprefix("redis-"))
    url = request.getfixturevalue("redis_url_of")(topology)
    one = RedisSessionCache(url, secret_key=SECRET, prefix=PREFIX, maxsize=4)
    two = RedisSessionCache(url, secret_key=SECRET, prefix=PREFIX, maxsize=4)
    yield one, two
    one.close()
    two.close()


def test_i13_02_evict_user_ends_every_session_of_the_user_however_many_sign_ins_between(
    caches: tuple[Cache, Cache],
) -> None:
    """The user's two sessions (one by ``sid`` and ``idx`` both) stay in use while many
    other users sign in (the in-process cache holds 4 entries); one eviction on the
    other worker ends them all, and nobody else's."""
    worker, other_worker = caches
    mine = {"sid=s-a": "s-a", "idx=i-a": "s-a", "sid=s-b": "s-b"}
    for cookie, sid in mine.items():
        worker.set(key(cookie), entry(USER, sid))
    for n in range(20):
        for cookie in mine:  # the user's next requests
            assert worker.get(key(cookie)) is not None
        worker.set(key(f"sid=other-{n}"), entry(OTHER_USER, f"other-{n}"))
    assert worker.get(key("sid=other-19")) is not None
    other_worker.evict_user(USER)
    assert [c for c in mine if worker.get(key(c)) is not None] == []
    assert worker.get(key("sid=other-19")) is not None  # someone else's session stays


def test_i13_02_an_answer_asked_before_the_end_is_refused_one_asked_after_is_kept(
    caches: tuple[Cache, Cache],
) -> None:
    worker, other_worker = caches
    asked_before = time.time() - 1
    other_worker.evict_user(USER)
    # A sign-in after the end asks Okta after it; well after, since a worker knows
    # Redis's clock only to within one reply's delay (``clock.py``), which load stretches.
    time.sleep(0.25)
    asked_after = time.time()
    # a lookup that was in flight during the end puts its answer back: refused
    worker.set(key("sid=old"), entry(USER, "old", asked_before))
    assert worker.get(key("sid=old")) is None
    assert worker.ended(key("sid=old"), "old", asked_before, USER)
    # the user signs in again: the new session is the user's as usual
    worker.set(key("sid=new"), entry(USER, "new", asked_after))
    assert worker.get(key("sid=new")) is not None
    assert not worker.ended(key("sid=new"), "new", asked_after, USER)
    # the end says nothing about other users, nor when the user is not named
    assert not worker.ended(key("sid=x"), "x", asked_before, OTHER_USER)
    assert not worker.ended(key("sid=old"), "old", asked_before)


async def test_i13_02_the_async_colour_evicts_by_user_too(caches: tuple[Cache, Cache]) -> None:
    worker, other_worker = caches
    asked = time.time() - 1
    await worker.aset(key("sid=s-a"), entry(USER, "s-a"))
    await other_worker.aevict_user(USER)
    assert await worker.aget(key("sid=s-a")) is None
    assert await worker.aended(key("sid=s-a"), "s-a", asked, USER)


def test_i13_02_redis_holds_no_user_id_and_its_user_index_expires_with_its_entries(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    cache = RedisSessionCache(redis_server.url, secret_key=SECRET, prefix=PREFIX)
    try:
        now = time.time()
        session = session_of(USER, "s-a")
        cache.set(key("sid=s-a"), CacheEntry(session, now, now + 30, now + 90))
        cache.evict_user(OTHER_USER)  # leaves its mark
        names = redis_client.keys("*")
        blob = [*names]
        for name in names:
            kind = redis_client.type(name)
            if kind == b"set":
                blob += redis_client.smembers(name)
            elif kind == b"zset":
                blob += redis_client.zrange(name, 0, -1)
            else:
                blob.append(redis_client.get(name))
        everything = b"\n".join(part or b"" for part in blob)
        assert USER.encode() not in everything and OTHER_USER.encode() not in everything
        index = [n for n in names if n.startswith((STORED + "u:").encode())]
        assert len(index) == 1
        entry_ttl = redis_client.pttl(STORED + "e:" + key("sid=s-a"))
        assert 0 < redis_client.pttl(index[0]) <= entry_ttl + 50  # bounded by its entry
        mark = [n for n in names if n.startswith((STORED + "v:").encode())]
        assert len(mark) == 1 and redis_client.pttl(mark[0]) > 0  # the mark expires too
    finally:
        cache.close()


def test_i13_02_an_end_by_user_while_redis_is_unreachable_is_sent_when_it_returns(
    own_redis_server: RedisServer,
) -> None:
    """The end reaches this worker at once (its own memory) and every other worker as
    soon as Redis answers again, stamped with Redis's clock when it arrives (later than
    the end: it refuses more, never less); a sign-in made meanwhile goes with the
    others, and asked again after it, it is kept."""
    worker = RedisSessionCache(own_redis_server.url, secret_key=SECRET, retry_interval=0.2)
    other_worker = RedisSessionCache(own_redis_server.url, secret_key=SECRET)
    try:
        asked_before = time.time() - 1
        other_worker.set(key("sid=s-a"), entry(USER, "s-a"))
        own_redis_server.pause()  # a network partition: Redis keeps its data
        worker.evict_user(USER)
        assert worker.ended(key("sid=s-a"), "s-a", asked_before, USER)  # here at once
        own_redis_server.resume()
        time.sleep(0.002)
        other_worker.set(key("sid=s-new"), entry(USER, "s-new"))  # a sign-in meanwhile
        assert other_worker.get(key("sid=s-a")) is not None  # not yet delivered
        time.sleep(0.25)  # past retry_interval: the next call goes to Redis
        assert worker.get(key("sid=unrelated")) is None  # first call: the owed end first
        assert other_worker.get(key("sid=s-a")) is None
        assert other_worker.ended(key("sid=s-a"), "s-a", asked_before, USER)
        # A worker knows Redis's clock only to within one reply's delay (``clock.py``),
        # which a loaded machine stretches: the next question comes well after the end.
        time.sleep(0.5)
        asked_after = time.time()
        assert not other_worker.ended(key("sid=s-new"), "s-new", asked_after, USER)
        other_worker.set(key("sid=s-new"), entry(USER, "s-new", asked_after))
        assert other_worker.get(key("sid=s-new")) is not None
    finally:
        worker.close()
        other_worker.close()


def test_i13_02_the_redis_user_index_holds_no_more_than_the_user_s_live_entries(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """A user who signs in again and again: each short-lived entry's member goes once
    the entry has ended, as the next one joins (not only when the whole set expires)."""
    cache = RedisSessionCache(redis_server.url, secret_key=SECRET, prefix=PREFIX)
    try:
        for n in range(5):
            now = time.time()
            brief = CacheEntry(session_of(USER, f"s-{n}"), now, now, now + 0.05)
            cache.set(key(f"sid=s-{n}"), brief)
        time.sleep(0.1)  # those entries have ended in Redis
        now = time.time()
        live = CacheEntry(session_of(USER, "s-live"), now, now + 60, now + 60)
        cache.set(key("sid=s-live"), live)
        [index] = redis_client.keys(STORED + "u:*")
        assert redis_client.zrange(index, 0, -1) == [key("sid=s-live").encode()]
        cache.evict_user(USER)
        assert cache.get(key("sid=s-live")) is None
    finally:
        cache.close()


SKEW = 2.0
"""Worker B's clock runs this far ahead of worker A's (NTP-less VMs drift by more)."""


def clock_ahead() -> float:
    return time.time() + SKEW


@pytest.fixture
def two_machines(
    redis_server: RedisServer, redis_client: object
) -> Iterator[tuple[RedisSessionCache, RedisSessionCache]]:
    """Two workers on machines whose clocks differ: B's runs ``SKEW`` ahead of A's."""
    a = RedisSessionCache(redis_server.url, secret_key=SECRET, prefix=PREFIX, timer=time.time)
    b = RedisSessionCache(redis_server.url, secret_key=SECRET, prefix=PREFIX, timer=clock_ahead)
    yield a, b
    a.close()
    b.close()


def test_i13_02_an_end_by_user_refuses_an_answer_asked_before_it_whatever_the_clocks(
    two_machines: tuple[RedisSessionCache, RedisSessionCache],
) -> None:
    """Attack review F2: the mark was stamped by the receiving worker's clock and
    compared with the asking worker's ``fetched_at``; an answer asked before the end on
    a machine whose clock runs ahead was "after" it, and was stored and served."""
    machine_a, machine_b = two_machines
    asked_on_b = clock_ahead()  # B asks Okta about the user's cookie (Okta: ACTIVE)
    time.sleep(0.05)  # meanwhile Okta suspends the user; its event hook reaches A
    machine_a.evict_user(USER)
    time.sleep(0.05)  # B's answer comes back, asked before the end
    cookie = key("sid=102AnnsSession0123456")
    stale = entry(USER, "102AnnsSession0123456", asked_on_b)
    machine_b.set(cookie, stale)
    assert machine_b.ended(cookie, stale.session.id, asked_on_b, USER)  # type: ignore[union-attr]
    assert machine_b.get(cookie) is None
    assert machine_a.get(cookie) is None
    # B's next lookup, asked after the end by any clock, is the user's again
    time.sleep(0.01)
    asked_later = clock_ahead()
    machine_b.set(cookie, entry(USER, "102AnnsSession0123456", asked_later))
    assert machine_a.get(cookie) is not None


def test_i13_02_an_entry_read_from_redis_keeps_its_writer_s_time_of_asking(
    two_machines: tuple[RedisSessionCache, RedisSessionCache],
) -> None:
    """An entry B stored (B's clock ahead) and A read a moment before the user's end:
    its ``fetched_at`` is B's reading, which A must not take for its own. Its check
    after the end (``ended``, as a follower or a stale answer does) says ended, and
    putting it back (a refresh's first step) is refused."""
    machine_a, machine_b = two_machines
    for machine in two_machines:  # both have spoken to Redis: each knows its clock's offset
        machine.ended(key("sid=warm-up"), "warm-up", machine._timer(), USER)
    cookie = key("sid=102BobsSession01234567")
    machine_b.set(cookie, entry(USER, "102BobsSession01234567", clock_ahead()))
    read = machine_a.get(cookie)
    assert read is not None and read.session is not None
    time.sleep(0.05)
    machine_b.evict_user(USER)  # the end, after B asked
    assert machine_a.ended(cookie, read.session.id, read.fetched_at, USER)
    machine_a.set(cookie, read)
    assert machine_a.get(cookie) is None


def test_i13_02_a_writer_whose_clock_runs_ahead_keeps_the_others_in_the_user_index(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """The user index drops members whose entries ended; it judged that by the writer's
    clock, so a writer running ahead by more than an entry's life dropped other
    workers' live entries from it, and the end by user missed them (served on)."""
    behind = RedisSessionCache(redis_server.url, secret_key=SECRET, prefix=PREFIX)
    far_ahead = RedisSessionCache(
        redis_server.url, secret_key=SECRET, prefix=PREFIX, timer=lambda: time.time() + 600
    )
    try:
        cookie = key("sid=s-behind")
        behind.set(cookie, entry(USER, "s-behind"))  # lives 180 s by Redis's clock
        now = time.time() + 600
        ahead = CacheEntry(session_of(USER, "s-ahead"), now, now + 60, now + 180)
        far_ahead.set(key("sid=s-ahead"), ahead)
        behind.evict_user(USER)
        assert behind.get(cookie) is None
        assert far_ahead.get(key("sid=s-ahead")) is None
    finally:
        behind.close()
        far_ahead.close()
