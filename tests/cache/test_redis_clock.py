"""The earliest Redis time a worker's reading can be (``cache/redis/clock.py``): one
decision, so it is tested with made-up samples (the Redis tests use a real server)."""

from __future__ import annotations

import math

from okta_session_mw.cache.redis.clock import LONG_AGO, RedisClock

SECOND = 1_000_000  # microseconds
REDIS = 1_800_000_000 * SECOND  # Redis's clock when the worker's first sample reads 1000.0


def test_i13_02_a_reading_is_stated_no_later_than_redis_s_time_then() -> None:
    clock = RedisClock()
    assert clock.earliest(1000.0) == LONG_AGO  # nothing measured: long ago
    clock.note(1000.0, REDIS)  # Redis read REDIS before the worker read 1000.0
    assert clock.earliest(-math.inf) == LONG_AGO
    later = clock.earliest(1002.0)  # two seconds on: two seconds, less the drift
    assert REDIS + 2 * SECOND - 3_000 <= later <= REDIS + 2 * SECOND
    earlier = clock.earliest(999.0)  # a second before the sample: no later than then
    assert earlier <= REDIS - SECOND


def test_i13_02_a_stepped_clock_is_measured_again_by_the_next_sample() -> None:
    """The worker's clock jumps 10 s forward after a sample: the next sample measures
    the clocks again and replaces it, so a reading after the jump is not stated 10 s
    later than it was."""
    clock = RedisClock()
    clock.note(1000.0, REDIS)
    clock.note(1011.0, REDIS + SECOND)  # one real second on, the worker reads 1011
    assert clock.earliest(1011.5) <= REDIS + SECOND + SECOND // 2
    clock.note(1012.0, REDIS + 2 * SECOND - 2_000)  # no step, a slower reply: 2 ms less
    assert clock.earliest(1012.5) > REDIS + 2 * SECOND + SECOND // 2 - 3_000
