"""Requests that arrive while their entries expire, with refresh-ahead on and off.

``cookies`` signed-in sessions, requested at random by ``concurrency`` clients for
``seconds`` (after one first sight each), through ``OktaSessionMiddleware`` by direct
ASGI calls, against a served fake Okta ``latency`` seconds away, with a short
``cache_ttl`` so entries expire many times during the run. Each request is classed by
what the cache held as it arrived (read before the timer starts): an entry far from
its end (a hit: the reference), or one in its last ``refresh_ahead`` share or already
expired. Off (``refresh_ahead=0``, the miss path as before issue 14), the expired ones
wait for Okta; on (the default 0.2), they are served at once and revalidated behind.
The same two runs again over real HTTP (uvicorn on loopback, an httpx client:
``refresh_ahead_served.py``), where a hit costs what a real request does. Then
``workers`` services sharing one Redis (each its own runner and cache client, as
worker processes are) take the same load with refresh-ahead on: Okta calls per session
per ``cache_ttl`` for the whole cluster (expected ``1 / (1 - 0.2)`` = 1.25).
"""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from collections.abc import Callable

from benchmarks.asgi_apps import asgi_variants, call_asgi, http_scope
from benchmarks.browser_request import browser_cookie
from benchmarks.refresh_ahead_served import served_latencies
from benchmarks.serve_okta import RemoteOkta
from benchmarks.table import Row, Section, ms, verdict
from benchmarks.timing import percentile
from okta_session_mw import SessionService, Source
from okta_session_mw.integrations.starlette.middleware import RESOLUTION_KEY

__all__ = ["run"]

SECRET = "benchmark-refresh-ahead-secret-key"
Classify = Callable[[int], str]
SERVED_CLIENTS = 4


def _app(service: SessionService) -> object:
    variants = asgi_variants(service, "sid=unused", "session=unused")
    return next(v.app for v in variants if v.key == "okta_hit")


async def _drive(
    services: list[SessionService],
    cookies: list[str],
    *,
    seconds: float,
    concurrency: int,
    classify: Classify | None,
) -> tuple[dict[str, list[float]], dict[Source, int]]:
    """Latencies by class ("hit", "expiring") and the count of each source."""
    apps = [_app(s) for s in services]
    for index, cookie in enumerate(cookies):  # first sight, not measured
        await call_asgi(apps[index % len(apps)], http_scope(browser_cookie(cookie, "")))
    latencies: dict[str, list[float]] = {"hit": [], "window": [], "expired": [], "all": []}
    sources: dict[Source, int] = {}
    stop = time.perf_counter() + seconds

    async def client(seed: int) -> None:
        pick = random.Random(seed)
        while time.perf_counter() < stop:
            index = pick.randrange(len(cookies))
            app = apps[pick.randrange(len(apps))]
            kind = classify(index) if classify is not None else "all"
            scope = http_scope(browser_cookie(cookies[index], ""))
            started = time.perf_counter()
            await call_asgi(app, scope)  # type: ignore[arg-type]
            latencies[kind].append(time.perf_counter() - started)
            source = scope[RESOLUTION_KEY].source
            sources[source] = sources.get(source, 0) + 1
            await asyncio.sleep(0)

    try:
        await asyncio.gather(*(client(seed) for seed in range(concurrency)))
    finally:
        for service in services:
            await service.aclose()
    return latencies, sources


def _classifier(service: SessionService, cookies: list[str], window: float) -> Classify:
    """Where a cookie's in-process entry stands as a request arrives."""
    keys = []
    for cookie in cookies:
        parsed = service.okta_cookies(cookie)
        assert parsed is not None
        keys.append(service.key_for(parsed))
    peek = service.cache.peek  # type: ignore[union-attr]

    def classify(index: int) -> str:
        entry = peek(keys[index])
        now = service.clock()
        if entry is None or now >= entry.fresh_until:
            return "expired"
        return "window" if now + window >= entry.fresh_until else "hit"

    return classify


def _single(
    okta: RemoteOkta, refresh_ahead: float, ttl: float, **drive: float
) -> tuple[dict[str, list[float]], dict[Source, int], int]:
    config = okta.config(
        cache_ttl=ttl, refresh_ahead=refresh_ahead, new_cookie_lookups_per_minute=0
    )
    service = SessionService(config)
    classify = _classifier(service, okta.cookies, 0.2 * ttl)  # the same class in both runs
    before = okta.stats()["me_calls"]
    latencies, sources = asyncio.run(
        _drive([service], okta.cookies, classify=classify, **drive)  # type: ignore[arg-type]
    )
    return latencies, sources, okta.stats()["me_calls"] - before - len(okta.cookies)


def run(
    *,
    seconds: float = 20.0,
    ttl: float = 2.0,
    cookies: int = 50,
    concurrency: int = 20,
    latency: float = 0.005,
    workers: int = 4,
) -> Section:
    drive = {"seconds": seconds, "concurrency": concurrency}
    section = Section(
        f"Entries expiring under load: {cookies} sessions, cache_ttl {ttl:g} s, "
        f"{concurrency} clients for {seconds:g} s, Okta +{latency * 1e3:g} ms"
    )
    with RemoteOkta(sessions=cookies, latency=latency) as okta:
        off, off_sources, off_calls = _single(okta, 0.0, ttl, **drive)
        on, on_sources, on_calls = _single(okta, 0.2, ttl, **drive)
        hit_p99 = percentile(on["hit"], 99)
        expiring = on["window"] + on["expired"]
        per_ttl = cookies * seconds / ttl
        section.rows += [
            Row(
                f"hit, far from expiry ({len(on['hit']):,}, refresh-ahead on)",
                f"p50 {ms(percentile(on['hit'], 50))}, p99 {ms(hit_p99)}",
                "reference",
            ),
            Row(
                f"entry expired, refresh-ahead off ({len(off['expired']):,}; "
                f"{off_sources.get(Source.MISS, 0):,} waited on Okta)",
                _p50_p99(off["expired"]),
                f"p99 {_ratio(off['expired'], hit_p99)} a hit's (today's miss path)",
            ),
            Row(
                f"entry in its last 20% or expired, refresh-ahead on "
                f"({len(expiring):,}; {on_sources.get(Source.MISS, 0):,} waited on Okta)",
                _p50_p99(expiring),
                f"p99 {_ratio(expiring, hit_p99)} a hit's; at most 1.5x: "
                + verdict(percentile(expiring, 99) <= 1.5 * hit_p99),
            ),
            Row(
                "Okta calls per session per cache_ttl, one worker",
                f"off {off_calls / per_ttl:.2f}, on {on_calls / per_ttl:.2f}",
                "on: expected 1 / (1 - 0.2) = 1.25",
            ),
        ]
        # few clients: in one process with the server, more would only queue on the GIL
        section.rows += _served(okta, ttl, seconds=seconds, concurrency=SERVED_CLIENTS)
        section.rows.append(_cluster(okta, ttl, workers, **drive))
    section.notes.append(
        "classes by what the in-process cache held as each request arrived (read before "
        "its timer): far from expiry, in the last 20% of its cache_ttl, or expired; the "
        "first sight of each session is not counted; direct ASGI calls in one event loop "
        "(the 'served' rows: uvicorn in a thread, an httpx client in this process), the "
        "fake Okta in its own process over HTTP"
    )
    return section


def _served(okta: RemoteOkta, ttl: float, *, seconds: float, concurrency: int) -> list[Row]:
    """Off and on again, over real HTTP (uvicorn on loopback, an httpx client)."""
    runs = {}
    for refresh_ahead in (0.0, 0.2):
        config = okta.config(
            cache_ttl=ttl, refresh_ahead=refresh_ahead, new_cookie_lookups_per_minute=0
        )
        service = SessionService(config)
        classify = _classifier(service, okta.cookies, 0.2 * ttl)
        runs[refresh_ahead] = served_latencies(
            _app(service), okta.cookies, classify, seconds=seconds, concurrency=concurrency
        )
    hits, off, on = (
        runs[0.2]["hit"],
        runs[0.0]["expired"],
        runs[0.2]["window"] + runs[0.2]["expired"],
    )
    hit_p99 = percentile(hits, 99)
    return [
        Row(f"served (uvicorn, {concurrency} clients, {seconds:g} s each): hit, far from "
            f"expiry ({len(hits):,})",
            _p50_p99(hits), "reference"),
        Row(f"served: entry expired, refresh-ahead off ({len(off):,})", _p50_p99(off),
            f"p99 {_ratio(off, hit_p99)} a hit's (today's miss path)"),
        Row(f"served: in its last 20% or expired, refresh-ahead on ({len(on):,})",
            _p50_p99(on),
            f"p99 {_ratio(on, hit_p99)} a hit's; at most 1.5x: "
            + verdict(percentile(on, 99) <= 1.5 * hit_p99)),
    ]  # fmt: skip


def _cluster(okta: RemoteOkta, ttl: float, workers: int, **drive: float) -> Row:
    label = f"Okta calls per session per cache_ttl, {workers} workers sharing Redis"
    if shutil.which("redis-server") is None:
        return Row(label, "not measured: redis-server is not installed")
    from okta_session_mw.testing.redis_server import RedisServer

    with RedisServer() as redis_server:
        config = okta.config(
            cache_ttl=ttl, cache_url=redis_server.url, secret_key=SECRET,
            new_cookie_lookups_per_minute=0,
        )  # fmt: skip
        services = [SessionService(config) for _ in range(workers)]
        before = okta.stats()["me_calls"]
        latencies, sources = asyncio.run(
            _drive(services, okta.cookies, classify=None, **drive)  # type: ignore[arg-type]
        )
        calls = okta.stats()["me_calls"] - before - len(okta.cookies)  # less first sights
    per_ttl = calls / (len(okta.cookies) * drive["seconds"] / ttl)
    return Row(
        label,
        f"{per_ttl:.2f} ({calls:,} calls; {sources.get(Source.MISS, 0):,} requests waited)",
        f"p50 {ms(percentile(latencies['all'], 50))}, p99 {ms(percentile(latencies['all'], 99))}"
        "; expected 1.25",
    )


def _p50_p99(values: list[float]) -> str:
    return f"p50 {ms(percentile(values, 50))}, p99 {ms(percentile(values, 99))}"


def _ratio(values: list[float], reference: float) -> str:
    return f"{percentile(values, 99) / reference:.2f}x" if reference else "n/a"
