"""Okta calls per session per minute with 1, 4 and 8 workers: in-process cache vs Redis.

For each cache and worker count: start that many uvicorn workers (``WorkerPool``, real
processes) on one fake Okta (served over HTTP from this process) and, for Redis, one
real ``redis-server``; fill every worker's view of every session once, then for
``seconds`` seconds send requests from ``concurrency`` clients, each to a random
session on a random worker, and count ``GET /api/v1/sessions/me`` at the fake.

With a cache TTL of ``ttl`` seconds the floor is ``60 / ttl`` calls per session per
minute for the whole deployment; an in-process cache pays it once per worker. A short
TTL keeps the default run under two minutes; ``--ttl 60 --seconds 180`` measures the
default configuration.

    python -m benchmarks.redis_workers [--workers 1,4,8] [--ttl 2] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from dataclasses import dataclass

import httpx
import redis

from benchmarks.table import Row, Section, render, verdict
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.workers import WorkerPool

__all__ = ["main", "run"]

SECRET = "benchmark-shared-secret-0123456789"
ME = "/api/v1/sessions/me"
# Slow answers on a loaded machine would count as "Redis down" and send the request to
# Okta; a generous bound keeps the figure about caching, not about the machine.
REDIS_OPTIONS = "?socket_timeout=2&socket_connect_timeout=2"


@dataclass(frozen=True, slots=True)
class Result:
    cache: str
    workers: int
    calls: int
    requests: int
    seconds: float
    sessions: int

    @property
    def per_session_minute(self) -> float:
        return self.calls / self.sessions / (self.seconds / 60)


async def _warm(urls: list[str], cookies: list[str]) -> None:
    """Every worker asks about every session once (not counted)."""
    async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
        await asyncio.gather(
            *(client.get(url + "/whoami", headers={"cookie": c}) for url in urls for c in cookies)
        )


async def _load(urls: list[str], cookies: list[str], seconds: float, concurrency: int) -> int:
    done = 0
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(trust_env=False, timeout=30) as client:

        async def one_client(seed: int) -> None:
            nonlocal done
            pick = random.Random(seed)
            while time.monotonic() < deadline:
                url, cookie = pick.choice(urls), pick.choice(cookies)
                response = await client.get(url + "/whoami", headers={"cookie": cookie})
                if response.json()["session"] is None:
                    raise RuntimeError("a session was not recognised")
                done += 1

        await asyncio.gather(*(one_client(seed) for seed in range(concurrency)))
    return done


def _measure(
    cache: str, workers: int, redis_url: str | None, *, sessions: int, ttl: float,
    seconds: float, concurrency: int,
) -> Result:  # fmt: skip
    okta = FakeOkta(api_token="benchmark-token", rate_limit=1_000_000)
    okta.add_user("ann@example.com", "correct horse")
    cookies = [okta.cookie_header(okta.create_session("ann@example.com")) for _ in range(sessions)]
    with serve_fake_okta(okta) as base_url:
        env = {"OKTA_ORG_URL": base_url, "OKTA_SECRET_KEY": SECRET, "OKTA_CACHE_TTL": str(ttl)}
        env["OKTA_CACHE_URL"] = redis_url + REDIS_OPTIONS if redis_url else ""
        with WorkerPool(workers, env) as pool:
            asyncio.run(_warm(pool.urls, cookies))
            okta.clear_calls()
            started = time.monotonic()
            requests = asyncio.run(_load(pool.urls, cookies, seconds, concurrency))
            elapsed = time.monotonic() - started
            calls = len(okta.calls_to("GET", ME))
    return Result(cache, workers, calls, requests, elapsed, sessions)


def run(
    *, workers: tuple[int, ...] = (1, 4, 8), sessions: int = 20, ttl: float = 2.0,
    seconds: float = 10.0, concurrency: int = 32,
) -> Section:  # fmt: skip
    results: list[Result] = []
    with RedisServer() as server:
        flusher = redis.Redis.from_url(server.url)
        for count in workers:
            for cache in ("memory", "redis"):
                flusher.flushdb()
                url = server.url if cache == "redis" else None
                results.append(
                    _measure(cache, count, url, sessions=sessions, ttl=ttl,
                             seconds=seconds, concurrency=concurrency)
                )  # fmt: skip
        flusher.close()
    floor = 60 / ttl
    allowed = floor + 60 / seconds  # one fetch more per session for the window's edges
    section = Section(
        f"Okta calls per session per minute: {sessions} sessions, cache TTL {ttl:g} s, "
        f"{seconds:g} s of load per row"
    )
    redis_by_workers = {r.workers: r for r in results if r.cache == "redis"}
    for result in results:
        rate = result.per_session_minute
        if result.cache == "redis":
            versus = f"{rate / floor:.2f}x the floor ({floor:g})"
            target = f"<= {allowed:.0f} (one per TTL, deployment-wide): "
            target += verdict(rate <= allowed)
        else:
            shared = redis_by_workers[result.workers].per_session_minute
            versus, target = f"{rate / max(shared, 1e-9):.1f}x Redis", ""
        section.rows.append(
            Row(
                f"{result.cache}, {result.workers} worker{'s' if result.workers > 1 else ''}",
                f"{rate:.1f} calls/session/min ({result.requests / result.seconds:.0f} req/s)",
                versus,
                target,
            )
        )
    section.notes += [
        "uvicorn worker processes on loopback, one fake Okta (this process) and one "
        "redis-server; calls counted at the fake after a warm-up that asked every worker "
        "about every session once",
        "the floor is 60 / TTL; an in-process cache pays it once per worker that sees the "
        "session, Redis once for the deployment; the target allows one fetch more per "
        "session for the edges of the window. A session asked about less often than once "
        "per TTL on a worker costs less than the floor there (a lookup waits for a request)",
        f"Redis socket timeouts raised to 2 s ({REDIS_OPTIONS}) so a loaded machine's "
        "stalls do not read as outages",
    ]
    return section


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.redis_workers")
    parser.add_argument("--workers", default="1,4,8", help="worker counts (default 1,4,8)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--ttl", type=float, default=2.0, help="cache TTL in seconds")
    parser.add_argument("--seconds", type=float, default=10.0, help="load per row")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    section = run(
        workers=tuple(int(n) for n in args.workers.split(",")),
        sessions=args.sessions, ttl=args.ttl, seconds=args.seconds,
        concurrency=args.concurrency,
    )  # fmt: skip
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load}")
    print(render([section], markdown=args.markdown))


if __name__ == "__main__":
    main()
