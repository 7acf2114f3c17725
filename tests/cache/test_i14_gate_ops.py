"""The shared gate's Redis scripts against a real Redis (issue 14.2, 14.3): they compare
the engine's numbers and count down atomically, merge answers' figures as the
per-process gate does, and keep pauses and leases as Redis expiries."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from okta_session_mw.cache.gate_state import Counter, GateAsk, GateNote, SharedWindow, SlotAsk
from okta_session_mw.cache.redis.cache import RedisSessionCache
from okta_session_mw.testing.redis_server import RedisServer

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server, redis_client

SECRET = "workers-share-this-secret-0123456789"
BUCKET, FAMILY = "GET /api/v1/sessions/me", "/api/v1/sessions"
RESET = 1_800_000_000


@pytest.fixture
def cache(redis_server: RedisServer, redis_client: redis.Redis) -> Iterator[RedisSessionCache]:
    made = RedisSessionCache(redis_server.url, secret_key=SECRET, prefix="{app}:")
    yield made
    made.close()


def ask(floor: int, limit: int = 100, *, family_floor: int = -1, count: bool = True) -> GateAsk:
    bucket, family = Counter(BUCKET, limit, floor, None), Counter(FAMILY, limit, family_floor, None)
    return GateAsk(bucket, family, count)


def window(remaining: int, reset: int = RESET, ms: int = 30_000) -> SharedWindow:
    return SharedWindow(100, remaining, reset, False, ms)


def test_i14_29_concurrent_takes_count_down_atomically_and_stop_at_the_floor(
    cache: RedisSessionCache, redis_client: redis.Redis
) -> None:
    cache.gate_note(GateNote(BUCKET, FAMILY, window(30)))
    with ThreadPoolExecutor(8) as threads:
        verdicts = list(threads.map(lambda _: cache.gate_take(ask(20)), range(40)))
    assert sum(v is not None and v.admitted for v in verdicts) == 10  # 30 down to 20
    last = cache.gate_take(ask(0))  # a known session may spend the reserve
    assert last is not None and last.admitted and last.bucket is not None
    assert last.bucket.remaining == 19 and 0 < last.bucket.ms <= 30_000
    assert all(b"{app}" in name for name in redis_client.keys("*"))  # the prefix's hash tag


def test_i14_30_a_floor_of_another_limit_is_sent_back_and_a_seed_starts_a_window(
    cache: RedisSessionCache,
) -> None:
    seeded = GateAsk(Counter(BUCKET, 100, 20, window(60, ms=5_000)), Counter(FAMILY, 100, -1, None))
    first = cache.gate_take(seeded)
    assert first is not None and first.admitted and first.bucket is not None
    assert first.bucket.remaining == 59 and first.family is None  # the family: no seed
    stale = cache.gate_take(ask(20, limit=-1))  # this process knew no limit
    assert stale is not None and stale.stale_limit and not stale.admitted
    assert stale.bucket is not None and stale.bucket.remaining == 59  # nothing counted


def test_i14_31_answers_merge_as_the_local_gate_does_and_a_429_closes_as_an_expiry(
    cache: RedisSessionCache, redis_client: redis.Redis
) -> None:
    cache.gate_note(GateNote(BUCKET, FAMILY, window(50)))
    cache.gate_note(GateNote(BUCKET, FAMILY, window(70)))  # same window: the lower count
    cache.gate_note(GateNote(BUCKET, FAMILY, window(90, reset=RESET - 60)))  # earlier: ignored
    read = cache.gate_take(ask(-1, count=False))
    assert read is not None and read.bucket is not None and read.bucket.remaining == 50
    cache.gate_note(GateNote(BUCKET, FAMILY, window(95, reset=RESET + 60)))  # the next window
    read = cache.gate_take(ask(-1, count=False))
    assert read is not None and read.bucket is not None and read.bucket.remaining == 95
    cache.gate_note(GateNote(BUCKET, FAMILY, close_ms=20_000))
    cache.gate_note(GateNote(BUCKET, FAMILY, close_ms=5_000))  # never shortens a pause
    shut = cache.gate_take(ask(0))
    assert shut is not None and not shut.admitted and 19_000 < shut.closed_ms <= 20_000
    (closing,) = redis_client.keys("*g:x:" + BUCKET)
    assert redis_client.pttl(closing) > 19_000


def test_i14_32_call_slots_are_leases_given_back_or_expiring(
    cache: RedisSessionCache, redis_client: redis.Redis
) -> None:
    assert cache.gate_slot(SlotAsk("a", 2, 60_000)) is True
    assert cache.gate_slot(SlotAsk("b", 2, 50)) is True
    assert cache.gate_slot(SlotAsk("c", 3, 60_000)) is True  # a spender allowed more slots
    assert cache.gate_slot(SlotAsk("d", 3, 60_000)) is False
    cache.gate_note(GateNote(BUCKET, FAMILY, lease="a"))
    assert set(redis_client.zrange(redis_client.keys("*g:slots")[0], 0, -1)) == {b"b", b"c"}
    time.sleep(0.06)  # "b" was a dead worker's
    assert cache.gate_slot(SlotAsk("d", 2, 60_000)) is True  # "b" expired, "a" given back
    assert set(redis_client.zrange(redis_client.keys("*g:slots")[0], 0, -1)) == {b"c", b"d"}
