"""Observability (issue 7): counters readable from one stats object and pushed to a hook."""

from __future__ import annotations

import gc
import itertools
import sys
import threading
from collections.abc import Iterator

import pytest

from okta_session_mw import SessionService, SessionStats
from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.errors import OktaServerError
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.apps import make_config
from tests.support.okta_users import API_TOKEN, LOGIN


async def test_counters_and_hook_see_every_kind_of_event() -> None:
    fake = FakeOkta(api_token=API_TOKEN, idle_timeout=600)
    fake.add_user(LOGIN, "pw")
    events: list[tuple[str, float]] = []
    with serve_fake_okta(fake):
        config = make_config(fake, cache_ttl=60, refresh_threshold=300, stale_if_error=600)
        service = SessionService(
            config, clock=fake.now, stats=SessionStats(on_event=lambda n, v: events.append((n, v)))
        )
        cookie = fake.cookie_header(fake.create_session(LOGIN))
        await service.aresolve(cookie)  # miss
        await service.aresolve(cookie)  # hit
        await service.aresolve("sid=unknown")  # miss (negative)
        await service.aresolve("sid=unknown")  # negative hit
        await service.aresolve_request(None, "/")  # no cookie: nothing counted
        fake.advance(400)  # inside the refresh window, past the cache TTL
        await service.aresolve(cookie)  # miss, asked as a refresh (one call does both)
        fake.advance(61)
        fake.inject(status=500)
        await service.aresolve(cookie)  # Okta 500: served stale
        fake.clear_faults()
        fake.advance(61)
        fake.rate_limit_until(fake.now() + 30)
        await service.aresolve(cookie)  # 429: stale again
        await service.aclose()
    stats = service.stats.snapshot()
    assert stats["resolve.miss"] == 3
    assert stats["resolve.hit"] == 1
    assert stats["resolve.negative_hit"] == 1
    assert stats["resolve.stale"] == 2
    assert stats["okta_call.refresh_current_session"] == 1
    assert stats["okta_error.OktaServerError"] == 1
    assert stats["okta_error.OktaRateLimitError"] == 1
    assert stats["okta_call.get_current_session"] == 4
    assert stats["okta_latency_avg.get_current_session"] > 0
    names = [name for name, _ in events]
    assert names.count("resolve.hit") == 1
    assert "okta_latency.get_current_session" in names
    assert all(value == 1 for name, value in events if not name.startswith("okta_latency."))


THREADS, PER_THREAD = 8, 20_000


@pytest.fixture
def switch_often() -> Iterator[None]:
    """Threads switch as often as CPython lets them: a race, if there is one, shows."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def _count_in_threads(stats: SessionStats, threads: int, each: int) -> None:
    """``threads`` threads, started together, each recording ``each`` hits and a call to
    Okta every 1,000th (a new name appearing in a thread's counts while readers copy)."""
    start = threading.Barrier(threads)
    hit = Resolution(None, Source.HIT)

    def count() -> None:
        start.wait()
        for i in range(each):
            stats.record(hit)
            if i % 1_000 == 0:
                stats.okta_call("get_current_session", 0.5, OktaServerError(503))

    workers = [threading.Thread(target=count) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


@pytest.mark.usefixtures("switch_often")
def test_i12_03_threads_count_exactly_and_readings_never_go_down() -> None:
    """8 threads count 20,000 hits each while another reads: the totals are exact (no
    count lost, none folded twice) and no reading goes down or past the end. Counting that
    reads then writes a shared dict loses thousands here; a shared ``Counter``'s ``+=``
    happens to be exact under CPython's GIL, so only the free-threaded build would show it."""
    stats = SessionStats()
    total = THREADS * PER_THREAD
    readings: list[tuple[int, int]] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            readings.append((int(stats.snapshot().get("resolve.hit", 0)), stats.get("resolve.hit")))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        _count_in_threads(stats, THREADS, PER_THREAD)
    finally:
        done.set()
        reader.join()
    snapshot = stats.snapshot()
    calls = THREADS * len(range(0, PER_THREAD, 1_000))
    assert snapshot["resolve.hit"] == stats.get("resolve.hit") == total
    assert snapshot["okta_call.get_current_session"] == calls
    assert snapshot["okta_error.OktaServerError"] == calls
    assert snapshot["okta_latency_avg.get_current_session"] == 0.5
    assert len(readings) > 10  # the reader did read while the counting went on
    flat = [value for pair in readings for value in pair]
    assert all(a <= b for a, b in itertools.pairwise(flat)), "a reading went down"
    assert max(flat) <= total


def test_i12_03_ended_threads_are_folded_and_forgotten() -> None:
    """500 short-lived threads (a thread per request): nothing they counted is lost, and
    the stats keep no trace of each (their counts join the totals when they end)."""
    stats = SessionStats()
    hit, miss = Resolution(None, Source.HIT), Resolution(None, Source.MISS)

    def count() -> None:
        for _ in range(3):
            stats.record(hit)
        stats.record(miss)
        stats.okta_call("get_current_session", 0.25, None)

    for _ in range(500):
        thread = threading.Thread(target=count)
        thread.start()
        thread.join()
        assert len(stats._live) <= 1  # only the thread just ended, if CPython lags
    gc.collect()
    assert len(stats._live) <= 1
    snapshot = stats.snapshot()
    assert (snapshot["resolve.hit"], snapshot["resolve.miss"]) == (1_500, 500)
    assert snapshot["okta_call.get_current_session"] == 500
    assert snapshot["okta_latency_avg.get_current_session"] == 0.25
    assert "resolve.stale" not in snapshot  # names never counted are not reported as 0
    assert stats.get("resolve.stale") == 0
