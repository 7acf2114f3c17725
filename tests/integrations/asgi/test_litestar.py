"""Issue 15.7: the pure ASGI middleware under Litestar, through Litestar's own TestClient.

The app is wrapped from outside (``OktaSessionMiddleware(with_okta_routes(Litestar(...),
logout_route(config)), config=config)``), so the lifespan closes the service and the
logout route answers before Litestar routes. Handlers read ``request.scope`` /
``request.state``; a protected one refuses through a ``before_request`` hook rendering
``okta_session_refusal``. The fake Okta is served over HTTP on loopback.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response, get, websocket
from litestar.connection import WebSocket
from litestar.middleware import DefineMiddleware
from litestar.testing import TestClient
from starlette.types import ASGIApp

from okta_session_mw import (
    OktaSessionConfig,
    OktaSessionMiddleware,
    SessionService,
    logout_route,
    okta_session_refusal,
    with_okta_routes,
)
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import LOGIN

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
BASE = "http://testserver.local"


async def okta_session_required(request: Request[Any, Any, Any]) -> Response[bytes] | None:
    """A ``before_request`` hook: Litestar skips the handler for what it returns."""
    reply = okta_session_refusal(request.scope)
    if reply is None:
        return None
    return Response(
        reply.body,
        status_code=reply.status,
        headers=dict(reply.other_headers),
        media_type=reply.media_type,
    )


@get("/public")
async def public(request: Request[Any, Any, Any]) -> dict[str, Any]:
    session = request.scope["okta_session"]  # a Session or None
    state = request.state.okta_session  # the same, as in Starlette
    return {"login": session.login if session else None, "same": state is session}


@get("/private", before_request=okta_session_required)
async def private(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {"login": request.scope["okta_session"].login}


@websocket("/ws")
async def socket(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.accept()
    session = socket.scope["okta_session"]
    await socket.send_json({"login": session.login if session else None})
    await socket.close()


def litestar_app(config: OktaSessionConfig) -> ASGIApp:
    app = Litestar(route_handlers=[public, private, socket])
    return OktaSessionMiddleware(with_okta_routes(app, logout_route(config)), config=config)


def test_i15_30_litestar_handlers_see_the_session_the_middleware_resolved(
    okta: FakeOkta,
) -> None:
    sid = okta.create_session(LOGIN)
    cookie = {"cookie": okta.cookie_header(sid)}
    with TestClient(app=litestar_app(make_config(okta)), base_url=BASE) as client:  # type: ignore[arg-type]
        assert client.get("/public").json() == {"login": None, "same": True}
        assert client.get("/public", headers=cookie).json() == {"login": LOGIN, "same": True}
        assert client.get("/public", headers=cookie).json()["login"] == LOGIN
        with client.websocket_connect("/ws", headers=cookie) as ws:
            assert ws.receive_json() == {"login": LOGIN}
        foreign = {**cookie, "origin": "https://evil.example"}  # cross-site: no session
        with client.websocket_connect("/ws", headers=foreign) as ws:
            assert ws.receive_json() == {"login": None}
    assert me_calls(okta) == 1  # one lookup, then the cache


def test_i15_31_a_protected_litestar_handler_refuses(okta: FakeOkta) -> None:
    sid = okta.create_session(LOGIN)
    with TestClient(app=litestar_app(make_config(okta)), base_url=BASE) as client:  # type: ignore[arg-type]
        api = client.get("/private")
        assert api.status_code == 401
        assert api.json()["error"] == "okta_session_required"
        assert api.headers["www-authenticate"].startswith("OktaSession")
        browser = client.get("/private?tab=2", headers=HTML, follow_redirects=False)
        assert browser.status_code == 303
        assert browser.headers["location"] == "/login?next=%2Fprivate%3Ftab%3D2"
        mfa = okta.create_session(LOGIN, status="MFA_REQUIRED")
        assert client.get("/private", headers={"cookie": f"sid={mfa}"}).status_code == 401
        ok = client.get("/private", headers={"cookie": okta.cookie_header(sid, "idx")})
        assert ok.json() == {"login": LOGIN}
        okta.inject(status=503)
        fresh = okta.create_session(LOGIN)
        down = client.get("/private", headers={"cookie": f"sid={fresh}", **HTML})
        assert down.status_code == 503
        assert client.get("/public", headers={"cookie": f"sid={fresh}"}).json()["login"] is None
    okta.clear_faults()


def test_i15_32_litestar_logout_through_the_mounted_route(okta: FakeOkta) -> None:
    sid = okta.create_session(LOGIN)
    cookie = {"cookie": okta.cookie_header(sid)}
    with TestClient(app=litestar_app(make_config(okta)), base_url=BASE) as client:  # type: ignore[arg-type]
        assert client.get("/public", headers=cookie).json()["login"] == LOGIN
        refused = client.post("/logout", headers={**cookie, "origin": "https://evil.example"})
        assert refused.status_code == 403
        assert client.get("/logout").status_code == 405
        out = client.post("/logout", headers={**cookie, "origin": BASE})
        assert out.status_code == 204
        assert client.get("/public", headers=cookie).json()["login"] is None
    assert okta.session(sid) is None


def test_i15_33_litestar_middleware_list_with_one_shared_service(okta: FakeOkta) -> None:
    """Litestar's own ``middleware=[DefineMiddleware(...)]`` builds the middleware once per
    route, so it is given one ``SessionService`` (``service=``), not a config: every route
    then shares one cache (one Okta lookup for the cookie on two routes), and Litestar's
    ``on_shutdown`` closes it, since app-level middleware never sees the lifespan."""
    sid = okta.create_session(LOGIN)
    cookie = {"cookie": okta.cookie_header(sid)}
    service = SessionService(make_config(okta))
    app = Litestar(
        route_handlers=[public, private],
        middleware=[DefineMiddleware(OktaSessionMiddleware, service=service)],
        on_shutdown=[service.aclose],
    )
    with TestClient(app=app, base_url=BASE) as client:
        assert client.get("/private").status_code == 401
        assert client.get("/private", headers=cookie).json() == {"login": LOGIN}
        assert client.get("/public", headers=cookie).json()["login"] == LOGIN
    assert me_calls(okta) == 1
