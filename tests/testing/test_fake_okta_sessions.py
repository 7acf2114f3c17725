"""The fake Okta's sessions: lifetimes on its own clock, authn, cookies, the seeding API."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from okta_session_mw.testing import FakeOkta
from tests.support.fake_helpers import (
    API,
    DEMO_LOGIN,
    DEMO_PASSWORD,
    EPOCH,
    ME,
    assert_okta_error,
    served,
)


@pytest.fixture
def fake() -> FakeOkta:
    """Frozen clock: time moves only through ``advance``. Idle 100 s, at most 250 s."""
    fake = FakeOkta(idle_timeout=100.0, max_lifetime=250.0, clock=lambda: EPOCH)
    fake.add_user(DEMO_LOGIN, DEMO_PASSWORD, first_name="Ada", last_name="Lovelace")
    return fake


@pytest.fixture
def http(fake: FakeOkta) -> Iterator[httpx.Client]:
    with served(fake) as client:
        yield client


def _get(http: httpx.Client, session_id: str) -> httpx.Response:
    return http.get(f"/api/v1/sessions/{session_id}", headers=API)


def test_dates_are_okta_wire_format(fake: FakeOkta, http: httpx.Client) -> None:
    body = _get(http, fake.create_session(DEMO_LOGIN)).json()
    assert body["createdAt"] == "2025-09-22T07:01:28.000Z"
    assert body["expiresAt"] == "2025-09-22T07:03:08.000Z"  # + idle timeout
    assert body["_links"]["user"]["name"] == "Ada Lovelace"


def test_date_header_follows_the_fake_clock(fake: FakeOkta, http: httpx.Client) -> None:
    fake.advance(3600)
    assert http.get(ME).headers["date"] == "Mon, 22 Sep 2025 08:01:28 GMT"


def test_get_does_not_extend_and_idle_sessions_expire(fake: FakeOkta, http: httpx.Client) -> None:
    session_id = fake.create_session(DEMO_LOGIN)
    fake.advance(99.9)
    assert _get(http, session_id).json()["expiresAt"] == "2025-09-22T07:03:08.000Z"
    assert http.get(ME, headers={"Cookie": f"sid={session_id}"}).status_code == 200
    fake.advance(0.1)
    assert_okta_error(_get(http, session_id), 404, "E0000007")
    assert_okta_error(http.get(ME, headers={"Cookie": f"sid={session_id}"}), 404, "E0000007")
    assert fake.sessions == []
    assert fake.session(session_id) is None


def test_refresh_extends_up_to_the_maximum_lifetime(fake: FakeOkta, http: httpx.Client) -> None:
    session_id = fake.create_session(DEMO_LOGIN)
    cookie = {"Cookie": fake.cookie_header(session_id)}
    expiries = []
    for _ in range(3):
        fake.advance(80)
        response = http.post(f"{ME}/lifecycle/refresh", headers=cookie)
        assert response.status_code == 200
        expiries.append(response.json()["expiresAt"])
    # t=80: now + 100; t=160 and t=240: capped at createdAt + 250
    assert expiries == [
        "2025-09-22T07:04:28.000Z",
        "2025-09-22T07:05:38.000Z",
        "2025-09-22T07:05:38.000Z",
    ]
    fake.advance(9.9)
    assert http.get(ME, headers=cookie).status_code == 200
    fake.advance(0.1)
    assert_okta_error(http.post(f"{ME}/lifecycle/refresh", headers=cookie), 404, "E0000007")
    assert_okta_error(
        http.post(f"/api/v1/sessions/{session_id}/lifecycle/refresh", headers=API),
        404,
        "E0000007",
    )


def test_expiry_starts_capped_when_max_lifetime_is_short() -> None:
    fake = FakeOkta(idle_timeout=100.0, max_lifetime=30.0, clock=lambda: EPOCH)
    fake.add_user(DEMO_LOGIN, DEMO_PASSWORD)
    session = fake.session(fake.create_session(DEMO_LOGIN))
    assert session is not None
    assert session.expires_at == EPOCH + 30


def test_authn_gives_a_one_time_session_token(fake: FakeOkta, http: httpx.Client) -> None:
    response = http.post(
        "/api/v1/authn", json={"username": DEMO_LOGIN.upper(), "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "SUCCESS"
    assert body["expiresAt"] == "2025-09-22T07:06:28.000Z"  # session_token_ttl: 5 minutes
    assert body["_embedded"]["user"]["profile"]["login"] == DEMO_LOGIN
    token = {"sessionToken": body["sessionToken"]}
    first = http.post("/api/v1/sessions", headers=API, json=token)
    assert first.status_code == 200
    assert_okta_error(http.post("/api/v1/sessions", headers=API, json=token), 401, "E0000004")
    assert [s.id for s in fake.sessions] == [first.json()["id"]]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"username": DEMO_LOGIN, "password": "wrong"}, 401, "E0000004"),
        ({"username": "nobody@example.com", "password": DEMO_PASSWORD}, 401, "E0000004"),
        ({"username": DEMO_LOGIN}, 400, "E0000003"),
        ([], 400, "E0000003"),
    ],
)
def test_authn_failures(http: httpx.Client, payload: object, status: int, code: str) -> None:
    assert_okta_error(http.post("/api/v1/authn", json=payload), status, code)


@pytest.mark.parametrize(
    "template",
    [
        "theme=dark; sid={sid}; lang=en",
        'sid="{sid}"',
        "sid = {sid} ;",
        "sid={sid}; sid=shadowed",
        "idx={idx}",
        "sid=stale; idx={idx}",
        "idx=stale; sid={sid}",
    ],
)
def test_cookie_header_parsing(fake: FakeOkta, http: httpx.Client, template: str) -> None:
    session_id = fake.create_session(DEMO_LOGIN)
    idx = fake.cookie_header(session_id, "idx").removeprefix("idx=")
    response = http.get(ME, headers={"Cookie": template.format(sid=session_id, idx=idx)})
    assert response.status_code == 200
    assert response.json()["id"] == session_id


def test_cookie_header_outlives_the_session(fake: FakeOkta, http: httpx.Client) -> None:
    session_id = fake.create_session(DEMO_LOGIN)
    idx_cookie = fake.cookie_header(session_id, "idx")
    assert fake.revoke(session_id) is True
    assert fake.revoke(session_id) is False
    assert fake.cookie_header(session_id) == f"sid={session_id}"
    assert fake.cookie_header(session_id, "idx") == idx_cookie
    assert_okta_error(http.get(ME, headers={"Cookie": idx_cookie}), 404, "E0000007")
    with pytest.raises(KeyError):
        fake.cookie_header("102never")
    with pytest.raises(ValueError, match="sid"):
        fake.cookie_header(session_id, "DT")


def test_seeding_api_validates(fake: FakeOkta) -> None:
    with pytest.raises(ValueError, match="already exists"):
        fake.add_user(DEMO_LOGIN.upper(), "x")
    with pytest.raises(KeyError):
        fake.create_session("nobody@example.com")
    with pytest.raises(KeyError):
        fake.issue_session_token("nobody@example.com")
    with pytest.raises(ValueError, match="status"):
        fake.create_session(DEMO_LOGIN, status="INACTIVE")
    with pytest.raises(ValueError, match="amr"):
        fake.create_session(DEMO_LOGIN, amr=("xyz",))
    with pytest.raises(ValueError, match="idle_timeout"):
        FakeOkta(idle_timeout=0)
    with pytest.raises(ValueError, match="api_token"):
        FakeOkta(api_token=" ")


def test_session_snapshots(fake: FakeOkta) -> None:
    user = fake.users[0]
    session_id = fake.create_session(DEMO_LOGIN, amr=("pwd", "otp"))
    [session] = fake.sessions
    assert (session.id, session.user, session.login, session.user_id) == (
        session_id, user, DEMO_LOGIN, user.id,
    )  # fmt: skip
    assert session.id.startswith("102")
    assert len(session.id) == 25
    assert session.amr == ("pwd", "otp")
    assert (session.created_at, session.expires_at) == (EPOCH, EPOCH + 100)
    assert DEMO_PASSWORD not in repr(user)
    assert session.idx not in repr(session)
