"""A load generator run as its own process (its own GIL): ``python tests/load_client.py
URL PATH CLIENTS < cookies``; one cookie per line on stdin, one request per line; prints
``{"status": count, ...}`` as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter

import httpx


async def run(url: str, path: str, clients: int, cookies: list[str]) -> Counter[str]:
    statuses: Counter[str] = Counter()

    async def client(mine: list[str]) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for cookie in mine:
                try:
                    response = await http.get(path, headers={"cookie": cookie})
                    statuses[str(response.status_code)] += 1
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1

    await asyncio.gather(*(client(cookies[i::clients]) for i in range(clients)))
    return statuses


if __name__ == "__main__":
    url, path, clients = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cookies = [line.strip() for line in sys.stdin if line.strip()]
    print(json.dumps(asyncio.run(run(url, path, clients, cookies))))
