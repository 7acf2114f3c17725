"""How the fake Okta delivers event hooks: after the request that ended the session, with
a timeout and one retry like Okta's, every attempt recorded, no thread left behind."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from okta_session_mw.testing import FakeOkta, HookDelivery, serve_fake_okta
from tests.support.fake_helpers import DEMO_LOGIN, DEMO_PASSWORD, ME, okta_client
from tests.support.hook_receiver import HOLD, SLOW, HookReceiver

SECRET = "s3cret-hook-header-value"
THREAD_NAME = "okta-fake-event-hooks"


def _fake(timeout: float = 3.0) -> FakeOkta:
    fake = FakeOkta(event_hook_timeout=timeout)
    fake.add_user(DEMO_LOGIN, DEMO_PASSWORD)
    return fake


@pytest.fixture
def fake() -> Iterator[FakeOkta]:
    fake = _fake()
    with serve_fake_okta(fake):
        yield fake


def _end_a_session(fake: FakeOkta, url: str) -> str:
    fake.register_event_hook(url, events=["user.session.end"], header=("authorization", SECRET))
    session_id = fake.create_session(DEMO_LOGIN)
    assert fake.revoke(session_id)
    return session_id


def _outcomes(deliveries: list[HookDelivery]) -> list[tuple[int, int | None, str | None]]:
    return [(d.attempt, d.status, d.error) for d in deliveries]


def _hook_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME]


def test_i13_04_delivery_comes_after_the_request_that_ended_the_session(fake: FakeOkta) -> None:
    receiver = HookReceiver(answers=[HOLD])
    with receiver.serve() as url:
        fake.register_event_hook(url, events=["user.session.end"])
        session_id = fake.create_session(DEMO_LOGIN)
        with okta_client(fake.base_url) as http:  # would wait on the held delivery if inline
            response = http.delete(ME, headers={"Cookie": f"sid={session_id}"})
        assert response.status_code == 204
        receiver.wait_for_posts(1)  # the delivery is in flight, held by the receiver
        assert fake.deliveries == []
        with pytest.raises(TimeoutError, match="still pending"):
            fake.wait_for_deliveries(timeout=0.05)
        receiver.release()
        assert _outcomes(fake.wait_for_deliveries()) == [(1, 200, None)]


def test_i13_04_a_receiver_that_times_out_gets_exactly_one_retry() -> None:
    fake, receiver = _fake(timeout=0.3), HookReceiver(answers=[SLOW, SLOW, SLOW])
    with receiver.serve() as url, serve_fake_okta(fake):
        _end_a_session(fake, url)
        deliveries = fake.wait_for_deliveries()
        assert _outcomes(deliveries) == [(1, None, "timeout"), (2, None, "timeout")]
        first, retry = receiver.wait_for_posts(2)
    assert len(receiver.posts) == 2
    assert first.body == retry.body == deliveries[0].body  # the same eventId and uuids
    assert retry.headers["authorization"] == SECRET


def test_i13_04_a_retry_after_a_timeout_can_succeed() -> None:
    fake, receiver = _fake(timeout=1.0), HookReceiver(answers=[SLOW])
    with receiver.serve() as url, serve_fake_okta(fake):
        _end_a_session(fake, url)
        assert _outcomes(fake.wait_for_deliveries()) == [(1, None, "timeout"), (2, 200, None)]


@pytest.mark.parametrize(
    ("answers", "outcomes"),
    [
        ([500, 500, 500], [(1, 500, "status 500"), (2, 500, "status 500")]),
        ([503], [(1, 503, "status 503"), (2, 200, None)]),
    ],
)
def test_i13_04_a_5xx_answer_gets_one_retry(
    fake: FakeOkta,
    answers: list[int],
    outcomes: list[tuple[int, int | None, str | None]],
) -> None:
    receiver = HookReceiver(answers=answers)
    with receiver.serve() as url:
        session_id = _end_a_session(fake, url)
        deliveries = fake.wait_for_deliveries()
    assert _outcomes(deliveries) == outcomes
    assert [p.body for p in receiver.posts] == [d.body for d in deliveries]
    assert deliveries[0].event_id == deliveries[1].event_id
    [event] = deliveries[1].payload()["data"]["events"]
    assert event["authenticationContext"]["externalSessionId"] == session_id


def test_i13_04_a_4xx_answer_is_not_retried(fake: FakeOkta) -> None:
    receiver = HookReceiver(answers=[401])
    with receiver.serve() as url:
        _end_a_session(fake, url)
        assert _outcomes(fake.wait_for_deliveries()) == [(1, 401, "status 401")]
    assert len(receiver.posts) == 1


def test_i13_04_an_endpoint_gone_away_gets_one_retry(fake: FakeOkta) -> None:
    receiver = HookReceiver()
    with receiver.serve() as url:
        fake.register_event_hook(url, events=["user.session.end"])
    fake.revoke(fake.create_session(DEMO_LOGIN))
    deliveries = fake.wait_for_deliveries()
    assert [(d.attempt, d.status) for d in deliveries] == [(1, None), (2, None)]
    assert all(d.error is not None and d.error.startswith("ConnectionRefused") for d in deliveries)


def test_i13_04_no_delivery_outlives_the_fake() -> None:
    fake, receiver = _fake(timeout=0.3), HookReceiver(answers=[SLOW, SLOW])
    with receiver.serve() as url:
        with serve_fake_okta(fake):
            fake.register_event_hook(url, events=["user.session.end"])
            first = fake.create_session(DEMO_LOGIN)
            second = fake.create_session(DEMO_LOGIN)
            fake.revoke(first)
            fake.revoke(second)  # queued behind the first, which waits for its timeout
            assert _hook_threads()
        assert _hook_threads() == []
        deliveries = fake.deliveries
    second_event = fake.log_events[1]["uuid"]
    outcomes = {(d.event_uuids, d.attempt, d.status, d.error) for d in deliveries}
    assert ((second_event,), 1, None, "cancelled") in outcomes  # still queued: never sent
    assert all(d.error == "cancelled" for d in deliveries if d.attempt == 2)  # no retry sent
    assert fake.wait_for_deliveries(timeout=0.1) == deliveries  # nothing more comes


def test_i13_04_deliveries_start_again_after_the_fake_is_served_again() -> None:
    fake, receiver = _fake(), HookReceiver()
    with receiver.serve() as url:
        with serve_fake_okta(fake):
            fake.register_event_hook(url, events=["user.session.end"])
        with serve_fake_okta(fake):
            fake.revoke(fake.create_session(DEMO_LOGIN))
            assert _outcomes(fake.wait_for_deliveries()) == [(1, 200, None)]
        assert _hook_threads() == []


def test_i13_04_a_delivery_record_shows_no_body_or_secret_in_its_repr(fake: FakeOkta) -> None:
    with HookReceiver().serve() as url:
        session_id = _end_a_session(fake, url)
        [delivery] = fake.wait_for_deliveries()
    assert session_id.encode() in delivery.body
    assert session_id not in repr(delivery)
    assert SECRET not in repr(delivery)
