"""RedisSessionCache against a real redis-server: what is stored, for how long, and
eviction by cookie and by session id, through the cache and through SessionService."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from okta_session_mw import OktaSessionConfig, SessionService
from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.cache.redis.cache import RedisSessionCache
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.apps import make_config
from tests.support.fake_helpers import me_calls
from tests.support.redis_entries import PREFIX, SECRET, STORED, entry_for, key, make_session

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server/_client, redis_url/_home


def everything_in(client: redis.Redis) -> bytes:
    """Every key, value and set member in the database, as one blob to search."""
    blob = []
    for name in client.keys("*"):
        blob.append(name)
        if client.type(name) == b"set":
            blob.extend(client.smembers(name))
        elif client.type(name) == b"zset":  # the user index (issue 13), the gate's leases
            blob.extend(client.zrange(name, 0, -1))
        elif client.type(name) == b"hash":  # the shared gate's figures (issue 14)
            blob.extend(part for pair in client.hgetall(name).items() for part in pair)
        else:
            blob.append(client.get(name) or b"")
    return b"\n".join(blob)


@pytest.fixture
def cache(redis_url: str) -> Iterator[RedisSessionCache]:
    """The cache on each topology (issue 14): one server, a Redis Cluster, Sentinel; the
    tests that take it read Redis through ``redis_home``, the node that holds its keys."""
    made = RedisSessionCache(redis_url, secret_key=SECRET, prefix=PREFIX)
    yield made
    made.close()


def test_entries_round_trip_compact_and_sealed(cache: RedisSessionCache, redis_home: redis.Redis):
    session = make_session()
    entry = entry_for(session)
    entry = CacheEntry(session, entry.fetched_at, entry.fresh_until, entry.stale_until,
                       refreshed_for=session.expires_at.timestamp())
    cache.set(key("sid=" + session.id), entry)
    assert cache.get(key("sid=" + session.id)) == entry  # refreshed_for exact: no refresh loop
    cache.set(key("sid=nobody"), entry_for(None, fresh=10, stale=10))
    negative = cache.get(key("sid=nobody"))
    assert negative is not None and negative.session is None
    raw = redis_home.get(STORED + "e:" + key("sid=" + session.id))
    assert raw is not None and session.id.encode() not in raw
    assert b"ann@example.com" not in raw  # the whole value is encrypted (issue 10, item 11)
    # Okta's JSON (compact) plus the times, the header (81 bytes) and the GCM tag (16)
    assert len(raw) < len(str(session.to_okta())) + 170


def test_px_follows_stale_until_and_never_passes_expires_at(
    cache: RedisSessionCache, redis_home: redis.Redis
):
    long_lived, ending = make_session("102LongLived"), make_session("102EndingSoon", ttl=20)
    cache.set(key("sid=102LongLived"), entry_for(long_lived, fresh=60, stale=180))
    cache.set(key("sid=102EndingSoon"), entry_for(ending, fresh=60, stale=180))  # past expiresAt
    assert 178_000 < redis_home.pttl(STORED + "e:" + key("sid=102LongLived")) <= 180_000
    for name in redis_home.keys(STORED + "[es]:*"):
        if redis_home.pttl(name) < 100_000:
            assert 0 < redis_home.pttl(name) <= 20_000  # the entry and its session index
    assert cache.get(key("sid=102EndingSoon")) is not None


def test_negative_entries_expire_by_themselves(cache: RedisSessionCache, redis_home: redis.Redis):
    cache.set(key("sid=bad"), entry_for(None, fresh=0.3, stale=0.3))
    assert redis_home.pttl(STORED + "e:" + key("sid=bad")) <= 300
    assert cache.get(key("sid=bad")) is not None
    time.sleep(0.35)
    assert cache.get(key("sid=bad")) is None
    assert redis_home.keys("*") == []  # no session index for a negative entry


def test_claim_is_one_worker_at_a_time(cache: RedisSessionCache, redis_url: str):
    other = RedisSessionCache(redis_url, secret_key=SECRET)  # another worker
    k = key("sid=102Claimed")
    assert cache.claim(k, 5) is Claimed.YOURS
    assert other.claim(k, 5) is Claimed.ASKING
    assert other.claim(k, 5, take_over=True) is Claimed.ASKING  # asking: never taken over
    cache.set(k, entry_for(make_session("102Claimed")))
    assert other.claim(k, 5) is Claimed.ANSWERED  # the answer is there and fresh: read it
    assert other.claim(k, 5, take_over=True) is Claimed.YOURS  # ...unless it cannot be used
    assert cache.claim(k, 5) is Claimed.ASKING
    other.evict(k)
    assert other.claim(k, 0.1) is Claimed.YOURS
    time.sleep(0.15)
    assert cache.claim(k, 5) is Claimed.YOURS  # a claimant that died frees it after its ttl
    stale = key("sid=102Stale")  # past fresh_until, still served if Okta fails
    cache.set(stale, entry_for(make_session("102Stale"), fresh=-1, stale=100))
    assert other.claim(stale, 5) is Claimed.YOURS  # a stale entry is asked about at once
    assert cache.claim(stale, 5) is Claimed.ASKING
    other.close()


def test_evict_session_reaches_every_cookie_and_late_writes(
    cache: RedisSessionCache, redis_home: redis.Redis
):
    session, bystander = make_session("102Leaving"), make_session("102Staying")
    cookies = ("sid=102Leaving", "idx=opaque-idx-value", "sid=102Leaving; idx=opaque-idx-value")
    for cookie in cookies:
        cache.set(key(cookie), entry_for(session))
    cache.set(key("sid=102Staying"), entry_for(bystander))
    cache.evict_session("102Leaving")
    for cookie in cookies:
        assert cache.get(key(cookie)) is None
    assert cache.get(key("sid=102Staying")) is not None
    # an Okta answer that was already on its way when the session ended is not cached
    cache.set(key("idx=opaque-idx-value"), entry_for(session))
    assert cache.get(key("idx=opaque-idx-value")) is None
    assert b"102Leaving" not in everything_in(redis_home)


def test_evict_by_cookie(cache: RedisSessionCache):
    cache.set(key("sid=102One"), entry_for(make_session("102One")))
    cache.evict(key("sid=102One"))
    assert cache.get(key("sid=102One")) is None


def test_a_logged_out_cookie_is_not_cached_again_by_a_late_answer(cache: RedisSessionCache):
    # An idx cookie: its session id was never seen, so only the cookie can be marked.
    cache.evict(key("idx=opaque-idx-value"))
    cache.set(key("idx=opaque-idx-value"), entry_for(make_session("102Late")))
    assert cache.get(key("idx=opaque-idx-value")) is None
    cache.set(key("idx=opaque-idx-value"), entry_for(None))  # "no session" still caches
    entry = cache.get(key("idx=opaque-idx-value"))
    assert entry is not None
    assert entry.session is None


def test_keys_stay_under_their_prefix_and_raw_cookies_are_refused(
    redis_server: RedisServer, redis_client: redis.Redis
):
    first = RedisSessionCache(redis_server.url, secret_key=SECRET, prefix="app-a:")
    second = RedisSessionCache(redis_server.url, secret_key=SECRET, prefix="app-b:")
    first.set(key("sid=102Shared"), entry_for(make_session("102Shared")))
    assert second.get(key("sid=102Shared")) is None
    assert all(name.startswith(b"{app-a:}") for name in redis_client.keys("*"))
    with pytest.raises(ValueError, match="digests"):
        first.get("sid=102Shared")
    first.close()
    second.close()


def test_a_value_moved_or_edited_is_a_miss(
    cache: RedisSessionCache, redis_home: redis.Redis, caplog: pytest.LogCaptureFixture
):
    mine, theirs = key("sid=102Mine"), key("sid=102Theirs")
    cache.set(theirs, entry_for(make_session("102Theirs")))
    raw = redis_home.get(STORED + "e:" + theirs)
    assert raw is not None
    redis_home.set(STORED + "e:" + mine, raw)  # someone with Redis access, no secret
    assert cache.get(mine) is None
    redis_home.set(STORED + "e:" + theirs, raw[:-3] + b"}]]")
    assert cache.get(theirs) is None
    assert len([r for r in caplog.records if "did not write" in r.message]) == 1


def test_unix_socket_url(redis_client: redis.Redis):
    with RedisServer(unix_socket=True) as server:
        assert server.url.startswith("unix://")
        cache = RedisSessionCache(server.url, secret_key=SECRET)
        cache.set(key("sid=102Unix"), entry_for(make_session("102Unix")))
        assert cache.get(key("sid=102Unix")) is not None
        cache.close()


def test_rediss_url_speaks_tls_and_url_hides_the_password():
    cache = RedisSessionCache("rediss://:hunter2@redis.internal:6380/1", secret_key=SECRET)
    pool = cache._client().connection_pool
    assert issubclass(pool.connection_class, redis.SSLConnection)  # watched for a deadline
    assert "hunter2" not in repr(cache)
    assert repr(cache) == "RedisSessionCache('rediss://redis.internal:6380/1')"


async def test_async_methods_and_one_client_per_loop(redis_server: RedisServer):
    cache = RedisSessionCache(redis_server.url, secret_key=SECRET, prefix="loops:")
    session = make_session("102Async")
    assert await cache.aclaim(key("sid=102Async"), 5) is Claimed.YOURS
    await cache.aset(key("sid=102Async"), entry_for(session))
    assert (await cache.aget(key("sid=102Async"))) == cache.get(key("sid=102Async"))

    def other_loop() -> None:  # e.g. a second event loop in another thread
        async def use() -> None:
            assert (await cache.aget(key("sid=102Async"))) is not None
            await cache.aevict_session("102Async")
            await cache.aclose()

        asyncio.run(use())

    thread = threading.Thread(target=other_loop)
    thread.start()
    thread.join()
    assert await cache.aget(key("sid=102Async")) is None
    await cache.aevict(key("sid=102Async"))
    await cache.aclose()


def test_a_loop_that_ends_closes_its_own_client(
    redis_server: RedisServer, redis_client: redis.Redis
):
    cache = RedisSessionCache(redis_server.url, secret_key=SECRET)

    async def use() -> None:  # no aclose(): e.g. asyncio.run in a script, async_to_sync
        await cache.aset(key("sid=102Loop"), entry_for(make_session("102Loop")))

    baseline = len(redis_client.client_list())
    asyncio.run(use())
    deadline = time.monotonic() + 2
    while len(redis_client.client_list()) > baseline and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(redis_client.client_list()) == baseline


def _services(okta: FakeOkta, url: str) -> tuple[SessionService, SessionService]:
    config = make_config(okta, cache_url=url, secret_key=SECRET)
    return SessionService(config, clock=okta.now), SessionService(config, clock=okta.now)


def test_two_services_share_lookups_and_logout(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
):
    worker1, worker2 = _services(okta, redis_server.url)
    assert isinstance(worker1.cache, RedisSessionCache)
    sid = okta.create_session("ann@example.com")
    sid_cookie, idx_cookie = okta.cookie_header(sid), okta.cookie_header(sid, name="idx")
    assert worker1.resolve(sid_cookie).session is not None
    assert worker2.resolve(sid_cookie).session is not None
    assert worker2.resolve(idx_cookie).session is not None
    assert me_calls(okta) == 2  # one per cookie, whichever worker asks
    stored = everything_in(redis_client)
    for secret in (sid, idx_cookie.split("=", 1)[1], sid_cookie, idx_cookie):
        assert secret.encode() not in stored
    assert worker2.logout(sid_cookie) is True
    assert worker1.resolve(sid_cookie).session is None
    assert worker1.resolve(idx_cookie).session is None  # evicted by session id as well
    assert sid.encode() not in everything_in(redis_client)
    worker1.close()
    worker2.close()


async def test_admin_revoke_evicts_for_every_worker(okta: FakeOkta, redis_server: RedisServer):
    worker1, worker2 = _services(okta, redis_server.url)
    sid = okta.create_session("ann@example.com")
    assert (await worker1.aresolve(okta.cookie_header(sid))).session is not None
    assert (await worker2.aresolve(okta.cookie_header(sid))).session is not None
    assert me_calls(okta) == 1
    assert await worker2.arevoke(sid) is True
    assert (await worker1.aresolve(okta.cookie_header(sid))).session is None
    for worker in (worker1, worker2):
        await worker.cache.aclose()
        await worker.aclose()


def test_config_picks_redis_and_needs_a_shared_secret(redis_server: RedisServer):
    config = OktaSessionConfig(
        org_url="https://example.okta.com",
        cache_url=redis_server.url,
        secret_key=SECRET,
        cache_prefix="custom:",
        timeout=30,
    )
    cache = RedisSessionCache.from_config(config)
    assert cache._plan.codec.prefix == "{custom:}"  # as one hash tag (issue 14)
    # outlives any Okta lookup already under way (4 x timeout), and any entry fetched
    # before the end (cache_ttl 60 + stale_if_error 120): issue 10, item 10
    assert cache._plan.ended_ttl == 180
    with pytest.raises(ValueError, match="secret_key"):
        OktaSessionConfig(org_url="https://example.okta.com", cache_url=redis_server.url)


def _redis_key(worker: SessionService, cookie_header: str, kind: str = "e:") -> str:
    cookies = worker.okta_cookies(cookie_header)
    assert cookies is not None
    return STORED + kind + worker.key_for(cookies)


@pytest.mark.parametrize("driver", ["sync", "async"])
async def test_i10_10_a_value_written_back_after_logout_is_not_served(
    driver: str, okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
):
    worker1, worker2 = _services(okta, redis_server.url)
    sid = okta.create_session("ann@example.com")
    cookies = (okta.cookie_header(sid), okta.cookie_header(sid, name="idx"))
    for cookie in cookies:
        assert worker1.resolve(cookie).session is not None
    # A slow writer (or anyone with Redis access) read the values before the logout...
    saved = {_redis_key(worker1, c): redis_client.get(_redis_key(worker1, c)) for c in cookies}
    assert all(saved.values())
    if driver == "sync":
        assert worker2.logout(cookies[0]) is True
    else:
        assert await worker2.alogout(cookies[0]) is True
    for name, raw in saved.items():  # ...and puts them back, raw, once it is over
        redis_client.set(name, raw)
    for cookie in cookies:
        if driver == "sync":
            assert worker1.resolve(cookie).session is None
        else:
            assert (await worker1.aresolve(cookie)).session is None
    assert sid.encode() not in everything_in(redis_client)
    for worker in (worker1, worker2):
        await worker.cache.aclose()
        await worker.aclose()


def _poison(kind: str, genuine: bytes) -> bytes | list[bytes]:
    """What an attacker, another app or a corruption may leave under an entry's name."""
    far_future = b"%015d" % 99_999_999_999_999  # what the old claim read at bytes 18-32
    if kind == "54 junk bytes":
        return b"x" * 17 + far_future + b"x" * 22
    if kind == "old format, bad MAC, fresh-looking":
        return b"\x00" * 16 + b"\x01" + far_future + b"\x00\x00" + b"[1,2,3,null,null]"
    if kind == "genuine value, one byte edited":
        return genuine[:40] + bytes([genuine[40] ^ 1]) + genuine[41:]
    if kind == "10 MB":
        return b"\x02" + b"9" * (10 * 1024 * 1024)
    return [b"a", b"list"]  # not even a string


@pytest.mark.parametrize("driver", ["sync", "async"])
@pytest.mark.parametrize(
    "kind",
    [
        "54 junk bytes",
        "old format, bad MAC, fresh-looking",
        "genuine value, one byte edited",
        "10 MB",
        "not a string",
    ],
)
async def test_i10_10_poisoned_values_are_a_miss_not_a_wait(
    kind: str,
    driver: str,
    okta: FakeOkta,
    redis_server: RedisServer,
    redis_client: redis.Redis,
    caplog: pytest.LogCaptureFixture,
):
    worker, other = _services(okta, redis_server.url)
    sid = okta.create_session("ann@example.com")
    cookie = okta.cookie_header(sid)
    assert other.resolve(cookie).session is not None
    name = _redis_key(worker, cookie)
    genuine = redis_client.get(name)
    assert genuine is not None
    redis_client.delete(name, _redis_key(worker, cookie, "c:"))
    poison = _poison(kind, genuine)
    if isinstance(poison, list):
        redis_client.rpush(name, *poison)
    else:
        redis_client.set(name, poison)
    sent_before = int(redis_client.info("stats")["total_net_output_bytes"])
    # On the old code the claim trusted the poison's "fresh until": the request waited
    # the whole timeout for an answer nobody was fetching, then gave up without Okta.
    resolution = worker.resolve(cookie) if driver == "sync" else await worker.aresolve(cookie)
    assert resolution.session is not None and resolution.session.id == sid
    assert me_calls(okta) == 2  # the poison counted as absent: Okta was asked at once
    assert worker.cache.available  # a bad value is not a Redis failure
    assert int(redis_client.info("stats")["total_net_output_bytes"]) - sent_before < 100_000
    stored = redis_client.get(name)
    assert stored is not None and stored != poison  # replaced by a genuine answer
    assert worker.resolve(cookie).session is not None and me_calls(okta) == 2  # a hit
    warnings = [r.getMessage() for r in caplog.records if "did not write" in r.getMessage()]
    assert len(warnings) == 1
    assert "999" not in warnings[0] and "xxx" not in warnings[0]
    for service in (worker, other):
        await service.cache.aclose()
        await service.aclose()


def test_i10_10_a_claim_left_without_expiry_is_taken_over(
    cache: RedisSessionCache, redis_home: redis.Redis
):
    k = key("sid=102Abandoned")
    redis_home.set(STORED + "c:" + k, b"1")  # no expiry: would hold every worker forever
    assert cache.claim(k, 5) is Claimed.YOURS
    assert 0 < redis_home.pttl(STORED + "c:" + k) <= 5_000
    redis_home.set(STORED + "c:" + k, b"1", px=600_000)  # longer than any caller's
    assert cache.claim(k, 5) is Claimed.YOURS
    redis_home.delete(STORED + "c:" + k)
    redis_home.rpush(STORED + "c:" + k, b"not", b"a string")
    redis_home.pexpire(STORED + "c:" + k, 1_000)
    assert cache.claim(k, 5) is Claimed.YOURS


def test_i10_10_ended_marks_refuse_reads_by_cookie_and_by_session(
    cache: RedisSessionCache, redis_home: redis.Redis
):
    session = make_session("102Ended")
    idx, sid = key("idx=opaque-idx-value"), key("sid=102Ended")
    for k in (idx, sid):
        cache.set(k, entry_for(session))
    saved = {k: redis_home.get(STORED + "e:" + k) for k in (idx, sid)}
    cache.evict(idx)  # the idx cookie logged out; its session id unknown to the caller
    redis_home.set(STORED + "e:" + idx, saved[idx])
    assert cache.get(idx) is None
    assert cache.get(sid) is not None  # another cookie of a session that did not end
    cache.evict_session("102Ended")
    for k, raw in saved.items():
        redis_home.set(STORED + "e:" + k, raw)
        assert cache.get(k) is None
    negative = entry_for(None)  # "no session" answers are still read for an ended cookie
    cache.set(idx, negative)
    assert cache.get(idx) == negative


def test_no_session_id_or_login_in_redis_even_in_dump_bytes(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
):
    worker, _ = _services(okta, redis_server.url)
    sid = okta.create_session("ann@example.com")
    for name in ("sid", "idx"):
        assert worker.resolve(okta.cookie_header(sid, name=name)).session is not None
    names = redis_client.keys("*")
    assert len(names) >= 4  # two entries, their claims, the session index
    dumps = b"".join(redis_client.dump(n) or b"" for n in names)
    for blob in (dumps, everything_in(redis_client)):
        assert sid.encode() not in blob and b"ann@example.com" not in blob
    worker.close()


def test_i10_09_a_lookup_begun_before_a_logout_on_another_worker_serves_nothing(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
):
    config = make_config(okta, cache_url=redis_server.url, secret_key=SECRET, timeout=5.0)
    worker1 = SessionService(config, clock=okta.now)
    worker2 = SessionService(config, clock=okta.now)
    cookie = okta.cookie_header(okta.create_session("ann@example.com"))
    assert worker1.resolve(cookie).session is not None
    okta.advance(61)  # stale: the next request asks Okta, which is slow, then fails
    # the first claim is over
    redis_client.delete(*redis_client.keys("{" + config.cache_prefix + "}c:*"))
    okta.inject(latency=1.5, status=503, times=1, path_prefix="/api/v1/sessions/me")
    calls = me_calls(okta)
    held: list[object] = []
    thread = threading.Thread(target=lambda: held.append(worker1.resolve(cookie).session))
    thread.start()
    deadline = time.monotonic() + 10
    while me_calls(okta) == calls:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    assert worker2.logout(cookie) is True  # the user logs out through another worker
    after = worker1.resolve(cookie)  # joins worker1's lookup, begun before the logout
    thread.join(10)
    assert me_calls(okta) == calls + 1
    assert after.session is None
    assert held == [None]
    worker1.close()
    worker2.close()


def test_ended_marks_outlive_what_they_evicted(cache: RedisSessionCache, redis_home: redis.Redis):
    session = make_session()
    entry = entry_for(session, fresh=60, stale=600)  # servable stale for 10 min
    codec = cache._plan.codec
    cache.set(key("sid=a"), entry)
    cache.evict(key("sid=a"))
    assert cache.ended(key("sid=a"), "other")
    assert redis_home.pttl(codec.ended_cookie_key(key("sid=a"))) > 500_000  # not just 60 s
    cache.set(key("idx=b"), entry)
    cache.evict_session(session.id)
    assert cache.ended(key("idx=c"), session.id)
    assert redis_home.pttl(codec.ended_key(session.id)) > 500_000


def test_i10_03_logouts_refused_by_the_gate_leave_no_ended_marks(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
):
    """A logout of a never-cached cookie that the rate-limit gate keeps from Okta
    closed nothing: it marks nothing ended (made-up cookies would otherwise add two
    Redis keys each, for free, once the gate refuses). Marks for never-cached cookies
    are thus bounded by Okta's own rate limit."""
    worker = SessionService(make_config(okta, cache_url=redis_server.url, secret_key=SECRET))
    okta.rate_limit_until(okta.now() + 300)
    assert worker.logout("sid=102forged00000000000000000") is False  # Okta's 429
    keys = redis_client.dbsize()
    for n in range(1, 21):
        assert worker.logout(f"sid=102forged{n:017d}") is False  # the gate: not asked
    assert len(okta.calls_to("DELETE", "/api/v1/sessions/me")) == 1
    assert redis_client.dbsize() == keys
    worker.close()


async def test_i10_02_a_worker_that_follows_others_is_not_refused_at_start(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis  # a fresh database
):
    """A worker whose lookups are all being asked by another worker (Redis claims) never
    learns Okta's figures itself: its start-up probe must not turn its own users away
    while it follows (each follower waits for the other worker's answer instead)."""
    config = make_config(okta, cache_url=redis_server.url, secret_key=SECRET, timeout=5.0)
    asking, following = SessionService(config), SessionService(config)
    cookies = [okta.cookie_header(okta.create_session("ann@example.com")) for _ in range(20)]
    okta.inject(latency=0.5, times=20, path_prefix="/api/v1/sessions/me")
    first = [asyncio.ensure_future(asking.aresolve(c)) for c in cookies]
    deadline = time.monotonic() + 10
    while me_calls(okta) < 20:  # every cookie claimed and being asked by the first worker
        assert time.monotonic() < deadline
        await asyncio.sleep(0.005)
    followed = await asyncio.gather(*(following.aresolve(c) for c in cookies))
    assert all(r.session is not None for r in await asyncio.gather(*first))
    assert [r.source for r in followed if r.session is None] == []  # none turned away
    assert me_calls(okta) == 20  # the follower asked Okta nothing
    await asking.aclose()
    await following.aclose()
