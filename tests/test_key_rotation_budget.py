"""Found by an outside attack: `secret_key` rotation (15.4) with Okta's budget (behaviour 14).

During a rolling rotation a session cached by a worker on ``[old, new]`` is stored
under the old key's name. A worker on ``[new, old]`` that receives the user's logout
reads the entry under its current key only (``logout``: ``cache_get(key)``), finds
nothing, and so treats a real, cached session's logout as a never-seen cookie's: it may
not spend the reserve. While a flood of made-up cookies holds Okta's window at the
reserve (what the reserve is for), that logout is kept from Okta, nothing is evicted,
and the other worker goes on serving the session the user just logged out of.
"""

from __future__ import annotations

import secrets

from okta_session_mw import SessionService
from okta_session_mw.engine.resolution import Source
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.apps import make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import LOGIN

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server, redis_client

OLD = "old-secret-key-0123456789abcdef"
NEW = "new-secret-key-fedcba9876543210"
OPTIONS = "?socket_timeout=2&socket_connect_timeout=2"


def test_i15_100_a_logout_on_the_other_key_is_a_cached_sessions_not_a_made_up_cookies(
    redis_server: RedisServer, redis_client: object
) -> None:
    fake = FakeOkta(rate_limit=20)  # one bucket for every /api/v1/sessions call
    fake.add_user(LOGIN, "correct horse")
    with serve_fake_okta(fake):

        def worker(keys: list[str]) -> SessionService:
            return SessionService(
                make_config(
                    fake,
                    cache_url=redis_server.url + OPTIONS,
                    secret_key=keys,
                    rate_limit_reserve=0.2,
                    new_cookie_lookups_per_minute=0,
                )
            )

        behind, rotated = worker([OLD, NEW]), worker([NEW, OLD])
        try:
            ann = f"sid={fake.create_session(LOGIN)}"
            assert behind.resolve(ann).session is not None  # cached under OLD's name
            for _ in range(20):  # the flood: made-up cookies spend the window to the reserve
                rotated.resolve("sid=102" + secrets.token_hex(12))
            assert me_calls(fake) == 1 + 15  # the reserve (4) is left for known sessions
            assert rotated.logout(ann), "a cached session's logout kept from Okta"
            assert len(fake.calls_to("DELETE", "/api/v1/sessions/me")) == 1
            assert behind.resolve(ann).source is not Source.HIT
        finally:
            behind.close()
            rotated.close()
