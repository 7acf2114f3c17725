"""Real worker processes (uvicorn) behind one real Redis and the fake Okta over HTTP.

Four workers: 1,000 requests over 50 sessions reach Okta at most once per session
within one TTL, and a logout through worker 1 is seen by workers 2-4 on their very next
request. Then Redis is killed while requests run: none fails, and once Redis is back
the shared cache is used again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import redis

from okta_session_mw.testing import FakeOkta, serve_fake_okta
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.fake_helpers import me_calls
from tests.support.workers import WorkerPool

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server, redis_client, own_redis_server

SECRET = "workers-share-this-secret-0123456789"
LOGIN = "ann@example.com"
# A loaded two-core CI box can stall an event loop longer than the 0.5 s default; a
# slow answer would count as "Redis down" and send that request to Okta.
REDIS_OPTIONS = "?socket_timeout=2&socket_connect_timeout=2"


@pytest.fixture
def okta() -> Iterator[FakeOkta]:
    fake = FakeOkta(api_token="test-token", rate_limit=100_000)
    fake.add_user(LOGIN, "correct horse")
    with serve_fake_okta(fake):
        yield fake


def worker_env(okta: FakeOkta, redis_url: str) -> dict[str, str]:
    assert okta.base_url is not None
    return {
        "OKTA_ORG_URL": okta.base_url,
        "OKTA_CACHE_URL": redis_url + REDIS_OPTIONS,
        "OKTA_SECRET_KEY": SECRET,
        "OKTA_CACHE_TTL": "60",
    }


async def whoami(client: httpx.AsyncClient, url: str, cookie: str) -> str | None:
    response = await client.get(url + "/whoami", headers={"cookie": cookie})
    assert response.status_code == 200, response.text
    session: str | None = response.json()["session"]
    return session


async def test_four_workers_share_lookups_and_logout(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    sids = [okta.create_session(LOGIN) for _ in range(50)]
    cookies = [okta.cookie_header(sid) for sid in sids]
    with WorkerPool(4, worker_env(okta, redis_server.url)) as pool:
        async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
            gate = asyncio.Semaphore(100)

            async def one(i: int) -> bool:
                async with gate:  # the same session often in flight on two workers at once
                    url = pool.urls[i % 4]
                    return await whoami(client, url, cookies[i % 50]) == sids[i % 50]

            assert all(await asyncio.gather(*(one(i) for i in range(1000))))
            assert me_calls(okta) <= 50

            worker1, others = pool.urls[0], pool.urls[1:]
            for url in others:  # every worker knows the session before the logout
                assert await whoami(client, url, cookies[0]) == sids[0]
            logout = await client.post(
                worker1 + "/logout",
                headers={"cookie": cookies[0], "origin": worker1, "accept": "application/json"},
            )
            assert logout.status_code == 204
            for url in others:
                assert await whoami(client, url, cookies[0]) is None
            assert await whoami(client, others[0], cookies[1]) == sids[1]  # others unaffected


async def test_killing_redis_mid_run_fails_no_request(
    okta: FakeOkta, own_redis_server: RedisServer
) -> None:
    sids = [okta.create_session(LOGIN) for _ in range(20)]
    cookies = [okta.cookie_header(sid) for sid in sids]
    with WorkerPool(2, worker_env(okta, own_redis_server.url)) as pool:
        async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
            stop = asyncio.Event()
            wrong: list[str] = []
            answered = 0

            async def load(offset: int) -> None:
                nonlocal answered
                i = offset
                while not stop.is_set():
                    url, n = pool.urls[i % 2], i % len(sids)
                    try:
                        if await whoami(client, url, cookies[n]) != sids[n]:
                            wrong.append(f"request {i}: no session")
                    except (AssertionError, httpx.HTTPError) as exc:
                        wrong.append(f"request {i}: {exc!r}")
                    answered += 1
                    i += 7

            loaders = [asyncio.create_task(load(k)) for k in range(10)]
            await asyncio.sleep(1.0)
            await asyncio.to_thread(own_redis_server.kill)
            during = answered
            await asyncio.sleep(1.5)
            during = answered - during
            await asyncio.to_thread(own_redis_server.start)  # same port, empty
            await asyncio.sleep(2.5)  # > retry_interval (1 s): workers use Redis again
            stop.set()
            await asyncio.gather(*loaders)
            assert wrong == []
            assert during > 20  # requests really ran while Redis was down

            before = me_calls(okta)
            for i in range(100):
                assert await whoami(client, pool.urls[i % 2], cookies[i % 20]) == sids[i % 20]
            assert me_calls(okta) == before  # answered from the refilled Redis
    restarted = redis.Redis.from_url(own_redis_server.url)
    assert restarted.dbsize() >= len(sids)
    restarted.close()
