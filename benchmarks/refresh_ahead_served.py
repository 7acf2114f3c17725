"""``refresh_ahead``'s load over real HTTP: the same app served by uvicorn on loopback
(in a thread of this process), driven by an httpx client, so a hit's latency is what a
client sees of a real request rather than a direct ASGI call of a few microseconds."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable

import httpx
import uvicorn

from benchmarks.browser_request import browser_cookie, client_headers

__all__ = ["served_latencies"]

BOUND = 30.0


def served_latencies(
    app: object,
    cookies: list[str],
    classify: Callable[[int], str],
    *,
    seconds: float,
    concurrency: int,
) -> dict[str, list[float]]:
    """Latencies by class (``classify``'s) of requests over ``cookies`` at random."""
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host="127.0.0.1", port=0, log_level="warning", lifespan="on", http="h11",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="refresh-ahead-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + BOUND
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        return asyncio.run(
            _drive(f"http://127.0.0.1:{port}/", cookies, classify, seconds, concurrency)
        )
    finally:
        server.should_exit = True
        thread.join(BOUND)


async def _drive(
    url: str, cookies: list[str], classify: Callable[[int], str], seconds: float, clients: int
) -> dict[str, list[float]]:
    headers = [client_headers(browser_cookie(cookie, "")) for cookie in cookies]
    latencies: dict[str, list[float]] = {"hit": [], "window": [], "expired": []}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, trust_env=False) as client:
        for index in range(len(cookies)):  # first sight, not measured
            await client.get(url, headers=headers[index])
        stop = time.perf_counter() + seconds

        async def one_client(seed: int) -> None:
            pick = random.Random(seed)
            while time.perf_counter() < stop:
                index = pick.randrange(len(cookies))
                kind = classify(index)
                started = time.perf_counter()
                response = await client.get(url, headers=headers[index])
                latencies[kind].append(time.perf_counter() - started)
                assert response.status_code == 200

        await asyncio.gather(*(one_client(seed) for seed in range(clients)))
    return latencies
