"""An event hook delivery handled by one worker ends the sessions on every worker
(issue 13, items 1 and 2): two services sharing a real Redis, the fake Okta over
loopback, the sync entry point (what the Flask and Django endpoints call)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from okta_session_mw import SessionService
from okta_session_mw.engine.resolution import Source
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.redis_server import RedisServer
from okta_session_mw.web.reply import Reply
from tests.support.apps import make_config
from tests.support.okta_users import LOGIN
from tests.support.servers import free_port

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


@pytest.fixture
def cut_off_and_connected(
    okta: FakeOkta, redis_server: RedisServer, redis_client: object
) -> Iterator[tuple[SessionService, SessionService]]:
    """Two workers of one deployment; the first cannot reach Redis right now (a network
    partition, a full connection pool): it sees Redis at an address nothing answers."""
    hook = {"secret_key": SECRET, "event_hook_secrets": (HOOK_SECRET,)}
    cut_off = SessionService(
        make_config(okta, cache_url=f"redis://127.0.0.1:{free_port()}/0", **hook)
    )
    connected = SessionService(make_config(okta, cache_url=redis_server.url, **hook))
    yield cut_off, connected
    cut_off.close()
    connected.close()


def test_i13_02_a_delivery_whose_ends_reached_no_shared_cache_is_answered_503_and_retried(
    okta: FakeOkta,
    cut_off_and_connected: tuple[SessionService, SessionService],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Attack review F4: the cut-off worker could only keep the ends owed (sent with its
    next call to Redis, which it may never make); answering 200 would stop Okta from
    retrying while the other workers serve the ended session. So 503, the events are
    not remembered as done (the retry is read again), and the retry on a worker that
    reaches Redis ends the session everywhere."""
    receiver, other = cut_off_and_connected
    cookie = okta.cookie_header(okta.create_session(LOGIN))
    assert other.resolve(cookie).session is not None  # cached in Redis
    ann = okta.users[0].id
    okta.revoke_user_sessions(ann)  # Okta suspends Ann
    delivery = body(
        {"uuid": "e-1", "eventType": "user.lifecycle.suspend",
         "target": [{"id": ann, "type": "User"}]},
    )  # fmt: skip
    with caplog.at_level(logging.INFO, logger="okta_session_mw"):
        answer = receiver.end_pushed(delivery)
    assert answer.status == 503
    assert other.resolve(cookie).session is not None  # not ended there: hence the 503
    retried = receiver.event_hook.read(delivery)
    assert not isinstance(retried, Reply) and retried.uuids == ("e-1",)  # not skipped
    [line] = [r.getMessage() for r in caplog.records if "503" in r.getMessage()]
    assert "1 of 1" in line and ann not in caplog.text  # counts only, no ids
    assert other.end_pushed(delivery).status == 200  # Okta's retry reaches a worker
    assert other.resolve(cookie).session is None


def test_i13_02_a_fresh_worker_serves_a_sign_in_made_after_its_user_was_ended(
    okta: FakeOkta, workers: tuple[SessionService, SessionService]
) -> None:
    """The end of a user is judged by Redis's clock (attack review F2): a worker that
    has not yet spoken to Redis learns its clock's offset from its first lookup's claim,
    so the user's sign-in after the end is served and cached, not taken for one asked
    before it."""
    receiver, fresh = workers
    ann = okta.users[0].id
    ended = body({"uuid": "e-9", "eventType": "user.session.end",
                  "actor": {"id": ann, "type": "User"}})  # fmt: skip
    assert receiver.end_pushed(ended).status == 200
    cookie = okta.cookie_header(okta.create_session(LOGIN))  # Ann signs in again
    assert fresh.resolve(cookie).session is not None
    assert fresh.resolve(cookie).source is Source.HIT


async def test_i13_02_the_async_entry_point_answers_503_for_owed_ends_too(
    okta: FakeOkta, cut_off_and_connected: tuple[SessionService, SessionService]
) -> None:
    """``aend_pushed`` (the Starlette route's): an end by session id and one by user,
    neither reaching Redis."""
    receiver, other = cut_off_and_connected
    delivery = body(
        {"uuid": "e-3", "eventType": "user.session.end",
         "authenticationContext": {"externalSessionId": "102SomeSession0123456"},
         "actor": {"id": okta.users[0].id, "type": "User"}},
    )  # fmt: skip
    assert (await receiver.aend_pushed(delivery)).status == 503
    assert (await other.aend_pushed(delivery)).status == 200


def test_i13_03_revoking_a_user_s_sessions_from_a_cut_off_worker_says_it_did_not_reach(
    okta: FakeOkta,
    cut_off_and_connected: tuple[SessionService, SessionService],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Okta ended the sessions, but the cache could only keep the end owed: the caller
    (an operator's script, say) must hear that the other workers may still serve them."""
    cut_off, _ = cut_off_and_connected
    ann = okta.users[0].id
    with caplog.at_level(logging.WARNING, logger="okta_session_mw"):
        assert cut_off.revoke_user_sessions(ann) is True
    warnings = [r for r in caplog.records if "could not be reached" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert ann not in caplog.text
