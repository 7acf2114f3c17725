"""Okta's rate-limit budget (behaviour 14, per process): per-bucket figures and 429
pauses, the reserve kept for known sessions, and the per-address bound on lookups of
never-seen cookies. Pure tests step ``now`` by hand; the end-to-end tests flood a
served app with random cookies while the fake Okta, over real HTTP, has small limits."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from okta_session_mw import SessionService
from okta_session_mw.engine.limits import (
    MAX_RATE_LIMIT_PAUSE,
    AddressAllowance,
    RateLimitGate,
    Spender,
    address_key,
    bucket_of,
    reserve_of,
)
from okta_session_mw.errors import OktaSessionError, RateLimit
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.apps import make_app, make_config
from tests.support.okta_users import API_TOKEN, LOGIN, PASSWORD

NOW = 1_800_000_000.0
LOOKUP = "get_current_session"
LOGOUT = "close_current_session"
NEW, KNOWN = Spender.NEW_COOKIE, Spender.KNOWN


def figures(limit: int, remaining: int, reset_in: int = 60) -> RateLimit:
    """An answer's figures, Okta's clock agreeing with ours."""
    return RateLimit(limit=limit, remaining=remaining, reset=int(NOW) + reset_in, date=NOW)


# -- pure: the gate, stepped by hand ----------------------------------------------------


def test_a_429_pauses_its_bucket_for_the_bounded_reset() -> None:
    gate = RateLimitGate()
    assert gate.open(LOOKUP, KNOWN, NOW)
    assert gate.close_for(LOOKUP, 30, NOW) == NOW + 30
    assert not gate.open(LOOKUP, KNOWN, NOW + 29.9)
    assert gate.open(LOOKUP, KNOWN, NOW + 30)
    assert gate.close_for(LOOKUP, 10_000, NOW) == NOW + MAX_RATE_LIMIT_PAUSE  # absurd Reset
    other = RateLimitGate()
    other.close_for(LOOKUP, None, NOW)  # no Reset header: pause a window
    assert not other.take(LOOKUP, KNOWN, NOW + 59)


def test_a_429_on_lookups_leaves_logouts_and_admin_calls_open() -> None:
    gate = RateLimitGate()
    gate.close_for(LOOKUP, 30, NOW)
    assert not gate.take(LOOKUP, KNOWN, NOW)
    assert gate.take(LOGOUT, KNOWN, NOW)
    assert gate.take("revoke_session", KNOWN, NOW)
    assert bucket_of(LOOKUP) != bucket_of(LOGOUT) != bucket_of("revoke_session")


def test_never_seen_cookies_stop_at_the_reserve_known_sessions_spend_it() -> None:
    gate = RateLimitGate(reserve_fraction=0.25)
    assert reserve_of(8, 0.25) == 2 and reserve_of(9, 0.25) == 3 and reserve_of(None, 0.5) == 0
    gate.observe(LOOKUP, figures(limit=8, remaining=4), NOW)
    assert gate.take(LOOKUP, NEW, NOW)  # 4 left > 2: spent, 3 left
    assert gate.take(LOOKUP, NEW, NOW)  # 3 > 2: 2 left
    assert not gate.take(LOOKUP, NEW, NOW)  # the reserve
    assert gate.take(LOOKUP, KNOWN, NOW) and gate.take(LOOKUP, KNOWN, NOW)
    assert not gate.take(LOOKUP, KNOWN, NOW)  # nothing left: no call that would be a 429
    assert gate.take(LOOKUP, NEW, NOW + 61)  # the window has turned: figures are old


def test_concurrent_calls_count_down_and_late_answers_do_not_raise_the_count() -> None:
    gate = RateLimitGate(reserve_fraction=0.5)
    gate.observe(LOOKUP, figures(limit=10, remaining=8), NOW)
    taken = sum(gate.take(LOOKUP, NEW, NOW) for _ in range(10))
    assert taken == 3  # 8, 7, 6 > 5; in flight, no answer yet
    gate.observe(LOOKUP, figures(limit=10, remaining=7), NOW)  # answer sent before the others
    assert not gate.take(LOOKUP, NEW, NOW)
    gate.observe(LOOKUP, figures(limit=10, remaining=9, reset_in=-60), NOW)  # older window
    assert not gate.take(LOOKUP, NEW, NOW)
    gate.observe(LOOKUP, figures(limit=10, remaining=9, reset_in=120), NOW + 61)  # new window
    assert gate.take(LOOKUP, NEW, NOW + 61)


def test_a_concurrency_429_with_zero_figures_closes_until_its_estimate() -> None:
    gate = RateLimitGate(reserve_fraction=0.2)
    gate.observe(LOGOUT, figures(limit=0, remaining=0, reset_in=5), NOW)
    assert not gate.take(LOGOUT, KNOWN, NOW + 1)
    assert gate.take(LOGOUT, KNOWN, NOW + 7)


def test_address_allowance_bursts_refills_and_forgets_the_oldest() -> None:
    allowance = AddressAllowance(per_minute=3, maxsize=2)
    assert [allowance.take("a", NOW) for _ in range(4)] == [True, True, True, False]
    assert allowance.take("b", NOW)  # another address has its own bucket
    assert not allowance.take("a", NOW + 19)  # 19 s refill 0.95 of a lookup
    assert allowance.take("a", NOW + 21)
    assert not allowance.take("a", NOW + 21)
    allowance.take("c", NOW + 21)  # the LRU holds two addresses: "b" is forgotten
    assert [allowance.take("b", NOW + 21) for _ in range(4)] == [True, True, True, False]
    assert all(AddressAllowance(0).take("a", NOW) for _ in range(10))  # 0 = off


def test_an_ipv6_client_is_counted_by_its_64_so_rotating_addresses_buys_nothing() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:203.0.113.9") == address_key("203.0.113.9") == "203.0.113.9"
    assert address_key("testclient") == "testclient"  # not an IP: kept as given
    allowance = AddressAllowance(per_minute=2)
    taken = [allowance.take(f"2001:db8:1:2::{n:x}", NOW) for n in range(1, 6)]
    assert taken == [True, True, False, False, False]


def test_a_cookie_refused_by_the_bucket_keeps_its_address_token() -> None:
    gate = RateLimitGate(reserve_fraction=0.5, new_cookie_lookups_per_minute=1)
    gate.close_for(LOOKUP, 30, NOW)
    assert not gate.take(LOOKUP, NEW, NOW, "203.0.113.9")
    assert gate.take(LOOKUP, NEW, NOW + 31, "203.0.113.9")
    assert not gate.take(LOOKUP, NEW, NOW + 31, "203.0.113.9")
    assert gate.take(LOOKUP, KNOWN, NOW + 31, "203.0.113.9")  # known sessions: no bound


# -- end to end: a served app, a fake Okta with small limits ------------------------------

LIMIT = 40
RESERVE = 0.25
PER_ADDRESS = 10
ATTACKER = ("203.0.113.66", 40000)
FLOOD = 300


@pytest.fixture
def small_okta(request: pytest.FixtureRequest) -> Iterator[FakeOkta]:
    layout = getattr(request, "param", "sessions")
    fake = FakeOkta(api_token=API_TOKEN, rate_limit=LIMIT, rate_limit_buckets=layout)
    fake.add_user(LOGIN, PASSWORD)
    with serve_fake_okta(fake):
        yield fake


@pytest.fixture
async def guarded(small_okta: FakeOkta) -> AsyncIterator[SessionService]:
    config = make_config(
        small_okta, rate_limit_reserve=RESERVE, new_cookie_lookups_per_minute=PER_ADDRESS
    )
    service = SessionService(config, clock=small_okta.now)
    yield service
    await service.aclose()


def browser(service: SessionService, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_app(service), client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def flood(service: SessionService, sources: list[tuple[str, int]]) -> list[int]:
    """GET /private with a fresh random cookie per request, from each source in turn."""
    statuses: list[int] = []
    clients = {address: browser(service, address) for address, _ in sources}
    for i in range(FLOOD):
        address = sources[i % len(sources)][0]
        cookie = f"sid={secrets.token_urlsafe(18)}"
        statuses.append(
            (await clients[address].get("/private", headers={"cookie": cookie})).status_code
        )
    for client in clients.values():
        await client.aclose()
    return statuses


def lookups(fake: FakeOkta) -> int:
    return len(fake.calls_to("GET", "/api/v1/sessions/me"))


async def check_cached_user_and_sign_in(
    fake: FakeOkta, service: SessionService, cached_id: str
) -> None:
    """(a) a cached user keeps protected pages and can log out (Okta closes the
    session); (b) a new user from another address signs in and is served at once."""
    async with browser(service, "198.51.100.10") as user:
        cookie = {"cookie": fake.cookie_header(cached_id)}
        assert (await user.get("/private", headers=cookie)).json()["id"] == cached_id
        logged_out = await user.post("/logout", headers={**cookie, "origin": "http://testserver"})
        assert logged_out.status_code in (204, 303)
    assert len(fake.calls_to("DELETE", "/api/v1/sessions/me")) == 1
    assert fake.session(cached_id) is None  # CloseCurrentSession reached Okta
    session = await service.alogin(fake.issue_session_token(LOGIN))  # CreateSession
    async with browser(service, "198.51.100.20") as newcomer:
        page = await newcomer.get("/private", headers={"cookie": f"sid={session.id}"})
        assert page.status_code == 200 and page.json()["id"] == session.id


async def sign_in_cached_user(fake: FakeOkta, service: SessionService) -> str:
    """A user signed in at Okta who has been seen once: the session is cached now."""
    session_id = fake.create_session(LOGIN)
    async with browser(service, "198.51.100.10") as user:
        page = await user.get("/private", headers={"cookie": fake.cookie_header(session_id)})
        assert page.status_code == 200
    return session_id


async def test_i10_02_flood_from_one_address_is_bounded_users_keep_logout_and_sign_in(
    small_okta: FakeOkta, guarded: SessionService
) -> None:
    cached = await sign_in_cached_user(small_okta, guarded)
    before = lookups(small_okta)
    statuses = await flood(guarded, [ATTACKER])
    spent = lookups(small_okta) - before
    # The address's allowance (plus what refills while the flood runs), not Okta's window.
    assert spent <= PER_ADDRESS + 2
    assert statuses.count(503) >= FLOOD - spent  # refused: "unavailable", never a login loop
    assert all(call.status != 429 for call in small_okta.calls)
    await check_cached_user_and_sign_in(small_okta, guarded, cached)
    # A user whose Okta cookie was never seen, from another address: looked up at once.
    fresh = small_okta.create_session(LOGIN)
    async with browser(guarded, "198.51.100.30") as other:
        page = await other.get("/private", headers={"cookie": small_okta.cookie_header(fresh)})
        assert page.status_code == 200


async def test_i10_02_distributed_flood_stops_at_the_reserve_logout_and_sign_in_still_work(
    small_okta: FakeOkta, guarded: SessionService
) -> None:
    cached = await sign_in_cached_user(small_okta, guarded)
    sources = [(f"203.0.113.{n}", 40000) for n in range(1, FLOOD // PER_ADDRESS + 1)]
    await flood(guarded, sources)  # every address within its allowance
    assert all(call.status != 429 for call in small_okta.calls)  # stopped before the limit
    remaining = guarded.gate.figures("get_current_session")
    assert remaining is not None and remaining.remaining is not None
    assert remaining.remaining <= reserve_of(LIMIT, RESERVE)  # spent down to the reserve
    await check_cached_user_and_sign_in(small_okta, guarded, cached)
    # Never-seen cookies wait for the window to turn (at most Okta's minute), then pass.
    fresh = small_okta.create_session(LOGIN)
    async with browser(guarded, "198.51.100.30") as other:
        cookie = {"cookie": small_okta.cookie_header(fresh)}
        assert (await other.get("/private", headers=cookie)).status_code == 503
        small_okta.advance(62)  # past Reset - Date + 1 (Okta's Date has whole seconds)
        assert (await other.get("/private", headers=cookie)).status_code == 200


@pytest.mark.parametrize("small_okta", ["endpoint"], indirect=True)
async def test_i10_02_a_429_on_lookups_does_not_stop_logout(
    small_okta: FakeOkta, guarded: SessionService
) -> None:
    cached = await sign_in_cached_user(small_okta, guarded)
    small_okta.rate_limit_until(small_okta.now() + 30, bucket="GET /api/v1/sessions/me")
    assert (await guarded.aresolve("sid=never-seen")).unavailable  # the 429
    assert (await guarded.aresolve("sid=never-seen-2")).unavailable  # gated: not asked
    assert small_okta.calls[-1].status == 429
    assert await guarded.alogout(small_okta.cookie_header(cached))
    assert small_okta.session(cached) is None


@pytest.mark.parametrize("small_okta", ["endpoint"], indirect=True)
def test_i10_02_sync_path_learns_the_figures_and_keeps_the_reserve(
    small_okta: FakeOkta,
) -> None:
    config = make_config(small_okta, rate_limit_reserve=RESERVE, new_cookie_lookups_per_minute=0)
    service = SessionService(config, clock=small_okta.now)
    try:
        cookie = small_okta.cookie_header(small_okta.create_session(LOGIN))
        assert service.resolve(cookie).session is not None
        refused = 0
        for _ in range(LIMIT):
            refused += service.resolve(f"sid={secrets.token_urlsafe(18)}").unavailable
        assert refused >= reserve_of(LIMIT, RESERVE)  # the sync client fed the gate
        assert all(call.status != 429 for call in small_okta.calls)
        assert service.logout(cookie)
    finally:
        service.close()


# -- review of item 2: bursts, the window's turn, sign-in, no address ----------------------


def test_i10_02_window_turn_counts_down_from_the_last_limit() -> None:
    """At the turn the gate starts from Okta's last ``limit``, not from "unknown": a
    burst of lookups from many addresses right after the turn stops at the reserve."""
    gate = RateLimitGate(reserve_fraction=0.25, new_cookie_lookups_per_minute=10)
    gate.observe(LOOKUP, figures(limit=8, remaining=4), NOW)
    turned = NOW + 61
    taken = sum(gate.take(LOOKUP, NEW, turned, f"203.0.113.{n}") for n in range(24))
    assert taken == 8 - reserve_of(8, 0.25)  # 8, 7, ... 3 > 2: the reserve is left
    assert gate.take(LOOKUP, KNOWN, turned)  # cached sessions spend the reserve
    assert not gate.take(LOOKUP, NEW, turned + 1, "198.51.100.77")


def test_i10_02_unknown_figures_admit_only_a_probe_of_never_seen_cookies() -> None:
    """Before the first answer (process start) only a few calls of never-seen cookies
    are in flight per bucket; cached sessions are not held back; an answer ends it."""
    gate = RateLimitGate(reserve_fraction=0.25)
    taken = [gate.take(LOGOUT, NEW, NOW, f"203.0.113.{n}") for n in range(12)]
    assert 1 <= sum(taken) <= 4
    assert gate.take(LOGOUT, KNOWN, NOW)
    gate.done(LOGOUT)  # the cached session's call answered...
    gate.done(LOGOUT)  # ...and one probe, without figures: one more may go
    assert gate.take(LOGOUT, NEW, NOW, "203.0.113.99")
    assert not gate.take(LOGOUT, NEW, NOW, "203.0.113.100")
    gate.observe(LOGOUT, figures(limit=40, remaining=30), NOW)
    assert sum(gate.take(LOGOUT, NEW, NOW, f"198.51.100.{n}") for n in range(40)) == 30 - 10


async def test_i10_02_burst_of_made_up_logouts_leaves_cached_users_logout(
    small_okta: FakeOkta, guarded: SessionService
) -> None:
    """120 concurrent POST /logout with made-up sids (the app's own Origin, so CSRF
    passes) at process start: they neither trip Okta's 429 nor use up the window, and a
    cached user's logout then closes the session at Okta."""
    cached = await sign_in_cached_user(small_okta, guarded)
    origin = {"origin": "http://testserver"}
    async with browser(guarded, ATTACKER[0]) as attacker:
        replies = await asyncio.gather(
            *(
                attacker.post(
                    "/logout", headers={**origin, "cookie": f"sid={secrets.token_urlsafe(18)}"}
                )
                for _ in range(120)
            )
        )
    assert {reply.status_code for reply in replies} <= {204, 303, 503}
    assert all(call.status != 429 for call in small_okta.calls)
    # one address: its allowance (plus a refill), not the window
    assert len(small_okta.calls_to("DELETE", "/api/v1/sessions/me")) <= PER_ADDRESS + 1
    async with browser(guarded, "198.51.100.10") as user:
        cookie = {"cookie": small_okta.cookie_header(cached)}
        reply = await user.post("/logout", headers={**cookie, **origin})
        assert reply.status_code in (204, 303)
    assert small_okta.session(cached) is None  # CloseCurrentSession reached Okta
    assert all(call.status != 429 for call in small_okta.calls)


async def test_i10_02_repeated_sign_in_keeps_the_reserve_for_cached_logouts(
    small_okta: FakeOkta, guarded: SessionService
) -> None:
    """One valid account signing in again and again (CreateSession shares Okta's one
    sessions bucket) is refused before the window is spent: the cached user's logout
    still closes at Okta, and the refusal is a typed error, not a 429 from Okta."""
    cached = await sign_in_cached_user(small_okta, guarded)
    refused: list[OktaSessionError] = []
    for _ in range(LIMIT + 5):
        try:
            await guarded.alogin(small_okta.issue_session_token(LOGIN))
        except OktaSessionError as exc:
            refused.append(exc)
            break
    assert all(call.status != 429 for call in small_okta.calls)
    assert refused, "sign-in was never refused"
    from okta_session_mw import SignInThrottledError

    assert isinstance(refused[0], SignInThrottledError)
    assert await guarded.alogout(small_okta.cookie_header(cached))
    assert small_okta.session(cached) is None


def test_i10_02_requests_without_an_address_share_one_allowance() -> None:
    """uvicorn --uds reports no client address: such requests share one allowance
    instead of being bounded only by the reserve."""
    allowance = AddressAllowance(per_minute=3)
    assert [allowance.take(None, NOW) for _ in range(5)] == [True, True, True, False, False]
    assert allowance.take("203.0.113.9", NOW)  # an address has its own
    gate = RateLimitGate(new_cookie_lookups_per_minute=2)
    gate.observe(LOOKUP, figures(limit=100, remaining=90), NOW)
    assert [gate.take(LOOKUP, NEW, NOW, None) for _ in range(4)] == [True, True, False, False]


def test_i10_02_never_seen_cookies_share_one_reserve_across_session_endpoints() -> None:
    """Okta counts every ``/api/v1/sessions*`` call in one bucket: a burst of made-up
    lookups and made-up logouts together stops at the reserve, though each endpoint
    keeps its own figures (and 429 pause) for cached sessions."""
    gate = RateLimitGate(reserve_fraction=0.25)
    gate.observe(LOOKUP, figures(limit=40, remaining=30), NOW)
    gate.observe(LOGOUT, figures(limit=40, remaining=30), NOW)
    taken = sum(
        gate.take(operation, NEW, NOW) for _ in range(30) for operation in (LOOKUP, LOGOUT)
    )
    assert taken == 30 - reserve_of(40, 0.25)
    assert gate.take(LOOKUP, KNOWN, NOW) and gate.take(LOGOUT, KNOWN, NOW)
    turned = NOW + 61  # the turn: both endpoints start from the limit, still one reserve
    taken = sum(
        gate.take(operation, NEW, turned) for _ in range(40) for operation in (LOOKUP, LOGOUT)
    )
    assert taken == 40 - reserve_of(40, 0.25)


async def test_real_users_arriving_together_at_start_wait_for_the_probe(
    small_okta: FakeOkta, guarded: SessionService
) -> None:
    """Before Okta's first answer only one call per bucket goes out; users whose Okta
    cookies arrive together then wait for its answer and are served, not refused."""
    sessions = [small_okta.create_session(LOGIN) for _ in range(12)]

    async def visit(n: int, session_id: str) -> int:
        async with browser(guarded, f"198.51.100.{n}") as user:
            cookie = {"cookie": small_okta.cookie_header(session_id)}
            return (await user.get("/private", headers=cookie)).status_code

    statuses = await asyncio.gather(*(visit(n, sid) for n, sid in enumerate(sessions)))
    assert statuses == [200] * len(sessions)
    assert lookups(small_okta) == len(sessions)


async def test_i10_02_distributed_burst_of_lookups_and_logouts_keeps_the_reserve(
    small_okta: FakeOkta, guarded: SessionService
) -> None:
    """12 addresses, each within its allowance, send made-up lookups and made-up
    logouts at once (Okta counts both in its one sessions bucket): together they stop
    at the reserve, and a cached user's logout then closes at Okta."""
    cached = await sign_in_cached_user(small_okta, guarded)
    origin = {"origin": "http://testserver"}
    clients = [browser(guarded, f"203.0.113.{n}") for n in range(1, 13)]

    async def made_up(client: httpx.AsyncClient, n: int) -> int:
        cookie = {"cookie": f"sid={secrets.token_urlsafe(18)}"}
        if n % 2:
            return (await client.post("/logout", headers={**cookie, **origin})).status_code
        return (await client.get("/private", headers=cookie)).status_code

    await asyncio.gather(
        *(made_up(client, n) for client in clients for n in range(PER_ADDRESS))
    )
    for client in clients:
        await client.aclose()
    assert all(call.status != 429 for call in small_okta.calls)
    async with browser(guarded, "198.51.100.10") as user:
        cookie = {"cookie": small_okta.cookie_header(cached)}
        assert (await user.post("/logout", headers={**cookie, **origin})).status_code in (
            204, 303,
        )
    assert small_okta.session(cached) is None
    assert all(call.status != 429 for call in small_okta.calls)
