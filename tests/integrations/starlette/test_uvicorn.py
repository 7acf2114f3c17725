"""The middleware under a real uvicorn server, over real sockets end to end: cookie
forwarding (1), single flight (4), refresh once (5) and logout (9)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from okta_session_mw import SessionService
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.apps import make_app, make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import API_TOKEN, LOGIN
from tests.support.servers import serve_uvicorn


@pytest.fixture
def served() -> Iterator[tuple[FakeOkta, str]]:
    fake = FakeOkta(api_token=API_TOKEN, idle_timeout=600)
    fake.add_user(LOGIN, "pw")
    with serve_fake_okta(fake):
        service = SessionService(
            make_config(fake, timeout=2.0, refresh_threshold=300), clock=fake.now
        )
        with serve_uvicorn(make_app(service)) as url:
            yield fake, url


async def test_uvicorn_forwards_only_okta_cookies(served: tuple[FakeOkta, str]) -> None:
    fake, url = served
    sid = fake.create_session(LOGIN)
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.get(
            "/", headers={"cookie": f"app_session=s3cret; {fake.cookie_header(sid)}; lang=en"}
        )
    assert response.json()["id"] == sid
    (call,) = fake.calls
    assert call.cookies == {"sid": sid}
    assert call.authorization is None


async def test_uvicorn_single_flight_100_concurrent(served: tuple[FakeOkta, str]) -> None:
    fake, url = served
    sid = fake.create_session(LOGIN)
    fake.inject(latency=0.3)
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10) as client:
        headers = {"cookie": fake.cookie_header(sid)}
        responses = await asyncio.gather(*(client.get("/private", headers=headers)
                                           for _ in range(100)))
    assert [r.status_code for r in responses] == [200] * 100
    assert me_calls(fake) == 1


async def test_uvicorn_refresh_once_for_100_concurrent(served: tuple[FakeOkta, str]) -> None:
    fake, url = served
    sid = fake.create_session(LOGIN)
    headers = {"cookie": fake.cookie_header(sid)}
    async with httpx.AsyncClient(base_url=url, timeout=10,
                                 limits=httpx.Limits(max_connections=100)) as client:
        assert (await client.get("/private", headers=headers)).status_code == 200
        fake.advance(400)  # 200 s left: inside the refresh window
        fake.inject(latency=0.3, path_prefix="/api/v1/sessions/me/lifecycle")
        responses = await asyncio.gather(*(client.get("/private", headers=headers)
                                           for _ in range(100)))
        for _ in range(60):  # refresh-ahead makes the due refresh behind the requests
            if fake.calls_to("POST", "/api/v1/sessions/me/lifecycle/refresh"):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # and no other one follows
    assert [r.status_code for r in responses] == [200] * 100
    assert len(fake.calls_to("POST", "/api/v1/sessions/me/lifecycle/refresh")) == 1


async def test_uvicorn_logout(served: tuple[FakeOkta, str]) -> None:
    fake, url = served
    sid = fake.create_session(LOGIN)
    cookie = fake.cookie_header(sid)
    async with httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/private", headers={"cookie": cookie})).status_code == 200
        refused = await client.post("/logout", headers={"cookie": cookie,
                                                        "origin": "https://evil.example"})
        assert refused.status_code == 403
        assert fake.session(sid) is not None
        response = await client.post(
            "/logout", headers={"cookie": cookie, "origin": url, "accept": "text/html"}
        )
        assert response.status_code == 303
        assert fake.session(sid) is None
        assert response.headers["set-cookie"].startswith('sid=""')
        after = await client.get("/private", headers={"cookie": cookie})
        assert after.status_code == 401
