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
    AsyncOktaSessionClient,
    OktaAuthenticationError,
    OktaSessionConfig,
    OktaSessionMiddleware,
    SessionService,
    csrf_allows,
    login_with_session_token,
    logout,
    logout_csrf_token,
    logout_route,
)
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_app, make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import API_TOKEN, LOGIN

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


def token_app(service: SessionService) -> Starlette:
    async def form(request: Request) -> PlainTextResponse:
        return PlainTextResponse(logout_csrf_token(request))

    async def my_logout(request: Request) -> Response:
        return await logout(request, redirect_to="/bye")

    async def two_forms(request: Request) -> PlainTextResponse:
        return PlainTextResponse(logout_csrf_token(request) + " " + logout_csrf_token(request))

    async def change(request: Request) -> PlainTextResponse:  # an app's own form
        allowed = await csrf_allows(request)
        return PlainTextResponse("changed" if allowed else "refused", 200 if allowed else 403)

    return Starlette(
        routes=[
            Route("/form", form),
            Route("/two-forms", two_forms),
            Route("/bye-logout", my_logout, methods=["POST"]),
            Route("/change", change, methods=["POST"]),
        ],
        middleware=[Middleware(OktaSessionMiddleware, service=service)],
    )


@pytest.fixture
async def token_client(service: SessionService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=token_app(service))
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


# ``Secure`` follows the ``cookie_secure`` setting (default for the fake's plain-http
# loopback org: off), whatever the Host header says (issue 10 item 13 changed this).
@pytest.mark.parametrize(
    ("base", "cookie_secure", "secure"),
    [("http://127.0.0.1", None, False), ("https://app.example", True, True),
     ("http://app.example", False, False)],
)
async def test_10_login_helper_sets_the_sid_cookie(
    okta: FakeOkta, base: str, cookie_secure: bool | None, secure: bool
) -> None:
    service = SessionService(make_config(okta, cookie_secure=cookie_secure), clock=okta.now)
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
    await service.aclose()


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


async def test_i10_08_logout_by_an_uncached_idx_cookie_ends_the_sid_entry(
    okta: FakeOkta,
) -> None:
    """The idx cookie's own entry was pushed out of a small cache while the same
    session's ``sid`` entry stays cached: logout by idx alone learns the session id from
    Okta (GetCurrentSession), then closes, then evicts that id everywhere."""
    service = SessionService(make_config(okta, cache_maxsize=3), clock=okta.now)
    transport = httpx.ASGITransport(app=make_app(service))
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        sid = okta.create_session(LOGIN)
        idx, sid_cookie = okta.cookie_header(sid, name="idx"), okta.cookie_header(sid)
        for cookie in (idx, sid_cookie):
            assert (await client.get("/", headers={"cookie": cookie})).json()["id"] == sid
        for _ in range(2):  # other users push the idx entry out; sid's stays recent
            other = okta.cookie_header(okta.create_session(LOGIN))
            await client.get("/", headers={"cookie": other})
            await client.get("/", headers={"cookie": sid_cookie})
        calls = me_calls(okta)
        response = await client.post("/logout", headers={"cookie": idx, "origin": ORIGIN})
        assert response.status_code == 204 and okta.session(sid) is None
        assert (await client.get("/", headers={"cookie": sid_cookie})).json()["id"] is None
        # one to learn whose session the idx cookie is, one for the sid cookie: not
        # served from the cache, as it was evicted by session id
        assert me_calls(okta) == calls + 2
    await service.aclose()


@pytest.mark.parametrize("target", ["/\u65e5\u672c", "/caf\u00e9", "/a\u2028b", "/a\x7f"])
async def test_i10_14_logout_with_a_non_ascii_redirect_does_not_fail(
    okta: FakeOkta, service: SessionService, target: str
) -> None:
    async def bye(request: Request) -> Response:  # an app passing the form's "next" on
        return await logout(request, redirect_to=request.query_params.get("next"))

    app = Starlette(
        routes=[Route("/bye", bye, methods=["POST"])],
        middleware=[Middleware(OktaSessionMiddleware, service=service)],
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
        sid = okta.create_session(LOGIN)
        response = await c.post(
            "/bye",
            params={"next": target},
            headers={"cookie": okta.cookie_header(sid), "origin": ORIGIN, "accept": "text/html"},
        )
    assert response.status_code == 303
    assert response.headers["location"] == "/"  # the safe post_logout_redirect instead
    assert okta.session(sid) is None


def behind_a_tls_proxy(okta: FakeOkta, **settings: object) -> SessionService:
    """A production org (https): its Okta calls go to the fake through the client
    hook the service offers for proxies, so only the cookie policy is the real one."""
    assert okta.base_url is not None
    base = okta.base_url
    config = OktaSessionConfig(
        org_url="https://acme.okta.com", api_token=API_TOKEN, timeout=1.0, **settings  # type: ignore[arg-type]
    )
    return SessionService(
        config,
        async_client_factory=lambda: AsyncOktaSessionClient(base, api_token=API_TOKEN),
        clock=okta.now,
    )


async def test_i10_13_a_tls_proxy_forwarding_a_loopback_host_still_gets_secure(
    okta: FakeOkta,
) -> None:
    # The proxy ends TLS and forwards plain http with ``Host: 127.0.0.1``: what the app
    # sees looks like local development, but the browser is on https.
    service = behind_a_tls_proxy(okta)
    app = login_app(service)
    app.router.routes.append(logout_route(service.config))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        response = await c.post("/sign-in", json={"token": okta.issue_session_token(LOGIN)})
        (sid_cookie,) = response.headers.get_list("set-cookie")
        assert sid_cookie.startswith("sid=") and sid_cookie.endswith("; Secure")
        sid = response.json()["id"]
        out = await c.post(
            "/logout", headers={"cookie": f"sid={sid}", "origin": "http://127.0.0.1"}
        )
        assert out.status_code == 204 and okta.session(sid) is None
        (expired,) = out.headers.get_list("set-cookie")
        assert "Max-Age=0" in expired and expired.endswith("; Secure")
    await service.aclose()


async def test_i10_13_cookie_secure_false_is_obeyed_whatever_the_host(okta: FakeOkta) -> None:
    service = behind_a_tls_proxy(okta, cookie_secure=False)
    transport = httpx.ASGITransport(app=login_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="https://app.example") as c:
        response = await c.post("/sign-in", json={"token": okta.issue_session_token(LOGIN)})
        (sid_cookie,) = response.headers.get_list("set-cookie")
        assert "Secure" not in sid_cookie
    await service.aclose()


def nonce_client(service: SessionService) -> httpx.AsyncClient:
    """A browser of its own (its own cookie jar) on the token app."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=token_app(service)), base_url=ORIGIN)


async def test_i10_01_an_anonymous_token_works_only_in_the_browser_it_was_made_for(
    okta: FakeOkta, service: SessionService
) -> None:
    async with nonce_client(service) as attacker, nonce_client(service) as victim:
        attackers = (await attacker.get("/form")).text
        victims = (await victim.get("/form")).text
        forged = await victim.post("/change", data={"csrf_token": attackers})
        assert forged.status_code == 403
        assert attacker.cookies["okta_mw_csrf"] != victim.cookies["okta_mw_csrf"]
        assert (await victim.post("/change", data={"csrf_token": victims})).status_code == 200
        assert (await victim.post("/change", headers={"x-csrf-token": victims})).status_code == 200
    async with nonce_client(service) as fresh:  # no nonce cookie at all
        assert (await fresh.post("/change", data={"csrf_token": victims})).status_code == 403
    assert okta.calls == []


async def test_i10_01_the_nonce_cookie_is_signed_http_only_and_set_once(
    service: SessionService,
) -> None:
    async with nonce_client(service) as browser:
        page = await browser.get("/two-forms")
        (set_cookie,) = page.headers.get_list("set-cookie")  # two tokens, one nonce
        assert set_cookie.startswith("okta_mw_csrf=") and "Max-Age" not in set_cookie
        assert "; HttpOnly" in set_cookie and "; SameSite=Lax" in set_cookie
        assert "Secure" not in set_cookie  # the fake's http loopback org: cookie_secure off
        first, second = page.text.split()
        for token in (first, second):
            assert (await browser.post("/change", data={"csrf_token": token})).status_code == 200
        again = await browser.get("/form")  # a valid nonce cookie is kept, not replaced
        assert again.headers.get_list("set-cookie") == []
        assert (await browser.post("/change", data={"csrf_token": again.text})).status_code == 200
        # a nonce cookie the library did not sign is replaced, and binds nothing
        browser.cookies.set("okta_mw_csrf", "made-up")
        assert (await browser.post("/change", data={"csrf_token": first})).status_code == 403
        replaced = await browser.get("/form")
        assert replaced.headers["set-cookie"].startswith("okta_mw_csrf=")


async def test_i10_01_a_foreign_origin_is_refused_whatever_the_token_says(
    okta: FakeOkta, token_client: httpx.AsyncClient
) -> None:
    sid = okta.create_session(LOGIN)
    cookie = okta.cookie_header(sid)
    token = (await token_client.get("/form", headers={"cookie": cookie})).text
    for foreign in (
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"referer": "https://evil.example/page"},
        {"referer": "not a url"},
    ):
        headers = {"cookie": cookie, "x-csrf-token": token, **foreign}
        assert (await token_client.post("/bye-logout", headers=headers)).status_code == 403
        assert (await token_client.post("/change", headers=headers)).status_code == 403
    assert okta.calls_to("DELETE", "/api/v1/sessions/me") == []
    assert okta.session(sid) is not None
    same_site = {"cookie": cookie, "origin": ORIGIN}  # the app's own origin needs no token
    assert (await token_client.post("/change", headers=same_site)).status_code == 200


async def test_allowed_origins_extend_the_csrf_rule(okta: FakeOkta) -> None:
    service = SessionService(
        make_config(okta, allowed_origins=("https://portal.example",)), clock=okta.now
    )
    async with nonce_client(service) as browser:
        partner = {"origin": "https://portal.example"}
        assert (await browser.post("/change", headers=partner)).status_code == 200
        other = {"origin": "https://other.example"}
        assert (await browser.post("/change", headers=other)).status_code == 403
    await service.aclose()


async def test_i10_15_nested_error_body_on_logout_answers_503_not_500(
    okta: FakeOkta, client: httpx.AsyncClient
) -> None:
    sid, cookie = await signed_in(okta, client)
    okta.inject(body=b"[" * 100_000 + b"]" * 100_000, status=500, times=1)
    response = await client.post("/logout", headers={"cookie": cookie, "origin": ORIGIN})
    assert response.status_code == 503  # Okta failing: try again, not a crash
    assert close_calls(okta) == 1
    assert okta.session(sid) is not None  # nothing was closed


def _set_cookie_pair(response: httpx.Response) -> tuple[str, str, str]:
    """(name, value, whole line) of the one ``Set-Cookie`` of ``response``."""
    (line,) = response.headers.get_list("set-cookie")
    name, _, rest = line.partition("=")
    return name, rest.split(";", 1)[0], line


async def test_i10_01_a_secure_nonce_cookie_is_host_prefixed_so_a_tossed_one_binds_nothing(
    okta: FakeOkta,
) -> None:
    """Cookie tossing: a sibling subdomain (or a plain-http page) can set a cookie for
    the app's host, but never a ``__Host-`` one (browsers require Secure, Path=/ and no
    Domain, from a secure origin). So under Secure cookies an attacker's nonce, planted
    in the victim's browser under the one name it can set, must bind nothing."""
    service = SessionService(make_config(okta, cookie_secure=True), clock=okta.now)
    app = token_app(service)

    def browser() -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app)
        return httpx.AsyncClient(transport=transport, base_url="https://testserver")

    async with browser() as attacker, browser() as victim:
        page = await attacker.get("/form")  # the attacker's own visit: a nonce and its token
        name, nonce, line = _set_cookie_pair(page)
        assert name == "__Host-okta_mw_csrf"
        assert "; Secure" in line and "; Path=/" in line and "domain" not in line.lower()
        tossed = {"cookie": f"okta_mw_csrf={nonce}", "x-csrf-token": page.text}
        assert (await victim.post("/change", headers=tossed)).status_code == 403
        own = await victim.get("/form")  # the victim's real nonce still works
        assert _set_cookie_pair(own)[0] == "__Host-okta_mw_csrf"
        allowed = await victim.post("/change", headers={"x-csrf-token": own.text})
        assert allowed.status_code == 200
    assert okta.calls == []
    await service.aclose()


async def test_i10_01_with_okta_cookies_only_a_token_bound_to_them_passes(
    okta: FakeOkta, service: SessionService, token_client: httpx.AsyncClient
) -> None:
    """A nonce-bound token (the attacker's, with its nonce tossed into the victim's
    browser) must not log out a signed-in user: with Okta cookies, only a token bound to
    those cookies counts (when neither Origin nor Referer decided)."""
    async with nonce_client(service) as attacker:
        page = await attacker.get("/form")
    nonce_cookie = "okta_mw_csrf=" + _set_cookie_pair(page)[1]
    sid = okta.create_session(LOGIN)
    cookie = f"{okta.cookie_header(sid)}; {nonce_cookie}"
    forged = {"cookie": cookie, "x-csrf-token": page.text}
    assert (await token_client.post("/bye-logout", headers=forged)).status_code == 403
    assert (await token_client.post("/change", headers=forged)).status_code == 403
    assert close_calls(okta) == 0 and okta.session(sid) is not None
    own = (await token_client.get("/form", headers={"cookie": cookie})).text
    mine = {"cookie": cookie, "x-csrf-token": own}
    assert (await token_client.post("/change", headers=mine)).status_code == 200
    assert (await token_client.post("/bye-logout", headers=mine)).status_code == 204
    assert okta.session(sid) is None
