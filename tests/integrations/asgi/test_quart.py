"""Issue 15.7: the pure ASGI middleware under Quart, through Quart's own test client.

The middleware wraps ``app.asgi_app`` (Quart's way for ASGI middleware, which its test
client goes through), with the logout route in front (``with_okta_routes``). Views read
``request.scope`` / ``websocket.scope``; a protected one refuses by rendering
``okta_session_refusal``. The fake Okta is served over HTTP on loopback.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from quart import Quart, Response, request, websocket

from okta_session_mw import (
    OktaSessionConfig,
    OktaSessionMiddleware,
    event_hook_route,
    logout_route,
    okta_session_refusal,
    with_okta_routes,
)
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import LOGIN
from tests.support.pushed_ends import assert_signed_out_by_deliveries
from tests.support.servers import serve_uvicorn

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
View = Callable[..., Awaitable[Any]]


def okta_session_required(view: View) -> View:
    """Answer the core's refusal (303, 401, 503) instead of running the view."""

    @functools.wraps(view)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        reply = okta_session_refusal(request.scope)
        if reply is not None:
            return Response(reply.body, status=reply.status, headers=list(reply.headers))
        return await view(*args, **kwargs)

    return wrapper


def quart_app(config: OktaSessionConfig) -> Quart:
    app = Quart(__name__)

    @app.get("/public")
    async def public() -> dict[str, Any]:
        session = request.scope["okta_session"]  # a Session or None
        return {"login": session.login if session else None, "id": session.id if session else None}

    @app.get("/private")
    @okta_session_required
    async def private() -> dict[str, Any]:
        return {"login": request.scope["okta_session"].login}

    @app.websocket("/ws")
    async def ws() -> None:
        session = websocket.scope["okta_session"]
        await websocket.send_json({"login": session.login if session else None})

    app.asgi_app = OktaSessionMiddleware(  # type: ignore[method-assign]
        with_okta_routes(app.asgi_app, logout_route(config), event_hook_route(config)),  # type: ignore[arg-type]
        config=config,
    )
    return app


async def test_i15_34_quart_views_see_the_session_the_middleware_resolved(
    okta: FakeOkta,
) -> None:
    app = quart_app(make_config(okta))
    sid = okta.create_session(LOGIN)
    cookie = {"cookie": okta.cookie_header(sid)}
    async with app.test_app() as test_app:  # runs the lifespan: the service is closed after
        client = test_app.test_client()
        assert await (await client.get("/public")).get_json() == {"login": None, "id": None}
        response = await client.get("/public", headers=cookie)
        assert await response.get_json() == {"login": LOGIN, "id": sid}
        async with client.websocket("/ws", headers=cookie) as socket:
            assert await socket.receive_json() == {"login": LOGIN}
        foreign = {**cookie, "origin": "https://evil.example"}  # cross-site: no session
        async with client.websocket("/ws", headers=foreign) as socket:
            assert await socket.receive_json() == {"login": None}
    assert me_calls(okta) == 1  # one lookup, then the cache


async def test_i15_35_a_protected_quart_view_refuses(okta: FakeOkta) -> None:
    app = quart_app(make_config(okta))
    sid = okta.create_session(LOGIN)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        api = await client.get("/private")
        assert api.status_code == 401
        assert (await api.get_json())["error"] == "okta_session_required"
        assert api.headers["www-authenticate"].startswith("OktaSession")
        browser = await client.get("/private", query_string={"tab": "2"}, headers=HTML)
        assert browser.status_code == 303
        assert browser.headers["location"] == "/login?next=%2Fprivate%3Ftab%3D2"
        mfa = okta.create_session(LOGIN, status="MFA_REQUIRED")
        assert (await client.get("/private", headers={"cookie": f"sid={mfa}"})).status_code == 401
        ok = await client.get("/private", headers={"cookie": okta.cookie_header(sid, "idx")})
        assert await ok.get_json() == {"login": LOGIN}
        okta.inject(status=503)
        fresh = {"cookie": f"sid={okta.create_session(LOGIN)}"}
        assert (await client.get("/private", headers={**fresh, **HTML})).status_code == 503
        assert await (await client.get("/public", headers=fresh)).get_json() == {
            "login": None,
            "id": None,
        }
    okta.clear_faults()


async def test_i15_36_quart_logout_through_the_route_in_front(okta: FakeOkta) -> None:
    app = quart_app(make_config(okta))
    sid = okta.create_session(LOGIN)
    cookie = {"cookie": okta.cookie_header(sid)}
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await (await client.get("/public", headers=cookie)).get_json())["login"] == LOGIN
        foreign = {**cookie, "origin": "https://evil.example"}
        assert (await client.post("/logout", headers=foreign)).status_code == 403
        assert (await client.get("/logout")).status_code == 405
        out = await client.post("/logout", headers={**cookie, "origin": "http://localhost"})
        assert out.status_code == 204
        after = await client.get("/public", headers=cookie)
        assert await after.get_json() == {"login": None, "id": None}
    assert okta.session(sid) is None


def test_i15_37_quart_under_uvicorn_is_signed_out_by_okta_event_hooks(okta: FakeOkta) -> None:
    """A real server: the event-hook route in front of Quart (``with_okta_routes``) is
    registered with and verified by the fake Okta; a session revoked there, then all of
    the user's sessions cleared, and each time the browser's next request is signed out."""
    secret = "quart-hook-secret-0123456789"
    app = quart_app(make_config(okta, event_hook_secrets=(secret,)))
    with serve_uvicorn(app) as url, httpx.Client(base_url=url, timeout=10) as browser:

        def served_at(session_id: str) -> str | None:
            answer = browser.get("/public", headers={"cookie": okta.cookie_header(session_id)})
            value: str | None = answer.json()["id"]
            return value

        assert_signed_out_by_deliveries(okta, url + "/okta/event-hook", secret, LOGIN, served_at)
