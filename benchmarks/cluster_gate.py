"""Okta's budget across 8 workers sharing Redis (issue 14.2, 14.3): a 429 seen by one
worker, and the cap on concurrent Okta calls.

Each worker is a ``SessionService`` with its own Redis connections and its own Okta
clients (in one process, on one event loop: the gate's state is what is shared, and
it is shared only through Redis), against one fake Okta served over HTTP.

* **429**: the fake answers 429 to ``GET /api/v1/sessions/me`` until a Reset 30 s
  ahead; worker 1 meets it, then workers 2-8 each look up ``cookies`` made-up cookies
  at once. Counted: the calls they make to that endpoint (target 0). Beside: the same
  with the in-process cache (each worker learns the 429 by hitting it).
* **cap**: a burst of ``burst`` new cookies (real sessions) spread over the 8 workers,
  every answer ``latency`` seconds late; counted: the most requests the fake was
  answering at once (target: never above ``max_concurrent_okta_calls``, 50).

    python -m benchmarks.cluster_gate [--burst 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets

import redis

from benchmarks.table import Row, Section, render, verdict
from okta_session_mw import OktaSessionConfig, SessionService
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from okta_session_mw.testing.redis_server import RedisServer

__all__ = ["main", "run"]

SECRET = "benchmark-shared-secret-0123456789"
LOOKUPS = "GET /api/v1/sessions/me"
CAP = 50
REDIS_OPTIONS = "?socket_timeout=2&socket_connect_timeout=2"


def _workers(okta: FakeOkta, url: str | None, count: int) -> list[SessionService]:
    assert okta.base_url is not None
    config = OktaSessionConfig(
        org_url=okta.base_url, cache_url=None if url is None else url + REDIS_OPTIONS,
        secret_key=SECRET, new_cookie_lookups_per_minute=0, timeout=30.0,
        max_concurrent_okta_calls=CAP,
    )  # fmt: skip
    return [SessionService(config) for _ in range(count)]


async def _close(pool: list[SessionService]) -> None:
    for service in pool:
        await service.aclose()


def _made_up() -> str:
    return "sid=102" + secrets.token_hex(12)


async def _after_429(url: str | None, workers: int, cookies: int) -> int:
    """Calls to the 429's bucket by the workers that did not see it."""
    okta = FakeOkta(rate_limit=1_000_000, rate_limit_buckets="endpoint")
    with serve_fake_okta(okta):
        pool = _workers(okta, url, workers)
        okta.rate_limit_until(okta.now() + 30, bucket=LOOKUPS)
        await pool[0].aresolve(_made_up())
        okta.clear_calls()
        await asyncio.gather(
            *(service.aresolve(_made_up()) for service in pool[1:] for _ in range(cookies))
        )
        calls = len(okta.calls_to("GET", "/api/v1/sessions/me"))
        await _close(pool)
    return calls


async def _burst(url: str | None, workers: int, burst: int, latency: float) -> tuple[int, int]:
    """The most calls in flight at the fake, and how many calls it saw."""
    okta = FakeOkta(rate_limit=1_000_000)
    okta.add_user("ann@example.com", "correct horse")
    with serve_fake_okta(okta):
        pool = _workers(okta, url, workers)
        for service in pool:  # each worker's start-up probe: not part of the burst
            await service.aresolve(_made_up())
        cookies = [okta.cookie_header(okta.create_session("ann@example.com")) for _ in range(burst)]
        okta.clear_calls()
        okta.inject(latency=latency, path_prefix="/api/v1/sessions/me")
        await asyncio.gather(*(pool[i % workers].aresolve(c) for i, c in enumerate(cookies)))
        most, calls = okta.most_in_flight, len(okta.calls)
        await _close(pool)
    return most, calls


def run(
    *, workers: int = 8, cookies: int = 20, burst: int = 1_000, latency: float = 0.05
) -> Section:
    rows: list[Row] = []
    with RedisServer() as server:
        for name, url in (("Redis (shared gate)", server.url), ("in-process cache", None)):
            calls = asyncio.run(_after_429(url, workers, cookies))
            target = "0" if url else ""
            rows.append(Row(
                f"429 to worker 1, {name}: calls by the other {workers - 1} before Reset",
                str(calls), verdict(calls == 0) if url else "", target,
            ))  # fmt: skip
        redis.Redis.from_url(server.url).flushdb()  # a new fake Okta: forget the 429
        for name, url in (("Redis (shared cap)", server.url), ("in-process cache", None)):
            most, calls = asyncio.run(_burst(url, workers, burst, latency))
            rows.append(Row(
                f"burst of {burst} new cookies over {workers} workers, {name}: "
                f"most Okta calls in flight ({calls} calls)",
                str(most), verdict(most <= CAP) if url else "", f"<= {CAP}",
            ))  # fmt: skip
    notes = [
        f"{workers} SessionService workers in one process, each with its own Redis "
        "connections and Okta clients; one fake Okta over HTTP on loopback.",
        f"429: {cookies} made-up cookies per other worker, all at once; Reset 30 s ahead.",
        f"burst: every answer {latency * 1000:.0f} ms late; max_concurrent_okta_calls="
        f"{CAP}, of which new cookies may hold {CAP - 10} (rate_limit_reserve 0.2); "
        "timeout 30 s: the 8 workers share one event loop here, so the burst's Redis round "
        "trips (about 7 per request) take seconds on a small machine.",
    ]
    return Section("Okta's budget across workers (429 and the concurrency cap)", rows, notes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster_gate")
    parser.add_argument("--burst", type=int, default=1_000)
    args = parser.parse_args(argv)
    print(render([run(burst=args.burst)]))


if __name__ == "__main__":
    main()
