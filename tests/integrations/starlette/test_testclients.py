"""The middleware through Starlette's and FastAPI's own test clients (each request on
the client's portal loop), as users will drive it in their suites."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient as FastAPITestClient
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from okta_session_mw import (
    OktaSessionMiddleware,
    Session,
    SessionService,
    logout_route,
    require_okta_session,
)
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_app, make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import LOGIN


def test_starlette_testclient(okta: FakeOkta) -> None:
    service = SessionService(make_config(okta), clock=okta.now)
    sid = okta.create_session(LOGIN)
    cookie = {"cookie": okta.cookie_header(sid)}
    with TestClient(make_app(service), base_url="http://testserver") as client:
        assert client.get("/", headers=cookie).json() == {"login": LOGIN, "id": sid}
        assert client.get("/private-sync", headers=cookie).status_code == 200
        browser = client.get("/private", headers={"accept": "text/html"}, follow_redirects=False)
        assert browser.status_code == 303
        assert browser.headers["location"] == "/login?next=%2Fprivate"
        assert client.get("/private").status_code == 401
        out = client.post("/logout", headers={**cookie, "origin": "http://testserver"})
        assert out.status_code == 204
        assert client.get("/", headers=cookie).json()["id"] is None
    assert me_calls(okta) == 2  # once before logout (then cached), once after


def test_fastapi_testclient(okta: FakeOkta) -> None:
    config = make_config(okta)
    app = FastAPI(middleware=[Middleware(OktaSessionMiddleware, config=config)])
    app.router.routes.append(logout_route(config))

    @app.get("/api/me")
    def me(session: Annotated[Session, Depends(require_okta_session)]) -> dict[str, str]:
        return {"login": session.login or ""}

    sid = okta.create_session(LOGIN)
    with FastAPITestClient(app) as client:
        assert client.get("/api/me").status_code == 401
        response = client.get("/api/me", headers={"cookie": okta.cookie_header(sid)})
        assert response.json() == {"login": LOGIN}
        refused = client.post(
            "/logout",
            headers={"cookie": okta.cookie_header(sid), "origin": "https://evil.example"},
        )
        assert refused.status_code == 403
        assert okta.session(sid) is not None
