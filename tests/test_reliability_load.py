"""Load (issue 7): 10,000 requests over 1,000 sessions through uvicorn with 100
concurrent clients: no error, one Okta call per session, and the cache's size stays
bounded by ``cache_maxsize``."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx

from okta_session_mw import SessionService
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.apps import make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import API_TOKEN, LOGIN
from tests.support.servers import serve_uvicorn_process


def run_load(
    url: str, path: str, cookies: list[str], *, clients: int, processes: int
) -> dict[str, int]:
    """Send one request per cookie from ``processes`` load processes, ``clients`` in all."""
    script = Path(__file__).parent / "support" / "load_client.py"
    running = [
        subprocess.Popen(
            [sys.executable, str(script), url, path, str(clients // processes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        for _ in range(processes)
    ]
    totals: Counter[str] = Counter()
    for i, process in enumerate(running):
        assert process.stdin is not None
        process.stdin.write("\n".join(cookies[i::processes]))
        process.stdin.close()
    for process in running:
        assert process.stdout is not None
        with process.stdout:
            totals.update(json.loads(process.stdout.read()))
        process.wait(60)
    return dict(totals)


SESSIONS = 1_000
REQUESTS = 10_000
CLIENTS = 100


async def test_load_10k_requests_1k_sessions_100_clients() -> None:
    fake = FakeOkta(api_token=API_TOKEN, rate_limit=100_000)
    fake.add_user(LOGIN, "pw")
    with serve_fake_okta(fake) as okta_url:
        cookies = [fake.cookie_header(fake.create_session(LOGIN)) for _ in range(SESSIONS)]
        order = [cookies[i % SESSIONS] for i in range(REQUESTS)]
        random.Random(7).shuffle(order)
        env = {"OKTA_ORG_URL": okta_url, "OKTA_TIMEOUT": "10",
               "OKTA_CACHE_MAXSIZE": str(SESSIONS),
               # one load generator brings 1,000 new sessions: not the per-address bound's case
               "OKTA_NEW_COOKIE_LOOKUPS_PER_MINUTE": "0"}
        with serve_uvicorn_process("tests.support.served_app:app", env) as url:
            statuses = run_load(url, "/private", order, clients=CLIENTS, processes=4)
            report = httpx.get(url + "/_stats").json()
        assert statuses == {"200": REQUESTS}
        assert report["cache_size"] == SESSIONS  # bounded by cache_maxsize, and all fit
        stats = report["stats"]
        assert stats["resolve.hit"] + stats["resolve.miss"] == REQUESTS
        assert stats["okta_call.get_current_session"] == me_calls(fake)
        assert me_calls(fake) == SESSIONS  # one Okta call per session; 9,000 cache hits


async def test_load_cache_stays_bounded_when_sessions_outnumber_it() -> None:
    fake = FakeOkta(api_token=API_TOKEN, rate_limit=100_000)
    fake.add_user(LOGIN, "pw")
    with serve_fake_okta(fake):
        # direct calls carry no client address: they share one allowance, not the point here
        config = make_config(
            fake, cache_maxsize=100, timeout=10.0, new_cookie_lookups_per_minute=0
        )
        service = SessionService(config, clock=fake.now)
        cookies = [fake.cookie_header(fake.create_session(LOGIN)) for _ in range(500)]
        for start in range(0, len(cookies), 50):
            batch = cookies[start : start + 50]
            results = await asyncio.gather(*(service.aresolve(c) for c in batch))
            assert all(r.session is not None for r in results)
        assert len(service.cache) == 100
        await service.aclose()
