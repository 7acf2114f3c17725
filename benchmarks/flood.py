"""A flood of random cookies against a small Okta budget: who still gets served.

A fake Okta over real HTTP on loopback, with one ``/api/v1/sessions*`` bucket of
``limit`` calls a minute (the layout Okta documents; the Integrator Free Plan's limit is
100). ``cached`` users are signed in and seen once, then an anonymous client sends
``flood`` requests, each with a new random ``sid``, from one address (or spread over
``addresses`` addresses); every cached user asks for a protected page during the flood.
Three quarters into the flood a new user signs in through the library (CreateSession,
then a page: at once, or refused). Afterwards half the cached users log out, another new
user signs in through the library, and one user whose Okta cookie was never seen asks
for a page from a fresh address. Both variants run in the same process on the same fake:
the library's defaults, and "no protection" (``rate_limit_reserve=0``,
``new_cookie_lookups_per_minute=0``, ``sign_ins_per_minute=0``). Waits are measured
from the flood's end on the fake's clock, which the service shares, trying once a second
and stepping the clock one second between tries (for at most two windows); nothing here
sleeps. The second new user signs in first, so the never-seen cookie's wait includes the
sign-in's.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from benchmarks.table import Row, Section, verdict
from okta_session_mw import (
    OktaSessionConfig,
    OktaSessionMiddleware,
    SessionService,
    logout_route,
    okta_session_required,
)
from okta_session_mw.errors import OktaSessionError
from okta_session_mw.testing import FakeOkta, serve_fake_okta

__all__ = ["run"]

API_TOKEN = "00-bench-api-token"
SESSIONS = "/api/v1/sessions"
BASE = "http://bench.test"
VARIANTS: dict[str, dict[str, Any]] = {
    "library defaults": {},
    "no protection": {
        "rate_limit_reserve": 0.0, "new_cookie_lookups_per_minute": 0, "sign_ins_per_minute": 0
    },
}


@okta_session_required
async def _private(request: Request) -> JSONResponse:
    return JSONResponse({"id": request.state.okta_session.id})


def _app(service: SessionService) -> Starlette:
    app = Starlette(routes=[Route("/private", _private), logout_route(service.config)])
    app.add_middleware(OktaSessionMiddleware, service=service)
    return app


@dataclass
class _Outcome:
    spent: int
    left: int
    served: int
    logouts: int
    signed_in_during: bool
    sign_in_wait: float | None
    new_cookie_wait: float | None


def _browser(app: Starlette, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url=BASE)


def _session_calls(fake: FakeOkta) -> int:
    """Calls the sessions bucket counted (a 429 is not counted by Okta's window)."""
    return sum(1 for c in fake.calls if c.path.startswith(SESSIONS) and c.status != 429)


async def _wait_until_served(fake: FakeOkta, attempt: Any, since: float) -> float | None:
    """Seconds from ``since`` (the flood's end) on the fake's clock until ``attempt()``
    is true, trying once a second (None: not within two windows of trying)."""
    for _ in range(121):
        if await attempt():
            return fake.now() - since
        fake.advance(1)
    return None


async def _scenario(
    settings: dict[str, Any], *, limit: int, cached: int, flood: int, addresses: int
) -> _Outcome:
    fake = FakeOkta(api_token=API_TOKEN, rate_limit=limit)
    for n in range(cached + 3):
        fake.add_user(f"user{n}@example.com", "correct horse")
    with serve_fake_okta(fake) as base_url:
        config = OktaSessionConfig(org_url=base_url, api_token=API_TOKEN, **settings)
        service = SessionService(config, clock=fake.now)
        app = _app(service)
        users = [
            fake.cookie_header(fake.create_session(f"user{n}@example.com")) for n in range(cached)
        ]
        async with _browser(app, "198.51.100.1") as known:
            for cookie in users:
                await known.get("/private", headers={"cookie": cookie})
            before = _session_calls(fake)
            attackers = [_browser(app, f"203.0.113.{n + 1}") for n in range(addresses)]
            served = 0
            signed_in_during = False
            every = max(1, flood // cached)
            for i in range(flood):
                cookie = f"sid={secrets.token_urlsafe(18)}"
                await attackers[i % addresses].get("/private", headers={"cookie": cookie})
                if i == flood * 3 // 4:
                    sign_in_calls = _session_calls(fake)
                    signed_in_during = await _sign_in(fake, service, app, cached + 2)
                    before += _session_calls(fake) - sign_in_calls  # not the flood's
                if i % every == 0 and i // every < cached:
                    page = await known.get("/private", headers={"cookie": users[i // every]})
                    served += page.status_code == 200
            for client in attackers:
                await client.aclose()
            ended = fake.now()
            spent = _session_calls(fake) - before
            left = max(0, limit - _session_calls(fake))
            logouts = 0
            for cookie in users[: cached // 2]:
                reply = await known.post("/logout", headers={"cookie": cookie, "origin": BASE})
                logouts += reply.status_code in (204, 303)
        signing_in = lambda: _sign_in(fake, service, app, cached)  # noqa: E731
        sign_in_wait = await _wait_until_served(fake, signing_in, ended)
        never_seen = fake.cookie_header(fake.create_session(f"user{cached + 1}@example.com"))
        new_cookie_wait = await _wait_until_served(fake, lambda: _page(app, never_seen), ended)
        await service.aclose()
    return _Outcome(spent, left, served, logouts, signed_in_during, sign_in_wait, new_cookie_wait)


async def _sign_in(fake: FakeOkta, service: SessionService, app: Starlette, n: int) -> bool:
    try:
        session = await service.alogin(fake.issue_session_token(f"user{n}@example.com"))
    except OktaSessionError:
        return False
    return await _page(app, f"sid={session.id}")


async def _page(app: Starlette, cookie: str) -> bool:
    async with _browser(app, "198.51.100.200") as newcomer:
        return (await newcomer.get("/private", headers={"cookie": cookie})).status_code == 200


def _wait(seconds: float | None) -> str:
    return "not within 2 windows" if seconds is None else f"{seconds:.0f} s after the flood"


def run(
    *, limit: int = 200, cached: int = 20, flood: int = 1_000, addresses: int = 1
) -> list[Section]:
    """One section per flood shape: from one address, then spread over many."""
    sections = []
    for spread in dict.fromkeys((addresses, 50)):
        results = {
            name: asyncio.run(
                _scenario(settings, limit=limit, cached=cached, flood=flood, addresses=spread)
            )
            for name, settings in VARIANTS.items()
        }
        sections.append(_section(results, limit=limit, cached=cached, flood=flood, spread=spread))
    return sections


def _section(
    results: dict[str, _Outcome], *, limit: int, cached: int, flood: int, spread: int
) -> Section:
    source = "one address" if spread == 1 else f"{spread} addresses"
    section = Section(
        f"Flood: {flood:,} random cookies from {source}, Okta bucket of {limit}/min, "
        f"{cached} cached users"
    )
    base = results["no protection"]
    for name, out in results.items():
        met = (
            out.served == cached
            and out.logouts == cached // 2
            and out.sign_in_wait is not None
            and out.sign_in_wait < 5
            and out.signed_in_during
        )
        section.rows += [
            Row(f"{name}: Okta calls spent by the flood", f"{out.spent} of {limit}",
                "" if out is base else f"{base.spent} without protection"),
            Row(f"{name}: left in the window after the flood", f"{out.left}",
                "" if out is base else f"{base.left} without protection"),
            Row(f"{name}: cached users served during the flood", f"{out.served}/{cached}"),
            Row(f"{name}: cached users' logouts closed at Okta",
                f"{out.logouts}/{cached // 2}"),
            Row(f"{name}: new user signs in (CreateSession) during the flood",
                "at once" if out.signed_in_during else "refused", "",
                "" if out is base else f"at once: {verdict(out.signed_in_during)}"),
            Row(f"{name}: new user signs in (CreateSession) and is served after",
                _wait(out.sign_in_wait), "",
                "" if out is base else f"all served, < 5 s: {verdict(met)}"),
            Row(f"{name}: never-seen Okta cookie, new address, served after",
                _wait(out.new_cookie_wait)),
        ]  # fmt: skip
    section.notes.append(
        "in-process ASGI calls; fake Okta over real HTTP on loopback; waits on the fake's "
        "clock (the service's too), stepped 1 s at a time; 'no protection' = "
        "rate_limit_reserve=0, new_cookie_lookups_per_minute=0, sign_ins_per_minute=0 (the "
        "per-bucket gate stays)"
    )
    return section
