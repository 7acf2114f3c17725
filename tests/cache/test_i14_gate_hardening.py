"""The shared gate's Redis side reads what any writer of that Redis may have left
(issue 14, attack review): its scripts drop keys no honest worker writes (another type,
figures that are not integers or not Okta's, pauses, windows and leases beyond the
longest an honest worker shares), an unreadable reply is a bad value answered by the
op's fallback, never an outage; and an org's keys stay in the prefix's one slot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from redis.crc import key_slot

from okta_session_mw.cache.gate_state import (
    LONGEST_MS,
    Counter,
    GateAsk,
    GateNote,
    SharedWindow,
    SlotAsk,
)
from okta_session_mw.cache.redis.cache import RedisSessionCache
from okta_session_mw.cache.redis.codec import RedisCodec
from okta_session_mw.cache.redis.gate_ops import GatePlan
from okta_session_mw.cache.redis.ops import Op
from okta_session_mw.engine.shared_gate import org_scope
from okta_session_mw.testing.redis_server import RedisServer

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server, redis_client

SECRET = "workers-share-this-secret-0123456789"
BUCKET, FAMILY = "GET /api/v1/sessions/me", "/api/v1/sessions"
ORG = org_scope("https://example.okta.com")
GATE = "{app:}g:" + ORG + ":"
YEARS = 10**12


@pytest.fixture
def cache(redis_server: RedisServer, redis_client: redis.Redis) -> Iterator[RedisSessionCache]:
    made = RedisSessionCache(redis_server.url, secret_key=SECRET, prefix="app:")
    yield made
    made.close()


def ask(floor: int = 0, seed: SharedWindow | None = None) -> GateAsk:
    return GateAsk(Counter(BUCKET, 100, floor, seed), Counter(FAMILY, 100, -1, None), True, ORG)


def test_i14_72_poisoned_figures_are_dropped_and_seeded_afresh(
    cache: RedisSessionCache, redis_client: redis.Redis
) -> None:
    seed = SharedWindow(100, 60, 1_800_000_000, False, 30_000)
    figures = GATE + "f:" + BUCKET
    poisons = [
        {"limit": "x", "remaining": "5", "reset": "1"},  # not a number
        {"limit": "100", "remaining": "1e3", "reset": "1"},  # not an integer
        {"limit": "100", "remaining": "500", "reset": "1"},  # more left than the limit
    ]
    for poison in poisons:
        redis_client.hset(figures, mapping=poison)
        redis_client.pexpire(figures, 30_000)
        found = cache.gate_take(ask(seed=seed))
        assert found is not None and found.admitted and found.bucket is not None
        assert found.bucket.remaining == 59  # this worker's seed, counted down
        redis_client.delete(figures)
    redis_client.hset(figures, mapping={"limit": "100", "remaining": "0", "reset": "1"})
    redis_client.pexpire(figures, YEARS)  # a window longer than any honest one
    found = cache.gate_take(ask(seed=seed))
    assert found is not None and found.admitted
    redis_client.delete(figures)
    redis_client.rpush(figures, "a list")  # another type: replaced, no WRONGTYPE
    found = cache.gate_take(ask(seed=seed))
    assert found is not None and found.admitted and cache.available
    assert redis_client.type(figures) in (b"hash", "hash")


def test_i14_73_pauses_windows_and_leases_beyond_the_longest_honest_are_dropped(
    cache: RedisSessionCache, redis_client: redis.Redis
) -> None:
    closed = GATE + "x:" + BUCKET
    redis_client.set(closed, "1", px=YEARS)
    found = cache.gate_take(ask())
    assert found is not None and found.admitted and found.closed_ms == 0
    assert redis_client.exists(closed) == 0
    # a note is kept within the longest too (a worker with an absurd figure)
    window = SharedWindow(100, 50, 1_800_000_000, False, YEARS)
    cache.gate_note(GateNote(BUCKET, FAMILY, window, close_ms=YEARS, org=ORG))
    assert 0 < redis_client.pttl(closed) <= LONGEST_MS
    assert 0 < redis_client.pttl(GATE + "f:" + BUCKET) <= LONGEST_MS
    slots = GATE + "slots"
    (now_s, now_us) = redis_client.time()
    far = now_s * 1000 + now_us // 1000 + YEARS
    redis_client.zadd(slots, {f"x{i}": far for i in range(3)})
    assert cache.gate_slot(SlotAsk("honest", 3, 5_000, ORG)) is True
    assert redis_client.zrange(slots, 0, -1) in ([b"honest"], ["honest"])
    redis_client.delete(slots)
    redis_client.set(slots, "not a sorted set")
    cache.gate_note(GateNote(BUCKET, FAMILY, lease="honest", org=ORG))  # no WRONGTYPE
    assert cache.gate_slot(SlotAsk("honest", 3, 5_000, ORG)) is True and cache.available


def test_i14_74_an_unreadable_reply_is_a_bad_value_not_an_outage(
    cache: RedisSessionCache, caplog: pytest.LogCaptureFixture
) -> None:
    reported: list[Exception] = []
    plan = GatePlan("{app:}", reported.append)
    assert plan.take(ask()).read([b"ok", 0, 1, b"x"]) is None  # one item short, not a number
    assert plan.slot(SlotAsk("a", 1, 1_000)).read(b"not a number") is None
    assert len(reported) == 2 and all("not readable" in str(exc) for exc in reported)

    def unreadable(_reply: object) -> str:
        raise ValueError("nothing to read here")

    # the shells: any op whose reply cannot be read answers its fallback, Redis still up
    assert cache._run(Op("ping", ("PING",), unreadable, "fallback")) == (True, "fallback")
    assert cache.available
    assert "nothing to read here" not in caplog.text


def test_i14_75_an_orgs_gate_keys_are_its_own_and_in_the_prefixs_slot() -> None:
    codec = RedisCodec(SECRET.encode(), "okta-session-mw:")
    plan, slot = GatePlan(codec.prefix), key_slot(codec.prefix.encode())
    other = org_scope("https://other.okta.com")

    def keys(org: str) -> set[str]:
        counter = Counter(BUCKET, 100, 10, None)
        ops = [
            plan.take(GateAsk(counter, counter, org=org)),
            plan.note(GateNote(BUCKET, FAMILY, org=org)),
            plan.slot(SlotAsk("lease", 50, 1000, org)),
        ]
        return {str(a) for op in ops for a in op.args[1 : 1 + int(op.args[0])]}

    mine, theirs = keys(ORG), keys(other)
    assert mine == keys(org_scope("https://example.okta.com"))  # the same org: shared
    assert not mine & theirs  # another org: never met
    for name in mine | theirs:
        assert name.startswith(codec.prefix) and key_slot(name.encode()) == slot
