"""Per-request cost of the middleware, calling the ASGI app directly (no network).

The variants of one app (``asgi_apps.py``: the bare app, a no-op layer, the Okta
middleware, two local access-token verifications and Starlette's SessionMiddleware) are
called in a tight loop with the browser request, interleaved in rounds (``timing.py``).
The cache-hit variant's session is fetched once from a served fake Okta before timing;
no Okta call may happen while the loops run, and the section says so if one did. Each
variant is checked first (``prepare``): the Okta variants resolve as they claim, and
the access-token variants refuse bad tokens, or the benchmark stops.
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
    starlette_session_cookie,
)
from benchmarks.comparison import overhead_rows
from benchmarks.jwt_apps import TokenSet, check_refuses_bad_tokens, make_tokens
from benchmarks.okta_fixture import me_calls, served_okta
from benchmarks.table import Section
from benchmarks.timing import interleaved
from okta_session_mw import SessionService, Source
from okta_session_mw.integrations.starlette.middleware import RESOLUTION_KEY

__all__ = ["ASGI_TARGETS", "prepare", "run", "time_batch"]

TITLE = "ASGI, direct calls (no network): time per request"
ASGI_TARGETS = {"okta_hit": 0.20, "okta_no_cookie": 0.08}
"""Issue 12: at most these shares of SessionMiddleware's added cost (µs and instructions)."""


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
    template = variant.scope()
    return lambda n: loop.run_until_complete(time_batch(variant.app, template, n))


async def _check(variant: AsgiVariant, expected: Source | None) -> None:
    """Call once (this primes the cache) and make sure the variant does what it says."""
    scope = variant.scope()
    sent = await call_asgi(variant.app, scope)
    if sent[0].get("status") != 200:
        raise RuntimeError(f"{variant.key}: answered {sent[0].get('status')}")
    resolution = scope.get(RESOLUTION_KEY)
    if expected is not None and (resolution is None or resolution.source is not expected):
        raise RuntimeError(f"{variant.key}: resolved as {resolution!r}, not {expected}")


def _bearer_call(variant: AsgiVariant) -> Callable[[str], Any]:
    async def call(token: str) -> tuple[int, dict[str, Any]]:
        scope = variant.scope()
        scope["headers"] = [
            (name, f"Bearer {token}".encode() if name == b"authorization" else value)
            for name, value in scope["headers"]
        ]
        sent = await call_asgi(variant.app, scope)
        return int(sent[0]["status"]), scope

    return call


async def prepare(variants: list[AsgiVariant], tokens: TokenSet) -> None:
    """Prime every variant (the hit variant's one miss) and check each does what its
    label says; ``RuntimeError`` if one does not (nothing is measured then)."""
    expected = {"okta_hit": Source.HIT, "okta_no_cookie": Source.NO_COOKIE}
    for variant in variants:
        await _check(variant, None)  # the hit variant's miss
        await _check(variant, expected.get(variant.key))
        if variant.key.startswith("jwt_"):
            await check_refuses_bad_tokens(variant.key, _bearer_call(variant), tokens)


def run(*, iterations: int = 20_000, rounds: int = 5) -> Section:
    """Time the variants; ``iterations`` requests per variant per round."""
    tokens = make_tokens()
    with served_okta() as okta:
        okta_cookie = okta.new_session_cookie()
        service = SessionService(okta.config())
        loop = asyncio.new_event_loop()
        try:
            variants = asgi_variants(
                service, okta_cookie, loop.run_until_complete(starlette_session_cookie()), tokens
            )
            loop.run_until_complete(prepare(variants, tokens))
            calls = me_calls(okta.fake)
            batches = {v.key: _batcher(loop, v) for v in variants}
            timings = interleaved(batches, iterations, rounds)
            calls = me_calls(okta.fake) - calls
        finally:
            loop.run_until_complete(service.aclose())
            loop.close()
    labels = [(v.key, v.label) for v in variants]
    rows = overhead_rows(labels, timings, "SessionMiddleware", ASGI_TARGETS)
    section = Section(TITLE, rows)
    section.notes.append(
        f"{iterations:,} requests per variant per round, {rounds} rounds interleaved; "
        "best round shown (median in brackets); Okta calls during the timed loops: "
        f"{calls}" + ("" if calls == 0 else " (NOT all hits: figures suspect)")
    )
    section.notes.append(REQUEST_NOTE)
    return section


REQUEST_NOTE = (
    "every variant gets Chrome's request for a page: 15 headers and a Cookie header with "
    "analytics, theme and CSRF cookies and the framework's session cookie beside Okta's sid "
    "(benchmarks/browser_request.py); the access-token variants also get "
    "Authorization: Bearer <an Okta-style RS256 JWT>, verified (signature, exp, iss, aud) "
    "against a public key parsed once at start; each refused a bad signature, an expired "
    "token, another audience and another issuer before timing"
)
