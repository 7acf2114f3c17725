"""Fixtures of the Django adapter's tests: ``okta`` (the fake Okta, with ``OKTA_SESSION``
pointing at it; it stands in for the suite-wide ``okta`` in this folder), ``aokta`` (the
same for ASGI tests) and ``wsgi_server`` (the test project behind a real threaded server).

Django is configured by the test modules (``django_project.configure()``) when imported.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from django.core.handlers.wsgi import WSGIHandler
from pytest_django.fixtures import Settings as SettingsWrapper

from okta_session_mw.integrations.django import get_service, reset_service
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.pytest_plugin import DEMO_API_TOKEN
from tests.support.servers import serve_wsgi_threaded


@pytest.fixture
def okta(settings: SettingsWrapper, fake_okta: FakeOkta) -> Iterator[FakeOkta]:
    """The fake Okta, with ``OKTA_SESSION`` pointing at it; a fresh service per test."""
    settings.OKTA_SESSION = {
        "ORG_URL": fake_okta.base_url,
        "API_TOKEN": DEMO_API_TOKEN,
        "LOGIN_URL": "/login/",
        "TIMEOUT": 2,
    }
    yield fake_okta
    reset_service()


@pytest.fixture
async def aokta(okta: FakeOkta) -> AsyncIterator[FakeOkta]:
    """``okta`` for ASGI tests: closes the async client made on this test's loop."""
    yield okta
    await get_service().aclose()


@pytest.fixture
def wsgi_server(okta: FakeOkta) -> Iterator[str]:
    """The test project behind a real threaded WSGI server (one thread per request)."""
    with serve_wsgi_threaded(WSGIHandler()) as url:
        yield url
