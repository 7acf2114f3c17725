"""The Redis cache chosen by configuration from each adapter: Flask (``OKTA_CACHE_URL``),
Django (``OKTA_SESSION["CACHE_URL"]``, WSGI and ASGI); Starlette is in test_redis_workers.

Two app instances stand for two workers: what one asked Okta, the other reads from
Redis; what one logs out, the other forgets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django_project
import pytest
from django.test import AsyncClient, Client
from flask import Flask, g
from pytest_django.fixtures import Settings as SettingsWrapper

from okta_session_mw.cache.redis.cache import RedisSessionCache
from okta_session_mw.integrations.django import get_service, reset_service
from okta_session_mw.integrations.flask import OktaSession
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.pytest_plugin import DEMO_API_TOKEN, DEMO_LOGIN
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import API_TOKEN, LOGIN

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server, redis_client, own_redis_server

django_project.configure()

SECRET = "adapters-share-this-secret-0123456789"


def flask_worker(okta: FakeOkta, redis_url: str) -> tuple[Flask, OktaSession]:
    app = Flask(__name__)
    app.config.update(
        OKTA_ORG_URL=okta.base_url,
        OKTA_API_TOKEN=API_TOKEN,
        OKTA_CACHE_URL=redis_url,
        OKTA_SECRET_KEY=SECRET,
    )
    extension = OktaSession(app)

    @app.get("/")
    def whoami() -> dict[str, Any]:
        return {"id": g.okta_session.id if g.okta_session else None}

    return app, extension


def test_flask_workers_share_one_redis(
    okta: FakeOkta, redis_server: RedisServer, redis_client: object
) -> None:
    (app1, ext1), (app2, ext2) = (flask_worker(okta, redis_server.url) for _ in range(2))
    client1, client2 = app1.test_client(use_cookies=False), app2.test_client(use_cookies=False)
    sid = okta.create_session(LOGIN)
    cookie = {"cookie": okta.cookie_header(sid)}
    assert client1.get("/", headers=cookie).json == {"id": sid}
    assert client2.get("/", headers=cookie).json == {"id": sid}
    assert me_calls(okta) == 1
    logout = client2.post("/logout", headers={**cookie, "origin": "http://localhost"})
    assert logout.status_code in (204, 303)
    assert client1.get("/", headers=cookie).json == {"id": None}
    ext1.close()
    ext2.close()


@pytest.fixture
def django_okta(
    settings: SettingsWrapper, fake_okta: FakeOkta, redis_server: RedisServer, redis_client: object
) -> Iterator[FakeOkta]:
    settings.OKTA_SESSION = {
        "ORG_URL": fake_okta.base_url,
        "API_TOKEN": DEMO_API_TOKEN,
        "CACHE_URL": redis_server.url,
        "SECRET_KEY": SECRET,
    }
    yield fake_okta
    reset_service()


def _login(response: Any) -> Any:
    return response.json()["login"]


def test_django_wsgi_reads_what_another_worker_cached(django_okta: FakeOkta) -> None:
    cookie = django_okta.cookie_header(django_okta.create_session(DEMO_LOGIN))
    assert _login(Client().get("/public/", headers={"Cookie": cookie})) == DEMO_LOGIN
    assert isinstance(get_service().cache, RedisSessionCache)
    get_service().close()
    reset_service()  # a fresh service: another worker process
    assert _login(Client().get("/public/", headers={"Cookie": cookie})) == DEMO_LOGIN
    assert me_calls(django_okta) == 1
    get_service().close()


async def test_django_asgi_reads_what_another_worker_cached(django_okta: FakeOkta) -> None:
    cookie = django_okta.cookie_header(django_okta.create_session(DEMO_LOGIN))
    assert _login(await AsyncClient().get("/public/", headers={"Cookie": cookie})) == DEMO_LOGIN
    first = get_service()
    await first.cache.aclose()
    await first.aclose()
    reset_service()
    assert _login(await AsyncClient().get("/public/", headers={"Cookie": cookie})) == DEMO_LOGIN
    assert me_calls(django_okta) == 1
    second = get_service()
    await second.cache.aclose()
    await second.aclose()
