"""Fixtures for the client tests, a pytest plugin:
``pytest_plugins = ["tests.support.client_fixtures"]``.

``flavour`` runs a test once per client ("sync", "async"); ``fake_org`` serves a fake Okta
that knows this suite's API token and bearer token; ``connect`` builds a client of the
test's flavour for it, closed when the test ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from okta_session_mw.okta.clients import AsyncOktaSessionClient, OktaSessionClient
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.client_helpers import (
    API_TOKEN,
    BEARER,
    DEMO_LOGIN,
    DEMO_PASSWORD,
    Connect,
    Either,
)


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fake_org() -> Iterator[FakeOkta]:
    """A fake Okta on loopback with the demo user, this file's API token and bearer token."""
    fake = FakeOkta(api_token=API_TOKEN, bearer_tokens=[BEARER])
    fake.add_user(DEMO_LOGIN, DEMO_PASSWORD)
    with serve_fake_okta(fake):
        yield fake


@pytest.fixture
async def connect(flavour: str, fake_org: FakeOkta) -> AsyncIterator[Connect]:
    """``connect(**kwargs)``: a client of this test's flavour for ``fake_org`` (closed after)."""
    made: list[Either] = []

    def make(org_url: str | None = None, **kwargs: Any) -> Either:
        url = org_url or fake_org.base_url
        assert url is not None
        kind = AsyncOktaSessionClient if flavour == "async" else OktaSessionClient
        client = Either(kind(url, **kwargs))
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()
