"""Behaviour 8: protected views. Browser navigations are redirected to login with a safe
return path, API calls get a JSON 401; the decorator (sync and async), the FastAPI
dependencies and Starlette's AuthenticationBackend all share that one decision."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from okta_session_mw import (
    OktaAuthBackend,
    OktaSessionMiddleware,
    RequireOktaSession,
    Session,
    SessionService,
    SessionStatus,
    okta_session_required,
    optional_okta_session,
    require_okta_session,
)
from okta_session_mw.testing import FakeOkta
from okta_session_mw.web.access import safe_return_path, wants_html
from tests.support.apps import make_config
from tests.support.okta_users import LOGIN

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def next_param(response: httpx.Response) -> str:
    location = response.headers["location"]
    assert urlsplit(location).path == "/login"
    return parse_qs(urlsplit(location).query)["next"][0]


async def test_8_browser_is_redirected_to_login_with_return_path(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/private?tab=2&x=%2F", headers=HTML)
    assert response.status_code == 303
    assert next_param(response) == "/private?tab=2&x=%2F"


async def test_8_api_call_gets_json_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/private", headers={"accept": "application/json"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"].startswith("OktaSession")
    assert response.json()["error"] == "okta_session_required"


@pytest.mark.parametrize(
    ("headers", "html"),
    [
        ({"accept": "text/html"}, True),
        ({"sec-fetch-mode": "navigate", "sec-fetch-dest": "document", "accept": "*/*"}, True),
        # fetch() from a page: no X-Requested-With, Accept may even say */*
        ({"sec-fetch-mode": "cors", "sec-fetch-dest": "empty", "accept": "*/*"}, False),
        ({"sec-fetch-mode": "same-origin", "sec-fetch-dest": "empty", "accept": "text/html"},
         False),
        ({"x-requested-with": "XMLHttpRequest", "accept": "text/html"}, False),
        ({"accept": "application/json"}, False),
        ({}, False),  # curl and friends: a 401 never loops
    ],
)
def test_8_browser_or_api(headers: dict[str, str], html: bool) -> None:
    assert wants_html(headers) is html


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/a/b", "", "/a/b"),
        ("/a", "next=//evil.example", "/a?next=//evil.example"),
        ("//evil.example/x", "", "/"),
        ("/\\evil.example", "", "/"),
        ("/a\r\nSet-Cookie: x=1", "", "/"),
    ],
)
def test_8_return_path_is_same_site_only(path: str, query: str, expected: str) -> None:
    assert safe_return_path(path, query) == expected


async def test_8_open_redirect_path_falls_back_to_root(service: SessionService) -> None:
    @okta_session_required
    async def anything(request: Request) -> JSONResponse:
        return JSONResponse({})

    app = Starlette(
        routes=[Route("/{rest:path}", anything)],
        middleware=[Middleware(OktaSessionMiddleware, service=service)],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("http://t//evil.example/x", headers=HTML)
        assert response.status_code == 303
        assert next_param(response) == "/"  # a path of "//evil.example/x" would leave the site
        ok = await c.get("http://t/inside/x", headers=HTML)
        assert next_param(ok) == "/inside/x"


def fastapi_app(service: SessionService) -> FastAPI:
    app = FastAPI(middleware=[Middleware(OktaSessionMiddleware, service=service)])

    @app.get("/me")
    def me(session: Session = Depends(require_okta_session)) -> dict[str, str | None]:  # noqa: B008
        return {"login": session.login}

    @app.get("/maybe")
    async def maybe(
        session: Session | None = Depends(optional_okta_session),  # noqa: B008
    ) -> dict[str, str | None]:
        return {"login": session.login if session else None}

    mfa_ok = RequireOktaSession(statuses={SessionStatus.ACTIVE, SessionStatus.MFA_REQUIRED})

    @app.get("/mfa-ok")
    async def mfa(session: Session = Depends(mfa_ok)) -> dict[str, str]:  # noqa: B008
        return {"status": session.status.value}

    @app.get("/decorated")
    @okta_session_required
    async def decorated(request: Request) -> dict[str, str]:
        return {"ok": "yes"}

    return app


@pytest.fixture
async def api(service: SessionService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=fastapi_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_8_fastapi_dependency(okta: FakeOkta, api: httpx.AsyncClient) -> None:
    assert (await api.get("/me")).status_code == 401
    redirect = await api.get("/me", headers=HTML)
    assert redirect.status_code == 303
    assert next_param(redirect) == "/me"
    cookie = okta.cookie_header(okta.create_session(LOGIN))
    response = await api.get("/me", headers={"cookie": cookie})
    assert response.json() == {"login": LOGIN}


async def test_8_fastapi_optional_dependency(okta: FakeOkta, api: httpx.AsyncClient) -> None:
    assert (await api.get("/maybe")).json() == {"login": None}
    mfa = okta.cookie_header(okta.create_session(LOGIN, status="MFA_REQUIRED"))
    assert (await api.get("/maybe", headers={"cookie": mfa})).json() == {"login": None}
    cookie = okta.cookie_header(okta.create_session(LOGIN))
    assert (await api.get("/maybe", headers={"cookie": cookie})).json() == {"login": LOGIN}


async def test_6_required_statuses_per_view(okta: FakeOkta, api: httpx.AsyncClient) -> None:
    mfa = okta.cookie_header(okta.create_session(LOGIN, status="MFA_REQUIRED"))
    assert (await api.get("/me", headers={"cookie": mfa})).status_code == 401
    response = await api.get("/mfa-ok", headers={"cookie": mfa})
    assert response.json() == {"status": "MFA_REQUIRED"}


async def test_8_fastapi_decorated_endpoint(okta: FakeOkta, api: httpx.AsyncClient) -> None:
    assert (await api.get("/decorated")).status_code == 401
    cookie = okta.cookie_header(okta.create_session(LOGIN))
    assert (await api.get("/decorated", headers={"cookie": cookie})).json() == {"ok": "yes"}


async def test_8_starlette_authentication_backend(okta: FakeOkta, service: SessionService) -> None:
    @requires("authenticated", redirect=None)
    async def secret(request: Request) -> JSONResponse:
        return JSONResponse({"user": request.user.display_name, "scopes": request.auth.scopes})

    app = Starlette(
        routes=[Route("/secret", secret)],
        middleware=[
            Middleware(OktaSessionMiddleware, service=service),
            Middleware(AuthenticationMiddleware, backend=OktaAuthBackend()),
        ],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await c.get("/secret")).status_code == 403
        cookie = okta.cookie_header(okta.create_session(LOGIN))
        response = await c.get("/secret", headers={"cookie": cookie})
        assert response.json() == {"user": LOGIN, "scopes": ["authenticated", "okta:ACTIVE"]}
        mfa = okta.cookie_header(okta.create_session(LOGIN, status="MFA_REQUIRED"))
        assert (await c.get("/secret", headers={"cookie": mfa})).status_code == 403


async def test_8_without_middleware_the_error_says_how_to_fix_it() -> None:
    @okta_session_required
    async def view(request: Request) -> JSONResponse:
        return JSONResponse({})

    app = Starlette(routes=[Route("/", view)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        with pytest.raises(RuntimeError, match="OktaSessionMiddleware is not installed"):
            await c.get("/")


async def test_8_return_path_under_a_mount_is_not_doubled(service: SessionService) -> None:
    from starlette.routing import Mount

    @okta_session_required
    async def inner(request: Request) -> JSONResponse:
        return JSONResponse({})

    app = Starlette(
        routes=[Mount("/app", routes=[Route("/private", inner)])],
        middleware=[Middleware(OktaSessionMiddleware, service=service)],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("/app/private?x=1", headers=HTML)
    assert next_param(response) == "/app/private?x=1"


# -- WebSockets: cross-site WebSocket hijacking (issue 10 item 6) -------------------------


def websocket_app(service: SessionService) -> FastAPI:
    """A protected socket by decorator (Starlette style), one by dependency (FastAPI)
    and an open one that reports what session it was given."""

    @okta_session_required
    async def decorated(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(websocket.scope["okta_session"].login)
        await websocket.close()

    app = FastAPI(middleware=[Middleware(OktaSessionMiddleware, service=service)])
    app.router.routes.append(WebSocketRoute("/ws/decorated", decorated))

    @app.websocket("/ws/depends")
    async def depends(
        websocket: WebSocket, session: Annotated[Session, Depends(require_okta_session)]
    ) -> None:
        await websocket.accept()
        await websocket.send_text(session.login or "")
        await websocket.close()

    @app.websocket("/ws/open")
    async def open_socket(websocket: WebSocket) -> None:
        await websocket.accept()
        session = websocket.scope["okta_session"]
        await websocket.send_text(session.login if session else "anonymous")
        await websocket.close()

    return app


def close_code(tc: TestClient, url: str, headers: dict[str, str]) -> int:
    """The close code of a handshake the app refuses."""
    with pytest.raises(WebSocketDisconnect) as closed, tc.websocket_connect(url, headers=headers):
        pass
    return closed.value.code


@pytest.mark.parametrize("path", ["/ws/decorated", "/ws/depends"])
def test_i10_06_a_foreign_origin_websocket_is_closed_with_1008(
    okta: FakeOkta, service: SessionService, path: str
) -> None:
    cookie = okta.cookie_header(okta.create_session(LOGIN))
    with TestClient(websocket_app(service)) as tc:
        for origin in ("https://evil.example", "null", "http://testserver.evil.example"):
            assert close_code(tc, path, {"cookie": cookie, "origin": origin}) == 1008
        same_site = {"cookie": cookie, "origin": "http://testserver"}
        with tc.websocket_connect(path, headers=same_site) as socket:
            assert socket.receive_text() == LOGIN
        with tc.websocket_connect(path, headers={"cookie": cookie}) as socket:  # not a browser
            assert socket.receive_text() == LOGIN


def test_i10_06_a_cross_site_socket_never_gets_the_session_nor_asks_okta(
    okta: FakeOkta, service: SessionService
) -> None:
    cookie = okta.cookie_header(okta.create_session(LOGIN))
    with TestClient(websocket_app(service)) as tc:
        evil = {"cookie": cookie, "origin": "https://evil.example"}
        with tc.websocket_connect("/ws/open", headers=evil) as socket:
            assert socket.receive_text() == "anonymous"
        assert okta.calls == []


def test_i10_06_allowed_origins_extend_the_websocket_rule(okta: FakeOkta) -> None:
    config = make_config(okta, allowed_origins=("https://portal.example",))
    service = SessionService(config, clock=okta.now)
    cookie = okta.cookie_header(okta.create_session(LOGIN))
    url = "wss://app.example/ws/depends"  # wss: the page's origin is https://app.example
    with TestClient(websocket_app(service)) as tc:
        for origin in ("https://portal.example", "https://app.example"):
            with tc.websocket_connect(url, headers={"cookie": cookie, "origin": origin}) as s:
                assert s.receive_text() == LOGIN
        other_scheme = {"cookie": cookie, "origin": "http://app.example"}
        assert close_code(tc, url, other_scheme) == 1008
