"""A small load generator for when Debian's ``wrk`` is not installed.

``python -m benchmarks.httpx_load URL --cookie ... --connections 50 --seconds 5`` runs
``connections`` keep-alive clients (each sending the browser request of
``browser_request.py`` with that cookie) in one process for ``seconds`` and prints one JSON
line: requests, errors, requests per second, p50 and p99 latency. It is Python, so on a
small machine it may saturate before the server does: the table says when it was used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx

from benchmarks.browser_request import client_headers
from benchmarks.timing import percentile

__all__ = ["generate_load", "main"]


async def generate_load(
    url: str, cookie: str, *, connections: int, seconds: float
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = client_headers(cookie)
    async with httpx.AsyncClient(limits=limits, headers=headers) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while (started := time.perf_counter()) < deadline:
                try:
                    response = await client.get(url)
                    ok = response.status_code < 400
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += not ok

        begun = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - begun
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--cookie", required=True)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    result = asyncio.run(
        generate_load(args.url, args.cookie, connections=args.connections, seconds=args.seconds)
    )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
