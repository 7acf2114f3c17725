"""Memory per cached session: tracemalloc around filling the in-process cache.

The cache is filled the way the middleware fills it: ``SessionService.aresolve`` with
``n`` distinct ``sid`` cookies. Each lookup is answered through the real async client
over an in-memory transport (``_stub_okta``) with the fake Okta's own Session JSON
(distinct session id, user id and login per cookie); it stands in for the HTTP round
trip only, which keeps nothing. Okta is not called ``n`` times.
What stays allocated afterwards, divided by ``n``, is the cost of one cached session:
its ``Session``, its ``CacheEntry``, its key and the cache's own bookkeeping.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import tracemalloc
from collections.abc import Awaitable, Callable

import httpx

from benchmarks.table import Row, Section, verdict
from okta_session_mw import AsyncOktaSessionClient, OktaSessionConfig, Session, SessionService
from okta_session_mw.testing import FakeSession, FakeUser
from okta_session_mw.testing.fake_json import session_body

__all__ = ["run"]

ORG_URL = "https://example.okta.com"
ORG_ID = "00o1a2b3c4d5e6f7g8h9"
CREATED = 1_767_225_600.0  # 2026-01-01T00:00:00Z
TARGET_BYTES = 2048


def _session_id(i: int) -> str:
    return "102" + hashlib.sha256(b"s%d" % i).hexdigest()[:22]


def okta_body(session_id: str) -> dict[str, object]:
    """Okta's JSON for the session ``session_id`` (a distinct user per session)."""
    tag = hashlib.sha256(session_id.encode()).hexdigest()
    user = FakeUser("00u" + tag[:17], f"user.{tag[:10]}@example.com", "Bench", "User", "x")
    fake = FakeSession(
        session_id, user, "ACTIVE", ("pwd", "mfa"), CREATED, CREATED + 7200.0, tag[:43]
    )
    return session_body(fake, org_url=ORG_URL, org_id=ORG_ID, by_id=False)


def _stub_okta(bodies: dict[str, bytes]) -> AsyncOktaSessionClient:
    """The real async client over an in-memory transport that answers each cookie's
    lookup with its JSON: the HTTP round trip, which keeps nothing, is all it skips.

    The bodies are made before counting starts, so only what parsing keeps is counted.
    """

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=bodies[request.headers["cookie"]])

    return AsyncOktaSessionClient(
        ORG_URL, http_client=httpx.AsyncClient(transport=httpx.MockTransport(answer))
    )


async def _measure(n: int, now: Callable[[], float]) -> int:
    """Bytes still allocated after caching ``n`` sessions through the service."""
    # Every cookie comes with no client address here: no per-address bound.
    config = OktaSessionConfig(
        org_url=ORG_URL, cache_maxsize=n + 1, cache_ttl=3600.0, new_cookie_lookups_per_minute=0
    )
    cookies = [f"sid={_session_id(i)}" for i in range(n + 1)]
    stub = _stub_okta(
        {c: json.dumps(okta_body(c.removeprefix("sid="))).encode() for c in cookies}
    )
    service = SessionService(config, async_client_factory=lambda: stub, clock=now)
    resolve: Callable[[str], Awaitable[object]] = service.aresolve
    try:
        await resolve(cookies[n])  # warm-up: driver, client and pool exist before counting
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for cookie in cookies[:n]:
            await resolve(cookie)
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        misses = service.stats.get("resolve.miss")
        if misses != n + 1 or len(service.cache) != n + 1:
            raise RuntimeError(f"expected {n + 1} cached sessions, saw {misses} misses")
        return used
    finally:
        await service.aclose()


def _session_alone(n: int) -> int:
    """Bytes per ``Session`` parsed from the same JSON, held in a list (8 B/item of it)."""
    bodies = [okta_body(_session_id(i)) for i in range(n)]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    sessions = [Session.from_okta(body) for body in bodies]
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del sessions
    return used // n


def run(*, sizes: tuple[int, ...] = (1_000, 10_000, 100_000)) -> Section:
    now = CREATED + 60.0
    per_session = {n: asyncio.run(_measure(n, lambda: now)) / n for n in sizes}
    smallest, largest = per_session[sizes[0]], per_session[sizes[-1]]
    growth = largest / smallest
    section = Section("Memory per cached session (tracemalloc, in-process cache)")
    for n in sizes:
        per = per_session[n]
        target = ""
        if n == sizes[-1]:
            flat = 0.8 <= growth <= 1.25
            target = (
                f"< 2 KB: {verdict(per < TARGET_BYTES)} ({per / TARGET_BYTES:.0%} of it: "
                f"DESIGN wants well under); flat {sizes[0]:,}->{n:,} ({growth:.2f}x): "
                f"{verdict(flat)}"
            )
        rows_vs = "baseline" if n == sizes[0] else f"{per / smallest:.2f}x"
        section.rows.append(
            Row(
                f"{n:,} sessions",
                f"{per:,.0f} B/session ({per * n / 2**20:,.1f} MiB)",
                rows_vs,
                target,
            )
        )
    alone = _session_alone(min(sizes[-1], 10_000))
    section.rows.append(Row("of which the Session object alone", f"{alone:,} B", ""))
    section.notes.append(
        "cache_maxsize set to n + 1 (the default, 10,000, would evict past that); each "
        "session's JSON is the fake Okta's (links, amr, idp), with its own ids and login"
    )
    return section
