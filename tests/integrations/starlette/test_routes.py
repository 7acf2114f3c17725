"""The Starlette logout route and its helpers, as an HTTP/2 server would call them
(several ``cookie`` header fields), and which requests the middleware never looks up."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from okta_session_mw import (
    OktaSessionMiddleware,
    SessionService,
    logout_csrf_token,
    logout_route,
)
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_app, make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import LOGIN

ORIGIN = "http://testserver"
CLOSE = "/api/v1/sessions/me"


def split_fields(sid: str) -> list[tuple[str, str]]:
    """The cookies of one request as HTTP/2 sends them: one ``cookie`` field each."""
    return [("cookie", "theme=dark"), ("cookie", f"sid={sid}"), ("cookie", "lang=en")]


async def test_i10_04_split_cookie_fields_logout_closes_session(
    okta: FakeOkta, service: SessionService, client: httpx.AsyncClient
) -> None:
    sid = okta.create_session(LOGIN)
    looked_up = await client.get("/", headers=split_fields(sid))
    assert looked_up.json()["id"] == sid  # the middleware already joined the fields
    key = service.key_for(service.okta_cookies(f"sid={sid}"))  # type: ignore[arg-type]
    assert service.cache.get(key) is not None

    response = await client.post(
        "/logout", headers=[*split_fields(sid), ("origin", ORIGIN), ("accept", "text/html")]
    )
    assert response.status_code == 303
    (close,) = okta.calls_to("DELETE", CLOSE)
    assert close.cookies == {"sid": sid}  # only Okta's cookie travels
    assert okta.session(sid) is None
    assert service.cache.get(key) is None  # evicted
    (expired,) = response.headers.get_list("set-cookie")
    assert expired.startswith('sid=""') and "Max-Age=0" in expired


async def test_i10_04_split_cookie_fields_token_is_bound_to_the_okta_cookie(
    okta: FakeOkta, service: SessionService
) -> None:
    """The token a page gets under HTTP/2 is the one the same browser's logout checks."""

    async def form(request: Request) -> PlainTextResponse:
        return PlainTextResponse(logout_csrf_token(request))

    app = Starlette(
        routes=[Route("/form", form), logout_route(service.config)],
        middleware=[Middleware(OktaSessionMiddleware, service=service)],
    )
    sid = okta.create_session(LOGIN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        token = (await client.get("/form", headers=split_fields(sid))).text
        other = (await client.get("/form", headers=[("cookie", "theme=dark")])).text
        assert token != other  # bound to the sid, which is not in the first field
        response = await client.post(
            "/logout", headers=[("cookie", f"theme=dark; sid={sid}"), ("x-csrf-token", token)]
        )
    assert response.status_code == 204
    assert okta.session(sid) is None


@pytest.mark.parametrize("cached", [False, True], ids=["not-cached", "cached"])
@pytest.mark.parametrize(
    "refusing", [{"origin": "https://evil.example"}, {"referer": "https://evil.example/x"}]
)
async def test_i10_05_refused_logout_makes_no_okta_call(
    okta: FakeOkta, client: httpx.AsyncClient, cached: bool, refusing: dict[str, str]
) -> None:
    sid = okta.create_session(LOGIN)
    cookie = okta.cookie_header(sid)
    if cached:
        assert (await client.get("/", headers={"cookie": cookie})).json()["id"] == sid
    okta.clear_calls()
    response = await client.post("/logout", headers={"cookie": cookie, **refusing})
    assert response.status_code == 403
    assert okta.calls == []  # no lookup, no refresh, no close
    assert okta.session(sid) is not None


async def test_i10_05_logout_path_is_never_looked_up_whatever_the_method(
    okta: FakeOkta, client: httpx.AsyncClient
) -> None:
    cookie = okta.cookie_header(okta.create_session(LOGIN))
    assert (await client.get("/logout", headers={"cookie": cookie})).status_code == 405
    assert me_calls(okta) == 0
    assert (await client.get("/", headers={"cookie": cookie})).json()["id"] is not None
    assert me_calls(okta) == 1  # other paths are looked up as before


async def test_i10_05_logout_under_a_root_path_is_never_looked_up(
    okta: FakeOkta, service: SessionService
) -> None:
    """Served under ``--root-path /app``: ASGI's path includes the root path, the route
    matches what follows it, and so does the rule."""
    transport = httpx.ASGITransport(app=make_app(service), root_path="/app")
    sid = okta.create_session(LOGIN)
    cookie = {"cookie": okta.cookie_header(sid)}
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        refused = await client.post("/app/logout", headers={**cookie, "origin": "https://x.example"})
        assert refused.status_code == 403
        assert okta.calls == []
        assert (await client.get("/app/", headers=cookie)).json()["id"] == sid  # looked up
        done = await client.post("/app/logout", headers={**cookie, "origin": ORIGIN})
    assert done.status_code == 204
    assert okta.session(sid) is None


async def test_i11_02_exempt_paths_under_a_root_path_are_never_looked_up(okta: FakeOkta) -> None:
    """The core judges the path the app's routes see, in every adapter: under
    ``--root-path /app`` an exempt ``/static/`` is ``/app/static/...`` on the wire."""
    service = SessionService(make_config(okta, exempt_paths=("/static/",)), clock=okta.now)
    transport = httpx.ASGITransport(app=make_app(service), root_path="/app")
    cookie = {"cookie": okta.cookie_header(okta.create_session(LOGIN))}
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        assert (await client.get("/app/static/app.css", headers=cookie)).text == "None"
        assert okta.calls == []
        assert (await client.get("/app/", headers=cookie)).json()["login"] == LOGIN  # looked up
    assert me_calls(okta) == 1
    await service.aclose()


async def test_i11_02_under_a_root_path_of_slash_logout_and_exempt_paths_are_never_looked_up(
    okta: FakeOkta,
) -> None:
    """The middleware reads the route path as Starlette's router does: under a root path
    of ``/`` (``uvicorn --root-path /``: every path is ``//...``), ``//logout`` is the
    logout route and ``//static/...`` the exempt path, so neither is looked up (review:
    ``root_path.rstrip("/")`` stripped nothing there)."""
    service = SessionService(make_config(okta, exempt_paths=("/static/",)), clock=okta.now)
    transport = httpx.ASGITransport(app=make_app(service), root_path="/")
    cookie = {"cookie": okta.cookie_header(okta.create_session(LOGIN))}
    async with httpx.AsyncClient(transport=transport) as client:
        static = await client.get(httpx.URL("http://localhost//static/app.css"), headers=cookie)
        refused = await client.post(
            httpx.URL("http://localhost//logout"),
            headers={**cookie, "origin": "https://evil.example"},
        )
    await service.aclose()
    assert static.status_code == 200  # Starlette routed it to the static route
    assert refused.status_code == 403  # and this one to the logout route
    assert okta.calls == []
