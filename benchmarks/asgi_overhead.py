"""Per-request cost of the middleware, calling the ASGI app directly (no network).

Four variants of one app (``asgi_apps.py``) are called in a tight loop with a scope
built here, interleaved in rounds (``timing.py``). The cache-hit variant's session is
fetched once from a served fake Okta before timing; no Okta call may happen while the
loops run, and the section says so if one did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from benchmarks.asgi_apps import (
    ASGIApp,
    AsgiVariant,
    asgi_variants,
    call_asgi,
    http_scope,
    starlette_session_cookie,
)
from benchmarks.comparison import overhead_rows
from benchmarks.okta_fixture import me_calls, served_okta
from benchmarks.table import Section
from benchmarks.timing import interleaved
from okta_session_mw import SessionService, Source
from okta_session_mw.integrations.starlette.middleware import RESOLUTION_KEY

__all__ = ["run", "time_batch"]

TITLE = "ASGI, direct calls (no network): time per request"


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _discard(message: Any) -> None:
    return None


async def time_batch(app: ASGIApp, template: dict[str, Any], n: int) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(n):
        await app(dict(template), _receive, _discard)
    return loop.time() - started


def _batcher(loop: asyncio.AbstractEventLoop, variant: AsgiVariant) -> Callable[[int], float]:
    template = http_scope(variant.cookie)
    return lambda n: loop.run_until_complete(time_batch(variant.app, template, n))


async def _check(variant: AsgiVariant, expected: Source | None) -> None:
    """Call once (this primes the cache) and make sure the variant does what it says."""
    scope = http_scope(variant.cookie)
    sent = await call_asgi(variant.app, scope)
    if sent[0].get("status") != 200:
        raise RuntimeError(f"{variant.key}: answered {sent[0].get('status')}")
    resolution = scope.get(RESOLUTION_KEY)
    if expected is not None and (resolution is None or resolution.source is not expected):
        raise RuntimeError(f"{variant.key}: resolved as {resolution!r}, not {expected}")


def run(*, iterations: int = 20_000, rounds: int = 5) -> Section:
    """Time the four variants; ``iterations`` requests per variant per round."""
    with served_okta() as okta:
        okta_cookie = okta.new_session_cookie()
        service = SessionService(okta.config())
        loop = asyncio.new_event_loop()
        try:
            variants = asgi_variants(
                service, okta_cookie, loop.run_until_complete(starlette_session_cookie())
            )
            expected = {"okta_hit": Source.HIT, "okta_no_cookie": Source.NO_COOKIE}
            for variant in variants:
                loop.run_until_complete(_check(variant, None))  # the hit variant's miss
                loop.run_until_complete(_check(variant, expected.get(variant.key)))
            calls = me_calls(okta.fake)
            batches = {v.key: _batcher(loop, v) for v in variants}
            timings = interleaved(batches, iterations, rounds)
            calls = me_calls(okta.fake) - calls
        finally:
            loop.run_until_complete(service.aclose())
            loop.close()
    labels = [(v.key, v.label) for v in variants]
    section = Section(TITLE, overhead_rows(labels, timings, "SessionMiddleware"))
    section.notes.append(
        f"{iterations:,} requests per variant per round, {rounds} rounds interleaved; "
        "best round shown (median in brackets); Okta calls during the timed loops: "
        f"{calls}" + ("" if calls == 0 else " (NOT all hits: figures suspect)")
    )
    return section
