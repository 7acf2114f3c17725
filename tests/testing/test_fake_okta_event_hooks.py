"""The fake Okta's event hooks: Okta's verification at registration, and the System Log
event (in Okta's shape and envelope) each operation delivers, over real HTTP both ways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from okta_session_mw.testing import (
    EventHook,
    EventHookVerificationError,
    FakeOkta,
    FakeUser,
    serve_fake_okta,
)
from tests.support.fake_helpers import (
    API,
    DEMO_LOGIN,
    DEMO_PASSWORD,
    ME,
    OKTA_DATE,
    assert_okta_error,
    okta_client,
)
from tests.support.hook_receiver import HookReceiver

SECRET = "s3cret-hook-header-value"
HEADER = ("authorization", SECRET)
ALL_EVENTS = (
    "user.session.end",
    "user.session.clear",
    "user.lifecycle.suspend",
    "user.lifecycle.deactivate",
)
# Every top-level field of Okta's System Log LogEvent object.
LOG_EVENT_FIELDS = {
    "uuid", "published", "eventType", "version", "severity", "displayMessage", "actor",
    "client", "request", "outcome", "target", "transaction", "debugContext",
    "authenticationContext", "securityContext", "legacyEventType",
}  # fmt: skip


@pytest.fixture
def fake() -> Iterator[FakeOkta]:
    fake = FakeOkta()
    fake.add_user(DEMO_LOGIN, DEMO_PASSWORD, first_name="Ada", last_name="Lovelace")
    with serve_fake_okta(fake):
        yield fake


@pytest.fixture
def receiver() -> HookReceiver:
    return HookReceiver()


@pytest.fixture
def hook_url(receiver: HookReceiver) -> Iterator[str]:
    with receiver.serve() as url:
        yield url


@pytest.fixture
def http(fake: FakeOkta) -> Iterator[httpx.Client]:
    with okta_client(fake.base_url) as client:
        yield client


def _register(fake: FakeOkta, url: str, events: tuple[str, ...] = ALL_EVENTS) -> EventHook:
    return fake.register_event_hook(url, events=events, header=HEADER)


def _principal(user: FakeUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "type": "User",
        "alternateId": user.login,
        "displayName": user.display_name,
        "detailEntry": None,
    }


def _only_event(fake: FakeOkta) -> dict[str, Any]:
    [delivery] = fake.wait_for_deliveries()
    assert delivery.ok
    [event] = delivery.payload()["data"]["events"]
    assert isinstance(event, dict)
    return event


# -- registration ------------------------------------------------------------------------


def test_i13_04_registration_runs_oktas_one_time_verification(
    fake: FakeOkta, receiver: HookReceiver, hook_url: str
) -> None:
    hook = fake.register_event_hook(
        hook_url, events=["user.session.end"], header=HEADER, headers={"x-tenant": "blue"}
    )
    other = _register(fake, hook_url)
    first, second = receiver.received
    assert (first.method, second.method) == ("GET", "GET")
    assert first.headers["authorization"] == SECRET
    assert first.headers["x-tenant"] == "blue"
    challenges = {r.headers["x-okta-verification-challenge"] for r in (first, second)}
    assert len(challenges) == 2 and all(len(c) >= 20 for c in challenges)  # fresh each time
    assert fake.event_hooks == [hook, other]
    assert hook.id.startswith("who") and hook.id != other.id
    assert hook.events == {"user.session.end"}
    assert SECRET not in repr(hook) and "blue" not in repr(hook)
    assert fake.deliveries == []  # verifying is not delivering


@pytest.mark.parametrize(("verify", "status"), [("wrong", 200), ("text", 200), ("status500", 500)])
def test_i13_04_registration_fails_unless_the_challenge_is_echoed(
    fake: FakeOkta, verify: str, status: int
) -> None:
    receiver = HookReceiver(verify=verify)
    with receiver.serve() as url, pytest.raises(EventHookVerificationError) as caught:
        _register(fake, url)
    assert caught.value.status == status
    assert caught.value.url == url
    assert SECRET not in str(caught.value)
    assert fake.event_hooks == []
    fake.revoke(fake.create_session(DEMO_LOGIN))
    assert fake.wait_for_deliveries() == []  # an unverified hook gets nothing


def test_i13_04_registration_fails_when_nothing_answers(fake: FakeOkta) -> None:
    with HookReceiver().serve() as url:
        pass  # served and stopped: the port no longer listens
    with pytest.raises(EventHookVerificationError, match="failed verification") as caught:
        _register(fake, url)
    assert caught.value.status is None
    assert fake.event_hooks == []


@pytest.mark.parametrize(
    ("url", "events", "header"),
    [
        ("ftp://127.0.0.1/hook", ALL_EVENTS, HEADER),
        ("/okta/event-hook", ALL_EVENTS, HEADER),
        ("http://127.0.0.1:1/hook", "user.session.end", HEADER),
        ("http://127.0.0.1:1/hook", (), HEADER),
        ("http://127.0.0.1:1/hook", ALL_EVENTS, ("authorization", "")),
    ],
)
def test_i13_04_registration_refuses_what_okta_would_not_accept(
    fake: FakeOkta, url: str, events: Any, header: tuple[str, str]
) -> None:
    with pytest.raises(ValueError, match=r"url|events|header"):
        fake.register_event_hook(url, events=events, header=header)
    assert fake.event_hooks == []


def test_i13_04_removed_hooks_get_nothing(
    fake: FakeOkta, receiver: HookReceiver, hook_url: str
) -> None:
    hook = _register(fake, hook_url)
    assert fake.remove_event_hook(hook.id) is True
    assert fake.remove_event_hook(hook) is False
    fake.revoke(fake.create_session(DEMO_LOGIN))
    assert fake.wait_for_deliveries() == []
    assert receiver.posts == []


# -- what each operation delivers ---------------------------------------------------------


def test_i13_04_signing_out_delivers_user_session_end_in_oktas_envelope(
    fake: FakeOkta, receiver: HookReceiver, hook_url: str, http: httpx.Client
) -> None:
    hook = _register(fake, hook_url)
    session_id = fake.create_session(DEMO_LOGIN)
    [user] = fake.users
    assert http.delete(ME, headers={"Cookie": f"sid={session_id}"}).status_code == 204

    [delivery] = fake.wait_for_deliveries()
    [post] = receiver.posts
    envelope = post.json()
    assert envelope == delivery.payload()
    assert post.headers["authorization"] == SECRET  # the secret header on every call
    assert post.headers["content-type"] == "application/json"
    assert {k: v for k, v in envelope.items() if k not in ("eventId", "eventTime", "data")} == {
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1",
        "source": f"{fake.base_url}/api/v1/eventHooks/{hook.id}",
        "contentType": "application/json",
    }
    assert OKTA_DATE.match(envelope["eventTime"])
    [event] = envelope["data"]["events"]
    assert set(event) == LOG_EVENT_FIELDS
    assert event["eventType"] == "user.session.end"
    assert event["displayMessage"] == "User logout from Okta"
    assert event["authenticationContext"]["externalSessionId"] == session_id
    assert event["actor"] == _principal(user)
    assert event["target"] == [_principal(user)]
    assert event["outcome"] == {"result": "SUCCESS", "reason": None}
    assert event["debugContext"]["debugData"]["requestUri"] == ME
    assert OKTA_DATE.match(event["published"])
    assert fake.log_events == [event]
    assert (delivery.hook_id, delivery.event_id) == (hook.id, envelope["eventId"])
    assert (delivery.event_uuids, delivery.event_types) == ((event["uuid"],), (event["eventType"],))
    assert (delivery.attempt, delivery.status, delivery.error) == (1, 200, None)
    assert delivery.started_at <= delivery.finished_at


@pytest.mark.parametrize("how", ["api", "python"])
def test_i13_04_an_admin_revoke_delivers_user_session_end(
    fake: FakeOkta, hook_url: str, http: httpx.Client, how: str
) -> None:
    _register(fake, hook_url)
    session_id, kept = fake.create_session(DEMO_LOGIN), fake.create_session(DEMO_LOGIN)
    if how == "api":
        assert http.delete(f"/api/v1/sessions/{session_id}", headers=API).status_code == 204
    else:
        assert fake.revoke(session_id) is True
    event = _only_event(fake)
    assert event["eventType"] == "user.session.end"
    assert event["authenticationContext"]["externalSessionId"] == session_id
    assert event["target"] == [_principal(fake.users[0])]
    assert event["debugContext"]["debugData"]["requestUri"] == f"/api/v1/sessions/{session_id}"
    assert [s.id for s in fake.sessions] == [kept]
    assert fake.revoke(session_id) is False  # already ended: nothing more is logged
    assert len(fake.wait_for_deliveries()) == 1


@pytest.mark.parametrize(
    ("operation", "status"), [("suspend", "SUSPENDED"), ("deactivate", "DEPROVISIONED")]
)
@pytest.mark.parametrize("how", ["api", "python"])
def test_i13_04_suspending_or_deactivating_a_user_ends_its_sessions_and_delivers(
    fake: FakeOkta, hook_url: str, http: httpx.Client, operation: str, status: str, how: str
) -> None:
    _register(fake, hook_url)
    other = fake.add_user("grace@example.com", "pw")
    kept = fake.create_session(other.login)
    session_ids = [fake.create_session(DEMO_LOGIN) for _ in range(2)]
    user = fake.users[0]
    if how == "api":
        response = http.post(f"/api/v1/users/{user.id}/lifecycle/{operation}", headers=API)
        assert (response.status_code, response.content) == (200, b"")
    else:
        assert getattr(fake, f"{operation}_user")(DEMO_LOGIN).status == status

    assert fake.users[0].status == status
    assert [s.id for s in fake.sessions] == [kept]
    for session_id in session_ids:
        assert_okta_error(http.get(ME, headers={"Cookie": f"sid={session_id}"}), 404, "E0000007")
    signin = {"username": DEMO_LOGIN, "password": DEMO_PASSWORD}
    assert_okta_error(http.post("/api/v1/authn", json=signin), 401, "E0000004")
    event = _only_event(fake)
    assert event["eventType"] == f"user.lifecycle.{operation}"
    assert event["target"] == [_principal(user)]
    assert event["actor"] == _principal(fake.admin)  # the API token's owner
    assert event["authenticationContext"]["externalSessionId"] == "unknown"


def test_i13_04_user_lifecycle_over_http_answers_oktas_errors(
    fake: FakeOkta, http: httpx.Client
) -> None:
    user = fake.users[0]
    suspend = f"/api/v1/users/{user.id}/lifecycle/suspend"
    assert_okta_error(http.post(suspend), 401, "E0000011")
    assert_okta_error(http.post("/api/v1/users/00unobody/lifecycle/suspend", headers=API),
                      404, "E0000007")  # fmt: skip
    assert http.post(f"/api/v1/users/{DEMO_LOGIN}/lifecycle/suspend", headers=API).is_success
    assert_okta_error(http.post(suspend, headers=API), 400, "E0000001")  # not ACTIVE any more
    assert http.post(f"/api/v1/users/{user.id}/lifecycle/deactivate", headers=API).is_success
    assert [e["eventType"] for e in fake.log_events] == [
        "user.lifecycle.suspend",
        "user.lifecycle.deactivate",
    ]


def test_i13_04_clearing_a_users_sessions_delivers_the_clear_then_each_end(
    fake: FakeOkta, hook_url: str
) -> None:
    every = _register(fake, hook_url)
    ends_only = _register(fake, hook_url, events=("user.session.end",))
    session_ids = [fake.create_session(DEMO_LOGIN) for _ in range(2)]
    user = fake.users[0]
    fake._user_sessions_cleared(user.id, session_ids)  # what DELETE /users/{id}/sessions calls

    by_hook = {d.hook_id: d for d in fake.wait_for_deliveries()}
    events = by_hook[every.id].payload()["data"]["events"]
    assert [e["eventType"] for e in events] == [
        "user.session.clear",
        "user.session.end",
        "user.session.end",
    ]
    clear, *ends = events
    assert (clear["actor"], clear["target"]) == (_principal(fake.admin), [_principal(user)])
    assert [e["authenticationContext"]["externalSessionId"] for e in ends] == session_ids
    assert all(e["target"] == [_principal(user)] for e in ends)
    assert len({e["transaction"]["id"] for e in events}) == 1  # one operation
    assert by_hook[ends_only.id].payload()["data"]["events"] == ends  # only what it asked for


def test_i13_04_nothing_is_delivered_for_an_event_type_the_hook_did_not_subscribe_to(
    fake: FakeOkta, receiver: HookReceiver, hook_url: str
) -> None:
    _register(fake, hook_url, events=("user.lifecycle.suspend",))
    fake.revoke(fake.create_session(DEMO_LOGIN))
    fake._user_sessions_cleared(fake.users[0].id, [])
    assert fake.wait_for_deliveries() == []
    assert receiver.posts == []
    assert [e["eventType"] for e in fake.log_events] == ["user.session.end", "user.session.clear"]
    fake.suspend_user(DEMO_LOGIN)
    [delivery] = fake.wait_for_deliveries()
    assert delivery.event_types == ("user.lifecycle.suspend",)
    assert len(receiver.posts) == 1
