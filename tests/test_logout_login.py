"""Behaviours 9-11: logout (POST, CSRF-safe, CloseCurrentSession, eviction, cookies),
the login helper (CreateSession + sid cookie) and admin revoke with cache eviction."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from okta_session_mw import (
    OktaAuthenticationError,
    OktaSessionMiddleware,
    SessionService,
    login_with_session_token,
    logout,
    logout_csrf_token,
)
from okta_session_mw.testing import FakeOkta
from tests.conftest import LOGIN, make_app, me_calls

ORIGIN = "http://testserver"


def close_calls(fake: FakeOkta) -> int:
    return len(fake.calls_to("DELETE", "/api/v1/sessions/me"))


async def signed_in(okta: FakeOkta, client: httpx.AsyncClient) -> tuple[str, str]:
    sid = okta.create_session(LOGIN)
    cookie = okta.cookie_header(sid)
    assert (await client.get("/", headers={"cookie": cookie})).json()["id"] == sid
    return sid, cookie


async def test_9_logout_closes_the_session_and_evicts_it(
    okta: FakeOkta, client: httpx.AsyncClient
) -> None:
    sid, cookie = await signed_in(okta, client)
    response = await client.post(
        "/logout", headers={"cookie": cookie, "origin": ORIGIN, "accept": "text/html"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert close_calls(okta) == 1
    assert okta.calls_to("DELETE", "/api/v1/sessions/me")[0].cookies == {"sid": sid}
    assert okta.calls_to("DELETE", "/api/v1/sessions/me")[0].authorization is None
    assert okta.session(sid) is None
    expired = response.headers.get_list("set-cookie")
    assert len(expired) == 1
    assert expired[0].startswith('sid=""') and "Max-Age=0" in expired[0]
    calls = me_calls(okta)
    assert (await client.get("/", headers={"cookie": cookie})).json()["id"] is None
    assert me_calls(okta) == calls + 1  # evicted: Okta asked again, and said no


async def test_9_api_client_gets_204(okta: FakeOkta, client: httpx.AsyncClient) -> None:
    _, cookie = await signed_in(okta, client)
    response = await client.post("/logout", headers={"cookie": cookie, "origin": ORIGIN})
    assert response.status_code == 204


async def test_9_already_closed_is_success(okta: FakeOkta, client: httpx.AsyncClient) -> None:
    sid, cookie = await signed_in(okta, client)
    okta.revoke(sid)
    response = await client.post("/logout", headers={"cookie": cookie, "origin": ORIGIN})
    assert response.status_code == 204
    assert close_calls(okta) == 1


async def test_9_get_is_not_allowed(okta: FakeOkta, client: httpx.AsyncClient) -> None:
    _, cookie = await signed_in(okta, client)
    assert (await client.get("/logout", headers={"cookie": cookie})).status_code == 405
    assert close_calls(okta) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"referer": "https://evil.example/page"},
        {"origin": "http://testserver.evil.example"},
        {},  # neither header and no token
        {"x-csrf-token": "forged"},
    ],
)
async def test_9_cross_site_logout_is_refused_before_okta(
    okta: FakeOkta, client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    sid, cookie = await signed_in(okta, client)
    response = await client.post("/logout", headers={"cookie": cookie, **headers})
    assert response.status_code == 403
    assert close_calls(okta) == 0
    assert okta.session(sid) is not None


async def test_9_referer_when_no_origin(okta: FakeOkta, client: httpx.AsyncClient) -> None:
    _, cookie = await signed_in(okta, client)
    headers = {"cookie": cookie, "referer": ORIGIN + "/profile"}
    assert (await client.post("/logout", headers=headers)).status_code == 204


async def token_app(service: SessionService) -> Starlette:
    async def form(request: Request) -> PlainTextResponse:
        return PlainTextResponse(logout_csrf_token(request))

    async def my_logout(request: Request) -> Response:
        return await logout(request, redirect_to="/bye")

    return Starlette(
        routes=[Route("/form", form), Route("/bye-logout", my_logout, methods=["POST"])],
        middleware=[Middleware(OktaSessionMiddleware, service=service)],
    )


@pytest.fixture
async def token_client(service: SessionService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=await token_app(service))
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
        yield c


async def test_9_signed_token_for_clients_without_origin(
    okta: FakeOkta, token_client: httpx.AsyncClient
) -> None:
    sid = okta.create_session(LOGIN)
    cookie = okta.cookie_header(sid)
    token = (await token_client.get("/form", headers={"cookie": cookie})).text
    response = await token_client.post(
        "/bye-logout",
        headers={"cookie": cookie, "accept": "text/html"},
        data={"csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/bye"
    assert okta.session(sid) is None


async def test_9_token_is_bound_to_the_cookie(
    okta: FakeOkta, token_client: httpx.AsyncClient
) -> None:
    mine = okta.cookie_header(okta.create_session(LOGIN))
    victim_sid = okta.create_session(LOGIN)
    token = (await token_client.get("/form", headers={"cookie": mine})).text
    response = await token_client.post(
        "/bye-logout",
        headers={"cookie": okta.cookie_header(victim_sid), "x-csrf-token": token},
    )
    assert response.status_code == 403
    assert okta.session(victim_sid) is not None


async def test_9_logout_evicts_the_idx_cookie_of_the_same_session(
    okta: FakeOkta, service: SessionService, client: httpx.AsyncClient
) -> None:
    sid = okta.create_session(LOGIN)
    idx = okta.cookie_header(sid, name="idx")
    await client.get("/", headers={"cookie": idx})
    await client.post("/logout", headers={"cookie": okta.cookie_header(sid), "origin": ORIGIN})
    okta.clear_calls()
    assert (await client.get("/", headers={"cookie": idx})).json()["id"] is None
    assert me_calls(okta) == 1  # not served from the cache: evicted by session id


def login_app(service: SessionService) -> Starlette:
    async def sign_in(request: Request) -> Response:
        form = await request.json()
        response = JSONResponse({})
        try:
            session = await login_with_session_token(request, response, form["token"])
        except OktaAuthenticationError:
            return JSONResponse({"error": "bad token"}, status_code=401)
        response.body = response.render({"id": session.id})
        response.headers["content-length"] = str(len(response.body))
        return response

    return Starlette(
        routes=[Route("/sign-in", sign_in, methods=["POST"]), *make_app(service).routes],
        middleware=[Middleware(OktaSessionMiddleware, service=service)],
    )


@pytest.mark.parametrize(("base", "secure"), [("http://127.0.0.1", False),
                                              ("https://app.example", True),
                                              ("http://app.example", True)])
async def test_10_login_helper_sets_the_sid_cookie(
    okta: FakeOkta, service: SessionService, base: str, secure: bool
) -> None:
    transport = httpx.ASGITransport(app=login_app(service))
    async with httpx.AsyncClient(transport=transport, base_url=base) as c:
        token = okta.issue_session_token(LOGIN)
        response = await c.post("/sign-in", json={"token": token})
        sid = response.json()["id"]
        assert okta.session(sid) is not None
        (set_cookie,) = response.headers.get_list("set-cookie")
        assert set_cookie.startswith(f"sid={sid}; Path=/;")
        assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
        assert ("Secure" in set_cookie) is secure
        assert "Max-Age=" in set_cookie and "Max-Age=0" not in set_cookie
        create = okta.calls_to("POST", "/api/v1/sessions")[0]
        assert create.authorization is not None  # CreateSession needs the API token
        # the cache was primed: the first request after sign-in does not reach Okta
        assert (await c.get("/", headers={"cookie": f"sid={sid}"})).json()["id"] == sid
        assert me_calls(okta) == 0
        again = await c.post("/sign-in", json={"token": token})  # one-time token
        assert again.status_code == 401


async def test_11_admin_revoke_evicts_from_the_cache(
    okta: FakeOkta, service: SessionService, client: httpx.AsyncClient
) -> None:
    sid, cookie = await signed_in(okta, client)
    assert await service.arevoke(sid) is True
    assert okta.session(sid) is None
    assert okta.calls_to("DELETE", f"/api/v1/sessions/{sid}")[0].authorization is not None
    assert (await client.get("/", headers={"cookie": cookie})).json()["id"] is None
    assert await service.arevoke(sid) is False  # already gone


def test_11_sync_revoke_evicts_too(okta: FakeOkta) -> None:
    from tests.conftest import make_config

    service = SessionService(make_config(okta), clock=okta.now)
    sid = okta.create_session(LOGIN)
    cookie = okta.cookie_header(sid)
    assert service.resolve(cookie).session is not None
    assert service.revoke(sid) is True
    assert service.resolve(cookie).session is None
    assert me_calls(okta) == 2
    service.close()


async def test_9_logout_by_an_uncached_sid_still_evicts_the_idx_entry(
    okta: FakeOkta, service: SessionService
) -> None:
    sid = okta.create_session(LOGIN)
    idx = okta.cookie_header(sid, name="idx")
    assert (await service.aresolve(idx)).session is not None
    assert await service.alogout(okta.cookie_header(sid)) is True  # sid itself never cached
    okta.clear_calls()
    assert (await service.aresolve(idx)).session is None
    assert me_calls(okta) == 1  # the idx entry was evicted by session id


async def test_i10_15_nested_error_body_on_logout_answers_503_not_500(
    okta: FakeOkta, client: httpx.AsyncClient
) -> None:
    sid, cookie = await signed_in(okta, client)
    okta.inject(body=b"[" * 100_000 + b"]" * 100_000, status=500, times=1)
    response = await client.post("/logout", headers={"cookie": cookie, "origin": ORIGIN})
    assert response.status_code == 503  # Okta failing: try again, not a crash
    assert close_calls(okta) == 1
    assert okta.session(sid) is not None  # nothing was closed
