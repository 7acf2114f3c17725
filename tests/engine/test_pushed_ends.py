"""An event hook delivery handled by one worker ends the sessions on every worker
(issue 13, items 1 and 2): two services sharing a real Redis, the fake Okta over
loopback, the sync entry point (what the Flask and Django endpoints call)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from okta_session_mw import SessionService
from okta_session_mw.engine.resolution import Source
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.apps import make_config
from tests.support.okta_users import LOGIN

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server, redis_client

SECRET = "pushed-ends-tests-secret-0123456789"
HOOK_SECRET = "hook-secret-for-the-workers-0123"


@pytest.fixture
def workers(okta: FakeOkta, redis_server: RedisServer, redis_client: object) -> Iterator[
    tuple[SessionService, SessionService]
]:
    config = make_config(
        okta, cache_url=redis_server.url, secret_key=SECRET, event_hook_secrets=(HOOK_SECRET,)
    )
    one, two = SessionService(config), SessionService(config)
    yield one, two
    one.close()
    two.close()


def body(*events: dict[str, object]) -> bytes:
    return json.dumps({"eventType": "com.okta.event_hook", "data": {"events": events}}).encode()


def test_i13_01_one_worker_s_delivery_ends_the_sessions_on_every_worker(
    okta: FakeOkta, workers: tuple[SessionService, SessionService]
) -> None:
    receiver, other = workers
    okta.add_user("bob@example.com", "pw")
    by_id = okta.cookie_header(okta.create_session(LOGIN))
    by_user = okta.cookie_header(okta.create_session("bob@example.com"), "idx")
    for cookie in (by_id, by_user):
        assert other.resolve(cookie).session is not None
        assert other.resolve(cookie).source is Source.HIT
    session_id = other.resolve(by_id).session.id  # type: ignore[union-attr]
    bob = okta.users[1].id
    okta.revoke_user_sessions(bob)  # Okta suspended Bob
    hook = receiver.event_hook
    assert hook.screen("POST", {"authorization": HOOK_SECRET}) is None
    answer = receiver.end_pushed(body(
        {"uuid": "e-1", "eventType": "user.session.end",
         "authenticationContext": {"externalSessionId": session_id}},
        {"uuid": "e-2", "eventType": "user.lifecycle.suspend",
         "target": [{"id": bob, "type": "User"}]},
    ))  # fmt: skip
    assert answer.status == 200
    assert other.resolve(by_id).session is None  # Okta still says live: ended all the same
    assert other.resolve(by_user).session is None
    assert receiver.end_pushed(b"{").status == 400
