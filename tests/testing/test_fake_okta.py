"""The fake Okta's operations over real HTTP: each success and each error status it gives.

Lifetimes, authn and the cookie rules are in test_fake_okta_sessions.py; faults, rate
limits and recording in test_fake_okta_faults.py; the HTTP server in
test_fake_okta_server.py; the bodies against Okta's spec in test_fake_okta_openapi.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from okta_session_mw.testing import FakeOkta
from tests.support.fake_helpers import (
    API,
    DEMO_LOGIN,
    ME,
    OKTA_DATE,
    assert_okta_error,
    okta_client,
    served,
)


@pytest.fixture
def http(fake_okta: FakeOkta) -> Iterator[httpx.Client]:
    with okta_client(fake_okta.base_url) as client:
        yield client


def _cookie(fake: FakeOkta, name: str = "sid") -> dict[str, str]:
    return {"Cookie": fake.cookie_header(fake.create_session(DEMO_LOGIN), name)}


def test_get_current_session_is_okta_session_json(fake_okta: FakeOkta, http: httpx.Client) -> None:
    session_id = fake_okta.create_session(DEMO_LOGIN)
    response = http.get(ME, headers={"Cookie": f"sid={session_id}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    for header in ("date", "x-okta-request-id", "x-rate-limit-limit", "x-rate-limit-remaining"):
        assert response.headers[header]
    assert int(response.headers["x-rate-limit-reset"]) > 1_700_000_000
    body = response.json()
    user = fake_okta.users[0]
    assert body["id"] == session_id
    assert body["userId"] == user.id
    assert user.id.startswith("00u")
    assert len(user.id) == 20
    assert body["login"] == DEMO_LOGIN
    assert body["status"] == "ACTIVE"
    assert body["amr"] == ["pwd"]
    assert body["idp"] == {"id": fake_okta.org_id, "type": "OKTA"}
    assert body["mfaActive"] is False
    assert body["lastFactorVerification"] is None
    for field in ("createdAt", "expiresAt", "lastPasswordVerification"):
        assert OKTA_DATE.match(body[field]), body[field]
    org = fake_okta.base_url
    assert body["_links"] == {
        "self": {"href": f"{org}/api/v1/sessions/me", "hints": {"allow": ["GET", "DELETE"]}},
        "refresh": {
            "href": f"{org}/api/v1/sessions/me/lifecycle/refresh",
            "hints": {"allow": ["POST"]},
        },
        "user": {
            "name": "Demo User",
            "href": f"{org}/api/v1/users/me",
            "hints": {"allow": ["GET"]},
        },
    }


def test_links_use_the_host_the_request_came_to(fake_okta: FakeOkta, http: httpx.Client) -> None:
    headers = {**_cookie(fake_okta), "Host": "example.okta.com"}
    links = http.get(ME, headers=headers).json()["_links"]
    assert links["self"]["href"] == "http://example.okta.com/api/v1/sessions/me"


def test_get_current_session_by_idx_cookie(fake_okta: FakeOkta, http: httpx.Client) -> None:
    session_id = fake_okta.create_session(DEMO_LOGIN)
    header = fake_okta.cookie_header(session_id, "idx")
    assert header.startswith("idx=")
    assert session_id not in header
    response = http.get(ME, headers={"Cookie": header})
    assert response.status_code == 200
    assert response.json()["id"] == session_id


@pytest.mark.parametrize(
    "cookie",
    [None, "sid=unknown", "idx=unknown", "theme=dark", "sid=", "sid", "SID={id}"],
)
def test_current_session_without_a_matching_cookie_is_404(
    fake_okta: FakeOkta, http: httpx.Client, cookie: str | None
) -> None:
    session_id = fake_okta.create_session(DEMO_LOGIN)
    headers = {} if cookie is None else {"Cookie": cookie.format(id=session_id)}
    for response in (
        http.get(ME, headers=headers),
        http.delete(ME, headers=headers),
        http.post(f"{ME}/lifecycle/refresh", headers=headers),
    ):
        body = assert_okta_error(response, 404, "E0000007")
        assert body["errorSummary"] == "Not found: Resource not found: me (Session)"


def test_me_operations_do_not_honour_an_api_token(fake_okta: FakeOkta, http: httpx.Client) -> None:
    fake_okta.create_session(DEMO_LOGIN)
    assert_okta_error(http.get(ME, headers=API), 404, "E0000007")
    assert_okta_error(http.post(f"{ME}/lifecycle/refresh", headers=API), 404, "E0000007")
    recorded = fake_okta.calls_to("POST", f"{ME}/lifecycle/refresh")
    assert [call.authorization for call in recorded] == ["SSWS test-token"]


def test_close_current_session(fake_okta: FakeOkta, http: httpx.Client) -> None:
    cookie = _cookie(fake_okta)
    response = http.delete(ME, headers=cookie)
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers
    assert response.headers["x-rate-limit-remaining"]
    assert fake_okta.sessions == []
    assert_okta_error(http.get(ME, headers=cookie), 404, "E0000007")
    assert_okta_error(http.delete(ME, headers=cookie), 404, "E0000007")


def test_close_current_session_by_idx(fake_okta: FakeOkta, http: httpx.Client) -> None:
    cookie = _cookie(fake_okta, "idx")
    assert http.delete(ME, headers=cookie).status_code == 204
    assert_okta_error(http.get(ME, headers=cookie), 404, "E0000007")


def test_refresh_current_session(fake_okta: FakeOkta, http: httpx.Client) -> None:
    cookie = _cookie(fake_okta)
    before = http.get(ME, headers=cookie).json()
    fake_okta.advance(60)
    response = http.post(f"{ME}/lifecycle/refresh", headers=cookie, json={})
    assert response.status_code == 200
    after = response.json()
    assert after["expiresAt"] > before["expiresAt"]
    assert {k: v for k, v in after.items() if k != "expiresAt"} == {
        k: v for k, v in before.items() if k != "expiresAt"
    }


def test_create_session_with_a_session_token(fake_okta: FakeOkta, http: httpx.Client) -> None:
    token = fake_okta.issue_session_token(DEMO_LOGIN)
    response = http.post("/api/v1/sessions", headers=API, json={"sessionToken": token})
    assert response.status_code == 200
    body = response.json()
    assert [s.id for s in fake_okta.sessions] == [body["id"]]
    assert body["_links"]["self"]["href"] == f"{fake_okta.base_url}/api/v1/sessions/me"
    assert body["_links"]["user"]["href"] == f"{fake_okta.base_url}/api/v1/users/me"
    assert http.get(ME, headers={"Cookie": f"sid={body['id']}"}).json()["id"] == body["id"]


def test_create_session_accepts_ssws_without_a_space(
    fake_okta: FakeOkta, http: httpx.Client
) -> None:
    token = fake_okta.issue_session_token(DEMO_LOGIN)
    headers = {"Authorization": "SSWStest-token"}
    assert http.post("/api/v1/sessions", headers=headers, json={"sessionToken": token}).is_success


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("used", "E0000004"),
        ("unknown", "E0000004"),
        ("expired", "E0000004"),
    ],
)
def test_create_session_with_a_bad_session_token_is_401(
    fake_okta: FakeOkta, http: httpx.Client, token: str, expected: str
) -> None:
    value = "not-a-token"
    if token != "unknown":
        value = fake_okta.issue_session_token(DEMO_LOGIN)
    if token == "used":
        assert http.post("/api/v1/sessions", headers=API, json={"sessionToken": value}).is_success
    if token == "expired":
        fake_okta.advance(fake_okta.session_token_ttl)
    response = http.post("/api/v1/sessions", headers=API, json={"sessionToken": value})
    body = assert_okta_error(response, 401, expected)
    assert body["errorSummary"] == "Authentication failed"


@pytest.mark.parametrize("content", [None, b"", b"not json", b"[]", b"{}", b'{"sessionToken": 42}'])
def test_create_session_with_a_bad_body_is_400(http: httpx.Client, content: bytes | None) -> None:
    response = http.post("/api/v1/sessions", headers=API, content=content)
    body = assert_okta_error(response, 400, "E0000003")
    assert body["errorSummary"] == "The request body was not well-formed."


@pytest.mark.parametrize(
    "authorization", [None, "SSWS wrong", "Bearer test-token", "test-token", "SSWS"]
)
def test_api_token_is_checked_on_create_and_by_id(
    fake_okta: FakeOkta, http: httpx.Client, authorization: str | None
) -> None:
    session_id = fake_okta.create_session(DEMO_LOGIN)
    token = fake_okta.issue_session_token(DEMO_LOGIN)
    headers = {} if authorization is None else {"Authorization": authorization}
    for response in (
        http.post("/api/v1/sessions", headers=headers, json={"sessionToken": token}),
        http.get(f"/api/v1/sessions/{session_id}", headers=headers),
        http.post(f"/api/v1/sessions/{session_id}/lifecycle/refresh", headers=headers),
        http.delete(f"/api/v1/sessions/{session_id}", headers=headers),
    ):
        body = assert_okta_error(response, 401, "E0000011")
        assert body["errorSummary"] == "Invalid token provided"
    assert fake_okta.session(session_id) is not None


def test_get_session_by_id(fake_okta: FakeOkta, http: httpx.Client) -> None:
    session_id = fake_okta.create_session(DEMO_LOGIN, status="MFA_REQUIRED", amr=("pwd", "mfa"))
    response = http.get(f"/api/v1/sessions/{session_id}", headers=API)
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["amr"]) == (session_id, "MFA_REQUIRED", ["pwd", "mfa"])
    assert body["mfaActive"] is True
    assert body["lastFactorVerification"] == body["createdAt"]
    api = f"{fake_okta.base_url}/api/v1"
    links = body["_links"]
    assert links["self"]["href"] == f"{api}/sessions/{session_id}"
    assert links["refresh"]["href"] == f"{api}/sessions/{session_id}/lifecycle/refresh"
    assert links["user"]["href"] == f"{api}/users/{body['userId']}"


def test_by_id_operations_for_an_unknown_session_are_404(http: httpx.Client) -> None:
    path = "/api/v1/sessions/102unknown"
    for response in (
        http.get(path, headers=API),
        http.post(f"{path}/lifecycle/refresh", headers=API),
        http.delete(path, headers=API),
    ):
        body = assert_okta_error(response, 404, "E0000007")
        assert body["errorSummary"] == "Not found: Resource not found: 102unknown (AppSession)"


def test_revoke_session_by_id(fake_okta: FakeOkta, http: httpx.Client) -> None:
    session_id = fake_okta.create_session(DEMO_LOGIN)
    response = http.delete(f"/api/v1/sessions/{session_id}", headers=API)
    assert (response.status_code, response.content) == (204, b"")
    assert fake_okta.session(session_id) is None
    assert_okta_error(http.get(f"/api/v1/sessions/{session_id}", headers=API), 404, "E0000007")
    assert_okta_error(http.delete(f"/api/v1/sessions/{session_id}", headers=API), 404, "E0000007")


def test_refresh_session_by_id(fake_okta: FakeOkta, http: httpx.Client) -> None:
    session_id = fake_okta.create_session(DEMO_LOGIN)
    before = fake_okta.session(session_id)
    fake_okta.advance(30)
    response = http.post(f"/api/v1/sessions/{session_id}/lifecycle/refresh", headers=API)
    assert response.status_code == 200
    after = fake_okta.session(session_id)
    assert before is not None
    assert after is not None
    assert before.expires_at + 30 <= after.expires_at <= fake_okta.now() + fake_okta.idle_timeout
    assert response.json()["_links"]["self"]["href"].endswith(f"/sessions/{session_id}")


def test_by_id_operations_accept_a_configured_bearer_token() -> None:
    fake = FakeOkta(bearer_tokens=["oauth-access-token"])
    fake.add_user(DEMO_LOGIN, "pw")
    session_id = fake.create_session(DEMO_LOGIN)
    bearer = {"Authorization": "Bearer oauth-access-token"}
    with served(fake) as http:
        path = f"/api/v1/sessions/{session_id}"
        assert http.get(path, headers=bearer).status_code == 200
        assert http.post(f"{path}/lifecycle/refresh", headers=bearer).status_code == 200
        assert http.delete(path, headers=bearer).status_code == 204
        token = fake.issue_session_token(DEMO_LOGIN)  # CreateSession takes the API token only
        response = http.post("/api/v1/sessions", headers=bearer, json={"sessionToken": token})
        assert_okta_error(response, 403, "E0000006")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/sessions"),
        ("GET", "/api/v1/sessions/"),
        ("PUT", ME),
        ("POST", ME),
        ("GET", f"{ME}/lifecycle/refresh"),
        ("PUT", "/api/v1/sessions/102abc"),
        ("GET", "/api/v1/sessions/102abc/lifecycle/refresh"),
        ("GET", "/api/v1/authn"),
    ],
)
def test_wrong_method_is_405(http: httpx.Client, method: str, path: str) -> None:
    response = http.request(method, path, headers=API)
    body = assert_okta_error(response, 405, "E0000022")
    assert body["errorSummary"] == "The endpoint does not support the provided HTTP method"
    assert response.headers["x-rate-limit-limit"]


def test_unknown_path_is_404(http: httpx.Client) -> None:
    assert_okta_error(http.get("/api/v1/nothing", headers=API), 404, "E0000007")


def test_prefer_return_minimal_on_refresh(fake_okta: FakeOkta, http: httpx.Client) -> None:
    cookie = _cookie(fake_okta)
    response = http.post(f"{ME}/lifecycle/refresh", headers={**cookie, "Prefer": "return=minimal"})
    assert (response.status_code, response.content) == (204, b"")
    assert response.headers["preference-applied"] == "return=minimal"
