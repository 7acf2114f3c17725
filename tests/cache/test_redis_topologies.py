"""Redis as users run it (issue 14, item 5): one server, a Redis Cluster of three primaries,
and a primary found through Sentinel. The cache's behaviour is the same on each: the
key tests here run once per topology (``redis_url``), then what only a cluster or only
Sentinel needs (one slot for every key, script routing, a failover)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from redis.crc import key_slot
from starlette.testclient import TestClient

from okta_session_mw import OktaSessionConfig, SessionService
from okta_session_mw.cache.entry import Claimed
from okta_session_mw.cache.gate_state import Counter, GateAsk, GateNote, SlotAsk
from okta_session_mw.cache.redis.cache import RedisSessionCache
from okta_session_mw.cache.redis.codec import RedisCodec
from okta_session_mw.cache.redis.connections import PRIMARY_CHECK_INTERVAL
from okta_session_mw.cache.redis.gate_ops import GatePlan
from okta_session_mw.cache.redis.ops import RedisPlan
from okta_session_mw.errors import ConfigError
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.redis_cluster import RedisClusterServers
from okta_session_mw.testing.redis_sentinel import RedisSentinelServers
from okta_session_mw.testing.redis_server import free_port
from tests.support.apps import make_app, make_config
from tests.support.fake_helpers import me_calls
from tests.support.redis_entries import SECRET, entry_for, key, make_session

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_url (x3), redis_cluster, redis_sentinel

ORG = "https://example.okta.com"


def every_key_of_every_op(codec: RedisCodec) -> list[tuple[str, list[str]]]:
    """Each op the plan builds, with the keys it names: declared ones, and those its
    script builds from a prefix in ARGV (shown with a cache key after the prefix)."""
    plan = RedisPlan(codec, ended_ttl=60, report=lambda exc: None)
    k, session = key("sid=102Slot"), make_session("102Slot")
    ops = [
        plan.get(k), plan.claim(k, 5), plan.set(k, entry_for(session), time.time()),
        plan.set(k, entry_for(None), time.time()), plan.ended(k, session.id, 0.0, "00u1"),
        plan.evict(k), plan.evict_session(session.id), plan.evict_user("00u1"),
        plan.release(k),
    ]  # fmt: skip
    gate = GatePlan(codec.prefix)  # the shared gate's keys (issue 14.2, 14.3)
    counter = Counter("GET /api/v1/sessions/{id}", 100, 10, None)
    ops += [
        gate.take(GateAsk(counter, Counter("/api/v1/sessions", 100, 10, None))),
        gate.note(GateNote("GET /api/v1/sessions/{id}", "/api/v1/sessions", close_ms=5)),
        gate.slot(SlotAsk("lease", 50, 1000)),
    ]
    found = []
    for op in ops:
        if op.script is None:
            found.append((op.name, [str(op.args[1])]))
            continue
        declared = int(op.args[0])
        names = [str(a) for a in op.args[1 : 1 + declared]]
        prefixes = (codec.entry_prefix, codec.claim_prefix, codec.ended_prefix)
        built = [str(a) + k for a in op.args[1 + declared :] if a in prefixes]
        assert declared >= 1, f"{op.name}: a script must declare a key to be routed"
        found.append((op.name, names + built))
    return found


@pytest.mark.parametrize(
    ("prefix", "stored"),
    [("okta-session-mw:", "{okta-session-mw:}"), ("app:{okta}:", "app:{okta}:"),
     ("{a}", "{a}")],
)  # fmt: skip
def test_i14_40_every_key_of_the_cache_is_in_the_one_slot_of_its_prefix_s_hash_tag(
    prefix: str, stored: str
) -> None:
    codec = RedisCodec(SECRET.encode(), prefix)
    assert codec.prefix == stored  # the user's own tag is kept
    slot = key_slot(codec.prefix.encode())
    ops = every_key_of_every_op(codec)
    assert len(ops) == 12
    for name, keys in ops:
        assert keys
        for each in keys:
            assert each.startswith(stored)
            assert key_slot(each.encode()) == slot, (name, each)


@pytest.mark.parametrize("prefix", ["", "app{:", "app}:", "{}app:", "app:{}:"])
def test_i14_41_a_prefix_whose_braces_are_no_hash_tag_is_refused(prefix: str) -> None:
    with pytest.raises(ConfigError) as refused:
        OktaSessionConfig(org_url=ORG, cache_prefix=prefix)
    assert refused.value.setting == "cache_prefix"
    with pytest.raises(ValueError, match="Redis key prefix"):
        RedisCodec(SECRET.encode(), prefix)


GOOD_URLS = [
    "redis+cluster://10.0.0.1:7000,10.0.0.2:7001,[::1]:7002",
    "rediss+cluster://:pw-hunter2@cache.internal:6380",
    "redis+cluster://cache.internal:7000/0?socket_timeout=2",
    "redis+sentinel://s1:26379,s2:26379,s3/mymaster",
    "redis+sentinel://ann:pw-hunter2@s1:26379/mymaster/3",
    "rediss+sentinel://:pw-hunter2@s1/mymaster",
]


@pytest.mark.parametrize("url", GOOD_URLS)
def test_i14_42_cluster_and_sentinel_urls_are_accepted_and_no_repr_or_log_name_shows_a_password(
    url: str,
) -> None:
    config = OktaSessionConfig(org_url=ORG, cache_url=url, secret_key=SECRET)
    assert config.cache_url == url
    assert "hunter2" not in repr(config)
    cache = RedisSessionCache.from_config(config)  # makes no connection yet
    where = cache._health.where
    assert "hunter2" not in repr(cache) and "hunter2" not in where and "ann" not in where
    assert where.split("://")[1].split("/")[0].count(",") == url.split("@")[-1].count(",")


BAD_URLS = [
    ("redis+cluster://:pw-hunter2@", "host:port"),
    ("redis+cluster://:pw-hunter2@h1:7000,,h2:7001", "empty"),
    ("redis+cluster://:pw-hunter2@h1:70x0", "port"),
    ("redis+cluster://:pw-hunter2@h1:7000/2", "database 0"),
    ("redis+sentinel://:pw-hunter2@s1:26379", "service name"),
    ("redis+sentinel://:pw-hunter2@s1:26379/", "service name"),
    ("redis+sentinel://:pw-hunter2@s1:26379/mymaster/zero", "number"),
    ("redis+sentinel://:pw-hunter2@s1:26379/a/0/b", "no more"),
    ("redis+sentinel://:pw-hunter2@s1:26379/m#pw-hunter2", "fragment"),
    ("sentinel://:pw-hunter2@s1:26379/m", "redis+sentinel://"),
    ("memcached://:pw-hunter2@h1", "redis+cluster://"),
]


@pytest.mark.parametrize(("url", "said"), BAD_URLS)
def test_i14_43_a_bad_cluster_or_sentinel_url_is_a_config_error_that_names_no_password(
    url: str, said: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        OktaSessionConfig(org_url=ORG, cache_url=url, secret_key=SECRET)
    assert refused.value.setting == "cache_url"
    assert said in str(refused.value) and "hunter2" not in str(refused.value)
    with pytest.raises(ValueError, match="Redis URL") as direct:
        RedisSessionCache(url, secret_key=SECRET)
    assert "hunter2" not in str(direct.value)
    env = OktaSessionConfig.from_mapping
    with pytest.raises(ConfigError) as from_env:
        env({"OKTA_ORG_URL": ORG, "OKTA_CACHE_URL": url, "OKTA_SECRET_KEY": SECRET}, prefix="OKTA_")
    assert from_env.value.setting == "OKTA_CACHE_URL" and "hunter2" not in str(from_env.value)


# -- the cache's behaviour, once per topology --------------------------------------------
def test_i14_44_get_set_claim_and_evict_behave_alike_on_every_topology(redis_url: str) -> None:
    one = RedisSessionCache(redis_url, secret_key=SECRET)
    two = RedisSessionCache(redis_url, secret_key=SECRET)  # another worker
    k, session = key("sid=102Topo"), make_session("102Topo")
    assert one.claim(k, 5) is Claimed.YOURS
    assert two.claim(k, 5) is Claimed.ASKING
    one.set(k, entry_for(session))
    assert two.claim(k, 5) is Claimed.ANSWERED
    found = two.get(k)
    assert found is not None and found.session == session
    two.evict(k)
    assert one.get(k) is None
    one.set(k, entry_for(session))  # a late answer for a cookie just logged out
    assert two.get(k) is None
    assert one.available and two.available
    one.close()
    two.close()


def test_i14_45_an_end_by_session_reaches_every_cookie_of_it_on_every_topology(
    redis_url: str,
) -> None:
    one = RedisSessionCache(redis_url, secret_key=SECRET)
    two = RedisSessionCache(redis_url, secret_key=SECRET)
    leaving, staying = make_session("102Leaves"), make_session("102Stays")
    cookies = ("sid=102Leaves", "idx=opaque-topology", "sid=102Leaves; idx=opaque-topology")
    for cookie in cookies:
        one.set(key(cookie), entry_for(leaving))
    one.set(key("sid=102Stays"), entry_for(staying))
    assert two.evict_session("102Leaves") is True
    for cookie in cookies:
        assert one.get(key(cookie)) is None
        assert one.ended(key(cookie), "102Leaves")
    assert one.get(key("sid=102Stays")) is not None
    one.set(key("idx=opaque-topology"), entry_for(leaving))  # an answer already on its way
    assert two.get(key("idx=opaque-topology")) is None
    assert one.available and two.available
    one.close()
    two.close()


def test_i14_46_an_end_by_user_reaches_every_session_of_the_user_on_every_topology(
    redis_url: str,
) -> None:
    one = RedisSessionCache(redis_url, secret_key=SECRET)
    two = RedisSessionCache(redis_url, secret_key=SECRET)
    first, second = make_session("102UserA"), make_session("102UserB")  # both of user 00u1
    one.set(key("sid=102UserA"), entry_for(first))
    two.set(key("sid=102UserB"), entry_for(second))
    asked_before = time.time() - 1
    assert one.evict_user("00u1") is True
    assert two.get(key("sid=102UserA")) is None and two.get(key("sid=102UserB")) is None
    assert two.ended(key("sid=102UserA"), "102UserA", asked_before, "00u1")
    assert one.available and two.available
    one.close()
    two.close()


async def test_i14_47_the_async_colour_works_on_every_topology_one_client_per_loop(
    redis_url: str,
) -> None:
    cache = RedisSessionCache(redis_url, secret_key=SECRET)
    k, session = key("sid=102Async"), make_session("102Async")
    assert await cache.aclaim(k, 5) is Claimed.YOURS
    await asyncio.gather(*(cache.aset(k, entry_for(session)) for _ in range(5)))
    found = await cache.aget(k)
    assert found is not None and found.session == session
    assert cache.get(k) is not None  # the sync client reads what the async one wrote
    client = await cache._connections.for_loop()
    assert await cache._connections.for_loop() is client
    assert await cache.aevict_session("102Async") is True
    assert await cache.aget(k) is None
    assert await cache.aended(k, "102Async")
    assert await cache.aevict_user("00u1") is True
    assert cache.available
    await cache.aclose()


async def test_i14_48_a_script_redis_does_not_know_yet_is_sent_whole_on_every_topology(
    redis_url: str, request: pytest.FixtureRequest
) -> None:
    cache = RedisSessionCache(redis_url, secret_key=SECRET)
    k, session = key("sid=102NoScript"), make_session("102NoScript")
    cache.set(k, entry_for(session))
    if "cluster" in redis_url:  # every node forgets its scripts
        cluster: RedisClusterServers = request.getfixturevalue("redis_cluster")
        ports = [server.port for server in cluster.servers]
    elif "sentinel" in redis_url:
        sentinel: RedisSentinelServers = request.getfixturevalue("redis_sentinel")
        ports = [sentinel.primary.port]
    else:
        ports = [int(redis_url.rsplit(":", 1)[1].split("/")[0])]

    def forget_scripts() -> None:
        for port in ports:
            with redis.Redis(port=port) as raw:
                raw.script_flush()

    forget_scripts()
    found = cache.get(k)  # EVALSHA: NOSCRIPT, then EVAL
    assert found is not None and found.session == session
    forget_scripts()
    found = await cache.aget(k)  # the same on the asyncio client
    assert found is not None and found.session == session
    forget_scripts()
    assert await cache.aevict_session("102NoScript") is True
    assert cache.get(k) is None
    assert cache.available
    await cache.aclose()


def test_i14_49_served_end_to_end_a_lookup_is_cached_once_and_logout_evicts_everywhere(
    okta: FakeOkta, redis_url: str
) -> None:
    config = make_config(okta, cache_url=redis_url, secret_key=SECRET)
    worker1 = SessionService(config, clock=okta.now)
    worker2 = SessionService(config, clock=okta.now)
    sid = okta.create_session("ann@example.com")
    cookie = {"cookie": okta.cookie_header(sid)}
    with TestClient(make_app(worker1)) as one, TestClient(make_app(worker2)) as two:
        assert one.get("/", headers=cookie).json()["id"] == sid
        assert two.get("/", headers=cookie).json()["id"] == sid
        assert two.get("/private", headers=cookie).status_code == 200
        assert me_calls(okta) == 1  # one Okta lookup for both workers
        out = two.post("/logout", headers={**cookie, "origin": "http://testserver"})
        assert out.status_code in (204, 303)
        assert one.get("/", headers=cookie).json()["id"] is None
    assert isinstance(worker1.cache, RedisSessionCache) and worker1.cache.available


@pytest.mark.parametrize("topology", ["cluster", "sentinel"])
async def test_i14_53_a_host_listed_first_that_is_down_is_passed_over(
    topology: str, redis_url_of: Callable[[str], str]
) -> None:
    scheme, _, rest = redis_url_of(topology).partition("://")
    url = f"{scheme}://127.0.0.1:{free_port()},{rest}"  # nothing listens on the first
    cache = RedisSessionCache(url, secret_key=SECRET, timeout=0.3)
    k, session = key("sid=102Passed"), make_session("102Passed")
    cache.set(k, entry_for(session))
    assert (await cache.aget(k)) is not None
    assert cache.get(k) is not None and cache.available
    await cache.aclose()


# -- what only a cluster needs ------------------------------------------------------------
def test_i14_50_the_whole_cache_lives_on_the_node_of_its_slot(
    redis_cluster: RedisClusterServers,
) -> None:
    for server in redis_cluster.servers:
        with redis.Redis(port=server.port) as raw:
            raw.flushall()
    cache = RedisSessionCache(redis_cluster.url, secret_key=SECRET)
    for n in range(20):
        cache.set(key(f"sid=102Many{n}"), entry_for(make_session(f"102Many{n}")))
    home = redis_cluster.node_for(cache._plan.codec.prefix)
    for server in redis_cluster.servers:
        with redis.Redis(port=server.port) as raw:
            count = raw.dbsize()
        assert count == (41 if server is home else 0)  # 20 entries, 20 indexes, 1 user index
    cache.close()


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_i14_51_a_hung_cluster_node_costs_one_bounded_wait_then_the_outage_mode(
    redis_cluster: RedisClusterServers, flavour: str
) -> None:
    cache = RedisSessionCache(redis_cluster.url, secret_key=SECRET, timeout=0.5, retry_interval=0.3)
    k, session = key("sid=102Hung"), make_session("102Hung")
    cache.set(k, entry_for(session))
    assert cache.available  # in Redis, not kept in this process (an outage's mode)
    home = redis_cluster.node_for(cache._plan.codec.prefix)
    home.pause()
    try:
        started = time.monotonic()
        if flavour == "sync":
            assert cache.get(k) is None  # Redis out: the cache answers as if empty
            cache.set(k, entry_for(session))
            kept = cache.get(k)
        else:
            assert await cache.aget(k) is None
            await cache.aset(k, entry_for(session))
            kept = await cache.aget(k)
        assert kept is not None  # kept in this process while Redis is out
        assert time.monotonic() - started < 10  # no hang (cluster-node-timeout is 5 s)
        assert not cache.available
    finally:
        home.resume()
    # The first call after retry_interval goes to Redis; on a loaded machine reconnecting
    # may take a few. The deadline is a bound on "never", not a timing.
    deadline = time.monotonic() + 10
    while True:
        time.sleep(0.35)
        found = cache.get(k) if flavour == "sync" else await cache.aget(k)
        if cache.available or time.monotonic() > deadline:
            break
    assert found is not None and cache.available  # from Redis again
    await cache.aclose()


async def test_i14_55_after_a_cluster_failover_the_next_call_follows_the_slot_to_its_new_primary(
    own_redis_cluster: RedisClusterServers,
) -> None:
    """No retries, yet a moved slot is followed: MOVED is a redirection, not a failure."""
    cluster = own_redis_cluster
    cache = RedisSessionCache(cluster.url, secret_key=SECRET, timeout=0.3, retry_interval=0.2)
    codec, k, session = cache._plan.codec, key("sid=102Moved"), make_session("102Moved")
    cache.set(k, entry_for(session))
    assert await cache.aget(k) is not None  # both clients know the old primary
    home = cluster.node_for(codec.prefix)
    replica = cluster.add_replica(home)
    with redis.Redis(port=home.port) as primary, redis.Redis(port=replica.port) as copy:
        deadline = time.monotonic() + 10
        while copy.dbsize() < primary.dbsize():  # the replica has it (asynchronous)
            assert time.monotonic() < deadline
            time.sleep(0.01)
    cluster.failover(replica)  # the replica takes the slot over; the old primary follows it
    found = cache.get(k)
    assert found is not None and found.session == session
    found = await cache.aget(k)
    assert found is not None and found.session == session
    assert await cache.aevict_session("102Moved") is True
    assert cache.get(k) is None and cache.available
    with redis.Redis(port=replica.port) as new:
        assert new.exists(codec.ended_key("102Moved"))  # the end is on the new primary
    await cache.aclose()


# -- what only Sentinel needs -------------------------------------------------------------
async def call(cache: RedisSessionCache, flavour: str, name: str, *args: object) -> Any:
    """``cache.name(*args)``, or ``await cache.aname(*args)`` for the async flavour."""
    if flavour == "sync":
        return getattr(cache, name)(*args)
    return await getattr(cache, "a" + name)(*args)


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_i14_52_after_a_failover_the_next_call_reaches_the_new_primary(
    own_redis_sentinel: RedisSentinelServers, flavour: str
) -> None:
    servers = own_redis_sentinel
    cache = RedisSessionCache(servers.url, secret_key=SECRET, timeout=0.3, retry_interval=0.2)
    before, during = make_session("102Before"), make_session("102During")
    await call(cache, flavour, "set", key("sid=102Before"), entry_for(before))
    old, replica = servers.primary, servers.replica
    assert replica is not None
    with redis.Redis(port=old.port) as primary, redis.Redis(port=replica.port) as copy:
        deadline = time.monotonic() + 10
        while copy.dbsize() < primary.dbsize():  # the replica has it (asynchronous)
            assert time.monotonic() < deadline
            time.sleep(0.01)
    old.kill()  # the primary dies
    await call(cache, flavour, "set", key("sid=102During"), entry_for(during))
    assert not cache.available  # the outage mode, meanwhile
    found = await call(cache, flavour, "get", key("sid=102During"))
    assert found is not None and found.session == during  # from this process
    servers.failover()  # the replica becomes the primary
    assert servers.primary is not old
    time.sleep(0.25)  # retry_interval: the next call is the probe
    found = await call(cache, flavour, "get", key("sid=102Before"))
    assert found is not None and found.session == before  # replicated, read anew
    assert cache.available
    assert await call(cache, flavour, "get", key("sid=102During")) is None  # copies dropped
    assert await call(cache, flavour, "evict_session", "102Before") is True
    assert await call(cache, flavour, "get", key("sid=102Before")) is None
    with redis.Redis(port=servers.primary.port) as raw:
        assert raw.dbsize() > 0  # the end marks are on the new primary
    await cache.aclose()


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_i14_54_a_failover_while_the_old_primary_still_answers_is_followed_within_a_second(
    own_redis_sentinel: RedisSentinelServers, flavour: str
) -> None:
    """``SENTINEL FAILOVER``: the old primary keeps answering as a primary until Sentinel
    demotes it (some ten seconds); a logout sent to it meanwhile would be lost with its
    data. The worker asks the sentinels once a second, so the end reaches the new one."""
    servers = own_redis_sentinel
    cache = RedisSessionCache(servers.url, secret_key=SECRET, timeout=0.3, retry_interval=0.2)
    codec, k = cache._plan.codec, key("sid=102Graceful")
    await call(cache, flavour, "set", k, entry_for(make_session("102Graceful")))
    old, replica = servers.primary, servers.replica
    assert replica is not None
    with redis.Redis(port=old.port) as primary, redis.Redis(port=replica.port) as copy:
        deadline = time.monotonic() + 10
        while copy.dbsize() < primary.dbsize():  # the replica has it (asynchronous)
            assert time.monotonic() < deadline
            time.sleep(0.01)
    servers.failover()  # the old primary still runs, and still takes writes for a while
    time.sleep(PRIMARY_CHECK_INTERVAL + 0.05)
    assert await call(cache, flavour, "evict_session", "102Graceful") is True
    with redis.Redis(port=servers.primary.port) as new:
        assert new.exists(codec.ended_key("102Graceful"))  # the end is on the new primary
        assert not new.exists(codec.entry_key(k))
    assert await call(cache, flavour, "get", k) is None
    assert cache.available
    await cache.aclose()
