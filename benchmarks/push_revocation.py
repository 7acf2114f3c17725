"""How long a session ended at Okta keeps working: push (event hooks) vs ``cache_ttl``.

For 1 and then 4 workers: serve a fake Okta (this process), start that many uvicorn
processes of ``push_app.create_app`` (one port each) on one ``redis-server``, with a
long ``cache_ttl``; open ``sessions`` Okta sessions (one user each) and cache them all
with one request each, round-robin over the workers; measure a steady window of
requests (Okta calls counted at the fake); register the fake's event hook at worker 0's
``/okta/event-hook``. Then, ``ends`` times, spread out: end a random cached session at
the fake (``fake.revoke``: Okta logs ``user.session.end`` and delivers it) and send
that session's cookie every ``interval`` seconds, round-robin over the workers, from
the moment of the end until the app refuses it (401) on the first worker and then on
every worker. Other sessions keep being used meanwhile and must keep working; a
refused session must never be served again.

Without push the same session would keep working until its cache entry lapsed: up to
``cache_ttl``. The handler's own cost per event is measured apart (``push_handler``).

    python -m benchmarks.push_revocation [--workers 1,4] [--sessions 1000] [--ends 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time

import httpx
import redis

from benchmarks import push_handler
from benchmarks.okta_fixture import API_TOKEN, ME_PATH, ServedOkta, served_okta
from benchmarks.push_app import push_workers
from benchmarks.push_handler import HOOK_SECRET, SECRET_KEY
from benchmarks.push_results import EndResult, Run, rows
from benchmarks.table import Row, Section, render
from okta_session_mw.testing.redis_server import RedisServer, find_redis_server

__all__ = ["TITLE", "main", "run"]

TITLE = "Push revocation: from a session's end at Okta to the first refused request"
HOOK_PATH = "/okta/event-hook"
HOOK_EVENTS = ("user.session.end", "user.session.clear")
REDIS_OPTIONS = "?socket_timeout=2&socket_connect_timeout=2"  # as redis_workers.py
END_TIMEOUT = 10.0
"""An end not refused on every worker within this many seconds counts as not seen."""


async def _get(client: httpx.AsyncClient, url: str, cookie: str) -> int:
    return (await client.get(url + "/whoami", headers={"cookie": cookie})).status_code


async def _warm(client: httpx.AsyncClient, urls: list[str], cookies: list[str]) -> None:
    """One request per session, round-robin over the workers, 32 at a time."""
    gate = asyncio.Semaphore(32)

    async def one(index: int, cookie: str) -> None:
        async with gate:
            if await _get(client, urls[index % len(urls)], cookie) != 200:
                raise RuntimeError("a fresh session was refused while caching it")

    await asyncio.gather(*(one(i, c) for i, c in enumerate(cookies)))


async def _steady(
    client: httpx.AsyncClient, urls: list[str], cookies: list[str], seconds: float
) -> int:
    """Requests to random sessions on random workers for ``seconds``, 8 at a time."""
    done = 0
    deadline = time.monotonic() + seconds

    async def one_client(seed: int) -> None:
        nonlocal done
        pick = random.Random(seed)
        while time.monotonic() < deadline:
            if await _get(client, pick.choice(urls), pick.choice(cookies)) != 200:
                raise RuntimeError("a cached session was refused in the steady window")
            done += 1

    await asyncio.gather(*(one_client(seed) for seed in range(8)))
    return done


async def _probe(
    client: httpx.AsyncClient, urls: list[str], cookie: str, started: float, interval: float
) -> EndResult:
    """Send ``cookie`` every ``interval`` s, round-robin, until every worker said 401."""
    result = EndResult(None, None)
    refused: set[int] = set()
    turn = 0
    while time.perf_counter() - started < END_TIMEOUT:
        sent = time.perf_counter()
        worker = turn % len(urls)
        turn += 1
        status = await _get(client, urls[worker], cookie)
        now = time.perf_counter() - started
        if status == 401:
            refused.add(worker)
            if result.first is None:
                result.first = now
            if len(refused) == len(urls):
                result.everywhere = now
                return result
        elif result.first is not None:
            result.served_again += 1
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - sent)))
    return result


async def _background(
    client: httpx.AsyncClient, urls: list[str], cookies: list[str], stop: asyncio.Event
) -> int:
    """Other sessions in use while the ends run: how many of them were refused."""
    refused = 0
    pick = random.Random(7)
    while not stop.is_set():
        if await _get(client, pick.choice(urls), pick.choice(cookies)) != 200:
            refused += 1
        await asyncio.sleep(0.005)
    return refused


async def _ends(
    okta: ServedOkta, urls: list[str], ids: list[str], kept: list[str], *,
    interval: float, spacing: float,
) -> tuple[list[EndResult], int]:  # fmt: skip
    results: list[EndResult] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(trust_env=False, timeout=30, limits=limits) as client:
        stop = asyncio.Event()
        others = asyncio.gather(*(_background(client, urls, kept, stop) for _ in range(2)))
        for session_id in ids:
            await asyncio.sleep(spacing * random.uniform(0.5, 1.5))
            cookie = okta.fake.cookie_header(session_id)
            started = time.perf_counter()
            if not okta.fake.revoke(session_id):
                raise RuntimeError("the session to end was not live at the fake")
            results.append(await _probe(client, urls, cookie, started, interval))
        stop.set()
        refused = sum(await others)
    return results, refused


def _measure(
    okta: ServedOkta, server: RedisServer, workers: int, *, sessions: int, ends: int,
    ttl: float, steady: float, interval: float, spacing: float,
) -> Run:  # fmt: skip
    fake = okta.fake
    ids = []
    for _ in range(sessions):
        login = f"user{len(okta.logins)}@example.com"
        fake.add_user(login, "correct horse")
        okta.logins.append(login)
        ids.append(fake.create_session(login))
    cookies = [fake.cookie_header(i) for i in ids]
    env = {
        "OKTA_ORG_URL": okta.base_url, "OKTA_API_TOKEN": API_TOKEN,
        "OKTA_SECRET_KEY": SECRET_KEY, "OKTA_CACHE_TTL": str(ttl),
        "OKTA_CACHE_URL": server.url + REDIS_OPTIONS,
        "OKTA_EVENT_HOOK_SECRETS": HOOK_SECRET, "OKTA_NEW_COOKIE_LOOKUPS_PER_MINUTE": "0",
    }  # fmt: skip
    with push_workers(workers, env) as pool:
        urls = list(pool.urls)

        async def warm_and_steady() -> tuple[int, int, int, float]:
            async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
                fake.clear_calls()
                await _warm(client, urls, cookies)
                warm = len(fake.calls_to("GET", ME_PATH))
                fake.clear_calls()
                started = time.monotonic()
                requests = await _steady(client, urls, cookies, steady)
                elapsed = time.monotonic() - started
                return warm, len(fake.calls_to("GET", ME_PATH)), requests, elapsed

        warm, calls, requests, elapsed = asyncio.run(warm_and_steady())
        result = Run(workers, sessions, warm, calls, requests, elapsed)
        hook = fake.register_event_hook(
            urls[0] + HOOK_PATH, events=HOOK_EVENTS, header=("authorization", HOOK_SECRET)
        )
        chosen = set(random.Random(workers).sample(range(sessions), ends))
        ended = [ids[i] for i in sorted(chosen)]
        kept = [cookies[i] for i in range(sessions) if i not in chosen]
        fake.clear_calls()
        result.ends, result.others_refused = asyncio.run(
            _ends(okta, urls, ended, kept, interval=interval, spacing=spacing)
        )
        result.end_calls = len(fake.calls_to("GET", ME_PATH))
        deliveries = fake.wait_for_deliveries(timeout=30)
        result.deliveries, result.delivered_ok = len(deliveries), sum(d.ok for d in deliveries)
        fake.remove_event_hook(hook)
    return result


def run(
    *, workers: tuple[int, ...] = (1, 4), sessions: int = 1_000, ends: int = 100,
    ttl: float = 600.0, steady: float = 5.0, interval: float = 0.005, spacing: float = 0.1,
    handler_rounds: dict[int, int] | None = None,
) -> Section:  # fmt: skip
    if find_redis_server() is None:  # what RedisServer would start
        return Section(TITLE, [Row("Redis", "not available: redis-server is not installed")])
    results: list[Run] = []
    with RedisServer() as server:
        flusher = redis.Redis.from_url(server.url)
        for count in workers:
            flusher.flushdb()
            with served_okta() as okta:
                results.append(
                    _measure(okta, server, count, sessions=sessions, ends=ends, ttl=ttl,
                             steady=steady, interval=interval, spacing=spacing)
                )  # fmt: skip
                okta.fake.stop_deliveries()
        flusher.flushdb()
        flusher.close()
        handler = push_handler.rows(server.url + REDIS_OPTIONS, rounds=handler_rounds)
    section = Section(
        f"{TITLE}: {sessions} cached sessions, {ends} ends, cache_ttl {ttl:g} s, Redis shared"
    )
    for result in results:
        section.rows += rows(result, ttl)
    section.rows += handler
    section.notes += [
        "uvicorn worker processes (one loopback port each, as behind a load balancer) on "
        "one redis-server; the fake Okta is served from this process and delivers "
        "user.session.end to worker 0's event hook (the others learn it from Redis)",
        f"each end: fake.revoke(session id), then the session's cookie every "
        f"{interval * 1000:g} ms round-robin over the workers until a 401 from each; ends "
        f"about {spacing * 1000:g} ms apart, other sessions in use meanwhile",
        "Okta calls counted at the fake (GET /api/v1/sessions/me): caching a session costs "
        "one for the whole deployment, the steady window none (its TTL has not lapsed)",
        "handler cost: SessionService.end_pushed on one delivery body of N Okta-shaped "
        "user.session.end events (each names a cached session and its user), per event",
    ]
    return section


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.push_revocation")
    parser.add_argument("--workers", default="1,4", help="worker counts (default 1,4)")
    parser.add_argument("--sessions", type=int, default=1_000)
    parser.add_argument("--ends", type=int, default=100)
    parser.add_argument("--ttl", type=float, default=600.0, help="cache TTL in seconds")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    section = run(
        workers=tuple(int(n) for n in args.workers.split(",")),
        sessions=args.sessions, ends=args.ends, ttl=args.ttl,
    )  # fmt: skip
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load}")
    print(render([section], markdown=args.markdown))


if __name__ == "__main__":
    main()
