"""The cache-miss path: a fake Okta 5 ms away, many cookies, concurrent requests.

``requests`` requests over ``cookies`` distinct Okta cookies (each cookie equally often,
in a fixed shuffled order) go through ``OktaSessionMiddleware`` by direct ASGI calls,
``concurrency`` at a time, against a served fake Okta that waits ``latency`` seconds
before each answer. Reported: calls to Okta (target: one per cookie per TTL), TCP
connections Okta accepted, and p50/p99 latency of requests served from the cache (hits)
and of requests that waited for Okta (misses, including those that joined a lookup
already in flight for the same cookie).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

import httpx

from benchmarks.asgi_apps import asgi_variants, call_asgi, http_scope
from benchmarks.browser_request import browser_cookie
from benchmarks.serve_okta import RemoteOkta
from benchmarks.table import Row, Section, ms, verdict
from benchmarks.timing import percentile
from okta_session_mw import SessionService, Source
from okta_session_mw.integrations.starlette.middleware import RESOLUTION_KEY

__all__ = ["run"]


async def _drive(
    service: SessionService, cookies: list[str], order: list[int], concurrency: int
) -> dict[Source, list[float]]:
    variants = asgi_variants(service, "sid=unused", "session=unused")
    app = next(v.app for v in variants if v.key == "okta_hit")
    latencies: dict[Source, list[float]] = {}
    queue = iter(order)

    async def client() -> None:
        for index in queue:  # the workers share one iterator: each request runs once
            scope = http_scope(browser_cookie(cookies[index], ""))
            started = time.perf_counter()
            await call_asgi(app, scope)
            source = scope[RESOLUTION_KEY].source
            latencies.setdefault(source, []).append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies


def run(
    *, requests: int = 1_000, cookies: int = 100, concurrency: int = 50, latency: float = 0.005
) -> Section:
    with RemoteOkta(sessions=cookies, latency=latency) as okta:
        order = [i % cookies for i in range(requests)]
        random.Random(7).shuffle(order)
        # Every cookie comes from one client address here: no per-address bound.
        service = SessionService(okta.config(new_cookie_lookups_per_minute=0))
        before = okta.stats()
        started = time.perf_counter()
        latencies = asyncio.run(_run(service, okta.cookies, order, concurrency))
        elapsed = time.perf_counter() - started
        after = okta.stats()
    okta_latency = service.stats.snapshot().get("okta_latency_avg.get_current_session", 0.0)
    calls = after["me_calls"] - before["me_calls"]
    connections = after["connections"] - before["connections"]
    hits = latencies.get(Source.HIT, [])
    misses = latencies.get(Source.MISS, [])
    other = Counter(
        {s.value: len(v) for s, v in latencies.items() if s not in (Source.HIT, Source.MISS)}
    )
    section = Section(
        f"Cache-miss path: {requests:,} requests over {cookies} cookies, "
        f"concurrency {concurrency}, Okta +{latency * 1e3:g} ms"
    )
    section.rows += [
        Row(
            "Okta calls (GetCurrentSession)",
            f"{calls} for {cookies} cookies",
            f"{calls / cookies:.2f} per cookie",
            f"1 per cookie per TTL: {verdict(calls == cookies)}",
        ),
        Row(
            "TCP connections Okta accepted",
            f"{connections}",
            f"{calls / max(connections, 1):.1f} calls per connection",
            _pool_note(connections, concurrency),
        ),
        Row(
            f"hits ({len(hits)})",
            f"p50 {ms(percentile(hits, 50))}, p99 {ms(percentile(hits, 99))}",
        ),
        Row(
            f"misses ({len(misses)}, {len(misses) - calls} joined a lookup in flight)",
            f"p50 {ms(percentile(misses, 50))}, p99 {ms(percentile(misses, 99))}",
            f"p50 {percentile(misses, 50) / latency:.1f}x Okta's {latency * 1e3:g} ms",
        ),
        Row(
            "Okta call as the client saw it (mean)",
            ms(okta_latency),
            f"{okta_latency / latency:.1f}x Okta's {latency * 1e3:g} ms",
        ),
    ]
    section.notes.append(
        f"direct ASGI calls, {concurrency} concurrent clients in one event loop; the fake "
        f"Okta in its own process, over real HTTP on loopback; wall time {elapsed:.2f} s"
        + (f"; other outcomes: {dict(other)}" if other else "")
    )
    return section


def _pool_note(connections: int, concurrency: int) -> str:
    keepalive = httpx.Limits().max_keepalive_connections or 0
    if connections <= concurrency:
        return f"<= concurrency ({concurrency})"
    return (
        f"> concurrency ({concurrency}): the pool keeps {keepalive} idle connections, "
        "the rest are reopened"
    )


async def _run(
    service: SessionService, cookies: list[str], order: list[int], concurrency: int
) -> dict[Source, list[float]]:
    try:
        return await _drive(service, cookies, order, concurrency)
    finally:
        await service.aclose()
