"""Issue 15.2: FastAPI's ``/docs`` shows the Okta cookies as security schemes.

The dependencies declare an apiKey-in-cookie scheme per configured cookie name; protected
operations list them, public ones do not; with ``Depends`` or ``Security`` the answers
stay what they were (303, 401 JSON, 503) because the dependency decides on what the
middleware resolved, never on the cookie itself. Driven through FastAPI's own
``TestClient`` against the fake Okta over HTTP.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Security, WebSocket
from fastapi.testclient import TestClient
from starlette.middleware import Middleware
from starlette.websockets import WebSocketDisconnect

from okta_session_mw import (
    OktaSessionMiddleware,
    RequireOktaSession,
    Session,
    SessionStatus,
    optional_okta_session,
    require_okta_session,
)
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import LOGIN

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
BOTH = [{"okta_sid": []}, {"okta_idx": []}]  # OpenAPI: either requirement will do
# module level: the endpoints' string annotations are read in this module's globals
api_only = RequireOktaSession(redirect=False)
mfa_ok = RequireOktaSession(statuses={SessionStatus.ACTIVE, SessionStatus.MFA_REQUIRED})
idx_only_dep = RequireOktaSession(cookie_names=("idx",))
odd_name = RequireOktaSession(cookie_names=("my!sid",))


def docs_app(okta: FakeOkta, **config: object) -> FastAPI:
    app = FastAPI(
        middleware=[Middleware(OktaSessionMiddleware, config=make_config(okta, **config))]
    )

    @app.get("/depends")
    def depends(session: Annotated[Session, Depends(require_okta_session)]) -> dict[str, Any]:
        return {"login": session.login}

    @app.get("/security")
    async def security(
        session: Annotated[Session, Security(require_okta_session)],
    ) -> dict[str, Any]:
        return {"login": session.login}

    @app.get("/api-only")
    async def api(session: Annotated[Session, Security(api_only)]) -> dict[str, Any]:
        return {"login": session.login}

    @app.get("/mfa-ok", dependencies=[Security(mfa_ok)])
    async def mfa() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/public")
    async def public() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/optional")
    async def optional(
        session: Annotated[Session | None, Depends(optional_okta_session)],
    ) -> dict[str, Any]:
        return {"login": session.login if session else None}

    @app.websocket("/ws")
    async def ws(
        websocket: WebSocket, session: Annotated[Session, Security(require_okta_session)]
    ) -> None:
        await websocket.accept()
        await websocket.send_json({"login": session.login})
        await websocket.close()

    return app


def operation_security(schema: dict[str, Any], path: str) -> Any:
    return schema["paths"][path]["get"].get("security")


def test_i15_20_protected_operations_list_the_okta_cookie_schemes(okta: FakeOkta) -> None:
    with TestClient(docs_app(okta)) as client:
        schema = client.get("/openapi.json").json()
        docs = client.get("/docs")
    schemes = schema["components"]["securitySchemes"]
    assert set(schemes) == {"okta_sid", "okta_idx"}
    for scheme, cookie in (("okta_sid", "sid"), ("okta_idx", "idx")):
        assert {k: schemes[scheme][k] for k in ("type", "in", "name")} == {
            "type": "apiKey",
            "in": "cookie",
            "name": cookie,
        }
        assert cookie in schemes[scheme]["description"]
    for path in ("/depends", "/security", "/api-only", "/mfa-ok"):
        assert operation_security(schema, path) == BOTH, path
    for path in ("/public", "/optional"):
        assert operation_security(schema, path) is None, path
    assert docs.status_code == 200
    assert "/openapi.json" in docs.text  # Swagger UI reads the schema above


def test_i15_21_the_schema_is_well_formed_openapi(okta: FakeOkta) -> None:
    """No OpenAPI validator is among the dev dependencies, so this checks what one would
    for security: each requirement names a declared scheme with empty scopes (apiKey
    has none), each scheme has OpenAPI's required fields, and component names keep to
    OpenAPI's pattern."""
    schema = docs_app(okta).openapi()
    assert schema["openapi"].startswith("3.")
    schemes = schema["components"]["securitySchemes"]
    for name, scheme in schemes.items():
        assert name.replace("_", "").replace("-", "").replace(".", "").isalnum()
        assert scheme["type"] == "apiKey"
        assert scheme["in"] in {"query", "header", "cookie"}
        assert isinstance(scheme["name"], str)
        assert scheme["name"]
    for methods in schema["paths"].values():
        for operation in methods.values():
            for requirement in operation.get("security", []):
                assert len(requirement) == 1
                ((name, scopes),) = requirement.items()
                assert name in schemes
                assert scopes == []


def test_i15_22_the_configured_cookie_names_name_the_schemes(okta: FakeOkta) -> None:
    """An app whose config reads only ``idx`` declares only that cookie; a name that
    OpenAPI's component pattern refuses is made into one that it accepts."""
    app = docs_app(okta, cookie_names=("idx",))

    @app.get("/idx-only")
    def idx_only(session: Annotated[Session, Depends(idx_only_dep)]) -> dict[str, Any]:
        return {"login": session.login}

    @app.get("/odd")
    def odd(session: Annotated[Session, Depends(odd_name)]) -> dict[str, Any]:
        return {"login": session.login}

    schema = app.openapi()
    assert operation_security(schema, "/idx-only") == [{"okta_idx": []}]
    assert operation_security(schema, "/odd") == [{"okta_my_sid": []}]
    assert schema["components"]["securitySchemes"]["okta_my_sid"]["name"] == "my!sid"
    sid = okta.create_session(LOGIN)
    with TestClient(app) as client:
        assert client.get(
            "/idx-only", headers={"cookie": okta.cookie_header(sid, "idx")}
        ).json() == {"login": LOGIN}
        assert client.get("/idx-only", headers={"cookie": f"sid={sid}"}).status_code == 401
    with pytest.raises(TypeError, match="list of names"):
        RequireOktaSession(cookie_names="sid")


def test_i15_23_security_keeps_todays_answers(okta: FakeOkta) -> None:
    """Through ``Security``, as through ``Depends``: 401 JSON, 303 to login, the session,
    503 while Okta is down. Either cookie passes: the schemes read nothing (FastAPI's own
    ``APIKeyCookie(name="sid")`` would answer an ``idx``-only request with a 401 of its
    own), the middleware does."""
    sid = okta.create_session(LOGIN)
    with TestClient(docs_app(okta), follow_redirects=False) as client:
        for path in ("/depends", "/security"):
            anonymous = client.get(path)
            assert anonymous.status_code == 401
            assert anonymous.json()["error"] == "okta_session_required"
            assert anonymous.headers["www-authenticate"].startswith("OktaSession")
            browser = client.get(path, headers=HTML)
            assert browser.status_code == 303
            assert browser.headers["location"] == f"/login?next=%2F{path[1:]}"
            ok = client.get(path, headers={"cookie": f"sid={sid}"})
            assert ok.json() == {"login": LOGIN}
        assert client.get("/api-only", headers=HTML).status_code == 401  # redirect=False
        mfa = okta.create_session(LOGIN, status="MFA_REQUIRED")
        mfa_idx = {"cookie": okta.cookie_header(mfa, "idx")}
        assert client.get("/security", headers=mfa_idx).status_code == 401
        assert client.get("/mfa-ok", headers=mfa_idx).json() == {"ok": "yes"}
        idx = {"cookie": okta.cookie_header(sid, "idx")}
        assert client.get("/security", headers=idx).json() == {"login": LOGIN}
        okta.inject(status=503)
        fresh = okta.create_session(LOGIN)
        down = client.get("/security", headers={"cookie": f"sid={fresh}", **HTML})
        assert down.status_code == 503
    okta.clear_faults()


def test_i15_24_the_dependency_reads_the_middlewares_session_not_the_cookie(
    okta: FakeOkta,
) -> None:
    """A cross-site WebSocket handshake carries a live cookie, but the middleware withholds
    its session: the ``Security`` dependency refuses it (1008) instead of trusting the
    cookie, and asks Okta nothing of its own."""
    sid = okta.create_session(LOGIN)
    cookie = {"cookie": f"sid={sid}"}
    with TestClient(docs_app(okta)) as client:
        with client.websocket_connect("/ws", headers=cookie) as socket:
            assert socket.receive_json() == {"login": LOGIN}
        foreign = {**cookie, "origin": "https://evil.example"}
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            client.websocket_connect("/ws", headers=foreign) as socket,
        ):
            socket.receive_json()
        assert closed.value.code == 1008
    assert me_calls(okta) == 1  # the middleware's one lookup, then its cache


def test_i15_25_fastapi_stays_optional_for_starlette_apps() -> None:
    """Importing the package and its Starlette adapter, building the dependencies and
    reading the class's signature import no FastAPI: a Starlette-only app never pays
    for it (FastAPI is imported when FastAPI itself reads a dependency's signature)."""
    code = (
        "import inspect, sys\n"
        "import okta_session_mw\n"
        "from okta_session_mw import RequireOktaSession, require_okta_session\n"
        "import okta_session_mw.integrations.starlette.protect\n"
        "import okta_session_mw.integrations.starlette.routes\n"
        "import okta_session_mw.integrations.starlette.auth_backend\n"
        "RequireOktaSession(redirect=False)\n"
        "print(inspect.signature(RequireOktaSession))\n"
        "assert 'fastapi' not in sys.modules, 'fastapi imported'\n"
        "inspect.signature(require_okta_session)\n"
        "assert 'fastapi' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "redirect" in done.stdout  # the constructor's own signature, not the dependency's
