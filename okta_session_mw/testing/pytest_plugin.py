"""pytest plugin (entry point ``pytest11``): the ``fake_okta`` fixture.

Installed with the package, so any suite can take ``fake_okta`` as an argument::

    def test_login(fake_okta):
        session_id = fake_okta.create_session(DEMO_LOGIN)
        ...  # point the app under test at fake_okta.base_url

For other settings (short idle timeouts, small rate limits, bearer tokens), build a
``FakeOkta(...)`` yourself and serve it with ``serve_fake_okta``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from okta_session_mw.testing.fake_okta import FakeOkta, serve_fake_okta

__all__ = ["DEMO_API_TOKEN", "DEMO_FIRST_NAME", "DEMO_LAST_NAME", "DEMO_LOGIN", "DEMO_PASSWORD"]

DEMO_API_TOKEN = "test-token"
DEMO_LOGIN = "demo@example.com"
DEMO_PASSWORD = "correct-horse-battery-staple"
DEMO_FIRST_NAME = "Demo"
DEMO_LAST_NAME = "User"


@pytest.fixture
def fake_okta() -> Iterator[FakeOkta]:
    """A ``FakeOkta`` served on a free loopback port for one test.

    - ``fake_okta.base_url``: ``http://127.0.0.1:PORT``, the org URL to configure;
    - API token ``"test-token"`` (``DEMO_API_TOKEN``), no OAuth2 bearer tokens;
    - one user, ``demo@example.com`` / ``correct-horse-battery-staple`` ("Demo User"),
      importable as ``DEMO_LOGIN`` / ``DEMO_PASSWORD`` from
      ``okta_session_mw.testing.pytest_plugin``; no session yet;
    - Okta-like defaults: 2 h idle timeout, 24 h maximum lifetime, 600 calls per minute.
    """
    fake = FakeOkta(api_token=DEMO_API_TOKEN)
    fake.add_user(DEMO_LOGIN, DEMO_PASSWORD, first_name=DEMO_FIRST_NAME, last_name=DEMO_LAST_NAME)
    with serve_fake_okta(fake):
        yield fake
