"""Behaviours 1-5: only Okta's cookies travel, no cookie no I/O, cache, single flight,
refresh near expiry. Against the fake Okta over real HTTP, through the ASGI app."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from okta_session_mw import OktaSessionConfig, SessionService, SessionStatus
from okta_session_mw.cache.memory import MemorySessionCache
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_app, make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import API_TOKEN, LOGIN


async def test_1_only_okta_cookies_travel(
    okta: FakeOkta, client: httpx.AsyncClient
) -> None:
    sid = okta.create_session(LOGIN)
    cookie = f"theme=dark; {okta.cookie_header(sid)}; csrftoken=app-secret; idx_other=1"
    response = await client.get("/", headers={"cookie": cookie, "authorization": "Bearer app"})
    assert response.json()["login"] == LOGIN
    (call,) = okta.calls
    assert call.cookies == {"sid": sid}
    assert call.authorization is None  # never a token (nor the app's Authorization) on /me
    assert "csrftoken" not in str(call.headers) and "app-secret" not in str(call.headers)


async def test_1_idx_cookie_alone_is_forwarded(okta: FakeOkta, client: httpx.AsyncClient) -> None:
    sid = okta.create_session(LOGIN)
    idx = okta.cookie_header(sid, name="idx")
    response = await client.get("/", headers={"cookie": f"a=b; {idx}"})
    assert response.json()["id"] == sid
    assert list(okta.calls[0].cookies) == ["idx"]


async def test_1_custom_cookie_names(okta: FakeOkta) -> None:
    service = SessionService(make_config(okta, cookie_names=("idx",)), clock=okta.now)
    sid = okta.create_session(LOGIN)
    transport = httpx.ASGITransport(app=make_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await c.get("/", headers={"cookie": okta.cookie_header(sid)})).json()["id"] is None
        assert okta.calls == []  # sid is not configured: not even looked at
        idx = okta.cookie_header(sid, name="idx")
        assert (await c.get("/", headers={"cookie": idx})).json()["id"] == sid
    await service.aclose()


async def test_2_no_cookie_no_io(okta: FakeOkta, client: httpx.AsyncClient) -> None:
    for headers in ({}, {"cookie": "theme=dark; session=abc"}, {"cookie": "sid="}):
        response = await client.get("/", headers=headers)
        assert response.json() == {"login": None, "id": None}
    assert okta.calls == []


async def test_2_exempt_paths_are_never_looked_up(okta: FakeOkta) -> None:
    service = SessionService(make_config(okta, exempt_paths=("/static/",)), clock=okta.now)
    sid = okta.create_session(LOGIN)
    transport = httpx.ASGITransport(app=make_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("/static/app.css", headers={"cookie": okta.cookie_header(sid)})
        assert response.text == "None"
    assert okta.calls == []
    await service.aclose()


async def test_3_cache_serves_repeat_requests(okta: FakeOkta, client: httpx.AsyncClient) -> None:
    sid = okta.create_session(LOGIN)
    headers = {"cookie": okta.cookie_header(sid)}
    for _ in range(5):
        assert (await client.get("/", headers=headers)).json()["id"] == sid
    assert me_calls(okta) == 1


async def test_3_cache_key_is_a_keyed_hash(okta: FakeOkta, service: SessionService) -> None:
    sid = okta.create_session(LOGIN)
    cookie = okta.cookie_header(sid)
    await service.aresolve(cookie)
    assert isinstance(service.cache, MemorySessionCache)
    keys = list(service.cache._entries.keys())
    assert len(keys) == 1
    assert sid not in keys[0] and len(keys[0]) == 64
    other = SessionService(make_config(okta, secret_key="another-secret-key-0123456789"))
    cookies = other.okta_cookies(cookie)
    assert cookies is not None and other.key_for(cookies) != keys[0]  # keyed, not a plain hash


async def test_3_entry_lives_cache_ttl_then_okta_is_asked_again(okta: FakeOkta) -> None:
    service = SessionService(make_config(okta, cache_ttl=30), clock=okta.now)
    sid = okta.create_session(LOGIN)
    cookie = okta.cookie_header(sid)
    await service.aresolve(cookie)
    okta.advance(29)
    await service.aresolve(cookie)
    assert me_calls(okta) == 1
    okta.advance(2)
    assert (await service.aresolve(cookie)).session is not None
    assert me_calls(okta) == 2
    await service.aclose()


async def test_3_never_served_past_expires_at() -> None:
    fake = FakeOkta(api_token=API_TOKEN, idle_timeout=20)
    fake.add_user(LOGIN, "pw")
    from okta_session_mw.testing import serve_fake_okta

    with serve_fake_okta(fake):
        service = SessionService(
            make_config(fake, cache_ttl=600, refresh_threshold=0, stale_if_error=600),
            clock=fake.now,
        )
        sid = fake.create_session(LOGIN)
        cookie = fake.cookie_header(sid)
        first = await service.aresolve(cookie)
        assert first.session is not None
        fake.advance(21)  # past expiresAt, though well inside cache_ttl
        assert (await service.aresolve(cookie)).session is None
        assert me_calls(fake) == 2
        fake.inject(status=500)  # and not served stale past expiresAt either
        fake.advance(1)
        assert (await service.aresolve(cookie)).session is None
        await service.aclose()


async def test_3_negative_answers_are_cached_briefly(okta: FakeOkta) -> None:
    service = SessionService(make_config(okta, negative_cache_ttl=10), clock=okta.now)
    for _ in range(20):
        assert (await service.aresolve("sid=not-a-session")).session is None
    assert me_calls(okta) == 1
    okta.advance(11)
    await service.aresolve("sid=not-a-session")
    assert me_calls(okta) == 2
    await service.aclose()


async def test_3_cache_is_bounded(okta: FakeOkta) -> None:
    service = SessionService(make_config(okta, cache_maxsize=3), clock=okta.now)
    cookies = [okta.cookie_header(okta.create_session(LOGIN)) for _ in range(5)]
    for cookie in cookies:
        await service.aresolve(cookie)
    assert len(service.cache) == 3
    await service.aresolve(cookies[-1])  # most recent: still cached
    assert me_calls(okta) == 5
    await service.aresolve(cookies[0])  # least recent: evicted
    assert me_calls(okta) == 6
    await service.aclose()


async def test_4_single_flight_100_concurrent_requests(
    okta: FakeOkta, client: httpx.AsyncClient
) -> None:
    sid = okta.create_session(LOGIN)
    okta.inject(latency=0.2)
    headers = {"cookie": okta.cookie_header(sid)}
    responses = await asyncio.gather(*(client.get("/private", headers=headers) for _ in range(100)))
    assert {r.status_code for r in responses} == {200}
    assert {r.json()["id"] for r in responses} == {sid}
    assert me_calls(okta) == 1


async def test_4_single_flight_for_a_bad_cookie(okta: FakeOkta, client: httpx.AsyncClient) -> None:
    okta.inject(latency=0.1)
    responses = await asyncio.gather(
        *(client.get("/", headers={"cookie": "sid=nope"}) for _ in range(50))
    )
    assert {r.json()["id"] for r in responses} == {None}
    assert me_calls(okta) == 1


def refresh_calls(fake: FakeOkta) -> int:
    return len(fake.calls_to("POST", "/api/v1/sessions/me/lifecycle/refresh"))


async def test_5_refresh_near_expiry_once_for_100_concurrent_requests() -> None:
    from okta_session_mw.testing import serve_fake_okta

    fake = FakeOkta(api_token=API_TOKEN, idle_timeout=600)
    fake.add_user(LOGIN, "pw")
    with serve_fake_okta(fake):
        service = SessionService(
            make_config(fake, cache_ttl=60, refresh_threshold=300), clock=fake.now
        )
        sid = fake.create_session(LOGIN)
        cookie = fake.cookie_header(sid)
        before = (await service.aresolve(cookie)).session
        assert before is not None and refresh_calls(fake) == 0  # 600 s left: not due
        fake.advance(400)  # 200 s left, inside the 300 s window; cache entry is fresh
        fake.inject(latency=0.2, path_prefix="/api/v1/sessions/me/lifecycle")
        results = await asyncio.gather(*(service.aresolve(cookie) for _ in range(100)))
        # refresh-ahead makes the due refresh behind the requests: wait for it, then see
        # that no other one follows
        for _ in range(60):
            if refresh_calls(fake):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        assert refresh_calls(fake) == 1
        assert all(r.session is not None for r in results)  # the others kept the valid one
        after = (await service.aresolve(cookie)).session
        assert after is not None and after.expires_at > before.expires_at
        entry = service.cache.get(service.key_for(service.okta_cookies(cookie)))  # type: ignore[arg-type]
        assert entry is not None and entry.session is not None
        assert entry.session.expires_at == after.expires_at  # the cache took the new expiresAt
        for _ in range(5):
            await service.aresolve(cookie)
        assert refresh_calls(fake) == 1
        await service.aclose()


async def test_5_no_refresh_repeated_for_the_same_expires_at() -> None:
    from okta_session_mw.testing import serve_fake_okta

    # max_lifetime caps the session: a refresh cannot move expiresAt.
    fake = FakeOkta(api_token=API_TOKEN, idle_timeout=600, max_lifetime=600)
    fake.add_user(LOGIN, "pw")
    with serve_fake_okta(fake):
        service = SessionService(
            make_config(fake, cache_ttl=30, refresh_threshold=300), clock=fake.now
        )
        cookie = fake.cookie_header(fake.create_session(LOGIN))
        await service.aresolve(cookie)
        fake.advance(400)
        for _ in range(3):
            await service.aresolve(cookie)
            fake.advance(31)  # past cache_ttl: Okta is asked again, same expiresAt
        assert refresh_calls(fake) == 1
        await service.aclose()


async def test_6_mfa_required_is_visible_but_not_accepted(
    okta: FakeOkta, client: httpx.AsyncClient
) -> None:
    sid = okta.create_session(LOGIN, status="MFA_REQUIRED")
    headers = {"cookie": okta.cookie_header(sid)}
    assert (await client.get("/", headers=headers)).json()["id"] == sid
    assert (await client.get("/private", headers=headers)).status_code == 401


async def test_6_config_can_accept_mfa_required(okta: FakeOkta) -> None:
    config = make_config(
        okta, accepted_statuses=frozenset({SessionStatus.ACTIVE, SessionStatus.MFA_REQUIRED})
    )
    service = SessionService(config, clock=okta.now)
    sid = okta.create_session(LOGIN, status="MFA_REQUIRED")
    transport = httpx.ASGITransport(app=make_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("/private", headers={"cookie": okta.cookie_header(sid)})
    assert response.status_code == 200
    await service.aclose()


@pytest.mark.parametrize("path", ["/private", "/private-sync"])
async def test_protected_view_passes_with_active_session(
    okta: FakeOkta, client: httpx.AsyncClient, path: str
) -> None:
    sid = okta.create_session(LOGIN)
    response = await client.get(path, headers={"cookie": okta.cookie_header(sid)})
    assert response.status_code == 200 and response.json()["id"] == sid


def test_websocket_scope_gets_the_session(okta: FakeOkta) -> None:
    from starlette.testclient import TestClient

    service = SessionService(make_config(okta), clock=okta.now)
    sid = okta.create_session(LOGIN)
    with TestClient(make_app(service)) as tc:
        with tc.websocket_connect("/ws", headers={"cookie": okta.cookie_header(sid)}) as socket:
            assert socket.receive_text() == LOGIN
        with tc.websocket_connect("/ws") as socket:
            assert socket.receive_text() == "anonymous"


def test_config_passed_directly(okta: FakeOkta) -> None:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.testclient import TestClient

    from okta_session_mw import OktaSessionMiddleware

    config = OktaSessionConfig(org_url=okta.base_url or "")
    app = Starlette(middleware=[Middleware(OktaSessionMiddleware, config=config)])
    with TestClient(app) as tc:
        assert tc.get("/").status_code == 404  # no routes; the middleware passed it through
    with pytest.raises(TypeError, match="config"):
        OktaSessionMiddleware(app)


def test_testclient_without_with_leaves_no_open_sockets(okta: FakeOkta) -> None:
    """Each request of a TestClient used without ``with`` runs on its own event loop;
    the per-loop Okta client must be closed when that loop ends (warnings are errors)."""
    import gc

    from starlette.testclient import TestClient

    service = SessionService(make_config(okta, cache_ttl=0.001), clock=okta.now)
    tc = TestClient(make_app(service))
    for _ in range(3):
        sid = okta.create_session(LOGIN)
        assert tc.get("/private", headers={"cookie": okta.cookie_header(sid)}).status_code == 200
    gc.collect()
    assert me_calls(okta) == 3


async def test_3_a_session_okta_says_is_past_its_expiry_by_our_clock_is_not_served(
    okta: FakeOkta,
) -> None:
    # Our clock runs 30 s past the session's end (clock skew): never serve it.
    fake_session = okta.create_session(LOGIN)
    expires = okta.session(fake_session).expires_at  # type: ignore[union-attr]
    service = SessionService(make_config(okta), clock=lambda: expires + 30)
    cookie = okta.cookie_header(fake_session)
    for _ in range(3):
        assert (await service.aresolve(cookie)).session is None
    assert me_calls(okta) == 1  # remembered as "no session" for negative_cache_ttl
    await service.aclose()
