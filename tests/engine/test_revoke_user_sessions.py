"""``SessionService.revoke_user_sessions``/``arevoke_user_sessions`` (issue 13, item 3):
Okta clears the user's sessions and every worker's cache stops serving them at once,
against the fake Okta over real HTTP and a real Redis shared by two workers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from okta_session_mw import SessionService
from okta_session_mw.engine.resolution import Source
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.apps import make_config
from tests.support.okta_users import LOGIN

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server, redis_client

SECRET = "revoke-user-tests-secret-0123456789"


@pytest.fixture
def two_workers(okta: FakeOkta, redis_server: RedisServer, redis_client: object) -> Iterator[
    tuple[SessionService, SessionService]
]:
    """Two services sharing one Redis, as two uvicorn workers would."""
    config = make_config(okta, cache_url=redis_server.url, secret_key=SECRET)
    one, two = SessionService(config), SessionService(config)
    yield one, two
    one.close()
    two.close()


async def test_i13_03_arevoke_user_sessions_ends_them_on_every_worker(
    okta: FakeOkta, two_workers: tuple[SessionService, SessionService]
) -> None:
    worker, other_worker = two_workers
    okta.add_user("bob@example.com", "pw")
    mine = [okta.cookie_header(okta.create_session(LOGIN)) for _ in range(2)]
    mine.append(okta.cookie_header(okta.create_session(LOGIN), "idx"))
    theirs = okta.cookie_header(okta.create_session("bob@example.com"))
    for cookie in [*mine, theirs]:
        assert (await other_worker.aresolve(cookie)).session is not None
        assert (await other_worker.aresolve(cookie)).source is Source.HIT
    user_id = okta.users[0].id
    assert await worker.arevoke_user_sessions(user_id) is True
    assert [okta.session(s.id) for s in okta.sessions if s.user_id == user_id] == []
    okta.clear_calls()
    for cookie in mine:
        assert (await other_worker.aresolve(cookie)).session is None
    assert len(okta.calls_to("GET", "/api/v1/sessions/me")) == len(mine)  # asked, not served
    assert (await other_worker.aresolve(theirs)).source is Source.HIT  # bob is untouched
    await other_worker.aclose()
    await worker.aclose()


def test_i13_03_revoke_user_sessions_sync_and_an_unknown_user(okta: FakeOkta) -> None:
    service = SessionService(make_config(okta), clock=okta.now)
    try:
        cookie = okta.cookie_header(okta.create_session(LOGIN))
        assert service.resolve(cookie).source is Source.MISS
        assert service.resolve(cookie).source is Source.HIT
        assert service.revoke_user_sessions(okta.users[0].id, oauth_tokens=True) is True
        assert service.resolve(cookie).session is None
        [call] = [c for c in okta.calls if c.method == "DELETE"]
        assert call.query == "oauthTokens=true"
        assert service.revoke_user_sessions("00uNobodyHere") is False
    finally:
        service.close()
