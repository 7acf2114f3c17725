"""The README's Starlette and FastAPI quickstarts are real files; they must work."""

from __future__ import annotations

import httpx
import pytest

from example_app import quickstart_fastapi, quickstart_starlette
from okta_session_mw import OktaSessionConfig
from okta_session_mw.testing import FakeOkta
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import LOGIN
from tests.support.servers import serve_uvicorn


@pytest.mark.parametrize(
    ("module", "protected"),
    [(quickstart_starlette, "/profile"), (quickstart_fastapi, "/api/me")],
)
async def test_quickstart(okta: FakeOkta, module: object, protected: str) -> None:
    config = OktaSessionConfig(org_url=okta.base_url or "")
    app = module.create_app(config)  # type: ignore[attr-defined]
    sid = okta.create_session(LOGIN)
    cookie = okta.cookie_header(sid)
    with serve_uvicorn(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/")).json() == {"signed_in_as": None}
            assert (await client.get(protected)).status_code == 401
            browser = await client.get(protected, headers={"accept": "text/html"})
            assert browser.status_code == 303
            home = await client.get("/", headers={"cookie": cookie})
            assert home.json() == {"signed_in_as": LOGIN}
            page = await client.get(protected, headers={"cookie": cookie})
            assert page.status_code == 200
            assert page.json()["login"] == LOGIN
            assert me_calls(okta) == 1
            out = await client.post("/logout", headers={"cookie": cookie, "origin": url})
            assert out.status_code == 204
            assert okta.session(sid) is None


def test_quickstart_app_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OKTA_ORG_URL", "https://example.okta.com")
    assert quickstart_fastapi.app is not None  # type: ignore[attr-defined]
    assert quickstart_starlette.app is not None  # type: ignore[attr-defined]
