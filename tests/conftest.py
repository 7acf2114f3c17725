"""Shared fixtures: a served fake Okta, a service on its clock, a client for the test app.

Only fixtures live here; the helpers and constants tests import are in ``tests/support/``
(``apps.py``: ``make_config``/``make_app``; ``okta_users.py``: the fake org's token and
user; ``servers.py``: uvicorn and WSGI servers; ``fake_helpers.py``: ``me_calls``...).
The fake Okta comes from ``okta_session_mw.testing``; everything here talks to it over
real HTTP on loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from okta_session_mw import SessionService
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.apps import make_app, make_config
from tests.support.okta_users import API_TOKEN, LOGIN, PASSWORD


@pytest.fixture
def okta() -> Iterator[FakeOkta]:
    """A fake Okta with one user (``LOGIN``), served on a free loopback port."""
    fake = FakeOkta(api_token=API_TOKEN)
    fake.add_user(LOGIN, PASSWORD, first_name="Ann", last_name="Example")
    with serve_fake_okta(fake):
        yield fake


@pytest.fixture
async def service(okta: FakeOkta) -> AsyncIterator[SessionService]:
    """A SessionService on the fake's clock; closed after the test."""
    svc = SessionService(make_config(okta), clock=okta.now)
    yield svc
    await svc.aclose()


@pytest.fixture
async def client(service: SessionService) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client calling ``make_app(service)`` in-process (ASGI)."""
    transport = httpx.ASGITransport(app=make_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
